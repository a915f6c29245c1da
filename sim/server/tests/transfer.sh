#!/usr/bin/env bash
# The update protocol and the transfer faults, seen through curl: Range, HEAD,
# keep-alive, /report, 404/405/416, a cut connection resumed with -C -, a stall,
# a corrupted byte, a bad signature, a missing image, 503 with Retry-After.
. "$ROTSIM_TOP/sim/server/tests/lib.sh"

make_firmware "$tmp/fw"
img=$tmp/fw/image-2.bin
head -c 1000 /dev/urandom > "$tmp/fw/image-1.bin"
ca=$pki/ec-root.pem
serve() {
	ev=$tmp/ev.$RANDOM.json
	start_server pid --chain "$pki/ec-chain.pem" --key "$pki/ec-leaf.key" \
		--firmware "$tmp/fw" --signing-key "$tmp/sk.pem" --events "$ev" "$@"
	url=https://$host:$port
}
get() { rcurl --cacert "$ca" "$@"; }

echo "== protocol"
serve --time 2031-05-01
get -f "$url/manifest" -o "$tmp/m"
grep -qx 'version 2' "$tmp/m"
grep -qx 'url /firmware/image-2.bin' "$tmp/m"
"$ROTSIM" sign --verify "$tmp/m" --pub "$tmp/sk.pub.pem"
# The older image is still served; the manifest offers the highest.
get -f "$url/firmware/image-1.bin" -o "$tmp/i1"
cmp "$tmp/i1" "$tmp/fw/image-1.bin"
# Range forms.
get -f -r 100-199 "$url/firmware/image-2.bin" -o "$tmp/r" -D "$tmp/h"
cmp "$tmp/r" <(tail -c +101 "$img" | head -c 100)
grep -qi '^content-range: bytes 100-199/1048576' "$tmp/h"
get -f -H 'Range: bytes=-10' "$url/firmware/image-2.bin" -o "$tmp/r"
cmp "$tmp/r" <(tail -c 10 "$img")
[ "$(get -o /dev/null -w '%{http_code}' -H 'Range: bytes=2000000-' "$url/firmware/image-2.bin")" = 416 ]
# HEAD, 404, 405, Date at the simulated time.
get -f -I "$url/firmware/image-2.bin" > "$tmp/h"
grep -qi '^content-length: 1048576' "$tmp/h"
grep -qi '^date: Thu, 01 May 2031 00:00:' "$tmp/h"
[ "$(get -o /dev/null -w '%{http_code}' "$url/firmware/image-9.bin")" = 404 ]
[ "$(get -o /dev/null -w '%{http_code}' "$url/nothing")" = 404 ]
[ "$(get -o /dev/null -w '%{http_code}' -X DELETE "$url/manifest")" = 405 ]
# A report, and keep-alive: three requests on one connection.
get -f --data-binary $'device=dev-1 version=2 status="ok"\n\x01' "$url/report" -o "$tmp/rep"
[ "$(cat "$tmp/rep")" = ok ]
get -f "$url/manifest" "$url/manifest" "$url/firmware/image-1.bin" -o /dev/null -o /dev/null -o /dev/null
stop_server "$pid"
jq -e . "$ev" >/dev/null
jq -e -s '[.[] | select(.event=="close" and .requests==3)] | length==1' "$ev" >/dev/null
jq -e -s '[.[] | select(.event=="request" and .path=="/report")][0].report == "device=dev-1 version=2 status=\"ok\"\n\u0001"' "$ev" >/dev/null
jq -e -s '[.[] | select(.event=="request" and .status==416)] | length==1' "$ev" >/dev/null
jq -e -s '[.[] | select(.sim != null)] | all(.sim | startswith("2031-05-01T00:0"))' "$ev" >/dev/null

echo "== close-after: cut, then a resumed download completes"
serve --fault close-after=300000
rc=0; get "$url/firmware/image-2.bin" -o "$tmp/part" || rc=$?
[ $rc = 18 ]	# curl: partial file
[ "$(stat -c %s "$tmp/part")" = 300000 ]
get -f -C - "$url/firmware/image-2.bin" -o "$tmp/part"
cmp "$img" "$tmp/part"
stop_server "$pid"
jq -e -s '[.[] | select(.event=="request" and .outcome=="cut" and .bytes==300000 and .faults==["close-after=300000"])] | length==1' "$ev" >/dev/null
jq -e -s '[.[] | select(.event=="close" and .reason=="fault: close-after")] | length==1' "$ev" >/dev/null

echo "== stall"
serve --fault stall=2,at=1000
start=$(date +%s%N)
get -f "$url/firmware/image-2.bin" -o "$tmp/st"
el=$(( ($(date +%s%N) - start) / 1000000 ))
cmp "$img" "$tmp/st"
[ "$el" -ge 1900 ] || { echo "no stall: ${el} ms"; exit 1; }
# The second download is not stalled (count=1).
start=$(date +%s%N)
get -f "$url/firmware/image-2.bin" -o "$tmp/st"
el=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$el" -lt 1500 ]
stop_server "$pid"

echo "== corrupt-byte"
serve --fault corrupt-byte=5000
get -f "$url/manifest" -o "$tmp/m"
get -f "$url/firmware/image-2.bin" -o "$tmp/c"
diffs=$(cmp -l "$img" "$tmp/c" || true)
[ "$(echo "$diffs" | wc -l)" = 1 ]
echo "$diffs" | grep -q '^ *5001 '
expect_rc 1 "$ROTSIM" sign --verify "$tmp/m" --pub "$tmp/sk.pub.pem" --image "$tmp/c"
# A range that does not hold the byte is clean.
get -f -r 6000-6999 "$url/firmware/image-2.bin" -o "$tmp/r"
cmp "$tmp/r" <(tail -c +6001 "$img" | head -c 1000)
stop_server "$pid"

echo "== bad-signature"
serve --fault bad-signature
get -f "$url/manifest" -o "$tmp/m"
expect_rc 1 "$ROTSIM" sign --verify "$tmp/m" --pub "$tmp/sk.pub.pem" 2>"$tmp/err"
grep -q 'bad manifest signature' "$tmp/err"
stop_server "$pid"

echo "== missing-image"
serve --fault missing-image
get -f "$url/manifest" -o "$tmp/m"
"$ROTSIM" sign --verify "$tmp/m" --pub "$tmp/sk.pub.pem"
[ "$(get -o /dev/null -w '%{http_code}' "$url/firmware/image-2.bin")" = 404 ]
stop_server "$pid"

echo "== http=503 with Retry-After, twice, on the manifest only"
serve --fault http=503,retry-after=120,path=/manifest,count=2
get -o /dev/null -D "$tmp/h" "$url/manifest"
grep -q '^HTTP/1.1 503' "$tmp/h"
grep -qi '^retry-after: 120' "$tmp/h"
[ "$(get -o /dev/null -w '%{http_code}' "$url/firmware/image-1.bin")" = 200 ]
[ "$(get -o /dev/null -w '%{http_code}' "$url/manifest")" = 503 ]
[ "$(get -o /dev/null -w '%{http_code}' "$url/manifest")" = 200 ]
stop_server "$pid"
jq -e -s '[.[] | select(.event=="request" and .status==503 and .faults==["http=503,retry-after=120,path=/manifest,count=2"])] | length==2' "$ev" >/dev/null

echo "== keylog: the server's lines are the client's own secrets"
kl=$tmp/keys.log
serve --keylog "$kl"
get -f "$url/manifest" -o /dev/null
for i in 1 2; do
	echo | openssl s_client -connect "127.0.0.1:$port" -servername "$host" -CAfile "$ca" \
		-keylogfile "$tmp/client.keys" >/dev/null 2>&1
done
stop_server "$pid"
[ "$(grep -cE '^CLIENT_RANDOM [0-9a-f]{64} [0-9a-f]{96}$' "$kl")" = 3 ]
grep "^CLIENT_RANDOM" "$tmp/client.keys" > "$tmp/client.lines"
[ "$(wc -l < "$tmp/client.lines")" = 2 ]
grep -qFf "$tmp/client.lines" "$kl"
[ "$(grep -cFf "$tmp/client.lines" "$kl")" = 2 ]
# The firmware signing key was written once, 0600, and reused.
[ "$(stat -c %a "$tmp/sk.pem")" = 600 ]
grep -q 'loaded' "$tmp/serve.$nserver.err"
# No TLS private key is ever written: only the signing key is a key file.
[ "$(grep -rl 'PRIVATE KEY' "$tmp" | grep -v "^$tmp/fw" | sort)" = "$tmp/sk.pem" ]
echo ok

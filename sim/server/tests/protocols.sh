#!/usr/bin/env bash
# The file-tree and hawkBit protocols of rotsim serve, seen through curl: the
# tree's paths and nothing else (no listing, no traversal), Range, HEAD, 416,
# 405, the SHA-256 and the detached signature checked with openssl, the
# check-in; hawkBit's base poll, deploymentBase, artifact, feedback (good,
# malformed, another action), the action closed afterwards, and the events
# that carry the evidence (image, offset, feedback). Usage errors of the
# options. A few seconds.
. "$ROTSIM_TOP/sim/server/tests/lib.sh"

make_firmware "$tmp/fw" 300000
img=$tmp/fw/image-2.bin
head -c 1000 /dev/urandom > "$tmp/fw/image-1.bin"
ca=$pki/ec-root.pem
get() { rcurl --cacert "$ca" "$@"; }
code() { get -o /dev/null -w '%{http_code}' "$@"; }
want() {	# want CODE ARGS...: the status of a request
	local w=$1 c; shift
	c=$(code "$@")
	[ "$c" = "$w" ] || { echo "FAIL: $* gave $c, not $w"; exit 1; }
}

echo "== files"
ev=$tmp/files.jsonl
start_server pid --chain "$pki/ec-chain.pem" --key "$pki/ec-leaf.key" --firmware "$tmp/fw" \
	--signing-key "$tmp/sk.pem" --events "$ev" --protocol files --checkin /checkin \
	--image-path /fw/update.swu
url=https://$host:$port
get -f "$url/fw/update.swu" -o "$tmp/u"
cmp "$tmp/u" "$img"
get -f "$url/fw/update.swu.version" | grep -qx 2
(cd "$tmp" && get -f "$url/fw/update.swu.sha256" | sed 's/update.swu$/u/' | sha256sum -c --quiet)
get -f "$url/fw/update.swu.sig" -o "$tmp/sig"
openssl dgst -sha256 -verify "$tmp/sk.pub.pem" -signature "$tmp/sig" "$tmp/u" | grep -q OK
# The other images keep their names; the offered one is served under both.
get -f "$url/firmware/image-1.bin" -o "$tmp/i1"
cmp "$tmp/i1" "$tmp/fw/image-1.bin"
get -f -r 1000-1999 "$url/firmware/image-2.bin" -o "$tmp/r" -D "$tmp/h"
cmp "$tmp/r" <(tail -c +1001 "$img" | head -c 1000)
grep -qi '^content-range: bytes 1000-1999/300000' "$tmp/h"
grep -qi '^etag: "[0-9a-f]\{16\}"' "$tmp/h"
get -fsI "$url/fw/update.swu.sig" | grep -qi '^content-type: application/octet-stream'
get -fsI "$url/fw/update.swu.sha256" | grep -qi '^content-type: text/plain'
want 416 -r 300000- "$url/fw/update.swu"
want 200 -I "$url/fw/update.swu"
want 405 -X POST "$url/fw/update.swu"
# Only the tree: no listing, no traversal, no escapes, no manifest.
for p in /fw /fw/ / /firmware/ /fw/../firmware/image-2.bin /fw/%2e%2e/fw/update.swu \
	/fw/update.swu/ /fw//update.swu /manifest /report /fw/update.swu.sig.x /etc/passwd; do
	want 404 --path-as-is "$url$p"
done
# A query is not part of the name.
want 200 -o /dev/null "$url/fw/update.swu.version?x=1"
want 200 "$url/checkin?version=2&device=d"
want 200 -d 'version=2' "$url/checkin"
want 405 -X DELETE "$url/checkin"
stop_server "$pid"
grep -q '"path":"/fw/update.swu","status":200,"bytes":300000,.*"image":"image-2.bin","offset":0,"size":300000' "$ev"
grep -q '"range":"bytes=1000-1999","status":206,"bytes":1000,.*"offset":1000,"size":300000' "$ev"
grep -q '"path":"/checkin","status":200.*"report":"version=2"' "$ev"
grep -q '"event":"listen".*"protocol":"files","image_path":"/fw/update.swu","image_size":300000,"checkin_path":"/checkin"' "$ev"

echo "== hawkbit"
ev=$tmp/hawkbit.jsonl
start_server pid --chain "$pki/ec-chain.pem" --key "$pki/ec-leaf.key" --firmware "$tmp/fw" \
	--signing-key "$tmp/sk.pem" --events "$ev" --protocol hawkbit --installed-version 1 \
	--poll-sleep 90
url=https://$host:$port
base=$url/DEFAULT/controller/v1/dev-1
get -f "$base" > "$tmp/poll"
jq -e '.config.polling.sleep == "00:01:30"' "$tmp/poll" >/dev/null
dep=$(jq -r '._links.deploymentBase.href' "$tmp/poll")
[ "$dep" = "https://$host:$port/DEFAULT/controller/v1/dev-1/deploymentBase/2?c=2" ] ||
	{ echo "FAIL: deploymentBase link $dep"; exit 1; }
get -f "$dep" > "$tmp/dep"
jq -e --arg s "$(sha256sum < "$img" | cut -d' ' -f1)" --arg m "$(md5sum < "$img" | cut -d' ' -f1)" \
	--arg h "$(sha1sum < "$img" | cut -d' ' -f1)" \
	'.id == "2" and .deployment.chunks[0].version == "2" and
	 (.deployment.chunks[0].artifacts[0] | .size == 300000 and .filename == "update.bin"
	  and .hashes.sha256 == $s and .hashes.md5 == $m and .hashes.sha1 == $h
	  and ._links.download.href == ._links["download-http"].href)' "$tmp/dep" >/dev/null ||
	{ echo "FAIL: deployment"; cat "$tmp/dep"; exit 1; }
art=$(jq -r '.deployment.chunks[0].artifacts[0]._links.download.href' "$tmp/dep")
get -f "$art" -o "$tmp/a"
cmp "$tmp/a" "$img"
want 206 -r 0-9 "$art"
want 404 "$base/deploymentBase/1"
want 404 "$url/other/controller/v1/dev-1"
want 404 "$url/DEFAULT/controller/v1/dev%201"
want 404 "$url/DEFAULT/controller/v1"
want 404 "$base/softwaremodules/2/artifacts/image-2.bin"
want 405 -X POST "$base"
want 200 -X PUT -d '{}' "$base/configData"
fb=$base/deploymentBase/2/feedback
want 400 -H 'Content-Type: application/json' -d '{"status":{"execution":"closed"}}' "$fb"
want 400 -d 'not json' "$fb"
want 400 -d '{"id":"7","status":{"execution":"closed","result":{"finished":"success"}}}' "$fb"
want 404 -d '{"status":{"execution":"closed","result":{"finished":"success"}}}' \
	"$base/deploymentBase/7/feedback"
# A body over the limit is refused before it is read.
head -c 70000 /dev/zero | tr '\0' 'x' > "$tmp/big"
want 413 --data-binary "@$tmp/big" "$fb"
want 200 -d '{"id":"2","status":{"execution":"proceeding","result":{"finished":"none"}}}' "$fb"
get -f "$base" | jq -e '._links.deploymentBase' >/dev/null
want 200 -d '{"id":2,"status":{"execution":"closed","result":{"finished":"success"},"details":["ok"]}}' "$fb"
# The action is closed: the next poll has nothing.
get -f "$base" | jq -e 'has("_links") | not' >/dev/null
want 404 "$dep"
stop_server "$pid"
grep -q '"status":400.*"feedback_error":"status.execution closed without result.finished"' "$ev"
grep -q '"status":200.*"feedback_body":.*"action":2,"execution":"closed","finished":"success"' "$ev"
grep -q '/artifacts/update.bin","status":200,"bytes":300000,.*"image":"image-2.bin","offset":0' "$ev"
# Nothing pending for a device that runs the offered version.
start_server pid --chain "$pki/ec-chain.pem" --key "$pki/ec-leaf.key" --firmware "$tmp/fw" \
	--signing-key "$tmp/sk.pem" --protocol hawkbit --installed-version 2
url=https://$host:$port
get -f "$url/DEFAULT/controller/v1/dev-1" | jq -e 'has("_links") | not' >/dev/null
stop_server "$pid"

echo "== usage"
s=(serve --chain "$pki/ec-chain.pem" --key "$pki/ec-leaf.key" --firmware "$tmp/fw"
	--signing-key "$tmp/sk.pem")
expect_rc 2 "$ROTSIM" "${s[@]}" --protocol ftp 2>/dev/null
expect_rc 2 "$ROTSIM" "${s[@]}" --image-path /fw/x.bin 2>/dev/null
expect_rc 2 "$ROTSIM" "${s[@]}" --protocol files --image-path /fw/../x 2>/dev/null
expect_rc 2 "$ROTSIM" "${s[@]}" --protocol files --image-path relative 2>/dev/null
expect_rc 2 "$ROTSIM" "${s[@]}" --protocol hawkbit --checkin /c 2>/dev/null
expect_rc 2 "$ROTSIM" "${s[@]}" --protocol hawkbit --tenant 'a b' 2>/dev/null
expect_rc 2 "$ROTSIM" "${s[@]}" --protocol files --image-path /firmware/image-1.bin 2>/dev/null
"$ROTSIM" "${s[@]}" --protocol files --image-path /firmware/image-1.bin > "$tmp/u.out" 2>&1 || true
grep -q 'another image than the offered one' "$tmp/u.out"
echo ok

#!/usr/bin/env bash
# The files rotsim serve writes are created, never written through a planted
# symbolic link: a link (to a file, or dangling) or a file left at the path of
# the event log or the key log makes the server refuse to start, with one line
# on stderr that names the path, exit 2, and the link and its target as they
# were. The signing key's public half, written beside the event log, replaces
# a link there instead of following it, and is written only when what is
# there is not it. Loopback only; a few seconds.
. "$ROTSIM_TOP/sim/server/tests/lib.sh"

make_firmware "$tmp/fw" 4096
d=$tmp/results
mkdir "$d"
echo precious > "$tmp/outside"
cp "$tmp/outside" "$tmp/outside.orig"
base=(serve --listen 127.0.0.1:0 --chain "$pki/ec-chain.pem" --key "$pki/ec-leaf.key"
	--firmware "$tmp/fw" --signing-key "$tmp/sk.pem" --max-conns 16)

# refused WHAT OPTION PATH: the server must not start with OPTION PATH.
refused() {
	local what=$1 opt=$2 path=$3 rc=0 other
	# The other log goes to a fresh path, so only PATH is in the way.
	if [ "$opt" = --events ]; then other=(--keylog "$d/keylog.$RANDOM"); else
		other=(--events "$d/events.$RANDOM"); fi
	timeout 10 "$ROTSIM" "${base[@]}" "${other[@]}" "$opt" "$path" \
		> "$tmp/out" 2> "$tmp/err" || rc=$?
	[ "$rc" -eq 2 ] || { echo "FAIL: $what: exit $rc, want 2"; cat "$tmp/err"; exit 1; }
	[ "$(wc -l < "$tmp/err")" -eq 1 ] \
		|| { echo "FAIL: $what: not one line on stderr:"; cat "$tmp/err"; exit 1; }
	grep -qF "$path" "$tmp/err" || { echo "FAIL: $what: the error names no path: $(cat "$tmp/err")"; exit 1; }
	[ ! -s "$tmp/out" ] || { echo "FAIL: $what: the server started: $(cat "$tmp/out")"; exit 1; }
	cmp -s "$tmp/outside" "$tmp/outside.orig" \
		|| { echo "FAIL: $what: the link's target was written"; exit 1; }
	echo "$what: $(cat "$tmp/err")"
}

for opt in --events --keylog; do
	n=${opt#--}
	ln -s "$tmp/outside" "$d/$n.link"
	refused "$n: a link to a file" "$opt" "$d/$n.link"
	[ -L "$d/$n.link" ] || { echo "FAIL: $n: the link was replaced"; exit 1; }
	ln -s "$tmp/nothing-here" "$d/$n.dangling"
	refused "$n: a dangling link" "$opt" "$d/$n.dangling"
	[ ! -e "$tmp/nothing-here" ] || { echo "FAIL: $n: the dangling link's target was created"; exit 1; }
	cp "$tmp/outside" "$d/$n.old"
	refused "$n: a file left there" "$opt" "$d/$n.old"
	cmp -s "$d/$n.old" "$tmp/outside.orig" || { echo "FAIL: $n: the old file was written"; exit 1; }
done

# --stdio shares its logs between the processes of one server (one per
# connection), so an existing log is appended to there; a link is still
# refused.
rc=0
timeout 10 "$ROTSIM" serve --stdio --chain "$pki/ec-chain.pem" --key "$pki/ec-leaf.key" \
	--firmware "$tmp/fw" --signing-key "$tmp/sk.pem" --events "$d/events.link" \
	< /dev/null > "$tmp/out" 2> "$tmp/err" || rc=$?
[ "$rc" -eq 2 ] && [ "$(wc -l < "$tmp/err")" -eq 1 ] && grep -q 'symbolic link' "$tmp/err" \
	|| { echo "FAIL: --stdio with a link for its events: exit $rc: $(cat "$tmp/err")"; exit 1; }
cmp -s "$tmp/outside" "$tmp/outside.orig" || { echo "FAIL: --stdio wrote through the link"; exit 1; }
echo "stdio: $(cat "$tmp/err")"

# Fresh paths: the server starts and writes both logs; a link planted where
# the public signing key goes is replaced, its target untouched.
ln -s "$tmp/outside" "$d/signing-key.pub.pem"
start_server pid --chain "$pki/ec-chain.pem" --key "$pki/ec-leaf.key" --firmware "$tmp/fw" \
	--events "$d/events.jsonl" --keylog "$d/keylog.txt" --max-conns 16
rcurl -f --cacert "$pki/ec-root.pem" "https://$host:$port/manifest" -o /dev/null
stop_server "$pid"
grep -q '"event":"handshake"' "$d/events.jsonl" || { echo "FAIL: no handshake event"; exit 1; }
grep -q '^CLIENT_RANDOM ' "$d/keylog.txt" || { echo "FAIL: no key log line"; exit 1; }
[ ! -L "$d/signing-key.pub.pem" ] && grep -q 'PUBLIC KEY' "$d/signing-key.pub.pem" \
	|| { echo "FAIL: the public key did not replace the link"; exit 1; }
cmp -s "$tmp/outside" "$tmp/outside.orig" || { echo "FAIL: the public key went through the link"; exit 1; }

# A public key already there and right is left as it is (the same file); one
# that is not the signing key's is replaced.
cp "$d/signing-key.pub.pem" "$tmp/pub.right"
ino=$(stat -c %i "$d/signing-key.pub.pem")
start_server pid --chain "$pki/ec-chain.pem" --key "$pki/ec-leaf.key" --firmware "$tmp/fw" \
	--events "$d/events2.jsonl" --max-conns 16
stop_server "$pid"
[ "$(stat -c %i "$d/signing-key.pub.pem")" = "$ino" ] \
	|| { echo "FAIL: an unchanged public key was written again"; exit 1; }
sed 's/A/B/' "$tmp/pub.right" > "$d/signing-key.pub.pem"
start_server pid --chain "$pki/ec-chain.pem" --key "$pki/ec-leaf.key" --firmware "$tmp/fw" \
	--events "$d/events3.jsonl" --max-conns 16
stop_server "$pid"
cmp -s "$d/signing-key.pub.pem" "$tmp/pub.right" \
	|| { echo "FAIL: a wrong public key was left in place"; exit 1; }
echo ok

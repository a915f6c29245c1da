#!/usr/bin/env bash
# Load: 200 concurrent clients, each a full handshake and a 1 MiB download,
# all succeed, twice over; the server's resident memory after the second round
# is what it was after the first (flat), and misbehaving clients mixed in (a
# garbage sender, silent connections) are answered or dropped without holding
# anyone up. Loopback only; bounded by curl's --max-time and the test timeout.
. "$ROTSIM_TOP/sim/server/tests/lib.sh"

N=${LOAD_CLIENTS:-200}
make_firmware "$tmp/fw"
img=$tmp/fw/image-2.bin
sum=$(sha256sum < "$img")
ca=$pki/ec-root.pem
ev=$tmp/events.json
# Under AddressSanitizer, freed memory waits in a quarantine and RSS would grow
# by design: turn the quarantine off so reuse shows (no effect otherwise).
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0
start_server pid --chain "$pki/ec-chain.pem" --key "$pki/ec-leaf.key" --firmware "$tmp/fw" \
	--events "$ev" --timeout 5
url=https://$host:$port/firmware/image-2.bin

rss() { awk '/^VmRSS/ { print $2 }' "/proc/$pid/status"; }
hwm() { awk '/^VmHWM/ { print $2 }' "/proc/$pid/status"; }

# round NAME: N clients at once. The rate limit (about 4 s per download) makes
# them overlap; how many really did is measured on the clients' side, since
# how fast a machine starts 200 curls is not the server's doing. Each client
# records when its curl started, and curl reports when its TCP connection was
# up and when the transfer ended, both from that start: the window a client
# held a connection is [start + connect, start + total], without curl's own
# start-up (loading, reading the CA file) and exit, which on a busy machine
# took seconds and made clients look connected that were not yet.
round() {
	local d=$tmp/$1 i pids=() fails=0
	mkdir -p "$d"
	for i in $(seq 1 "$N"); do
		( date +%s%N > "$d/$i.start"
		  rcurl -f --cacert "$ca" --max-time 90 --limit-rate 256k "$url" -o "$d/$i" \
			-w '%{time_connect} %{time_total}\n' >"$d/$i.times" 2>"$d/$i.err" ) &
		pids+=($!)
	done
	# Misbehaving clients in the middle of the crowd.
	exec 8<>/dev/tcp/127.0.0.1/"$port"
	printf 'GARBAGE\r\n\r\n' | timeout 20 openssl s_client -quiet \
		-connect "127.0.0.1:$port" -servername "$host" -CAfile "$ca" \
		> "$d/garbage.out" 2>/dev/null || true
	grep -q '^HTTP/1.1 400' "$d/garbage.out"
	for i in "${pids[@]}"; do
		wait "$i" || fails=$((fails + 1))
	done
	exec 8<&-
	if [ $fails -ne 0 ]; then
		echo "$1: $fails of $N downloads failed"; cat "$d"/*.err | sort | uniq -c
		return 1
	fi
	for i in $(seq 1 "$N"); do
		[ "$(sha256sum < "$d/$i")" = "$sum" ] || { echo "$1: download $i differs"; return 1; }
	done
	# The most clients that were connected at the same moment.
	for i in $(seq 1 "$N"); do
		read -r tc tt < "$d/$i.times" || { echo "$1: client $i reported no times"; return 1; }
		echo "$(cat "$d/$i.start") $tc $tt" >> "$d/windows"
	done
	awk '{ printf "%.0f 1\n%.0f -1\n", $1 / 1e6 + $2 * 1e3, $1 / 1e6 + $3 * 1e3 }' "$d/windows" \
		| sort -n | awk '{ n += $2; if (n > m) m = n } END { print m }' > "$tmp/$1.overlap"
	rm -rf "$d"
}

rss0=$(rss)
t0=$(date +%s)
round one
rss1=$(rss) hwm1=$(hwm)
round two
rss2=$(rss) hwm2=$(hwm)
t1=$(date +%s)
echo "RSS: start ${rss0} KiB, after round one ${rss1} KiB (peak ${hwm1}), after round two ${rss2} KiB (peak ${hwm2}); $((2 * N)) downloads in $((t1 - t0)) s"
stop_server "$pid"
peak=$(jq -r 'select(.event=="stop") | .peak_open' "$ev")
ok=$(jq -r 'select(.event=="request" and .status==200 and .bytes==1048576) | .conn' "$ev" | wc -l)
echo "peak open connections: $peak; complete downloads logged: $ok"
[ "$ok" = $((2 * N)) ]
# The server held at the same time (nearly) every connection the clients held
# at the same time, and that was a crowd.
overlap=$(sort -n "$tmp/one.overlap" "$tmp/two.overlap" | tail -1)
echo "most clients connected at once: $overlap"
[ "$overlap" -ge 20 ] || { echo "the clients did not overlap ($overlap at most)"; exit 1; }
[ "$peak" -ge $((overlap * 3 / 4)) ] || { echo "the server held $peak of $overlap overlapping clients"; exit 1; }
# Flat: the second crowd may not raise the peak by more than 4 MiB, and what
# stays resident after it is within the first crowd's peak. (Resident memory
# between rounds alone says little: whether malloc gives the top of the heap
# back to the system depends on where the last live allocation sits.)
[ $((hwm2 - hwm1)) -lt 4096 ] || { echo "peak memory grew by $((hwm2 - hwm1)) KiB"; exit 1; }
[ "$rss2" -le $((hwm1 + 4096)) ] || { echo "resident memory grew to $rss2 KiB"; exit 1; }
# And the whole crowd costs well under 100 KiB per connection.
[ $((hwm1 - rss0)) -lt $((N * 100)) ] || { echo "memory per connection too high"; exit 1; }
echo ok

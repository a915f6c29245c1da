#!/usr/bin/env bash
# Hostile clients: 1000 at once (trickling a ClientHello, trickling a TLS record
# after the handshake, trickling a request head and never reading the 408,
# connecting and saying nothing; none ever closes, each connects again when
# dropped) while a good client keeps updating (manifest and image, with curl):
# not one update may fail. Two runs of the same crowd, each until the good
# client has made three updates (so a slow machine takes longer, not fails).
# Loopback only; about 45 s in all on two busy cores.
#
# 1. Deadlines: more slots than the crowd, short deadlines, at least 10 s.
#    Every kind of hostile client is dropped by the deadline of its state,
#    which only a step of the protocol moves; nothing is evicted (the server is
#    never full).
# 2. Eviction: 300 slots, so the crowd fills the server and queues behind it,
#    and deadlines of two minutes, so no deadline frees a slot during the run.
#    The good client gets in only because each newcomer evicts the connection
#    that has done least with its slot: every update must complete within
#    UPDATE_MAX seconds, well under the deadlines, and while the crowd still
#    holds its connections (without eviction none can: the first update waits
#    until the crowd lets go). The events must show evictions of
#    clients without a ClientHello and of clients without a complete request,
#    none of a connection that had been answered, and no connection closed by
#    a deadline.
. "$ROTSIM_TOP/sim/server/tests/lib.sh"

N=${HOSTILE_CLIENTS:-1000}
SLOTS=300
UPDATES=3		# updates the good client makes under each crowd
CROWD_MAX=90		# how long a crowd may run at most, in seconds
LONG=120		# the deadlines of run 2, in seconds
UPDATE_MAX=30		# what one update may take in run 2, in seconds
# The server and the crowd each hold a descriptor per connection.
want=$((N + SLOTS + 200))
[ "$(ulimit -n)" -ge "$want" ] || ulimit -n "$want" 2>/dev/null \
	|| { echo "FAIL: this test needs $want file descriptors; ulimit -Hn is $(ulimit -Hn)"; exit 1; }

make_firmware "$tmp/fw" 65536
img=$tmp/fw/image-2.bin
sum=$(sha256sum < "$img")
ca=$pki/ec-root.pem

# good_client HOSTILE_PID STATS MAX_TIME MIN_SECONDS: update with curl while
# the crowd runs, until UPDATES have completed and MIN_SECONDS have passed;
# then stop the crowd. Sets ok, fail, slowest (ms) and during: the updates
# that completed while the crowd still held its connections (it writes STATS
# before it lets them go). The crowd's own limit (CROWD_MAX) ends a machine
# too slow for that.
good_client() {
	local hpid=$1 stats=$2 max=$3 min=$4 t0 t start=$SECONDS
	ok=0 fail=0 slowest=0 during=0
	while kill -0 "$hpid" 2>/dev/null; do
		[ "$ok" -lt "$UPDATES" ] || [ $((SECONDS - start)) -lt "$min" ] || break
		t0=$(date +%s%N)
		if rcurl -f --cacert "$ca" --max-time "$max" "https://$host:$port/manifest" \
			-o "$tmp/m" "https://$host:$port/firmware/image-2.bin" -o "$tmp/img" \
			2>"$tmp/curl.err" \
			&& [ "$(sha256sum < "$tmp/img")" = "$sum" ] && grep -q '^version 2$' "$tmp/m"
		then
			ok=$((ok + 1))
			[ -e "$stats" ] || during=$((during + 1))
		else
			fail=$((fail + 1))
			echo "update failed after $((($(date +%s%N) - t0) / 1000000)) ms:" \
				"$(cat "$tmp/curl.err")"
		fi
		t=$((($(date +%s%N) - t0) / 1000000))
		[ "$t" -le "$slowest" ] || slowest=$t
		rm -f "$tmp/m" "$tmp/img"
	done
	kill -TERM "$hpid" 2>/dev/null || true
	wait "$hpid"
}

# count EVENTS JQ-FILTER: how many events match.
count() {
	jq -c "select($2)" "$1" | wc -l
}

# ---- 1. deadlines ----
ev=$tmp/events-deadlines.json
start_server pid --chain "$pki/ec-chain.pem" --key "$pki/ec-leaf.key" --firmware "$tmp/fw" \
	--events "$ev" --max-conns $((N + 100)) --handshake-timeout 2 --idle-timeout 2 \
	--request-timeout 1 --lifetime 5 --linger 0.5
python3 -B "$ROTSIM_TOP/sim/server/tests/hostile.py" "$port" "$CROWD_MAX" "$N" \
	"$tmp/stats1.json" &
hpid=$!
sleep 3		# the crowd connects first
# At least 10 s of crowd: every kind is dropped by its deadline a few times.
good_client "$hpid" "$tmp/stats1.json" 90 10
stop_server "$pid"
echo "deadlines: good client $ok updates ($during while the crowd ran), $fail failed," \
	"slowest ${slowest} ms"
echo "deadlines: hostile clients $(cat "$tmp/stats1.json")"
[ "$fail" -eq 0 ] || { echo "FAIL: $fail updates failed under the crowd"; exit 1; }
[ "$ok" -ge "$UPDATES" ] || { echo "FAIL: only $ok updates in $CROWD_MAX s"; exit 1; }
for k in hello silent record header; do
	d=$(jq -r ".$k.dropped" "$tmp/stats1.json")
	[ "$d" -ge $((N / 8)) ] || { echo "FAIL: $k clients dropped $d times"; exit 1; }
done
for r in "timeout: handshake" "timeout: idle" "timeout: half request"; do
	n=$(count "$ev" ".event==\"close\" and .reason==\"$r\"")
	echo "deadlines: closed for \"$r\": $n"
	[ "$n" -gt 0 ] || { echo "FAIL: no connection closed for \"$r\""; exit 1; }
done
n=$(count "$ev" '.event=="evict"')
[ "$n" -eq 0 ] || { echo "FAIL: $n evictions on a server that was never full"; exit 1; }

# ---- 2. eviction ----
ev=$tmp/events-evict.json
start_server pid --chain "$pki/ec-chain.pem" --key "$pki/ec-leaf.key" --firmware "$tmp/fw" \
	--events "$ev" --max-conns "$SLOTS" --timeout "$LONG" --lifetime $((2 * LONG)) \
	--linger 0.5
# The crowd runs shorter than the deadlines, so none of them frees a slot.
python3 -B "$ROTSIM_TOP/sim/server/tests/hostile.py" "$port" $((LONG - 10)) "$N" \
	"$tmp/stats2.json" &
hpid=$!
# The good client starts once the crowd has filled every slot: the first
# eviction says so.
for i in $(seq 1 100); do
	grep -q '"event":"evict"' "$ev" && break
	sleep 0.1
done
grep -q '"event":"evict"' "$ev" || { echo "FAIL: the crowd filled no slot in 10 s"; exit 1; }
good_client "$hpid" "$tmp/stats2.json" "$UPDATE_MAX" 0
stop_server "$pid"
echo "eviction: good client $ok updates ($during while the crowd ran), $fail failed," \
	"slowest ${slowest} ms (each within ${UPDATE_MAX} s; deadlines ${LONG} s)"
echo "eviction: hostile clients $(cat "$tmp/stats2.json")"
jq -r 'select(.event=="evict") | .state' "$ev" | sort | uniq -c | sed 's/^/eviction: evicted /'
[ "$fail" -eq 0 ] || { echo "FAIL: $fail updates failed (or took over ${UPDATE_MAX} s)"; exit 1; }
# Without eviction no slot frees up before the crowd lets go: an update can
# only complete after that.
[ "$during" -ge "$UPDATES" ] \
	|| { echo "FAIL: $during of $UPDATES updates while the crowd held every slot"; exit 1; }
peak=$(jq -r 'select(.event=="stop") | .peak_open' "$ev")
[ "$peak" -eq "$SLOTS" ] || { echo "FAIL: peak $peak open connections, want $SLOTS"; exit 1; }
# No slot was freed by a deadline: the good client's way in was eviction.
n=$(count "$ev" '.event=="close" and (.reason | startswith("timeout"))')
[ "$n" -eq 0 ] || { echo "FAIL: $n connections closed by a deadline of ${LONG} s"; exit 1; }
# Each eviction is in the log (an evict event, then the close of that
# connection), and the server's total agrees.
total=$(count "$ev" '.event=="evict"')
closed=$(count "$ev" '.event=="close" and .reason=="evicted: slots full"')
stopped=$(jq -r 'select(.event=="stop") | .evictions' "$ev")
echo "eviction: $total evict events, $closed closes for it, $stopped in the stop totals"
[ "$total" -gt 0 ] && [ "$total" -eq "$closed" ] && [ "$total" -eq "$stopped" ] \
	|| { echo "FAIL: evictions do not agree"; exit 1; }
n=$(count "$ev" '.event=="evict" and .state=="no ClientHello"')
[ "$n" -gt 0 ] || { echo "FAIL: no client without a ClientHello was evicted"; exit 1; }
n=$(count "$ev" '.event=="evict" and (.state=="idle" or .state=="half request")')
[ "$n" -gt 0 ] || { echo "FAIL: no client without a complete request was evicted"; exit 1; }
# Only the crowd was evicted: no evicted connection had had a request answered.
n=$(count "$ev" '.event=="evict" and .requests > 0')
[ "$n" -eq 0 ] || { echo "FAIL: $n evicted connections had been answered"; exit 1; }
echo ok

#!/usr/bin/env bash
# The test runner (run-tests.sh) on a tree of small tests of its own: tests
# run side by side with JOBS=2 (two that wait for each other both pass), an
# exclusive test runs with nothing beside it, the exclusive tests start
# longest first by the durations of the previous run, each test has its own
# TMPDIR (removed after it), a failure shows its output and the exit status, a
# timeout says so, processes a test leaves behind (in its group or in a
# session of their own) are killed, TESTS filters, JOBS=1 keeps the order
# given, and SIGINT stops every running test and what it started.
set -euo pipefail
: "${ROTSIM_TOP:?}"
# The runner under test reads these; make check's own must not reach it.
unset TESTS JOBS TEST_TIMEOUT
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d)
runner=$ROTSIM_TOP/harness/tests/run-tests.sh
# The sleeps the tests start are told apart by their fraction: sleep 100N.PID.
tag=.$$
trap 'pkill -KILL -f "sleep 100[0-9]\\$tag" 2> /dev/null || true; rm -rf "$tmp"' EXIT

top=$tmp/top
t=$top/demo/tests
m=$tmp/marks
mkdir -p "$t" "$top/harness/tests" "$m" "$top/build/test-logs"
cd "$top"
# Each test notes when it runs; "solo" checks that nothing runs beside it.
begin='echo "$TMPDIR" > "$M/tmpdir.$N"; echo "$N" >> "$M/started"; touch "$M/running.$N"'
end='rm "$M/running.$N"'
w() { # name body
	printf 'M=%s N=%s\n%s\n%s\n%s\n' "$m" "$1" "$begin" "$2" "$end" > "$t/$1.sh"
}
# Two tests that pass only when they run at the same time.
w pair-a 'touch "$M/a"; for i in $(seq 300); do [ -e "$M/b" ] && break; sleep 0.1; done; [ -e "$M/b" ]'
w pair-b 'touch "$M/b"; for i in $(seq 300); do [ -e "$M/a" ] && break; sleep 0.1; done; [ -e "$M/a" ]'
# (A second beside the others; the runs that only look at the order of the
# solo tests give them no time: SOLO_TIME=0.)
solo='sleep "${SOLO_TIME:-1}"; others=$(ls "$M" | grep "^running\." | grep -v "running.$N$" || true)
[ -z "$others" ] || { echo "beside: $others"; exit 1; }'
w solo1 "$solo"
w solo2 "$solo"
w failing 'echo "what went wrong"; exit 3'
w leaky "sleep 1001$tag & setsid sleep 1002$tag < /dev/null > /dev/null 2>&1 & echo left"
printf 'demo-solo1 measures something\ndemo-solo2   measures something else  # comment\n# a comment\n' \
	> harness/tests/exclusive.txt
# solo2 took longer last time: it starts first.
printf 'demo-solo1 3.0\ndemo-solo2 9.5\ndemo-failing 1.0\ngone 7.0\n' > build/test-logs/durations
tests=("$t"/{pair-a,pair-b,solo1,solo2,failing,leaky}.sh)

rc=0
JOBS=2 TEST_TIMEOUT=60 "$runner" build -- "${tests[@]}" > "$tmp/out" 2>&1 || rc=$?
cat "$tmp/out"
[ $rc -eq 1 ] || fail "exit $rc with a failing test, want 1"
[ "$(tail -n 1 "$tmp/out")" = "5 passed, 1 failed" ] || fail "last line: $(tail -n 1 "$tmp/out")"
for n in pair-a pair-b solo1 solo2 leaky; do
	grep -Eq "^demo-$n +ok +\([0-9]+s" "$tmp/out" || fail "no ok line for $n"
done
grep -Eq '^demo-failing +FAIL  \(exit 3, [0-9]+s\)$' "$tmp/out" || fail "no FAIL line"
grep -qx '    | what went wrong' "$tmp/out" || fail "the failing test's output is not shown"
grep -q '^failed: demo-failing (logs in build/test-logs/)$' "$tmp/out" || fail "no failed: line"
grep -qx 'what went wrong' build/test-logs/demo-failing.log || fail "no log"
[ "$(head -n 2 "$m/started" | tr '\n' ' ')" = "solo2 solo1 " ] \
	|| fail "the exclusive tests did not start first, longest first: $(cat "$m/started")"
grep -q '^demo-solo2 ' build/test-logs/durations || fail "durations not written"
grep -q '^gone 7.0$' build/test-logs/durations || fail "the duration of a test not run was lost"
# Left behind: killed, and named in the log.
! pgrep -f "sleep 100[12]\\$tag" > /dev/null || fail "processes of leaky are still running"
grep -q "sleep 1001$tag" build/test-logs/demo-leaky.log || fail "the group's leftover is not named"
grep -q "sleep 1002$tag" build/test-logs/demo-leaky.log || fail "the other session's leftover is not named"
grep -q "^run-tests.sh: demo-leaky left this running outside its process group; it was killed: .*sleep 1002$tag" \
	"$tmp/out" || fail "the other session's leftover is not on the output"
grep -Eq '^demo-leaky +ok +\([0-9]+s; processes left running were killed\)$' "$tmp/out" \
	|| fail "leaky's line does not say"
# A TMPDIR each, gone afterwards.
[ "$(cat "$m"/tmpdir.* | sort -u | wc -l)" -eq 6 ] || fail "tests shared a TMPDIR"
for d in $(cat "$m"/tmpdir.*); do [ ! -e "$d" ] || fail "$d was left"; done

# A fresh clone has no durations: the estimates file orders the tests
# (here solo1 is the longer), and its comment lines are skipped.
rm -f "$m/started" "$m"/running.* build/test-logs/durations
printf '# estimates\ndemo-solo1 9\ndemo-solo2 2\n' > harness/tests/estimates.txt
SOLO_TIME=0 JOBS=2 TESTS=solo "$runner" build -- "${tests[@]}" > "$tmp/oute" 2>&1 || fail "estimates: $(cat "$tmp/oute")"
[ "$(head -n 2 "$m/started" | tr '\n' ' ')" = "solo1 solo2 " ] \
	|| fail "without durations, the estimates did not set the order: $(cat "$m/started")"
rm harness/tests/estimates.txt

# One at a time: the order given; TESTS filters; a timeout says so.
rm -f "$m/started" "$m"/running.*
SOLO_TIME=0 JOBS=1 TESTS=solo "$runner" build -- "${tests[@]}" > "$tmp/out1" 2>&1 || fail "JOBS=1: $(cat "$tmp/out1")"
[ "$(tr '\n' ' ' < "$m/started")" = "solo1 solo2 " ] || fail "JOBS=1 order: $(cat "$m/started")"
[ "$(tail -n 1 "$tmp/out1")" = "2 passed, 0 failed" ] || fail "TESTS=solo: $(cat "$tmp/out1")"
printf 'sleep 1003%s\n' "$tag" > "$t/slow.sh"
rc=0
TEST_TIMEOUT=1 "$runner" build -- "$t/slow.sh" > "$tmp/out2" 2>&1 || rc=$?
[ $rc -eq 1 ] && grep -q '^demo-slow  *TIMEOUT after 1s' "$tmp/out2" || fail "timeout: $(cat "$tmp/out2")"
rc=0
JOBS=0 "$runner" build -- "$t/slow.sh" > "$tmp/out3" 2>&1 || rc=$?
[ $rc -eq 2 ] && grep -q 'JOBS=0' "$tmp/out3" || fail "JOBS=0: exit $rc"

# SIGINT, as Ctrl-C sends it to the runner's process group: every running
# test stops, with what it started, even a process that ignores SIGTERM in a
# session of its own.
printf '%s\n' "setsid bash -c 'trap \"\" TERM; exec sleep 1004$tag' < /dev/null > /dev/null 2>&1 &" \
	"sleep 1005$tag" > "$t/stuck.sh"
set -m
JOBS=2 "$runner" build -- "$t/stuck.sh" "$t/slow.sh" > "$tmp/out4" 2>&1 &
pid=$!
set +m
for _ in $(seq 100); do
	[ "$(pgrep -f "sleep 100[345]\\$tag" | wc -l)" -eq 3 ] && break
	sleep 0.1
done
[ "$(pgrep -f "sleep 100[345]\\$tag" | wc -l)" -eq 3 ] || fail "the tests did not start: $(cat "$tmp/out4")"
kill -INT -- "-$pid"
rc=0
wait "$pid" || rc=$?
[ $rc -eq 130 ] || fail "interrupted runner: exit $rc, want 130"
grep -q '^0 passed, 0 failed, 2 stopped, 0 not started$' "$tmp/out4" || fail "$(cat "$tmp/out4")"
left=$(pgrep -af "sleep 100[0-9]\\$tag" || true)
[ -z "$left" ] || fail "left running after SIGINT: $left"
echo "runner: ok"

#!/usr/bin/env bash
# The test runner behind `make check`: runs each Check program and each script
# test in its own process group with a timeout, JOBS of them at a time, keeps
# each test's output in BUILD/test-logs/NAME.log, prints one line per test as it
# finishes (its output too when it fails), and ends with one line
# "N passed, N failed"; the exit status is 0 when every test passed.
#
# usage: run-tests.sh BUILD [CHECK_BIN ...] -- [SCRIPT ...]
# Environment:
#   JOBS          tests run at the same time (default: the number of CPUs);
#                 JOBS=1 runs them one after another in the order given
#   TEST_TIMEOUT  seconds per test (default 600)
#   TESTS         a pattern: run only the tests whose name contains it
#
# Scheduling. The longest tests start first, so that the end of the run is not
# one long test on an otherwise idle machine: "longest" is what each test took
# in the previous run (BUILD/test-logs/durations), else the estimate in
# harness/tests/estimates.txt (a fresh clone has no previous run), and a test
# with neither counts as long (a script) or short (a Check program). The tests
# named in harness/tests/exclusive.txt (one name and the reason a line) run
# alone, with no other test running: those that measure load, latency or
# concurrency, and those that would collide with others on something they
# share. They run first, one after another, then the rest side by side.
#
# Isolation. Each test has its own TMPDIR (removed after it), its own process
# group and a tag in its environment (ROTSIM_TEST_TAG). When a test ends,
# whatever of its group is still running is named in its log and killed; on
# timeout the group gets SIGTERM, then SIGKILL; on SIGINT, SIGTERM or SIGHUP
# of the runner every running test's group gets SIGTERM, then SIGKILL after
# 5 s. A process that left its test's group (setsid) is found by its tag and
# killed when the runner ends or is interrupted.
set -u
build=$1; shift
logs=$build/test-logs
mkdir -p "$logs"
export ROTSIM="$PWD/$build/bin/rotsim"
export ROTSIM_BUILD="$PWD/$build"
export ROTSIM_TOP="$PWD"
: "${TEST_TIMEOUT:=600}"
exclusive_file=harness/tests/exclusive.txt
durations_file=$logs/durations
estimates_file=harness/tests/estimates.txt
me=run-tests.sh

die() { echo "$me: $*" >&2; exit 2; }

jobs=${JOBS:-}
[ -n "$jobs" ] || jobs=$(nproc 2>/dev/null) || jobs=1
[[ $jobs =~ ^[1-9][0-9]*$ ]] || die "JOBS=$jobs: want a number of tests, 1 or more"
[[ $TEST_TIMEOUT =~ ^[1-9][0-9]*$ ]] || die "TEST_TIMEOUT=$TEST_TIMEOUT: want seconds, 1 or more"
# wait -n -p (bash 5.1) tells which test ended; without it, one at a time.
if [ "$jobs" -gt 1 ] && { [ "${BASH_VERSINFO[0]}" -lt 5 ] ||
	{ [ "${BASH_VERSINFO[0]}" -eq 5 ] && [ "${BASH_VERSINFO[1]}" -lt 1 ]; }; }; then
	echo "$me: bash $BASH_VERSION cannot wait for the first of several tests: JOBS=1"
	jobs=1
fi

# The tests: name, kind (check or script) and file, in the order given.
names=() kinds=() files=()
declare -A known=()
n_check=0 n_script=0
mode=check
for t in "$@"; do
	if [ "$t" = "--" ]; then mode=script; continue; fi
	# A Check program by its file name, a script as MODULE-NAME for
	# MODULE/tests/NAME.sh (without a fork each: there are many).
	if [ $mode = check ]; then
		name=${t##*/}
		n_check=$((n_check + 1))
	else
		name=${t%/*/*}
		name=${name##*/}-${t##*/}
		name=${name%.sh}
		n_script=$((n_script + 1))
	fi
	[ -z "${known[$name]:-}" ] || die "two tests named $name: ${known[$name]} and $t"
	known[$name]=$t
	if [ -n "${TESTS:-}" ] && [[ $name != *"$TESTS"* ]]; then
		continue
	fi
	names+=("$name") kinds+=("$mode") files+=("$t")
done

# The tests that run alone. Each line: NAME REASON; "#" starts a comment. A
# name that is no test is reported when the runner was given Check programs
# and scripts (as by make check), so that a renamed test does not lose its
# mark unseen.
declare -A exclusive=()
if [ -f "$exclusive_file" ]; then
	lineno=0
	while IFS= read -r line || [ -n "$line" ]; do
		lineno=$((lineno + 1))
		line=${line%%#*}
		read -r ename reason <<<"$line"
		[ -n "${ename:-}" ] || continue
		[ -n "${reason:-}" ] || die "$exclusive_file:$lineno: $ename: no reason given"
		if [ -z "${known[$ename]:-}" ] && [ $n_check -gt 0 ] && [ $n_script -gt 0 ]; then
			echo "$me: warning: $exclusive_file:$lineno: no test named $ename" >&2
		fi
		exclusive[$ename]=1
	done < "$exclusive_file"
fi

# What each test took last time, in seconds.
declare -A took_before=()
if [ -f "$durations_file" ]; then
	while read -r dname secs; do
		[[ ${secs:-} =~ ^[0-9]+(\.[0-9]+)?$ ]] && took_before[$dname]=$secs
	done < "$durations_file"
fi

# What each test took in a full run on two cores, for a fresh clone.
declare -A estimate=()
if [ -f "$estimates_file" ]; then
	while read -r dname secs; do
		[[ ${dname:-} == \#* ]] && continue
		[[ ${secs:-} =~ ^[0-9]+(\.[0-9]+)?$ ]] && estimate[$dname]=$secs
	done < "$estimates_file"
fi

# The order: as given with one slot; otherwise the exclusive tests, then the
# others, each part longest first (a stable sort: equal estimates keep the
# order given).
order=()
if [ "$jobs" -eq 1 ]; then
	for i in "${!names[@]}"; do order+=("$i"); done
else
	mapfile -t order < <(
		for i in "${!names[@]}"; do
			est=${took_before[${names[$i]}]:-${estimate[${names[$i]}]:-}}
			if [ -z "$est" ]; then
				if [ "${kinds[$i]}" = script ]; then est=60; else est=5; fi
			fi
			alone=1
			[ -z "${exclusive[${names[$i]}]:-}" ] || alone=0
			printf '%d %s %d\n' "$alone" "$est" "$i"
		done | LC_ALL=C sort -s -k1,1n -k2,2gr | cut -d' ' -f3)
fi

pass=0 fail=0 failed=()
declare -A pid_of=() start_of=() tmp_of=() took=()
running=0 exclusive_running=0

# Start test number $1 in the background, in its own process group (timeout
# makes one), with its own TMPDIR.
start_test() {
	local i=$1 name=${names[$1]} t
	t=$(mktemp -d "${TMPDIR:-/tmp}/rotsim.XXXXXX") || die "cannot make a temporary directory"
	(
		export TMPDIR=$t ROTSIM_TEST_TAG=$$-$i
		if [ "${kinds[$i]}" = check ]; then
			export CK_DEFAULT_TIMEOUT=${CK_DEFAULT_TIMEOUT:-120}
			set -- "${files[$i]}"
		else
			set -- bash "${files[$i]}"
		fi
		exec timeout --kill-after=10 "$TEST_TIMEOUT" "$@" > "$logs/$name.log" 2>&1 < /dev/null
	) &
	pid_of[$!]=$i
	start_of[$i]=$EPOCHREALTIME
	tmp_of[$i]=$t
	running=$((running + 1))
	[ -z "${exclusive[$name]:-}" ] || exclusive_running=1
}

# Processes of the tests that are still running outside their process group
# (a program that made its own session or group) carry their test's tag in
# their environment. Reading every process's environment can take a second
# on a busy machine, so this is done when the runner ends: each one is named
# in its test's log and on the output, and killed.
kill_tagged() {
	local entry pid i n=0
	while IFS= read -r -d '' entry; do
		pid=${entry#/proc/}
		pid=${pid%%/*}
		i=${entry##*=$$-}
		[ "$pid" != "$$" ] && [ -n "${names[$i]:-}" ] || continue
		entry=$(ps -o pid=,args= -p "$pid") || continue
		entry=${entry#"${entry%%[! ]*}"}
		kill -KILL "$pid" 2> /dev/null || continue
		echo "$me: ${names[$i]} left this running outside its process group; it was killed: $entry" |
			tee -a "$logs/${names[$i]}.log"
		n=$((n + 1))
	done < <(grep -Hzx "ROTSIM_TEST_TAG=$$-[0-9]*" /proc/[0-9]*/environ 2> /dev/null)
	[ $n -eq 0 ]
}

# True while a process of group $1 exists.
group_alive() { kill -0 -- "-$1" 2> /dev/null; }

# Stop process group $1: SIGTERM, and SIGKILL to what is left after $2 tenths
# of a second.
stop_group() {
	local g=$1 k
	kill -TERM -- "-$g" 2> /dev/null || kill -TERM "$g" 2> /dev/null
	for ((k = 0; k < $2; k++)); do
		group_alive "$g" || return 0
		sleep 0.1
	done
	kill -KILL -- "-$g" 2> /dev/null
}

# Seconds from $1 to $2 (EPOCHREALTIME values, whose decimal point follows
# the locale), with one decimal, into secs.
seconds() {
	local ds=$(( (10#${2//[.,]/} - 10#${1//[.,]/}) / 100000 ))
	secs=$((ds / 10)).$((ds % 10))
}

# Test with pid (process group) $1 ended with status $2: clean up after it and
# print its line.
finish_test() {
	local pid=$1 rc=$2 i=${pid_of[$1]} name secs whole note= k
	name=${names[$i]}
	unset "pid_of[$pid]"
	running=$((running - 1))
	[ -z "${exclusive[$name]:-}" ] || exclusive_running=0
	seconds "${start_of[$i]}" "$EPOCHREALTIME"
	# Processes the test started and left running die with it; those
	# already on their way out get a second.
	for ((k = 0; k < 10; k++)); do
		group_alive "$pid" || break
		sleep 0.1
	done
	if group_alive "$pid"; then
		{
			echo "$me: the test left these processes running; they were killed:"
			pgrep -a -g "$pid" | sed 's/^/    /'
		} >> "$logs/$name.log"
		stop_group "$pid" 20
		note="; processes left running were killed"
	fi
	rm -rf "${tmp_of[$i]}"
	took[$name]=$secs
	whole=$(( ${secs%.*} + (${secs#*.} >= 5) ))
	if [ "$rc" -eq 0 ]; then
		pass=$((pass + 1))
		printf '%-40s ok    (%ds%s)\n' "$name" "$whole" "$note"
		return
	fi
	fail=$((fail + 1))
	failed+=("$name")
	if [ "$rc" -eq 124 ] || { [ "$rc" -eq 137 ] && [ "${secs%.*}" -ge "$TEST_TIMEOUT" ]; }; then
		printf '%-40s TIMEOUT after %ss%s\n' "$name" "$TEST_TIMEOUT" "$note"
	else
		printf '%-40s FAIL  (exit %d, %ds%s)\n' "$name" "$rc" "$whole" "$note"
	fi
	sed 's/^/    | /' "$logs/$name.log" | tail -n 60
}

# The durations of this run, with those of tests it did not run kept.
save_durations() {
	local d
	{
		for d in "${!took_before[@]}"; do
			[ -n "${took[$d]:-}" ] || echo "$d ${took_before[$d]}"
		done
		for d in "${!took[@]}"; do echo "$d ${took[$d]}"; done
	} | LC_ALL=C sort > "$durations_file.tmp.$$" && mv -f "$durations_file.tmp.$$" "$durations_file"
}

# Stop every running test and forget it: its group gets SIGTERM, and SIGKILL
# five seconds later if anything of it is left.
stop_all() {
	local pid
	[ ${#pid_of[@]} -gt 0 ] || return 0
	for pid in "${!pid_of[@]}"; do
		kill -TERM -- "-$pid" 2> /dev/null || kill -TERM "$pid" 2> /dev/null
	done
	for pid in "${!pid_of[@]}"; do
		stop_group "$pid" 50
	done
	kill_tagged
	wait
	for pid in "${!pid_of[@]}"; do
		rm -rf "${tmp_of[${pid_of[$pid]}]}"
		echo "$me: stopped: $1" >> "$logs/${names[${pid_of[$pid]}]}.log"
		unset "pid_of[$pid]"
	done
}

# SIGINT, SIGTERM or SIGHUP: stop every running test, then leave.
interrupted() {
	local sig=$1 stopped=${#pid_of[@]}
	trap '' INT TERM HUP
	echo "$me: interrupted (SIG$sig): stopping $stopped running test(s)"
	stop_all "the runner got SIG$sig"
	save_durations
	echo "$pass passed, $fail failed, $stopped stopped, $(( ${#order[@]} - next )) not started"
	[ "$sig" = INT ] && exit 130
	exit 143
}
trap 'interrupted INT' INT
trap 'interrupted TERM' TERM
trap 'interrupted HUP' HUP
# Whatever ends the runner, no test outlives it.
trap 'stop_all "the runner ended"' EXIT

if [ "$jobs" -gt 1 ] && [ ${#order[@]} -gt 1 ]; then
	n_excl=0
	for i in "${order[@]}"; do [ -z "${exclusive[${names[$i]}]:-}" ] || n_excl=$((n_excl + 1)); done
	echo "${#order[@]} tests, $jobs at a time; $n_excl of them alone ($exclusive_file)"
fi

next=0
while [ $next -lt ${#order[@]} ] || [ $running -gt 0 ]; do
	# Fill the free slots: an exclusive test starts only on an idle
	# machine, and nothing starts beside it.
	while [ $next -lt ${#order[@]} ] && [ $running -lt "$jobs" ] && [ $exclusive_running -eq 0 ]; do
		i=${order[$next]}
		if [ -n "${exclusive[${names[$i]}]:-}" ] && [ $running -gt 0 ]; then
			break
		fi
		start_test "$i"
		next=$((next + 1))
	done
	pid=
	if [ "$jobs" -eq 1 ]; then
		pid=$!
		wait "$pid"
	else
		wait -n -p pid
	fi
	rc=$?
	if [ -n "$pid" ] && [ -n "${pid_of[$pid]:-}" ]; then
		finish_test "$pid" "$rc"
	elif [ $rc -eq 127 ]; then
		die "lost track of the running tests (${!pid_of[*]})"
	fi
done
save_durations
kill_tagged || true

if [ $fail -gt 0 ]; then
	echo "failed: ${failed[*]} (logs in $logs/)"
fi
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]

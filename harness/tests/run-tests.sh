#!/usr/bin/env bash
# The test runner behind `make check`: runs each Check program and each script
# test in its own process with a timeout, keeps its output in
# BUILD/test-logs/NAME.log, shows that output only when the test fails, and ends
# with one line "N passed, N failed".
#
# usage: run-tests.sh BUILD [CHECK_BIN ...] -- [SCRIPT ...]
# Environment: TEST_TIMEOUT (seconds per test, default 600), TESTS (a pattern:
# run only tests whose name contains it).
set -u
build=$1; shift
logs=$build/test-logs
mkdir -p "$logs"
export ROTSIM="$PWD/$build/bin/rotsim"
export ROTSIM_BUILD="$PWD/$build"
export ROTSIM_TOP="$PWD"
: "${TEST_TIMEOUT:=600}"
pass=0 fail=0 failed=()

run_one() {
	local name=$1; shift
	if [ -n "${TESTS:-}" ] && [[ $name != *"$TESTS"* ]]; then
		return
	fi
	local log=$logs/$name.log start end rc
	start=$(date +%s)
	printf '%-40s ' "$name"
	timeout --kill-after=10 "$TEST_TIMEOUT" "$@" >"$log" 2>&1 </dev/null
	rc=$?
	end=$(date +%s)
	if [ $rc -eq 0 ]; then
		pass=$((pass + 1))
		printf 'ok    (%ds)\n' $((end - start))
	else
		fail=$((fail + 1))
		failed+=("$name")
		[ $rc -eq 124 ] && printf 'TIMEOUT after %ss\n' "$TEST_TIMEOUT" || printf 'FAIL  (exit %d, %ds)\n' $rc $((end - start))
		sed 's/^/    | /' "$log" | tail -n 60
	fi
}

mode=check
for t in "$@"; do
	if [ "$t" = "--" ]; then mode=script; continue; fi
	if [ $mode = check ]; then
		CK_DEFAULT_TIMEOUT=${CK_DEFAULT_TIMEOUT:-120} run_one "$(basename "$t")" "$t"
	else
		run_one "$(basename "$(dirname "$(dirname "$t")")")-$(basename "$t" .sh)" bash "$t"
	fi
done
if [ $fail -gt 0 ]; then
	echo "failed: ${failed[*]} (logs in $logs/)"
fi
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]

#!/usr/bin/env bash
# make run: the main job. Runs the default scenarios (those tagged "default")
# on the default target, qemu-x86_64, and writes the results and a report under
# results/<date>-<time>/ (results/latest points there).
#
# usage: run.sh ROTSIM [extra rotsim run arguments]
# Environment: RUN_JOBS (cases at once, default 2), RUN_TARGET (qemu-x86_64).
set -uo pipefail
rotsim=$1; shift
jobs=${RUN_JOBS:-2}
target=${RUN_TARGET:-qemu-x86_64}

"$rotsim" run --target "$target" -j "$jobs" "$@"
rc=$?
# rotsim run writes the report of its run too.
out=$(readlink -f results/latest)
echo "make run: results in $out (summary.txt, summary.json, junit.xml$([ -f "$out/report.html" ] && echo ", report.html"))"
case $rc in
0) echo "make run: every outcome as the scenarios expect" ;;
1) echo "make run: some outcomes differ from what the scenarios expect (see summary.txt)" ;;
*) echo "make run: the run did not complete (infrastructure error or interruption)" ;;
esac
exit $rc

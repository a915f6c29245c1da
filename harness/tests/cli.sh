#!/usr/bin/env bash
# The rotsim command as a user meets it: help, version, unknown verbs.
set -eu
: "${ROTSIM:?}"
out=$("$ROTSIM" --help)
grep -q '^usage: rotsim VERB' <<<"$out"
"$ROTSIM" --version | grep -Eq '^rotsim [0-9]+\.[0-9]+'
# No verb: usage on stderr, exit 2.
set +e
"$ROTSIM" 2>/dev/null; rc=$?
[ $rc -eq 2 ] || { echo "no verb: exit $rc, want 2"; exit 1; }
err=$("$ROTSIM" frobnicate 2>&1); rc=$?
set -e
[ $rc -eq 2 ] || { echo "unknown verb: exit $rc, want 2"; exit 1; }
grep -q 'unknown verb "frobnicate"' <<<"$err"
# Every verb answers --help on stdout with exit 0 and a usage line.
for v in $("$ROTSIM" --help | awk '/^verbs:/{f=1;next} f && !NF {exit} f {print $1}'); do
	"$ROTSIM" "$v" --help | grep -q "usage: rotsim $v" || { echo "$v --help"; exit 1; }
done
echo "cli: ok"

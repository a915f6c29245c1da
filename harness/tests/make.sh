#!/usr/bin/env bash
# The make targets a user meets besides check: install puts a rotsim that works
# from anywhere; deps is quiet when everything is there and, without root,
# prints the exact apt-get line and fails.
set -euo pipefail
: "${ROTSIM_TOP:?}" "${ROTSIM_BUILD:?}"
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$ROTSIM_TOP"
build=${ROTSIM_BUILD#"$ROTSIM_TOP"/}

make --no-print-directory BUILD="$build" install PREFIX="$tmp/prefix" > "$tmp/log" 2>&1 \
	|| { cat "$tmp/log"; fail "make install"; }
for f in bin/rotsim bin/rotsim-agent share/rotsim/scenarios/le-r3-to-r10.scn \
	share/rotsim/devices/root-x1.device share/rotsim/devices/swupdate-x1.device \
	share/rotsim/targets/native/target.conf; do
	[ -e "$tmp/prefix/$f" ] || fail "install did not put $f"
done
# From a directory with no scenarios of its own, the installed copy is used.
(cd "$tmp" && env -u ROTSIM_SCENARIOS "$tmp/prefix/bin/rotsim" list) > "$tmp/list" \
	|| fail "installed rotsim list: $(cat "$tmp/list")"
grep -q '^\* le-r3-to-r10 ' "$tmp/list" || fail "installed rotsim does not list le-r3-to-r10"
(cd "$tmp" && "$tmp/prefix/bin/rotsim" show le-r3-to-r10 | grep -q '^phase after: 2024-07-01') \
	|| fail "installed rotsim show"
# The installed rotsim runs the default target's images and the native agent
# it installed, from anywhere (the plan resolves; the native run updates).
[ -s "$tmp/prefix/lib/rotsim/images/x86_64/vmlinuz" ] || fail "install did not put the images"
(cd "$tmp" && env -u ROTSIM_BUILD "$tmp/prefix/bin/rotsim" run le-r3-to-r10 --device root-x1 \
	--target native --out "$tmp/installed-run" -q --no-report) > "$tmp/run.log" 2>&1 \
	|| fail "installed rotsim run: $(cat "$tmp/run.log")"
grep -q "$tmp/prefix/lib/rotsim/bin/rotsim-agent" \
	"$tmp/installed-run/cases/le-r3-to-r10/root-x1@native/01-before/boot-0.cmd" \
	|| fail "the installed run did not use the installed agent"

# deps: nothing to do, nothing said.
out=$(harness/scripts/deps.sh bash coreutils 2>&1) || fail "deps with installed packages failed"
[ -z "$out" ] || fail "deps said: $out"
# Missing packages without root: the exact line, exit 1.
if command -v setpriv >/dev/null; then
	set +e
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups \
		harness/scripts/deps.sh bash rotsim-no-such-package 2>&1); rc=$?
	set -e
	[ $rc -eq 1 ] || fail "deps as a user with a missing package: exit $rc"
	grep -q 'apt-get install -y --no-install-recommends rotsim-no-such-package' <<<"$out" \
		|| fail "deps did not print the apt-get line: $out"
fi
echo "make targets: ok"

#!/usr/bin/env bash
# make deps-build, deps-run, deps-report and deps-test: each passes the
# packages tagged for its purpose to deps.sh, together they are make deps, a
# package in DEPS_PKGS without a tag goes to all of them, and each holds what
# its job uses: the build the libraries rotsim links and the tools the images
# are made with, a run the emulators of the targets and the shared libraries
# of the programs, a report the programs whose version it states, neither a
# run nor a report a compiler or a -dev package.
# deps.sh --as names the target in its messages.
set -euo pipefail
# A command that fails outside fail() still says what and where.
trap 'echo "FAIL: line $LINENO: $BASH_COMMAND (exit $?)"' ERR
: "${ROTSIM_TOP:?}" "${ROTSIM_BUILD:?}"
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$ROTSIM_TOP"
build=${ROTSIM_BUILD#"$ROTSIM_TOP"/}
purposes="build run report test"

# The lines deps.sh gets from `make -n deps deps-PURPOSE... [VAR=...]` (one
# make, for speed), as DIR/deps and DIR/PURPOSE: one package a line, sorted.
pkgs() {
	local dir=$1 out t
	shift
	mkdir -p "$dir"
	out=$(make --no-print-directory -n BUILD="$build" deps $(printf 'deps-%s ' $purposes) "$@") \
		|| fail "make -n deps $purposes"
	[ "$(grep -c '^harness/scripts/deps.sh ' <<<"$out")" -eq 5 ] \
		|| fail "make deps and deps-PURPOSE do not run deps.sh once each: $out"
	grep '^harness/scripts/deps.sh ' <<<"$out" | grep -v -- ' --as ' > "$dir/deps.line"
	[ -s "$dir/deps.line" ] || fail "make deps names itself: $out"
	for t in $purposes; do
		grep "^harness/scripts/deps.sh --as deps-$t " <<<"$out" > "$dir/$t.line" \
			|| fail "make deps-$t does not name itself: $out"
	done
	for t in deps $purposes; do
		sed 's|^harness/scripts/deps.sh ||; s/^--as [^ ]* //' "$dir/$t.line" | tr ' ' '\n' \
			| sed '/^$/d' | LC_ALL=C sort -u > "$dir/$t"
	done
}
pkgs "$tmp/tree"
cp "$tmp"/tree/{build,run,report,test} "$tmp/"
cp "$tmp/tree/deps" "$tmp/all"
for p in $purposes; do
	[ -s "$tmp/$p" ] || fail "make deps-$p installs nothing"
done

# Together they are make deps.
LC_ALL=C sort -u "$tmp"/{build,run,report,test} > "$tmp/union"
diff -u "$tmp/all" "$tmp/union" > "$tmp/diff" || fail "make deps is not the purposes together: $(cat "$tmp/diff")"

# An untagged package still installs, with make deps and with every purpose.
pkgs "$tmp/probe" DEPS_PKGS=rotsim-untagged-probe
for t in deps $purposes; do
	name=deps-$t
	[ "$t" = deps ] && name=deps
	grep -qx rotsim-untagged-probe "$tmp/probe/$t" || fail "make $name leaves out an untagged DEPS_PKGS package"
done

has() { grep -qx "$2" "$tmp/$1"; }
# The package that holds a file (dpkg -S), without its architecture, or
# nothing, into own. On a merged /usr, dpkg may know /usr/bin/X as /bin/X.
# Each answer is kept: dpkg -S reads every package's file list (about half a
# second), and the programs load the same few libraries.
declare -A owners=()
owner() {
	local f out
	own=
	if [ -n "${owners[$1]+set}" ]; then
		own=${owners[$1]}
		return 0
	fi
	for f in "$1" "${1#/usr}"; do
		out=$(dpkg -S "$f" 2>/dev/null) || continue
		out=${out%%$'\n'*}
		out=${out%%:*}
		own=${out%%,*}
		break
	done
	owners[$1]=$own
	return 0
}
# Packages every Debian system has, a job need not ask for them: the
# essential ones and what they depend on.
dpkg-query -W -f='${Essential} ${Package}|${Pre-Depends},${Depends}\n' > "$tmp/status" \
	|| fail "dpkg-query cannot read the package database"
sed -n 's/^yes //p' "$tmp/status" | tr '|,' '\n\n' | sed 's/^ *//; s/[:( ].*//' | sed '/^$/d' \
	| LC_ALL=C sort -u > "$tmp/base"
grep -qx libc6 "$tmp/base" || fail "the base system found here has no libc6"
base() { grep -qx "$1" "$tmp/base"; }

# A run or a report neither compiles nor links.
for p in run report; do
	bad=$(grep -E -- '-dev$|^build-essential$|^gcc|^clang|^pkg-config$|^check$' "$tmp/$p" || true)
	[ -z "$bad" ] || fail "make deps-$p installs build packages: $(echo $bad)"
done
# A build neither boots a device nor renders a page.
bad=$(grep -E '^qemu-system|^chromium|^tshark$' "$tmp/build" || true)
[ -z "$bad" ] || fail "make deps-build installs run or test packages: $(echo $bad)"

# What the build packages depend on comes with them.
while read -r p; do
	dpkg-query -W -f='${Depends}\n' "$p" 2>/dev/null | tr ',' '\n' | sed 's/[:(|].*//; s/ //g'
done < "$tmp/build" | sed '/^$/d' | LC_ALL=C sort -u > "$tmp/build-depends"

# The build: the -dev package of every library rotsim and its tests link, and
# the cross compiler and archiver of the images.
vars=$(make --no-print-directory -s BUILD="$build" \
	--eval 'deps-print-vars: ; @echo $(LDLIBS) $(CHECK_LIBS) "|" $(QEMU_AARCH64_CC)' deps-print-vars)
libs=${vars%%|*} cross=${vars##*|}
for l in $libs; do
	case $l in -l*) ;; *) continue ;; esac
	l=${l#-l}
	case $l in m|pthread|c|rt|dl) continue ;; esac
	so=$(ls /usr/lib/*/lib"$l".so /usr/lib/*/lib"$l".a 2>/dev/null | head -1 || true)
	[ -n "$so" ] || fail "no lib$l.so on this machine (make deps)"
	owner "$so"; p=$own
	has build "$p" || grep -qx "$p" "$tmp/build-depends" \
		|| fail "rotsim links -l$l (from $p), which make deps-build does not install"
done
for c in $cross cpio; do
	path=$(command -v "$c") || fail "$c is not installed (make deps)"
	owner "$path"; p=$own
	[ -n "$p" ] || { owner "$(readlink -f "$path")"; p=$own; }
	has build "$p" || grep -qx "$p" "$tmp/build-depends" || base "$p" || fail "the images are made with $c (from $p), which make deps-build does not install"
done

# A run: the shared libraries every program loads; a report: those of rotsim.
[ -x "$build/bin/rotsim" ] || fail "no $build/bin/rotsim (make)"
n=0
for b in "$build"/bin/*; do
	for so in $(readelf -d "$b" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
		# awk reads to the end: an early exit would kill ldconfig with SIGPIPE.
		path=$(ldconfig -p | awk -v so="$so" '$1 == so && !p { p = $NF } END { print p }')
		[ -n "$path" ] || fail "$b needs $so, which is not installed"
		owner "$(readlink -f "$path")"; p=$own
		[ -n "$p" ] || { owner "$path"; p=$own; }
		[ -n "$p" ] || fail "no package holds $path"
		base "$p" && continue
		# A report job runs rotsim alone; a run job every program.
		for t in run $([ "$(basename "$b")" = rotsim ] && echo report); do
			has $t "$p" || fail "$(basename "$b") loads $so (from $p), which make deps-$t does not install"
		done
		n=$((n + 1))
	done
done
[ $n -gt 0 ] || fail "no shared library checked: readelf found none outside the base system"

# A run: the emulator of every QEMU target, and socat, through which the
# QEMU driver connects the guest to the update server.
for conf in targets/*/target.conf; do
	q=$(sed -n 's/^qemu *= *//p' "$conf")
	[ -n "$q" ] || continue
	path=$(command -v "$q") || fail "$q ($conf) is not installed (make deps)"
	owner "$(readlink -f "$path")"; p=$own
	[ -n "$p" ] || { owner "$path"; p=$own; }
	has run "$p" || fail "$conf boots $q (from $p), which make deps-run does not install"
done
socat=$(grep -rl --include='*.c' 'socat -' harness sim | grep -v /tests/ || true)
[ -z "$socat" ] || has run socat || fail "$socat runs socat, which make deps-run does not install"

# A report: the programs rotsim report asks for their version.
for q in $(sed -n 's/.*tool_version("\([^"]*\)").*/\1/p' harness/report/*.c); do
	path=$(command -v "$q") || fail "$q (rotsim report) is not installed (make deps)"
	owner "$path"; p=$own
	[ -n "$p" ] || { owner "$(readlink -f "$path")"; p=$own; }
	has report "$p" || fail "rotsim report runs $q (from $p), which make deps-report does not install"
done

# deps.sh --as: quiet when all is there, names the target when something is not.
out=$(harness/scripts/deps.sh --as deps-run bash coreutils 2>&1) || fail "deps.sh --as with installed packages failed"
[ -z "$out" ] || fail "deps.sh --as said: $out"
rc=0
out=$(harness/scripts/deps.sh --as 2>&1) || rc=$?
[ $rc -eq 2 ] || fail "deps.sh --as without a name: exit $rc"
if command -v setpriv > /dev/null; then
	rc=0
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups \
		harness/scripts/deps.sh --as deps-run bash rotsim-no-such-package 2>&1) || rc=$?
	[ $rc -eq 1 ] || fail "deps.sh --as deps-run as a user with a missing package: exit $rc"
	grep -q '^make deps-run: as root, run: apt-get update && apt-get install -y --no-install-recommends rotsim-no-such-package$' \
		<<<"$out" || fail "deps.sh --as deps-run did not print the apt-get line: $out"
fi
echo "deps: ok ($(wc -l < "$tmp/all") packages; build $(wc -l < "$tmp/build"), run $(wc -l < "$tmp/run"), report $(wc -l < "$tmp/report"), test $(wc -l < "$tmp/test"); $n shared libraries checked)"

# Shared by the rotsim report tests.
: "${ROTSIM:?}" "${ROTSIM_TOP:?}" "${ROTSIM_BUILD:?}"
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$ROTSIM_TOP"
export ROTSIM_CACHE="$ROTSIM_BUILD/test-cache/pki"

# Run a command that must exit with the given status; its stdout and stderr
# go to $tmp/out and $tmp/err.
expect_exit() { # status cmd ...
	local want=$1 rc
	shift
	set +e
	"$@" > "$tmp/out" 2> "$tmp/err"
	rc=$?
	set -e
	[ $rc -eq "$want" ] || { cat "$tmp/out" "$tmp/err"; fail "$*: exit $rc, want $want"; }
}

# Every relative href of a report (not an anchor) names a file that exists.
links_resolve() { # dir-of-report
	local d=$1 n=0 href
	while read -r href; do
		href=$(printf '%b' "${href//%/\\x}")
		[ -e "$d/$href" ] || fail "$d/report.html links to a missing file: $href"
		n=$((n + 1))
	done < <(grep -o 'href="[^"#][^"]*"' "$d/report.html" | sed 's/^href="//; s/"$//')
	[ $n -gt 0 ] || fail "$d/report.html has no evidence link"
}

# A copy of le-r3-to-r10 whose expectation for pin-r3 after the renewal is
# wrong (updated), with markup in the expectation's reason: a run of it has
# one Required failure, and its report must show the markup as text.
wrong_scenario() { # dir
	mkdir -p "$1"
	sed -e 's/^expect.pin-r3 *= rejected.*/expect.pin-r3 = updated  # <script>alert("x")<\/script> \& <b>bold<\/b>/' \
		-e "s|^pki *=.*|pki = $ROTSIM_TOP/scenarios/pki/letsencrypt.pki|" \
		scenarios/le-r3-to-r10.scn > "$1/le-r3-to-r10.scn"
	grep -q 'expect.pin-r3 = updated' "$1/le-r3-to-r10.scn" || fail "could not edit the scenario"
}

# One headless Chromium (chromium ARGS... URL), stopped by its own exit or by
# timeout; any process left with its profile directory is ended by its id.
# Its stderr goes to $tmp/chromium.log.
chrome() { # args...
	local ud rc pid
	ud=$(mktemp -d "$tmp/profile.XXXXXX")
	set +e
	timeout -k 5 120 chromium --headless --no-sandbox --disable-gpu --disable-quic \
		--no-first-run --disable-background-networking --disable-component-update \
		--disable-sync --user-data-dir="$ud" --proxy-server=127.0.0.1:1 "$@" \
		2>> "$tmp/chromium.log"
	rc=$?
	set -e
	for pid in $(pgrep -f -- "--user-data-dir=$ud" || true); do
		kill -KILL "$pid" 2> /dev/null || true
	done
	[ $rc -eq 0 ] || { tail -20 "$tmp/chromium.log"; fail "chromium: exit $rc"; }
}

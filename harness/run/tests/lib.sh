# Shared by the rotsim run tests.
: "${ROTSIM:?}" "${ROTSIM_TOP:?}" "${ROTSIM_BUILD:?}"
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$ROTSIM_TOP"
# Keys for the PKI come from a cache shared by the tests of this build.
export ROTSIM_CACHE="$ROTSIM_BUILD/test-cache/pki"

# junit.xml: count testcases and failures (and errors) with xmllint-free greps.
junit_count() { grep -c '<testcase ' "$1"; }
junit_failures() { grep -c '<failure ' "$1" || true; }
junit_errors() { grep -c '<error ' "$1" || true; }

# The verdict of one case and phase, from junit.xml: pass, failure or error.
junit_verdict() { # file classname phase
	awk -v cls="$2" -v ph="$3" '
		/<testcase / { inside = index($0, "classname=\"" cls "\"") && index($0, "name=\"" ph " ("); v = "pass"; next }
		inside && /<failure / { v = "failure" }
		inside && /<error / { v = "error" }
		inside && /<\/testcase>/ { print v; inside = 0 }' "$1"
}

# No process of ours left: QEMU, agents, servers started under dir.
no_leftovers() { # pattern
	local left
	left=$(pgrep -af "$1" | grep -v pgrep || true)
	[ -z "$left" ] || fail "processes left behind: $left"
}

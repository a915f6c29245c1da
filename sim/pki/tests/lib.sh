# shellcheck shell=bash
# Shared by the script tests of the Let's Encrypt mirror: environment checks and
# building the mirror once per script.
#
# Environment (set by the test runner, run-tests.sh): ROTSIM (the binary), ROTSIM_TOP
# (repo root), ROTSIM_BUILD (build dir). ROTSIM_TEST_CACHE: the key cache the tests
# share (default $ROTSIM_BUILD/test-cache/pki); the cold runs use fresh directories.

: "${ROTSIM:?ROTSIM must name build/bin/rotsim}"
: "${ROTSIM_TOP:?ROTSIM_TOP must name the repository root}"
: "${ROTSIM_BUILD:=$ROTSIM_TOP/build}"
PKI_FILE=$ROTSIM_TOP/scenarios/pki/letsencrypt.pki
TESTS_DIR=$ROTSIM_TOP/sim/pki/tests
BEARVERIFY=${BEARVERIFY:-$ROTSIM_BUILD/tests/bearverify}
: "${ROTSIM_TEST_CACHE:=$ROTSIM_BUILD/test-cache/pki}"
SEED=${ROTSIM_TEST_SEED:-rotsim-test}

# elapsed T0 T1: seconds between two `date +%s.%N` readings, two decimals.
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

die() { echo "FAIL: $*" >&2; exit 1; }

need() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || die "$t not found (run make deps)"
	done
}

# A scratch directory removed when the script ends.
scratch_dir() {
	SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/rotsim-pki-test.XXXXXX")
	trap 'rm -rf "$SCRATCH"' EXIT
}

# build_mirror OUT: the mirror into OUT with the shared cache; prints the time taken.
build_mirror() {
	local out=$1 t0 t1
	mkdir -p "$ROTSIM_TEST_CACHE"
	t0=$(date +%s.%N)
	"$ROTSIM" pki "$PKI_FILE" --out "$out" --seed "$SEED" --cache "$ROTSIM_TEST_CACHE" \
		|| die "rotsim pki $PKI_FILE failed"
	t1=$(date +%s.%N)
	echo "built the mirror in $(elapsed "$t0" "$t1")s (cache $ROTSIM_TEST_CACHE)"
}

# pki_table FILE: one line per certificate section, fields separated by '|':
# id kind subject key issuer of not-before not-after serial path-len key-usage
# ext-key-usage san hash (empty when not set; a cross gets the subject and key of its
# `of`). Comments and [defaults] are skipped.
pki_table() {
	awk '
	function flush() {
		if (id != "") { ids[++n] = id }
		id = ""
	}
	/^[ \t]*#/ || /^[ \t]*$/ { next }
	/^\[/ {
		flush()
		s = $0; gsub(/[\[\]]/, "", s); split(s, a, /[ \t]+/)
		if (a[1] == "root" || a[1] == "intermediate" || a[1] == "cross" || a[1] == "leaf") {
			id = a[2]; kind[id] = a[1]
		}
		next
	}
	id != "" {
		k = $0; sub(/[ \t]*=.*/, "", k); gsub(/^[ \t]+/, "", k)
		v = $0; sub(/^[^=]*=[ \t]*/, "", v); sub(/[ \t]+#.*$/, "", v); sub(/[ \t]+$/, "", v)
		f[id, k] = v
	}
	END {
		flush()
		for (i = 1; i <= n; i++) {
			x = ids[i]; src = (kind[x] == "cross") ? f[x, "of"] : x
			printf "%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s\n", x, kind[x],
				f[src, "subject"], f[src, "key"], f[x, "issuer"], f[x, "of"],
				f[x, "not-before"], f[x, "not-after"], f[x, "serial"], f[x, "path-len"],
				f[x, "key-usage"], f[x, "ext-key-usage"], f[x, "san"], f[x, "hash"]
		}
	}' "$1"
}

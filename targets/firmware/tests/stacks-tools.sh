#!/usr/bin/env bash
# The libraries' own command-line verifiers agree with the devices: every
# case of the measured tables (stacks.tsv: the cases of stacks.cases on
# stacks.pki; stacks-scn.tsv: the phases of scenarios/stack-*.scn on
# scenarios/pki/stack-zoo.pki) whose device trusts anchors is run through
#  - `openssl verify -attime` with the TLS client's purpose (sslserver), the
#    host name and each OpenSSL variant's flag (-partial_chain,
#    -no_alt_chains): it must accept what the device on that variant
#    accepted, and refuse the others with the same X509_V_ERR number;
#  - GnuTLS `certtool --verify` with the host name under faketime: it must
#    accept what the default GnuTLS device accepted and refuse the others
#    with the same reason (gnutls_certificate_status_t as certtool words it).
# The devices' outcomes come from the tables, which stacks.sh and
# stacks-scn.sh hold the agents to; this test boots nothing and takes
# seconds. The GnuTLS variants have no certtool option (no flag for
# DISABLE_TRUSTED_TIME_CHECKS or DO_NOT_ALLOW_UNSORTED_CHAIN); mbedTLS's
# example programs (cert_app, ssl_client2) are not packaged in Debian 12 and
# wolfSSL's examples come as source only: those rows have no tool to agree
# with, and the test says so for each case where they differ.
set -euo pipefail
: "${ROTSIM:?ROTSIM must name the rotsim binary}"
: "${ROTSIM_BUILD:=$(dirname "$(dirname "$ROTSIM")")}"
ROTSIM_TOP=$(cd "$(dirname "$0")/../../.." && pwd)
# The agent's profiles of the stock devices (devices/*.device), as the build
# writes them for the images.
PROFILES=$ROTSIM_BUILD/firmware/profiles
TESTS=$ROTSIM_TOP/targets/firmware/tests
. "$TESTS/stacks-common.sh"
need() { command -v "$1" >/dev/null || { echo "FAIL: $1 is not installed"; exit 1; }; }
need openssl
need certtool
need faketime
tmp=$(mktemp -d)
chmod 0700 "$tmp"
trap 'rm -rf "$tmp"' EXIT

# Both PKIs side by side, with the test key cache the other script tests
# share (keys depend only on the file and the seed; a cold run makes them).
pki=$tmp/pki zoo=$tmp/zoo
cache=$ROTSIM_BUILD/test-cache/pki
"$ROTSIM" pki "$TESTS/stacks.pki" --out "$pki" --cache "$cache" 2>"$tmp/pki.log" &
p1=$!
"$ROTSIM" pki "$ROTSIM_TOP/scenarios/pki/stack-zoo.pki" --out "$zoo" --cache "$cache" \
	2>"$tmp/zoo.log" &
p2=$!
wait "$p1" || { cat "$tmp/pki.log"; exit 1; }
wait "$p2" || { cat "$tmp/zoo.log"; exit 1; }

# The groups: name, profile, chain file, device time (Unix seconds), table.
groups=$tmp/groups.tsv
: > "$groups"
while IFS=$'\t' read -r name profile chain when; do
	printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$profile" "$pki/chains/$chain.pem" \
		"$(device_time "$profile" "$when")" stacks.tsv >> "$groups"
done < <(grep -v '^#' "$TESTS/stacks.cases")
for scn in "$ROTSIM_TOP"/scenarios/stack-*.scn; do
	sname=$(basename "$scn" .scn)
	parse_scn "$scn" > "$tmp/facts" || exit 1
	devices=$(awk -F'\t' '$1 == "devices" { print $2 }' "$tmp/facts" | tr ',' ' ')
	while IFS=$'\t' read -r _ ph when chain; do
		for dev in $devices; do
			printf '%s\t%s\t%s\t%s\t%s\n' "$sname/$ph $dev" "$dev" "$zoo/chains/$chain.pem" \
				"$(device_time "$dev" "$when")" stacks-scn.tsv >> "$groups"
		done
	done < <(grep '^phase' "$tmp/facts")
done

# The devices' outcomes: tab[TABLE|NAME|CONFIG], where NAME is a case of
# stacks.tsv or "scenario/phase device" of stacks-scn.tsv.
declare -A tab
while IFS=$'\t' read -r n c o; do
	tab["stacks.tsv|$n|$c"]=$o
done < <(grep -v '^#' "$TESTS/stacks.tsv" | sed '/^$/d')
while IFS=$'\t' read -r n d c o; do
	tab["stacks-scn.tsv|$n $d|$c"]=$o
done < <(grep -v '^#' "$TESTS/stacks-scn.tsv" | sed '/^$/d')
row() { echo "${tab["$1|$2|$3"]:-}"; }

# check_group NAME PROFILE CHAINFILE TIME TABLE: the tools on one case, in
# their own scratch directory; prints "FAIL: ..." for each disagreement, a
# line on a case where the stacks differ, and the counts ("runs N M D").
# bad_ WHAT: one disagreement of check_group.
bad_() { echo "FAIL: $*"; bad=1; }

check_group() {
	local name=$1 profile=$2 chainf=$3 t=$4 table=$5 c d tool status words
	local set_name anchors when differs nopenssl=0 ncerttool=0 bad=0
	declare -A dev=()
	for c in $CONFIGS; do
		dev[$c]=$(row "$table" "$name" "$c")
		[ -n "${dev[$c]}" ] || { echo "FAIL: $table has no row for $name on $c"; return; }
	done
	differs=$(for c in $CONFIGS; do echo "${dev[$c]%% *}"; done | sort -u | wc -l)
	set_name=$(anchors_of "$profile")
	if [ -z "$set_name" ]; then
		echo "runs 0 0 $((differs > 1))"
		return
	fi
	anchors=$(dirname "$(dirname "$chainf")")/anchors/$set_name.pem
	[ -f "$anchors" ] || { echo "FAIL: $name: no anchor set $anchors"; return; }
	when=$(date -u -d "@$t" '+%Y-%m-%d %H:%M:%S')
	tmp=$tmp/g.$BASHPID
	mkdir -p "$tmp"

	for c in openssl openssl/partial-chain openssl/no-alt-chains; do
		tool=$(tool_openssl "$c" "$anchors" "$chainf" "$t")
		d=${dev[$c]}
		nopenssl=$((nopenssl + 1))
		if [ "$d" = updated ]; then
			[ "$tool" = ok ] || bad_ "$name on $c at $when: device updated, openssl verify: $tool"
		elif [[ $d == rejected\ * ]]; then
			[ "$tool" = "error ${d##* }" ] ||
				bad_ "$name on $c at $when: device $d, openssl verify: $tool"
		else
			bad_ "$name on $c: device outcome '$d' has no tool counterpart"
		fi
	done

	tool=$(tool_certtool "$anchors" "$chainf" "$t")
	d=${dev[gnutls]}
	ncerttool=$((ncerttool + 1))
	if [ "$d" = updated ]; then
		[ "$tool" = ok ] || bad_ "$name on gnutls at $when: device updated, certtool: $tool"
	else
		status=$(awk '{ print $2 }' <<<"$d")
		words=$(certtool_words "$status")
		if [[ $tool != error* ]]; then
			bad_ "$name on gnutls at $when: device $d, certtool: $tool"
		elif [ -n "$words" ] && [[ $tool != *"$words"* ]]; then
			bad_ "$name on gnutls at $when: device $d, certtool: $tool (want \"$words\")"
		fi
	fi
	if [ "$differs" -gt 1 ] && [ "$bad" -eq 0 ]; then
		echo "$name: stacks differ; openssl verify and certtool agree with the devices;" \
			"without a tool: $(for c in bearssl mbedtls mbedtls/no-time-date wolfssl \
			gnutls/no-trusted-time-checks gnutls/strict-order; do
				printf '%s=%s; ' "$c" "${dev[$c]%% *}"; done)"
	fi
	echo "runs $nopenssl $ncerttool $((differs > 1))"
}

# First, that a wrong table is caught: the first case every stack updates on,
# with its OpenSSL and GnuTLS rows turned to a refusal, must fail twice.
while IFS=$'\t' read -r name profile chainf t table; do
	[ -n "$(anchors_of "$profile")" ] && [ "$(row "$table" "$name" openssl)" = updated ] &&
		[ "$(row "$table" "$name" gnutls)" = updated ] && break
done < "$groups"
saved_o=$(row "$table" "$name" openssl) saved_g=$(row "$table" "$name" gnutls)
tab["$table|$name|openssl"]="rejected X509_V_ERR_CERT_HAS_EXPIRED 10"
tab["$table|$name|gnutls"]="rejected GNUTLS_CERT_EXPIRED 1026"
n=$(check_group "$name" "$profile" "$chainf" "$t" "$table" | grep -c '^FAIL' || true)
[ "$n" -eq 2 ] || { echo "FAIL: self-test: $n disagreements on a wrong $name row, want 2"; exit 1; }
tab["$table|$name|openssl"]=$saved_o
tab["$table|$name|gnutls"]=$saved_g
echo "self-test: wrong rows for $name are caught"

# Four cases at a time (a tool run mostly waits on process start-up).
i=0
while IFS=$'\t' read -r name profile chainf t table; do
	i=$((i + 1))
	check_group "$name" "$profile" "$chainf" "$t" "$table" > "$tmp/out.$i" &
	[ "$(jobs -pr | wc -l)" -lt 4 ] || wait -n
done < "$groups"
wait
nrows=0 nopenssl=0 ncerttool=0 ndiff=0
for j in $(seq 1 "$i"); do
	grep -v '^runs ' "$tmp/out.$j" || true
	read -r _ o g d < <(grep '^runs ' "$tmp/out.$j" || echo "runs 0 0 0")
	nopenssl=$((nopenssl + o)) ncerttool=$((ncerttool + g)) ndiff=$((ndiff + d))
done
fails=$(cat "$tmp"/out.* | grep -c '^FAIL' || true)
echo "$i cases ($(echo $CONFIGS | wc -w) stacks and variants each), $ndiff where the stacks differ;" \
	"$nopenssl openssl verify and $ncerttool certtool runs"
[ "$fails" -eq 0 ] || { echo "FAIL: $fails disagreements"; exit 1; }
[ "$ndiff" -gt 0 ] && [ "$nopenssl" -gt 0 ] && [ "$ncerttool" -gt 0 ] ||
	{ echo "FAIL: nothing compared"; exit 1; }
echo ok

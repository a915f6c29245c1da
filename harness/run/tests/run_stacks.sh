#!/usr/bin/env bash
# rotsim run --stack on the native target: the default scenarios on the five
# TLS stacks (the device's agent on BearSSL, mbedTLS, wolfSSL, OpenSSL and
# GnuTLS), every outcome as expected, the stacks' own expect.DEVICE@STACK lines
# included. First what shows the test can fail: an unknown stack id, and a
# scenario whose per-stack line is taken out, which then fails on OpenSSL.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/stacks_lib.sh"

# An unknown stack: one line naming the closest, exit 2, nothing written.
set +e
err=$("$ROTSIM" run le-r3-to-r10 --target native --stack wolfssl,mbedtsl --out "$tmp/bad" 2>&1)
rc=$?
set -e
[ $rc -eq 2 ] || fail "unknown stack: exit $rc"
[ "$err" = 'rotsim run: no TLS stack "mbedtsl" (did you mean "mbedtls"?)' ] || fail "unknown stack: $err"
[ ! -e "$tmp/bad" ] || fail "unknown stack: $tmp/bad written"

# The plan: each device on each stack, in the order given, targets
# innermost; bearssl keeps the device's name.
plan=$("$ROTSIM" run le-r3-to-r10 --target native --stack all,openssl-partial-chain --dry-run)
grep -qx '0 le-r3-to-r10 root-x1@native' <<<"$plan" || fail "plan: $plan"
grep -qx '1 le-r3-to-r10 root-x1@mbedtls@native' <<<"$plan" || fail "plan: $plan"
grep -qx '17 le-r3-to-r10 pin-r3@openssl-partial-chain@native' <<<"$plan" || fail "plan: $plan"
[ "$(tail -1 <<<"$plan")" = '18 cases of 18 in the plan (0 skipped)' ] || fail "plan: $plan"

# Without its per-stack line, pin-r3 on OpenSSL fails where BearSSL updates
# (R3 is no anchor for OpenSSL without partial chains); with it, it passes.
mkdir "$tmp/scn"
sed -e '/^expect\.pin-r3@openssl/d' -e "s|^pki *=.*|pki = $ROTSIM_TOP/scenarios/pki/letsencrypt.pki|" \
	scenarios/le-r3-to-r10.scn > "$tmp/scn/le-r3-to-r10.scn"
set +e
"$ROTSIM" run "$tmp/scn/le-r3-to-r10.scn" --device pin-r3 --target native --stack openssl \
	--out "$tmp/without" --no-report > "$tmp/without.log" 2>&1
rc=$?
set -e
[ $rc -eq 1 ] || { cat "$tmp/without.log"; fail "without expect.pin-r3@openssl: exit $rc, want 1"; }
grep -q '^FAIL  le-r3-to-r10 pin-r3@openssl @before rejected: X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT (expected updated)' \
	"$tmp/without.log" || { cat "$tmp/without.log"; fail "without expect.pin-r3@openssl"; }

# The default scenarios on the five stacks.
s=$EPOCHREALTIME
out=$tmp/native
rc=0
"$ROTSIM" run --target native --stack all -j 8 -q --out "$out" --no-report > "$tmp/log" 2>&1 \
	|| rc=$?
e=$EPOCHREALTIME
[ $rc -eq 0 ] || { cat "$tmp/log"; fail "run --stack all: exit $rc"; }
stacks_all_as_expected "$out"
for st in mbedtls wolfssl openssl gnutls; do
	stacks_agent_ran "$out/cases/le-r3-to-r10/root-x1@$st@native" "$st"
done
# The stacks' differences are exercised, with the library's own words.
jq -e '.records[] | select(.scenario == "dst-root-expiry" and .device == "legacy-dst@openssl"
	and .phase == "after") | .tls == "openssl" and .observed == "rejected"
	and .device_error == "X509_V_ERR_CERT_HAS_EXPIRED"' "$out/summary.json" >/dev/null \
	|| fail "legacy-dst@openssl after the DST expiry"
jq -e '.records[] | select(.scenario == "le-r3-to-r10" and .device == "pin-r3@openssl"
	and .phase == "before") | .observed == "rejected" and .expected == "rejected"' \
	"$out/summary.json" >/dev/null || fail "pin-r3@openssl before"
jq -e '.records[] | select(.scenario == "dst-root-expiry" and .device == "legacy-dst@wolfssl"
	and .phase == "after") | .observed == "updated"' "$out/summary.json" >/dev/null \
	|| fail "legacy-dst@wolfssl after the DST expiry"
echo "run_stacks: $(jq '.records | length' "$out/summary.json") phases on five stacks in $(( (${e/./} - ${s/./}) / 1000 )) ms, all as expected"

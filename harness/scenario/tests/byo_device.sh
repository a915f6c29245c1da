#!/usr/bin/env bash
# Bring your own firmware: a device described only by files outside the
# checkout (its own target, devices and scenarios directories, its own
# firmware-signing key) runs the stock scenarios and reaches the verdicts of the
# stock device it is like; its manifests are signed with its key; signed with
# another key, the phases it should update fail. This is the worked example of
# targets/BRING-YOUR-OWN.md.
set -euo pipefail
: "${ROTSIM:?}" "${ROTSIM_TOP:?}" "${ROTSIM_BUILD:?}"
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export ROTSIM_CACHE="$ROTSIM_BUILD/test-cache/pki"
t0=$SECONDS

team=$tmp/acme
mkdir -p "$team/devices" "$team/targets/acme-native" "$team/scenarios" "$team/keys"

# The device's own firmware-signing key, made here, and its public half, which
# the firmware carries built in (the target passes it to the program).
(umask 077; openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	-out "$team/keys/fw.pem" 2>/dev/null)
openssl pkey -in "$team/keys/fw.pem" -pubout -out "$team/keys/fw.pub.pem"
[ "$(stat -c %a "$team/keys/fw.pem")" = 600 ] || fail "the signing key is not 0600"

# Its trust: ISRG Root X1, exported from the scenarios' hierarchy.
"$ROTSIM" pki "$ROTSIM_TOP/scenarios/pki/letsencrypt.pki" --out "$tmp/pki" >/dev/null 2>&1 \
	|| fail "rotsim pki"
cp "$tmp/pki/isrg-root-x1.crt.pem" "$team/keys/isrg-root-x1.pem"

# Its target: the native one under another name, with the firmware's built-in
# public key (what a real image has in its rootfs).
sed -e 's/^\[target native\]/[target acme-native]/' \
	-e "s|^args = \\(.*\\)\$|args = \\1 --signing-pub $team/keys/fw.pub.pem|" \
	"$ROTSIM_TOP/targets/native/target.conf" > "$team/targets/acme-native/target.conf"
grep -q -- "--signing-pub $team/keys/fw.pub.pem" "$team/targets/acme-native/target.conf" \
	|| fail "the target's arguments were not rewritten"

cat > "$team/devices/acme-gw.device" <<EOF
# Acme GW-200: the stock root-x1's expectations, its own target and key.
[device acme-gw]
like           = root-x1
target         = acme-native
trust          = anchors:../keys/isrg-root-x1.pem
signing-key    = ../keys/fw.pem
version        = 1
version-signal = check-in
client         = acme-updater 4.1
tls            = bearssl
protocol       = rotsim
EOF

# A scenario of the team's own beside the stock ones: le-r3-to-r10 for its
# device alone, with its own expectations.
sed -e 's/^\[scenario le-r3-to-r10\]/[scenario acme-renewal]/' \
	-e "s|^pki *=.*|pki = $ROTSIM_TOP/scenarios/pki/letsencrypt.pki|" \
	-e 's/^devices *=.*/devices = acme-gw/' -e 's/^expect\.root-x1/expect.acme-gw/' \
	-e '/^expect\.\(pin-r3\|roots-x1-x2\)/d' -e 's/^tags *=.*/tags = acme/' \
	"$ROTSIM_TOP/scenarios/le-r3-to-r10.scn" > "$team/scenarios/acme-renewal.scn"

cd "$tmp"	# not the checkout: the stock files are found beside the program
export ROTSIM_PATH=$team

# The plan: the team's device joins the stock scenarios its like runs in, on
# the target its description names.
plan=$("$ROTSIM" run le-r3-to-r10 mitm-rogue-root acme-renewal --device acme-gw --dry-run)
for want in "le-r3-to-r10 acme-gw@acme-native" "mitm-rogue-root acme-gw@acme-native" \
	"acme-renewal acme-gw@acme-native"; do
	grep -q " $want\$" <<<"$plan" || fail "plan without $want: $plan"
done
show=$("$ROTSIM" show le-r3-to-r10)	# whole: grep -q would end the pipe early
grep -q 'acme-gw (like root-x1)' <<<"$show" || fail "show: no acme-gw"
show=$(env -u ROTSIM_PATH "$ROTSIM" show le-r3-to-r10 --devices "$team/devices")
grep -q 'acme-gw (like root-x1)' <<<"$show" || fail "show --devices: no acme-gw"
show=$(env -u ROTSIM_PATH "$ROTSIM" show le-r3-to-r10)
grep -q 'acme-gw' <<<"$show" && fail "show: acme-gw unasked"

# The stock scenarios, the device beside root-x1 on the same target.
"$ROTSIM" run le-r3-to-r10 mitm-rogue-root acme-renewal --device acme-gw --device root-x1 \
	--out "$tmp/run" -q --no-report > "$tmp/log" 2>&1 || fail "run: $(cat "$tmp/log")"
sum=$tmp/run/summary.json
n=$(jq '[.records[] | select(.device=="acme-gw")] | length' "$sum")
[ "$n" = 6 ] || fail "acme-gw has $n records, not 6: $(cat "$tmp/log")"
# Every phase of acme-gw in a stock scenario: root-x1's outcome, passed.
for scn in le-r3-to-r10 mitm-rogue-root; do
	jq -e --arg s "$scn" '
		[.records[] | select(.scenario==$s)] as $r
		| [$r[] | select(.device=="acme-gw")] as $a
		| ($a | length) > 0 and ($a | all(.verdict=="pass"))
		and ($a | all(. as $x | [$r[] | select(.device=="root-x1" and .phase==$x.phase
			and .observed==$x.observed and .expected==$x.expected)] | length==1))' \
		"$sum" >/dev/null || fail "$scn: acme-gw differs from root-x1: $(jq -c \
		--arg s "$scn" '.records[] | select(.scenario==$s) | [.device,.phase,.expected,
		.observed,.verdict]' "$sum")"
done
jq -e '[.records[] | select(.scenario=="mitm-rogue-root" and .device=="acme-gw")
	| .observed] == ["updated","rejected"]' "$sum" >/dev/null \
	|| fail "mitm-rogue-root: acme-gw not updated then rejected"
jq -e '[.records[] | select(.scenario=="acme-renewal") | .verdict=="pass"] | length==2 and all' \
	"$sum" >/dev/null || fail "acme-renewal: $(jq -c '.records[]|select(.scenario=="acme-renewal")' "$sum")"

# The evidence names the client (phase.json, summary.json) and what it is like;
# the verdict's reference check used the device's own trust, carried whole in
# the results.
pj=$tmp/run/cases/le-r3-to-r10/acme-gw@acme-native/02-after/phase.json
jq -e '.client=="acme-updater 4.1" and .like=="root-x1" and .protocol=="rotsim"
	and .anchors==["acme-gw.device"]' "$pj" >/dev/null || fail "phase.json: $(cat "$pj")"
jq -e '[.records[] | select(.device=="acme-gw") | .client=="acme-updater 4.1" and .tls=="bearssl"]
	| length==6 and all' "$sum" >/dev/null || fail "summary.json: no client of acme-gw"
jq -e '[.records[] | select(.device=="root-x1") | .client=="rotsim-agent"] | all' "$sum" >/dev/null \
	|| fail "summary.json: root-x1's client is not the target's (rotsim-agent)"
cmp -s "$team/keys/isrg-root-x1.pem" "$tmp/run/pki/le-r3-to-r10/anchors/acme-gw.device.pem" \
	|| fail "the device's anchors are not in the results"
"$ROTSIM" verdict "$tmp/run" > "$tmp/verdict" || fail "re-verdict: $(cat "$tmp/verdict")"

# The manifests were signed with the device's key: checked with its public key,
# by rotsim and by OpenSSL (the signature is raw r||s over the lines before sig).
m=$tmp/run/firmware/le-r3-to-r10/after/manifest
"$ROTSIM" sign --verify "$m" --pub "$team/keys/fw.pub.pem" \
	--image "$tmp/run/firmware/le-r3-to-r10/after/image-3.bin" >/dev/null || fail "rotsim sign --verify"
sig=$(sed -n 's/^sig //p' "$m" | base64 -d | od -An -tx1 -v | tr -d ' \n')
[ ${#sig} = 128 ] || fail "manifest signature: ${#sig} hex digits"
printf 'asn1=SEQUENCE:sig\n[sig]\nr=INTEGER:0x%s\ns=INTEGER:0x%s\n' "${sig:0:64}" "${sig:64}" \
	> "$tmp/sig.cnf"
openssl asn1parse -genconf "$tmp/sig.cnf" -out "$tmp/sig.der" >/dev/null
grep -v '^sig ' "$m" > "$tmp/signed"
openssl dgst -sha256 -verify "$team/keys/fw.pub.pem" -signature "$tmp/sig.der" "$tmp/signed" \
	>/dev/null || fail "OpenSSL: the manifest is not signed with the device's key"
(umask 077; openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	-out "$tmp/other.pem" 2>/dev/null)
openssl pkey -in "$tmp/other.pem" -pubout -out "$tmp/other.pub.pem"
openssl dgst -sha256 -verify "$tmp/other.pub.pem" -signature "$tmp/sig.der" "$tmp/signed" \
	>/dev/null 2>&1 && fail "OpenSSL accepts the manifest under another key"
grep -q 'manifest sig=ok' "$tmp/run/cases/le-r3-to-r10/acme-gw@acme-native/02-after/console.log" \
	|| fail "the device did not check the manifest"

# Signed with another key, the device refuses every manifest: the phases that
# should update stay current, and the run fails (exit 1), with the reason.
set +e
"$ROTSIM" run le-r3-to-r10 --device acme-gw --signing-key "$tmp/other.pem" --out "$tmp/wrong" \
	-q --no-report > "$tmp/log" 2>&1
rc=$?
set -e
[ $rc = 1 ] || fail "wrong key: exit $rc: $(cat "$tmp/log")"
jq -e '[.records[] | select(.device=="acme-gw") | .expected=="updated" and .observed=="current"
	and .verdict=="fail" and (.reason | test("manifest-signature"))] | length==2 and all' \
	"$tmp/wrong/summary.json" >/dev/null || fail "wrong key: $(jq -c '.records[]' "$tmp/wrong/summary.json")"

# The image the device boots, named by its description: a target whose
# program is {image} runs the team's own build (here a copy of the reference
# agent), and summary.json records that file's hash, not the stock agent's.
mkdir -p "$team/firmware" "$team/targets/acme-image"
cp "$ROTSIM_BUILD/bin/rotsim-agent" "$team/firmware/acme-agent"
printf '\x00acme' >> "$team/firmware/acme-agent"	# its own bytes, still the same program
sed -e 's/^\[target acme-native\]/[target acme-image]/' -e 's|^agent = .*|agent = {image}|' \
	"$team/targets/acme-native/target.conf" > "$team/targets/acme-image/target.conf"
sed -e 's/^\[device acme-gw\]/[device acme-img]/' -e 's/^target .*/target = acme-image/' \
	-e '/^signing-key/a image          = ../firmware/acme-agent' \
	"$team/devices/acme-gw.device" > "$team/devices/acme-img.device"
"$ROTSIM" run le-r3-to-r10 --device acme-img --out "$tmp/img" -q --no-report > "$tmp/log" 2>&1 \
	|| fail "run with {image}: $(cat "$tmp/log")"
want=$(sha256sum "$team/firmware/acme-agent" | cut -d' ' -f1)
jq -e --arg h "$want" '[.images[] | select(.sha256 == $h)] | length == 1' "$tmp/img/summary.json" \
	>/dev/null || fail "the image's hash is not recorded: $(jq -c .images "$tmp/img/summary.json")"
jq -e '[.records[] | .verdict=="pass"] | length==2 and all' "$tmp/img/summary.json" >/dev/null \
	|| fail "acme-img: $(jq -c '.records[]' "$tmp/img/summary.json")"

echo "bring your own firmware: ok ($((SECONDS - t0)) s)"

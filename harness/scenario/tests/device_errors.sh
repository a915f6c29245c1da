#!/usr/bin/env bash
# Device descriptions a user gets wrong: each is refused before anything runs,
# with one line "FILE:LINE: what" (an unknown key or device names the closest
# one) and exit status 2; a good one is accepted.
set -euo pipefail
: "${ROTSIM:?}" "${ROTSIM_TOP:?}"
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

d=$tmp/devices
mkdir -p "$d" "$tmp/keys"
cp "$ROTSIM_TOP/harness/verdict/tests/data/ca.pem" "$tmp/keys/ca.pem" 2>/dev/null \
	|| openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=ca \
		-keyout /dev/null -out "$tmp/keys/ca.pem" -days 30 2>/dev/null
(umask 077; openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	-out "$tmp/keys/fw.pem" 2>/dev/null)
echo "not a certificate" > "$tmp/keys/junk.pem"

# try NAME 'WANTED MESSAGE' < description: the run refuses it with that line.
try() {
	rm -f "$d"/*
	cat > "$d/$1.device"
	set +e
	"$ROTSIM" run le-r3-to-r10 --devices "$d" --target native --dry-run >"$tmp/out" 2>"$tmp/err"
	local rc=$?
	set -e
	[ $rc = 2 ] || fail "$1: exit $rc, not 2 ($(cat "$tmp/err"))"
	[ "$(wc -l < "$tmp/err")" = 1 ] || fail "$1: not one line: $(cat "$tmp/err")"
	grep -qF -- "$2" "$tmp/err" || fail "$1: want '$2', got: $(cat "$tmp/err")"
}

try typo "$d/typo.device:3: unknown key \"trsut\" (did you mean \"trust\"?)" <<'EOF'
[device typo]
like  = root-x1
trsut = none
EOF
try nolike "$d/nolike.device:2: like: no device \"root-x9\" (did you mean \"root-x1\"?)" <<'EOF'
[device nolike]
like  = root-x9
trust = none
EOF
try notrust "$d/notrust.device:1: [device notrust] says nothing of its trust" <<'EOF'
[device notrust]
like = root-x1
EOF
try junk "$d/junk.device:3: trust: $d/../keys/junk.pem: no certificate in it" <<'EOF'
[device junk]
like  = root-x1
trust = anchors:../keys/junk.pem
EOF
try missing "$d/missing.device:2: trust: $d/../keys/nope.pem: " <<'EOF'
[device missing]
trust = anchors:../keys/nope.pem
EOF
try badpin "$d/badpin.device:2: trust: pin \"abc\" is not the base64 of a SHA-256" <<'EOF'
[device badpin]
trust = pins:abc
EOF
try badtrust "$d/badtrust.device:2: trust \"x1\": want anchors:FILE.pem" <<'EOF'
[device badtrust]
trust = x1
EOF
try name "$d/name.device:1: device \"other\" is in a file named \"name.device\"" <<'EOF'
[device other]
trust = none
EOF
try proto "$d/proto.device:3: protocol \"mender\": want rotsim, files or hawkbit" <<'EOF'
[device proto]
trust    = none
protocol = mender
EOF
try bundle "$d/bundle.device:4: bundle \"zip\": want swu" <<'EOF'
[device bundle]
trust    = none
protocol = files
bundle   = zip
EOF
try bundleproto "$d/bundleproto.device:3: bundle: needs protocol = files or hawkbit" <<'EOF'
[device bundleproto]
trust  = none
bundle = swu
EOF
try trustset "$d/trustset.device:2: trust: \"../x1\" is not the name of an anchor set" <<'EOF'
[device trustset]
trust = set:../x1
EOF
try pinset "$d/pinset.device:2: trust: \"a/b\" is not the name of a pin list" <<'EOF'
[device pinset]
trust = pin-set:a/b
EOF
try sntp "$d/sntp.device:4: sntp \"time.example:0\": want HOST[:PORT]" <<'EOF'
[device sntp]
trust = set:x1-only
clock = sntp
sntp  = time.example:0
EOF
try sntpclock "$d/sntpclock.device:3: sntp: only for clock = sntp" <<'EOF'
[device sntpclock]
trust = set:x1-only
sntp  = time.example:123
EOF
try builddate "$d/builddate.device:3: build-date: " <<'EOF'
[device builddate]
trust      = none
build-date = 2024-13-45
EOF
try stack "$d/stack.device:3: tls \"schannel\": want STACK [VARIANT]" <<'EOF'
[device stack]
trust = none
tls   = schannel
EOF
try tgt "$d/tgt.device:3: target: no target \"qemu-x86\" in the targets directories" <<'EOF'
[device tgt]
trust  = none
target = qemu-x86
EOF
try img "$d/img.device:3: image: $d/gw.img: " <<'EOF'
[device img]
trust = none
image = gw.img
EOF
chmod 0644 "$tmp/keys/fw.pem"
try keymode "$d/keymode.device:3: signing-key: $d/../keys/fw.pem can be read by others" <<'EOF'
[device keymode]
trust       = none
signing-key = ../keys/fw.pem
EOF
chmod 0600 "$tmp/keys/fw.pem"
try notkey "$d/notkey.device:3: signing-key: " <<'EOF'
[device notkey]
trust       = none
signing-key = ../keys/ca.pem
EOF
chmod 0600 "$tmp/keys/ca.pem"
try twice "$d/twice.device:3: trust given twice (first on line 2)" <<'EOF'
[device twice]
trust = none
trust = none
EOF
try root-x1 "$d/root-x1.device has the name of a stock device" <<'EOF'
[device root-x1]
trust = none
EOF
# A loop of like: a is like b, b is like a.
rm -f "$d"/*
printf '[device a]\nlike = b\ntrust = none\n' > "$d/a.device"
printf '[device b]\nlike = a\ntrust = none\n' > "$d/b.device"
"$ROTSIM" run le-r3-to-r10 --devices "$d" --target native --dry-run 2>"$tmp/err" \
	&& fail "a loop of like is accepted"
grep -q "a.device:2: like: b leads back to a (a loop)" "$tmp/err" || fail "loop: $(cat "$tmp/err")"
# The same name twice in one directory.
rm -f "$d"/*
printf '[device same]\ntrust = none\n' > "$d/same.device"
printf '[profile same]\nanchors = x1-only\n' > "$d/same.profile"
"$ROTSIM" run le-r3-to-r10 --devices "$d" --target native --dry-run 2>"$tmp/err" \
	&& fail "same.device beside same.profile is accepted"
grep -q "same.profile: device same is defined twice in its directory" "$tmp/err" \
	|| fail "$(cat "$tmp/err")"

# A good one, with every key, is accepted and joins the scenario.
rm -f "$d"/*
touch "$tmp/gw.img"
cat > "$d/good.device" <<'EOF'
[device good]
like           = root-x1
target         = native
image          = ../gw.img
trust          = anchors:../keys/ca.pem
signing-key    = ../keys/fw.pem
version        = 2
version-signal = check-in
client         = curl 7.88
tls            = bearssl
protocol       = rotsim
clock          = rtc
build-date     = 2024-01-15
description    = every key
EOF
# And one in the form of the reference agent's stock devices: trust by the
# name of the PKI's pin list, time from SNTP at a fixed server.
cat > "$d/pinned.device" <<'EOF'
# A device that pins the leaf's key and asks a fixed server for the time.
[device pinned]
like       = pin-leaf
trust      = pin-set:leaf-r3-pin
clock      = sntp
sntp       = 192.0.2.1:123
build-date = 2023-06-01
EOF
plan=$("$ROTSIM" run le-r3-to-r10 baltimore-to-digicert-g2 --devices "$d" --device good \
	--device pinned --dry-run) || fail "a good description is refused"
grep -q ' le-r3-to-r10 good@native$' <<<"$plan" \
	&& grep -q ' baltimore-to-digicert-g2 pinned@native$' <<<"$plan" || fail "plan: $plan"
echo "device errors: ok"

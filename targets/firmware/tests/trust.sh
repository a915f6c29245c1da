#!/usr/bin/env bash
# Trust profiles against the chains of the rotation: pin-r3 is refused under
# R10 with BR_ERR_X509_NOT_TRUSTED and gets no image bytes; insecure accepts a
# rogue chain that root-x1 refuses; pin-leaf, legacy-dst, roots-x1-x2 and
# no-rtc each meet the chain that decides them.
. "$(dirname "$0")/lib.sh"

make_firmware "$tmp/fw" 2

# R10: pin-r3 refused before any HTTP; root-x1 is covered by update.sh.
start_server leaf-r10 "$tmp/fw"
boot pin-r3 "$tmp/pin-r3"
expect_rc 3
expect_line '^rotsim: tls result=failed err=BR_ERR_X509_NOT_TRUSTED code=62 '
expect_line '^rotsim: done result=rejected version=1 reason=tls exit=3$'
expect_no_line '^rotsim: http '
boot pin-leaf "$tmp/pin-leaf"
expect_rc 3
expect_line '^rotsim: tls result=failed err=BR_ERR_X509_NOT_TRUSTED code=62 '
boot legacy-dst "$tmp/legacy"
expect_rc 3
expect_line '^rotsim: tls result=failed err=BR_ERR_X509_NOT_TRUSTED code=62 '
# A device without a clock believes it is 2024-01-15: the leaf from R10
# (valid from 2024-06-20) is not yet valid for it.
boot no-rtc "$tmp/no-rtc"
expect_rc 3
expect_line '^rotsim: clock source=build-date time=2024-01-15T00:00:0[0-9]Z$'
expect_line '^rotsim: tls result=failed err=BR_ERR_X509_EXPIRED code=54 '
# The server saw the handshakes fail and sent no image byte.
[ "$(image_bytes)" -eq 0 ] || { echo "FAIL: image bytes sent"; exit 1; }
! grep -q '"path":"/firmware/' "$events"
grep -q '"event":"handshake".*"result":"failed"' "$events"

# R3: pin-r3 and pin-leaf update.
start_server leaf-r3 "$tmp/fw"
boot pin-r3 "$tmp/pin-r3"
expect_rc 10
boot pin-leaf "$tmp/pin-leaf"
expect_rc 10
expect_line '^rotsim: tls result=ok version=TLS1.2 cipher=0x[0-9A-F]{4} pin=0$'

# E5 under X2: the backup root saves roots-x1-x2; root-x1 is refused.
start_server leaf-e5 "$tmp/fw"
boot roots-x1-x2 "$tmp/x1x2"
expect_rc 10
boot root-x1 "$tmp/x1-e5"
expect_rc 3
expect_line 'err=BR_ERR_X509_NOT_TRUSTED code=62'

# A rogue CA with ISRG Root X1's name: insecure takes it and installs, root-x1
# refuses it.
start_server leaf-rogue "$tmp/fw"
boot root-x1 "$tmp/x1-rogue"
expect_rc 3
expect_line '^rotsim: tls result=failed err=BR_ERR_X509_(NOT_TRUSTED|BAD_SIGNATURE) '
[ "$(image_bytes)" -eq 0 ]
boot insecure "$tmp/insecure"
expect_rc 10
expect_line '^rotsim: tls result=ok .* checked=nothing$'
expect_line '^rotsim: install result=ok slot=a version=2 '
[ "$(image_bytes)" -eq 300042 ]
echo ok

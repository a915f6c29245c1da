#!/usr/bin/env bash
# `make images` is reproducible and incremental: a build from scratch into
# another directory, under another umask and time zone, gives the same SHA-256
# for every file as the build under test; a finished build is up to date; a
# changed input remakes only what depends on it, and never fetches a package
# again.
#
# It builds the x86_64 images: every reference device, every TLS stack's
# overlay and the curl, wget and SWUpdate images. The arm64 images come from the
# same scripts and rules (qemu.mk, mkinitramfs.sh, mkflash.sh, mkoverlay.sh) and
# add only a cross compiler; leaving them out saves about a third of the test.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
mk() { make -C "$ROTSIM_TOP" --no-print-directory "$@"; }
x86=(images-x86_64 images-stacks-x86_64 images-curl images-swupdate images-wget)
# The x86_64 files only: images/x86_64*/ (x86_64, x86_64-curl, ...).
sums() { (cd "$1" && find . -type f -path './x86_64*' | LC_ALL=C sort | xargs sha256sum); }

s=$EPOCHREALTIME
(umask 077; TZ=Pacific/Kiritimati mk BUILD="$T/a" "${x86[@]}") > "$T/a.log" 2>&1 || { cat "$T/a.log"; fail "build a"; }
e=$EPOCHREALTIME
echo "build from the package cache: $(( (${e/./} - ${s/./}) / 1000 )) ms"
sums "$T/a/images" > "$T/a.sum"
# make images builds the TLS-stack overlays too (images-stacks), so the
# build under test holds the same files.
sums "$ROTSIM_BUILD/images" > "$T/c.sum"
cat "$T/a.sum"
diff -u "$T/a.sum" "$T/c.sum" || fail "the build under test differs from a fresh build"
grep -q ' ./x86_64/test/initramfs.cpio.gz$' "$T/a.sum" || fail "no initramfs for the test device"
grep -q ' ./x86_64/test/flash.img$' "$T/a.sum" || fail "no flash image for the test device"
grep -q ' ./x86_64/agent-openssl.cpio.gz$' "$T/a.sum" || fail "no TLS-stack overlay"
grep -q ' ./x86_64-curl/' "$T/a.sum" || fail "no curl image"
[ "$(wc -l < "$T/a.sum")" -gt 50 ] || fail "too few files in a fresh build to compare"

# Incremental: nothing to do after a build.
mk -q BUILD="$T/a" "${x86[@]}" || fail "a finished build is not up to date"
s=$EPOCHREALTIME
mk BUILD="$T/a" "${x86[@]}" > "$T/warm.log"
e=$EPOCHREALTIME
echo "warm build: $(( (${e/./} - ${s/./}) / 1000 )) ms"
# A newer busybox remakes the initramfs, not the kernel, and fetches nothing.
touch "$T/a/images/x86_64/busybox"
mk -n BUILD="$T/a" "${x86[@]}" > "$T/plan.log"
cat "$T/plan.log"
grep -q 'mkinitramfs.sh' "$T/plan.log" || fail "initramfs not remade after its busybox changed"
! grep -Eq 'fetch-deb|unpack-kernel|mkflash' "$T/plan.log" || fail "more than the initramfs remade"
echo "repro: ok"

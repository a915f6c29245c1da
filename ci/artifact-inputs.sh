#!/usr/bin/env bash
# Write DIR/reproducible-inputs.txt: the SHA-256 and the recipe of every file
# in a results folder that the nightly leaves out of its artifacts because the
# image build recreates it byte for byte: the initrd a QEMU case boots
# (cases/SCN/DEVICE@TARGET/initrd.img, or NN-PHASE/initrd-N.img from rotsim
# versions that kept one per boot). The driver removes it when the case ends,
# so a complete run has none; an interrupted one may. Captures, logs, keys and
# everything else stay in the artifact.
#
# usage: ci/artifact-inputs.sh RESULTS_DIR
# Run from the top of the tree, before the artifact is uploaded.
set -euo pipefail
me=artifact-inputs
[ $# -eq 1 ] || { echo "usage: ci/artifact-inputs.sh RESULTS_DIR" >&2; exit 2; }
dir=${1%/}
[ -d "$dir" ] || { echo "$me: $dir: no such results folder" >&2; exit 1; }
out=$dir/reproducible-inputs.txt
tmp=$(mktemp "$dir/.reproducible-inputs.XXXXXX")
trap 'rm -f "$tmp"' EXIT

# The commit as the CI service names it (a checkout may have no git), else git's.
commit=${CI_COMMIT_SHA:-${GITHUB_SHA:-$(git rev-parse HEAD 2>/dev/null || echo unknown)}}
# The key the build job wrote beside the images (ci/images-key.sh).
key=$(cat build/images/.key 2>/dev/null || echo "not recorded")
n=0
{
	cat <<EOF
# Files of this results folder left out of the CI artifact: the image build
# recreates them. To get one back, check out the commit below and run
# \`make images\` (the image cache key below names the same inputs): the
# initrd is build/images/ARCH/DEVICE/initramfs.cpio.gz, zero-padded to a
# multiple of 4 bytes, followed by a newc archive of the case's etc/ folder
# (kept in the results) as /etc/rotsim and an /etc/hosts naming the update
# server, as the QEMU driver (harness/target/qemu.c) writes it; compare with
# the SHA-256 below. The report's "Firmware and images" section holds the
# SHA-256 of the kernel, each initramfs.cpio.gz and factory flash.img the run
# used.
commit $commit
images-key $key
EOF
	while IFS= read -r -d '' f; do
		h=$(sha256sum "$f" | cut -d' ' -f1)
		printf '%s  %s\n' "$h" "${f#"$dir"/}"
		n=$((n + 1))
	done < <(find "$dir" -type f -name 'initrd*.img' -print0 | LC_ALL=C sort -z)
} > "$tmp"
chmod 0644 "$tmp"
mv -f "$tmp" "$out"
trap - EXIT
echo "$me: $out: $n file(s) left out of the artifact, by hash"

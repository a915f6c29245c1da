#!/usr/bin/env bash
# ci/artifact-inputs.sh, run by both pipelines before they upload a results
# folder without the initrds its QEMU cases booted: it writes the SHA-256 of
# every one, by its path in the folder, with the commit and the image key, leaves
# every other file as it was, and refuses a missing folder or a bad call
# without writing anything.
set -euo pipefail
# A command that fails outside fail() still says what and where.
trap 'echo "FAIL: line $LINENO: $BASH_COMMAND (exit $?)"' ERR
: "${ROTSIM_TOP:?}"
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$ROTSIM_TOP"

r=$tmp/results/shard-2
c=$r/cases/le-r3-to-r10/root-x1@qemu-x86_64
mkdir -p "$c/01-before" "$c/02-after" "$r/pki/le-r3-to-r10"
head -c 70000 /dev/urandom > "$c/01-before/initrd-1.img"
head -c 50000 /dev/urandom > "$c/02-after/initrd-1.img"
head -c 50000 /dev/urandom > "$c/02-after/initrd-2.img"
head -c 30000 /dev/urandom > "$c/initrd.img"
mkdir -p "$c/etc/anchors"
echo root-x1 > "$c/etc/device"
echo "rotsim: booted" > "$c/01-before/console.log"
printf 'pcap' > "$c/01-before/capture.pcap"
echo "CLIENT_RANDOM 00 11" > "$c/01-before/keylog.txt"
echo "server up" > "$c/01-before/server.log"
echo '{}' > "$r/summary.json"
(cd "$r" && find . -type f ! -name 'initrd*' -exec sha256sum {} + | sort) > "$tmp/before"

out=$(env -u CI_COMMIT_SHA -u GITHUB_SHA ci/artifact-inputs.sh "$r/") || fail "artifact-inputs.sh failed: $out"
f=$r/reproducible-inputs.txt
[ -f "$f" ] || fail "no $f"
grep -q '4 file(s)' <<<"$out" || fail "it did not count the four initrds: $out"
# One line per copy, its hash and its path in the folder, nothing else.
(cd "$r" && find . -name 'initrd*.img' -exec sha256sum {} + | sed 's|  \./|  |' | sort) > "$tmp/want"
grep -E '^[0-9a-f]{64}  ' "$f" | sort > "$tmp/got"
diff -u "$tmp/want" "$tmp/got" || fail "the hashes in reproducible-inputs.txt are not those of the copies"
grep -qx "commit $(git rev-parse HEAD 2>/dev/null || echo unknown)" "$f" || fail "no commit line"
grep -q '^images-key ' "$f" || fail "no images-key line"
grep -q 'initramfs.cpio.gz' "$f" && grep -q "case's etc/" "$f" || fail "the recipe is missing"
# Evidence untouched; no temporary file left behind.
(cd "$r" && find . -type f ! -name 'initrd*' ! -name reproducible-inputs.txt -exec sha256sum {} + | sort) \
	> "$tmp/after"
diff -u "$tmp/before" "$tmp/after" || fail "artifact-inputs.sh changed the evidence"
[ -z "$(find "$r" -name '.reproducible-inputs.*')" ] || fail "a temporary file was left in $r"

# The commit as the CI service names it.
mkdir -p "$tmp/ci"
env -u GITHUB_SHA CI_COMMIT_SHA=0123abcd ci/artifact-inputs.sh "$tmp/ci" > /dev/null || fail "with CI_COMMIT_SHA"
grep -qx 'commit 0123abcd' "$tmp/ci/reproducible-inputs.txt" || fail "CI_COMMIT_SHA not recorded"

# A folder with no initrd (a complete run: the driver removes them): an empty
# list, not an error.
mkdir -p "$tmp/empty/cases"
ci/artifact-inputs.sh "$tmp/empty" > /dev/null || fail "a folder without copies is refused"
[ "$(grep -cE '^[0-9a-f]{64}  ' "$tmp/empty/reproducible-inputs.txt")" -eq 0 ] || fail "copies listed for an empty folder"

# Bad calls: an error, nothing written.
ci/artifact-inputs.sh "$tmp/missing" 2> "$tmp/err" && fail "a missing folder was accepted"
grep -q "missing: no such results folder" "$tmp/err" || fail "unclear error: $(cat "$tmp/err")"
[ ! -e "$tmp/missing" ] || fail "a missing folder was created"
rc=0
ci/artifact-inputs.sh > /dev/null 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "no argument: exit $rc, not 2"
echo "artifact-inputs: ok"

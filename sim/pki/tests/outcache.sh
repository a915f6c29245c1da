#!/usr/bin/env bash
# The output cache of rotsim pki: a warm run copies the files of an earlier run
# with the same files, seed and rotsim, byte for byte and with the same modes;
# other inputs make other entries; a damaged entry (altered or truncated file,
# planted link, bad index, the entry itself a link) is never used, the run
# builds again, gives the right files and repairs the entry; a link planted in
# the output directory is replaced, never written through; identical files in
# the output are left alone; the cache stays under its bound.
set -euo pipefail
: "${ROTSIM:?}" "${ROTSIM_TOP:?}"
here=$ROTSIM_TOP/sim/pki/tests
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
good=$here/good.pki

# pki OUT [ARGS]: rotsim pki good.pki into $tmp/OUT with the cache $tmp/cache;
# the summary line is left in $tmp/OUT.log.
pki() {
	local out=$1
	shift
	rm -rf "${tmp:?}/$out"
	"$ROTSIM" pki "$good" --out "$tmp/$out" --cache "$tmp/cache" "$@" 2>"$tmp/$out.log" \
		|| { cat "$tmp/$out.log"; fail "rotsim pki ($out) failed"; }
}
hit() { grep -q 'every file from the output cache' "$tmp/$1.log"; }
same() { diff -r "$tmp/ref" "$tmp/$1" >/dev/null || fail "$1: files differ from the reference"; }
entries() { find "$tmp/cache/pki-v1" -mindepth 1 -maxdepth 1 | wc -l; }
# stored NAME: the cache file that holds output NAME in the only entry.
entry() { find "$tmp/cache/pki-v1" -mindepth 1 -maxdepth 1 -type d ! -name '.*' | head -n 1; }
stored() { local e; e=$(entry); echo "$e/f$(awk -v n="$1" 'NR > 1 && $4 == n { print NR - 2 }' "$e/index")"; }

# 1. Cold, then warm: one entry, private, the same bytes and modes, and the
#    same files as a run without any cache.
"$ROTSIM" pki "$good" --out "$tmp/ref" --no-cache -q
pki cold
hit cold && fail "cold run reported a cache hit"
same cold
[ "$(entries)" -eq 1 ] || fail "cold run left $(entries) entries, want 1"
[ "$(find "$tmp/cache" -type f ! -perm 600 | wc -l)" -eq 0 ] || fail "a cache file is not 0600"
[ "$(find "$tmp/cache" -type d ! -perm 700 | wc -l)" -eq 0 ] || fail "a cache directory is not 0700"
find "$tmp/cache/pki-v1" -name '.*' | grep -q . && fail "temporary entry left behind"
pki warm
hit warm || fail "warm run missed the cache: $(cat "$tmp/warm.log")"
same warm
for f in "$tmp"/warm/*.key.pem; do
	[ "$(stat -c %a "$f")" = 600 ] || fail "${f##*/} from the cache is not 0600"
done
[ "$(stat -c %a "$tmp/warm/root.crt.pem")" = 644 ] || fail "root.crt.pem from the cache is not 0644"
ls -R "$tmp/warm" | grep -q '\.tmp\.' && fail "temporary file left in the output"

# 2. Another seed, or another input, is another entry.
pki seed --seed other
hit seed && fail "another seed hit the cache"
cmp -s "$tmp/ref/root.key.pem" "$tmp/seed/root.key.pem" && fail "another seed gave the same key"
[ "$(entries)" -eq 2 ] || fail "another seed: $(entries) entries, want 2"
cp "$good" "$tmp/changed.pki"
echo "# a comment changes the input, not the hierarchy" >> "$tmp/changed.pki"
"$ROTSIM" pki "$tmp/changed.pki" --out "$tmp/changed" --cache "$tmp/cache" 2>"$tmp/changed.log"
hit changed && fail "a changed input hit the cache"
same changed
[ "$(entries)" -eq 3 ] || fail "a changed input: $(entries) entries, want 3"
rm -rf "$tmp/cache/pki-v1"
pki cold
e=$(entry)

# 3. Damage, one kind at a time: each run misses, builds the right files and
#    repairs the entry, so the run after it hits again.
damage() {
	local what=$1
	pki "bad-$what"
	hit "bad-$what" && fail "$what: the damaged entry was used"
	same "bad-$what"
	pki "fixed-$what"
	hit "fixed-$what" || fail "$what: the entry was not repaired"
	same "fixed-$what"
}
f=$(stored root.key.pem)
printf 'x' | dd of="$f" bs=1 seek=100 conv=notrunc status=none
damage altered
f=$(stored chains/leaf.pem)
truncate -s 10 "$f"
damage truncated
# A link to a file that holds other bytes, and one to the right bytes: both
# refused, and the file linked to is left as it was.
f=$(stored anchors/roots.pem)
echo "not a PEM file" > "$tmp/victim"
rm -f "$f"
ln -s "$tmp/victim" "$f"
damage link
[ "$(cat "$tmp/victim")" = "not a PEM file" ] || fail "the linked file was changed"
f=$(stored root.crt.der)
cp "$f" "$tmp/right"
rm -f "$f"
ln -s "$tmp/right" "$f"
damage link-right
echo "rotsim-pki-cache 1" > "$(entry)/index"
echo "644 10 zz ../../escape" >> "$(entry)/index"
damage index
# The entry itself a link to a good entry elsewhere: not followed.
e=$(entry)
cp -a "$e" "$tmp/elsewhere"
rm -rf "$e"
ln -s "$tmp/elsewhere" "$e"
damage entry-link
[ -L "$e" ] && fail "the linked entry was kept"

# 4. A link planted in the output directory is replaced, not written through.
mkdir -p "$tmp/planted"
echo "keep me" > "$tmp/target"
ln -s "$tmp/target" "$tmp/planted/root.key.pem"
"$ROTSIM" pki "$good" --out "$tmp/planted" --cache "$tmp/cache" -q
[ "$(cat "$tmp/target")" = "keep me" ] || fail "the output was written through a link"
[ -f "$tmp/planted/root.key.pem" ] && [ ! -L "$tmp/planted/root.key.pem" ] \
	|| fail "the planted link is still there"
cmp -s "$tmp/ref/root.key.pem" "$tmp/planted/root.key.pem" || fail "root.key.pem differs"
[ "$(stat -c %a "$tmp/planted/root.key.pem")" = 600 ] || fail "root.key.pem is not 0600"

# 5. A warm run into a directory that holds the files already leaves the
#    identical ones alone (same inode) and puts back any that differ: an
#    altered file, a wrong mode, a link in place of a file.
pki same
ino() { stat -c %i "$tmp/same/$1"; }
before_crt=$(ino root.crt.pem)
before_chain=$(ino chains/leaf.pem)
echo tampered >> "$tmp/same/root.crt.der"
chmod 0644 "$tmp/same/root.key.pem"
rm -f "$tmp/same/anchors/roots.pem"
ln -s "$tmp/victim" "$tmp/same/anchors/roots.pem"
"$ROTSIM" pki "$good" --out "$tmp/same" --cache "$tmp/cache" 2>"$tmp/same2.log"
hit same2 || fail "a warm run into a full directory missed the cache"
same same
[ "$(ino root.crt.pem)" = "$before_crt" ] && [ "$(ino chains/leaf.pem)" = "$before_chain" ] \
	|| fail "an identical file was written again"
[ "$(stat -c %a "$tmp/same/root.key.pem")" = 600 ] || fail "the key's mode was not put back"
[ -L "$tmp/same/anchors/roots.pem" ] && fail "the link in the output was kept"
[ "$(cat "$tmp/victim")" = "not a PEM file" ] || fail "the output was written through a link"
ls -a "$tmp" | grep -q '\.new\.' && fail "a temporary output directory was left behind"

# 6. The cache is bounded: over ROTSIM_PKI_CACHE_MAX bytes the entries used
#    least recently go first, never the one just made.
rm -rf "$tmp/cache"
pki b1 --seed b1
pki b2 --seed b2
one=$(du -sb "$(entry)" | cut -f1)
[ "$(entries)" -eq 2 ] || fail "bound: $(entries) entries, want 2"
touch -d '2 days ago' "$tmp/cache/pki-v1"/*
pki b1 --seed b1	# a hit: b1 is now the one used last
hit b1 || fail "bound: b1 missed"
ROTSIM_PKI_CACHE_MAX=$((2 * one + one / 2)) pki b3 --seed b3
[ "$(entries)" -eq 2 ] || fail "bound: $(entries) entries after trimming, want 2"
pki b1 --seed b1
hit b1 || fail "bound: the entry used last was removed"
ROTSIM_PKI_CACHE_MAX=$((2 * one + one / 2)) pki b3 --seed b3
hit b3 || fail "bound: the entry just made was removed"
pki b2 --seed b2
hit b2 && fail "bound: the entry used least recently was kept"
ROTSIM_PKI_CACHE_MAX=1 pki b4 --seed b4
[ "$(entries)" -eq 1 ] || fail "bound of 1 byte: $(entries) entries, want the new one only"
pki b4 --seed b4
hit b4 || fail "bound of 1 byte: the entry just made was removed"
find "$tmp/cache" -type f ! -perm 600 | grep -q . && fail "a cache file is not 0600"

# 7. --no-cache neither reads nor writes the cache.
rm -rf "$tmp/cache"
"$ROTSIM" pki "$good" --out "$tmp/nocache" --no-cache -q
[ ! -e "$tmp/cache" ] || fail "--no-cache wrote a cache"
echo "pki output cache: ok"

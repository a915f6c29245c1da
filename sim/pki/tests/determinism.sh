#!/usr/bin/env bash
# Keys and certificates of the mirror are a function of the file and the seed:
# - two cold runs (each with an empty key cache) with one seed write identical bytes;
# - a warm run (same cache) writes the same bytes, reads the keys instead of generating
#   them and leaves every cache file as it was (content and mtime);
# - another seed gives other keys (every one of them) and so other certificates.
# Times are printed for people; they are not asserted.
set -u
. "$(dirname "$0")/lib.sh"
scratch_dir

# run NAME SEED CACHE: the mirror into $SCRATCH/NAME; prints the time taken.
run() {
	local t0 t1
	t0=$(date +%s.%N)
	"$ROTSIM" pki "$PKI_FILE" --out "$SCRATCH/$1" --seed "$2" --cache "$3" \
		2>"$SCRATCH/$1.log" || { cat "$SCRATCH/$1.log"; die "rotsim pki ($1) failed"; }
	t1=$(date +%s.%N)
	echo "$1: $(elapsed "$t0" "$t1")s ($(tail -n1 "$SCRATCH/$1.log"))"
}
# The SHA-256 of every file under a directory, by relative path.
tree_sums() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum); }
# Content and mtime of every file under a directory.
tree_state() { (cd "$1" && find . -type f -printf '%p %T@ %s\n' | sort && find . -type f -print0 | sort -z | xargs -0 sha256sum); }

mkdir -p "$SCRATCH/cache1" "$SCRATCH/cache2" "$SCRATCH/cache3"
run cold1 "$SEED" "$SCRATCH/cache1"
ncache=$(find "$SCRATCH/cache1" -type f | wc -l)
[ "$ncache" -ge 20 ] || die "the cold run left $ncache files in its cache, want one per key"
tree_state "$SCRATCH/cache1" >"$SCRATCH/cache1.before"
sleep 1.1 # so that a rewrite would show in mtimes even on coarse clocks
run warm "$SEED" "$SCRATCH/cache1"
tree_state "$SCRATCH/cache1" >"$SCRATCH/cache1.after"
diff -u "$SCRATCH/cache1.before" "$SCRATCH/cache1.after" || die "the warm run changed the key cache"
grep -q ' 0 generated' "$SCRATCH/warm.log" || die "the warm run generated keys: $(tail -n1 "$SCRATCH/warm.log")"
run cold2 "$SEED" "$SCRATCH/cache2"
run other-seed "$SEED-other" "$SCRATCH/cache3"

tree_sums "$SCRATCH/cold1" >"$SCRATCH/cold1.sums"
nfiles=$(wc -l <"$SCRATCH/cold1.sums")
[ "$nfiles" -ge 100 ] || die "only $nfiles files written"
for r in warm cold2; do
	tree_sums "$SCRATCH/$r" >"$SCRATCH/$r.sums"
	diff -u "$SCRATCH/cold1.sums" "$SCRATCH/$r.sums" || die "$r differs from cold1"
done
echo "cold1, warm, cold2: $nfiles files, identical: $(sha256sum <"$SCRATCH/cold1.sums" | cut -c1-16)"
diff -u <(tree_sums "$SCRATCH/cache1") <(tree_sums "$SCRATCH/cache2") \
	|| die "two cold runs with one seed cached different keys"

# Another seed: no key and no certificate in common.
same=0 nkeys=0
for k in "$SCRATCH"/cold1/*.key.pem; do
	nkeys=$((nkeys + 1))
	cmp -s "$k" "$SCRATCH/other-seed/${k##*/}" && { echo "same key: ${k##*/}"; same=$((same + 1)); }
	c=${k%.key.pem}.crt.der
	cmp -s "$c" "$SCRATCH/other-seed/${c##*/}" && { echo "same certificate: ${c##*/}"; same=$((same + 1)); }
done
[ $nkeys -ge 30 ] || die "only $nkeys keys"
[ $same -eq 0 ] || die "another seed gave $same identical keys or certificates"
# Keys are private: mode 0600.
bad=$(find "$SCRATCH/cold1" -name '*.key.pem' ! -perm 600 | wc -l)
[ "$bad" -eq 0 ] || die "$bad key files are not mode 0600"
echo "determinism: ok ($nkeys keys; another seed shares none)"

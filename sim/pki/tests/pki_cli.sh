#!/usr/bin/env bash
# rotsim pki as a user drives it: malformed files are refused with FILE:LINE
# and nothing written; good files give every output file, keys 0600, a C
# header that compiles and validates with BearSSL, and a warm cache.
set -euo pipefail
: "${ROTSIM:?}" "${ROTSIM_TOP:?}"
here=$ROTSIM_TOP/sim/pki/tests
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# 1. Every file in bad/ is refused with the message on its first line, exit 1,
#    and no output directory appears.
n=0
for f in "$here"/bad/*.pki; do
	want=$(sed -n '1s/^# expect: //p' "$f")
	[ -n "$want" ] || fail "$f has no '# expect:' line"
	want=${want//LINE/$f}
	want=${want//FILE/$f}
	set +e
	got=$("$ROTSIM" pki "$f" --out "$tmp/out" --cache "$tmp/cache" 2>&1 >/dev/null)
	rc=$?
	set -e
	[ $rc -eq 1 ] || fail "$f: exit $rc, want 1 ($got)"
	[ "$got" = "$want" ] || fail "$f: got
  $got
want
  $want"
	[ ! -e "$tmp/out" ] || fail "$f: output written for a bad file"
	n=$((n + 1))
done
echo "refused $n malformed files with the expected FILE:LINE message"

# 2. Usage errors exit 2.
set +e
"$ROTSIM" pki >/dev/null 2>&1; [ $? -eq 2 ] || fail "no file: want exit 2"
"$ROTSIM" pki "$here/good.pki" >/dev/null 2>&1; [ $? -eq 2 ] || fail "no --out: want exit 2"
"$ROTSIM" pki "$tmp/missing.pki" --out "$tmp/x" 2>"$tmp/err"; rc=$?
set -e
[ $rc -eq 1 ] && grep -q "missing.pki: No such file" "$tmp/err" || fail "missing file: exit $rc"

# 3. A good file: every output, modes, --check writes nothing.
"$ROTSIM" pki "$here/good.pki" --check | grep -q ': 5 certificates, 3 anchor sets: ok'
[ ! -e "$tmp/out" ]
"$ROTSIM" pki "$here/good.pki" --out "$tmp/out" --cache "$tmp/cache" 2>"$tmp/log"
grep -q 'generating key' "$tmp/log" || fail "cold run generated no key"
for id in root sub cross leaf leaf-ip; do
	for ext in crt.pem crt.der key.pem; do
		[ -s "$tmp/out/$id.$ext" ] || fail "missing $id.$ext"
	done
	[ "$(stat -c %a "$tmp/out/$id.key.pem")" = 600 ] || fail "$id.key.pem is not 0600"
	[ "$(stat -c %a "$tmp/out/$id.crt.pem")" = 644 ] || fail "$id.crt.pem is not 0644"
done
[ "$(find "$tmp/cache" -type f ! -perm 600 | wc -l)" -eq 0 ] || fail "cached key not 0600"
[ "$(find "$tmp/cache" -type d ! -perm 700 | wc -l)" -eq 0 ] || fail "cache dir not 0700"
for f in chains/leaf.pem chains/leaf.reversed.pem chains/leaf-ip.pem anchors/roots.pem \
	anchors/roots.h anchors/roots.pins anchors/sub-pin.pem manifest.txt; do
	[ -s "$tmp/out/$f" ] || fail "missing $f"
done
[ "$(grep -c BEGIN "$tmp/out/chains/leaf.pem")" -eq 2 ] || fail "leaf chain length"
[ "$(grep -c BEGIN "$tmp/out/chains/leaf.reversed.pem")" -eq 3 ] || fail "variant length"
[ "$(wc -l < "$tmp/out/anchors/roots.pins")" -eq 2 ] || fail "pins count"
ls "$tmp/out" | grep -q '\.tmp\.' && fail "temporary file left behind"

# The keys match the certificates (OpenSSL reads both).
for id in root leaf; do
	a=$(openssl x509 -in "$tmp/out/$id.crt.pem" -noout -pubkey | openssl pkey -pubin -outform der | sha256sum)
	b=$(openssl pkey -in "$tmp/out/$id.key.pem" -pubout -outform der | sha256sum)
	[ "$a" = "$b" ] || fail "$id: key does not match certificate"
done
# The cross-sign carries the root's key.
a=$(openssl x509 -in "$tmp/out/root.crt.pem" -noout -pubkey)
b=$(openssl x509 -in "$tmp/out/cross.crt.pem" -noout -pubkey)
[ "$a" = "$b" ] || fail "cross-sign has another key"
# Pins are base64 SHA-256 of the SPKI, as curl computes them.
pin=$(openssl x509 -in "$tmp/out/root.crt.pem" -noout -pubkey | openssl pkey -pubin -outform der \
	| openssl dgst -sha256 -binary | base64)
[ "$(head -1 "$tmp/out/anchors/roots.pins")" = "$pin" ] || fail "pin differs from openssl's"

# 4. The anchors header compiles into a BearSSL validator (fed DER files) that
#    accepts the chain.
cat > "$tmp/ta.c" <<'C'
#include <stdio.h>
#include "root-only.h"
static unsigned char buf[16384];
int main(int argc, char **argv) {
	br_x509_minimal_context ctx;
	int i;
	br_x509_minimal_init_full(&ctx, TAs, TAs_NUM);
	br_x509_minimal_set_time(&ctx, 719528 + 19905, 0); /* 2024-07-01 */
	ctx.vtable->start_chain(&ctx.vtable, "updates.rotsim.test");
	for (i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		size_t n = fread(buf, 1, sizeof buf, f);
		fclose(f);
		ctx.vtable->start_cert(&ctx.vtable, (uint32_t)n);
		ctx.vtable->append(&ctx.vtable, buf, n);
		ctx.vtable->end_cert(&ctx.vtable);
	}
	printf("%u\n", ctx.vtable->end_chain(&ctx.vtable));
	return 0;
}
C
cc -std=c11 -Wall -Werror -I"$tmp/out/anchors" -o "$tmp/ta" "$tmp/ta.c" -lbearssl
r=$("$tmp/ta" "$tmp/out/leaf.crt.der" "$tmp/out/sub.crt.der")
[ "$r" = 0 ] || fail "BearSSL with the generated header: error $r, want 0"
# Without the intermediate, BearSSL cannot reach an anchor: NOT_TRUSTED (62).
r=$("$tmp/ta" "$tmp/out/leaf.crt.der")
[ "$r" = 62 ] || fail "BearSSL without intermediate: error $r, want 62"

# 5. Warm run: no key generated, identical bytes; another seed: other keys.
#    The first warm run finds the files in the output cache; with that cache
#    gone, the keys come from the key cache and the certificates are signed.
"$ROTSIM" pki "$here/good.pki" --out "$tmp/out2" --cache "$tmp/cache" 2>"$tmp/log2"
grep -q 'generating key' "$tmp/log2" && fail "warm run generated a key"
grep -q '(every file from the output cache: 0 generated' "$tmp/log2" \
	|| fail "warm run summary: $(cat "$tmp/log2")"
diff -r "$tmp/out" "$tmp/out2" >/dev/null || fail "warm run differs from cold run"
rm -rf "$tmp/cache/pki-v1" "$tmp/out2"
"$ROTSIM" pki "$here/good.pki" --out "$tmp/out2" --cache "$tmp/cache" 2>"$tmp/log2"
grep -q '(4 keys: 0 generated, 4 from cache)' "$tmp/log2" || fail "warm run summary: $(cat "$tmp/log2")"
diff -r "$tmp/out" "$tmp/out2" >/dev/null || fail "warm run differs from cold run"
"$ROTSIM" pki "$here/good.pki" --out "$tmp/out3" --no-cache -q --seed other
cmp -s "$tmp/out/root.key.pem" "$tmp/out3/root.key.pem" && fail "another seed gave the same key"
"$ROTSIM" pki "$here/good.pki" --out "$tmp/out4" --no-cache -q
diff -r "$tmp/out" "$tmp/out4" >/dev/null || fail "no-cache run differs from cached run"
echo "pki cli: ok"

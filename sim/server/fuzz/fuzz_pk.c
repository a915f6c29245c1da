/* libFuzzer target: the ECDHE point a client sends, multiplied by libcrypto
 * (srv_pk_ec, pk.c) and by BearSSL (br_ec_all_m31) with the same multiplier.
 * Both must accept the same points and give the same result; the one
 * difference allowed is a Curve25519 point of small order, whose all-zero
 * result libcrypto refuses.
 *
 * Input: byte 0 picks the curve (low 2 bits), whether the point is made
 * valid (bit 2: the generator times the bytes after the multiplier) and
 * whether bit number byte 1 (modulo the point's bits) is then flipped (bit
 * 3); then the multiplier (the length of the curve's order, drawn as the
 * engine draws it), then the point's bytes. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "server/srv_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const int curves[] = { BR_EC_secp256r1, BR_EC_secp384r1, BR_EC_secp521r1,
		BR_EC_curve25519 };
	const br_ec_impl *br = &br_ec_all_m31;
	unsigned char x[66], y[66], p[133], q[133], zero[32] = { 0 };
	const unsigned char *order;
	size_t olen, plen, i;
	unsigned mask = 0xFF;
	uint32_t a, b;
	int curve;

	if (len < 2)
		return 0;
	curve = curves[data[0] & 3];
	order = br->order(curve, &olen);
	br->xoff(curve, &plen);
	plen = curve == BR_EC_curve25519 ? 32 : 2 * plen + 1;
	if (len < 2 + olen)
		return 0;
	while (mask >= order[0])
		mask >>= 1;
	memcpy(x, data + 2, olen);
	x[0] &= mask;
	x[olen - 1] |= 1;
	memset(p, 0, sizeof p);
	if (data[0] & 4) {
		/* A point on the curve, perhaps with one bit flipped. */
		memset(y, 0, olen);
		for (i = 0; i < olen && 2 + olen + i < len; i++)
			y[i] = data[2 + olen + i];
		y[0] &= mask;
		y[olen - 1] |= 1;
		br->mulgen(p, y, olen, curve);
		if (data[0] & 8) {
			i = data[1] % (plen * 8);
			p[i / 8] ^= (unsigned char)(1 << (i & 7));
		}
	} else {
		for (i = 0; i < plen && 2 + olen + i < len; i++)
			p[i] = data[2 + olen + i];
	}
	memcpy(q, p, plen);
	a = srv_pk_ec.mul(p, plen, x, olen, curve);
	b = br->mul(q, plen, x, olen, curve);
	if (curve == BR_EC_curve25519 && a == 0 && b == 1 && memcmp(q, zero, 32) == 0)
		return 0;
	if (a != b || (a == 1 && memcmp(p, q, plen) != 0))
		__builtin_trap();
	return 0;
}

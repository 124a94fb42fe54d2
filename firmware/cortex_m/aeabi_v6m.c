/* Integer division for ARMv6-M images: the Cortex-M0 has no divide instruction, so the
 * compiler calls the run-time ABI's helpers (Arm RTABI, "Integer (32/32 -> 32) division"),
 * which the pinned zig does not link for freestanding targets. sim.toolchain adds this file to
 * every image it links for cortex-m0; --gc-sections drops what an image does not call.
 * Division by zero returns 0 (quotient) and the dividend (remainder), as the RTABI allows
 * (__aeabi_idiv0 may return any value). */
#include <stdint.h>

/* Shift-and-subtract: quotient of n / d, remainder in *rem. */
static uint32_t udiv(uint32_t n, uint32_t d, uint32_t *rem)
{
	uint32_t q = 0, r = 0;
	if (!d) {
		*rem = n;
		return 0;
	}
	for (int i = 31; i >= 0; i--) {
		r = (r << 1) | ((n >> i) & 1u);
		if (r >= d) {
			r -= d;
			q |= 1u << i;
		}
	}
	*rem = r;
	return q;
}

uint32_t __aeabi_uidiv(uint32_t n, uint32_t d);
uint64_t __aeabi_uidivmod(uint32_t n, uint32_t d);
int32_t __aeabi_idiv(int32_t n, int32_t d);
uint64_t __aeabi_idivmod(int32_t n, int32_t d);

uint32_t __aeabi_uidiv(uint32_t n, uint32_t d)
{
	uint32_t r;
	return udiv(n, d, &r);
}

/* {quotient, remainder} in r0, r1: a 64-bit result, low word first (AAPCS) */
uint64_t __aeabi_uidivmod(uint32_t n, uint32_t d)
{
	uint32_t r, q = udiv(n, d, &r);
	return (uint64_t)r << 32 | q;
}

int32_t __aeabi_idiv(int32_t n, int32_t d)
{
	uint32_t r, q = udiv(n < 0 ? 0u - (uint32_t)n : (uint32_t)n,
			     d < 0 ? 0u - (uint32_t)d : (uint32_t)d, &r);
	return (n < 0) != (d < 0) ? -(int32_t)q : (int32_t)q;
}

uint64_t __aeabi_idivmod(int32_t n, int32_t d)
{
	uint32_t r, q = udiv(n < 0 ? 0u - (uint32_t)n : (uint32_t)n,
			     d < 0 ? 0u - (uint32_t)d : (uint32_t)d, &r);
	int32_t sq = (n < 0) != (d < 0) ? -(int32_t)q : (int32_t)q;
	int32_t sr = n < 0 ? -(int32_t)r : (int32_t)r;
	return (uint64_t)(uint32_t)sr << 32 | (uint32_t)sq;
}

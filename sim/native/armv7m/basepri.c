/* MSR BASEPRI sites for the mistake detectors (detect.c, MISTAKE_BASEPRI_ZERO): Python finds
 * the image's MSR BASEPRI / BASEPRI_MAX instructions (a scan of its code) and each gets a
 * one-address code hook, which reads the value about to be written and BASEPRI before it. An
 * image with no such instruction gets no hook and pays nothing.
 *
 * Encoding (ARMv7-M ARM A7.7.83, B5.2.3): MSR <spec_reg>, <Rn> is 0xF380 | Rn, then
 * 0x8800 | SYSm; SYSm 17 is BASEPRI, 18 BASEPRI_MAX (which writes only a value that raises
 * the priority: never a 0). Unprivileged, the write is ignored (B5.2.3), and so is it here.
 */
#include <string.h>

#include "armv7m.h"

#define SYSM_BASEPRI 17
#define SYSM_BASEPRI_MAX 18

/* The MSR at addr: its Rn, or -1 when it is no MSR BASEPRI / BASEPRI_MAX. */
static int msr_rn(struct core *c, uint64_t addr, int *max)
{
	uint8_t *p = core_host_ptr(c, addr, 4);
	if (!p)
		return -1;
	uint16_t hw0 = (uint16_t)(p[0] | p[1] << 8), hw1 = (uint16_t)(p[2] | p[3] << 8);
	if ((hw0 & 0xFFF0u) != 0xF380u || (hw1 != (0x8800u | SYSM_BASEPRI) &&
					    hw1 != (0x8800u | SYSM_BASEPRI_MAX)))
		return -1;
	if ((hw0 & 15u) >= 13)
		return -1;               /* SP, PC: UNPREDICTABLE */
	*max = hw1 == (0x8800u | SYSM_BASEPRI_MAX);
	return hw0 & 15;
}

static void hook_msr(uc_engine *uc, uint64_t addr, uint32_t size, void *ud)
{
	struct core *c = ud;
	static const int rregs[13] = {
		UC_ARM_REG_R0, UC_ARM_REG_R1, UC_ARM_REG_R2, UC_ARM_REG_R3, UC_ARM_REG_R4,
		UC_ARM_REG_R5, UC_ARM_REG_R6, UC_ARM_REG_R7, UC_ARM_REG_R8, UC_ARM_REG_R9,
		UC_ARM_REG_R10, UC_ARM_REG_R11, UC_ARM_REG_R12};
	int max;
	int rn = c->probing ? -1 : msr_rn(c, addr, &max);
	if (rn < 0)
		return;
	uint32_t control = 0, v = 0, old = 0;
	if (arm(c)->cur == 0) {
		uc_reg_read(uc, UC_ARM_REG_CONTROL, &control);
		if (control & 1)
			return;              /* unprivileged: ignored */
	}
	uc_reg_read(uc, rregs[rn], &v);
	uc_reg_read(uc, UC_ARM_REG_BASEPRI, &old);
	v &= 0xFFu;
	if (max && (!v || (old && v >= old)))
		return;                  /* BASEPRI_MAX that does not raise: no write */
	det_mask_write(c, (uint32_t)addr, old, v);
}

int armv7m_watch_msr(struct core *c, uint64_t addr)
{
	int max;
	if (!c->arch || strcmp(c->arch->name, "armv7m") || msr_rn(c, addr, &max) < 0)
		return -1;
	return det_code_hook(c, addr, (void *)hook_msr);
}

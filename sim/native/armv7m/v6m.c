/* ARMv6-M (Cortex-M0/M0+): where its System Control Space differs from ARMv7-M's (ARMv6-M ARM,
 * DDI 0419E, B3.2 System Control Block, B3.3 SysTick, B3.4 NVIC). nvic.c asks here first when
 * the core's profile is version 6 (a->profile.version == 6); what is not answered here is the
 * same register as on ARMv7-M (ISER, ICER, ISPR, ICPR, ICSR's set/clear bits, SHPR2/SHPR3's
 * implemented fields, SysTick when the core has one). The exception model's differences (only
 * HardFault; no BASEPRI, FAULTMASK or PRIGROUP) are in exc.c, each behind the same test.
 *
 * Choices (also in docs/semantics.md, "Cortex-M0 (ARMv6-M)"):
 * - CPUID reads 0x410CC200 (Cortex-M0 r0p0, the value QEMU 7.2 and Unicorn give the model).
 * - The registers ARMv6-M does not have read as zero, ignore writes and are guest errors, as
 *   QEMU 7.2 logs them ("NVIC: Bad read offset"): ICTR, STIR, SHCSR, CFSR, HFSR, MMFAR, BFAR,
 *   AFSR and the CPUID feature registers; VTOR on a core without one (Cortex-M0; a Cortex-M0+
 *   board sets controller.vtor = true); SysTick's four registers on a core without SysTick
 *   (controller.systick = false; "cpu-clock" is SysTick without a reference clock, systick.c). QEMU 7.2 differs in two: its M0 has a working VTOR and
 *   always has SysTick (docs/semantics.md).
 * - IABR and SHPR1 (reserved on ARMv6-M) read as zero and ignore writes without a note: QEMU
 *   7.2 does the same, silently.
 * - SCR reads as zero and ignores writes (no sleep-on-exit, no SEVONPEND), as on ARMv7-M.
 * - CCR is read-only and reads STKALIGN | UNALIGN_TRP (B3.2.8: both RAO on ARMv6-M); a write
 *   is ignored and is a guest error (QEMU 7.2 logs it the same way).
 * - AIRCR has no PRIGROUP: it reads VECTKEYSTAT and ENDIANNESS (0, little-endian) only.
 * - ICSR has no RETTOBASE (bit 11 is reserved on ARMv6-M, B3.2.4): it reads as zero. QEMU 7.2
 *   sets it anyway.
 * - NVIC_IPR0-7 and SHPR2/3 are word-accessible only (B3.4.7, B3.2.10): a byte or halfword
 *   access is UNPREDICTABLE. We do what QEMU 7.2 does (the access reads or writes the bytes it
 *   covers) and log it as a guest error, so strict mode refuses firmware that relies on it.
 * - SHPR3's DebugMonitor field (12) does not exist: RAZ/WI.
 */
#include "armv7m.h"

#define V6M_CPUID 0x410CC200u
#define CCR_UNALIGN_TRP (1u << 3)
#define V6M_CCR (CCR_STKALIGN | CCR_UNALIGN_TRP)

/* A register ARMv6-M (or this core) does not have: RAZ/WI, a guest error. */
static int absent(struct core *c, uint32_t off, uint32_t *v)
{
	core_guest_error(c, SCS_BASE + off);
	if (v)
		*v = 0;
	return 1;
}

int v6m_scs_read(struct core *c, uint32_t off, uint32_t *v)
{
	struct armv7m *a = arm(c);
	if (off >= NVIC_IABR && off < NVIC_IPR) {
		*v = 0;                  /* reserved; QEMU 7.2 reads IABR as zero */
		return 1;
	}
	if (off >= NVIC_IPR + 0x20 && off < NVIC_IPR + 0x1F0)
		return absent(c, off, v);    /* 32 lines at most: IPR0-7 */
	switch (off) {
	case ICTR: case STIR: case SHCSR: case CFSR: case HFSR: case MMFAR: case BFAR: case 0xD3C:
		return absent(c, off, v);
	case SYST_CSR: case SYST_RVR: case SYST_CVR: case SYST_CALIB:
		return a->profile.systick != M_SYSTICK_NONE ? 0 : absent(c, off, v);
	case VTOR:
		return a->profile.vtor ? 0 : absent(c, off, v);
	case CPUID:
		*v = V6M_CPUID;
		return 1;
	case AIRCR:
		*v = 0xFA05u << 16;
		return 1;
	case CCR:
		*v = V6M_CCR;
		return 1;
	case SHPR1:
		*v = 0;
		return 1;
	}
	if (off >= 0xD40 && off < 0xD80)
		return absent(c, off, v);
	return 0;
}

int v6m_scs_write(struct core *c, uint32_t off, uint32_t v)
{
	struct armv7m *a = arm(c);
	if (off >= NVIC_IABR && off < NVIC_IPR)
		return 1;
	if (off >= NVIC_IPR + 0x20 && off < NVIC_IPR + 0x1F0)
		return absent(c, off, NULL);
	switch (off) {
	case ICTR: case STIR: case SHCSR: case CFSR: case HFSR: case MMFAR: case BFAR: case 0xD3C:
	case CCR:
		return absent(c, off, NULL);
	case SYST_CSR: case SYST_RVR: case SYST_CVR: case SYST_CALIB:
		return a->profile.systick != M_SYSTICK_NONE ? 0 : absent(c, off, NULL);
	case VTOR:
		return a->profile.vtor ? 0 : absent(c, off, NULL);
	case AIRCR:
		if ((v >> 16) != AIRCR_VECTKEY)
			return absent(c, off, NULL);   /* ignored without VECTKEY */
		if (v & 4)   /* SYSRESETREQ: not modelled */
			core_guest_error(c, SCS_BASE + off);
		return 1;                     /* no PRIGROUP */
	case SHPR1:
		return 1;
	}
	return 0;
}

/* Whether SHPR field of exception e exists on ARMv6-M: SVCall, PendSV, SysTick (B3.2.10). */
int v6m_shpr_field(int e)
{
	return e == EXC_SVCALL || e == EXC_PENDSV || e == EXC_SYSTICK;
}

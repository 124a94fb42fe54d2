/* The System Control Space of ARMv7-M (ARMv7-M ARM B3.2 System Control Block, B3.4 NVIC), at
 * 0xE000E000: the NVIC's ISER/ICER/ISPR/ICPR/IABR/IPR and the SCB's ICSR, VTOR, AIRCR, SCR, CCR,
 * SHPR1-3, SHCSR and fault status registers, decoded into the state by meaning that exc.c
 * keeps (struct armv7m); SysTick's registers are systick.c's; and the NVIC's inputs (line
 * events and device outputs, v7m_nvic_lines).
 *
 * ARMv8-M's differences (CPUID, ID registers, ITNS, CCR, AIRCR, SHCSR) are v8m.c's, asked first;
 * ARMv6-M's (the registers it lacks, word-only IPR/SHPR, no VTOR or SysTick by option) v6m.c's.
 *
 * Choices where the manual leaves one (also in docs/semantics.md):
 * - CPUID reads 0x412FC231 (Cortex-M3 r2p1); the CPUID feature registers (0xD40-0xD7F) read
 *   as zero; SCR reads as zero and ignores writes (no sleep-on-exit, no SEVONPEND).
 * - AIRCR.SYSRESETREQ is not modelled (a guest error); writes without VECTKEY are ignored.
 * - Byte and halfword writes are accepted for the priority registers only (B3.4.9, B3.2.10).
 * - The SCS is privileged: an unprivileged access other than a STIR write with
 *   CCR.USERSETMPEND is a precise BusFault at the access (checked against QEMU).
 */
#include "armv7m.h"

uint32_t v7m_shcsr(struct armv7m *a)
{
	return a->shcsr | (a->active[EXC_MEMMANAGE] << 0) | (a->active[EXC_BUSFAULT] << 1) |
	       (a->active[EXC_USAGEFAULT] << 3) | (a->active[EXC_SVCALL] << 7) |
	       (a->active[EXC_DEBUGMON] << 8) | (a->active[EXC_PENDSV] << 10) |
	       (a->active[EXC_SYSTICK] << 11) | (a->pending[EXC_USAGEFAULT] << 12) |
	       (a->pending[EXC_MEMMANAGE] << 13) | (a->pending[EXC_BUSFAULT] << 14) |
	       (a->pending[EXC_SVCALL] << 15);
}

static uint32_t scs_read32(struct core *c, uint32_t off)
{
	struct armv7m *a = arm(c);
	uint32_t v = 0;
	if (a->profile.version == 6 && v6m_scs_read(c, off, &v))
		return v;
	if (a->profile.version == 8 && v8m_scs_read(c, off, &v))
		return v;
	if (off >= NVIC_ISER && off < NVIC_IPR + 0x1F0) {
		if (off >= NVIC_IPR) {
			for (int i = 0; i < 4; i++) {
				int e = EXC_IRQ0 + (int)(off - NVIC_IPR) + i;
				if (e < a->nexc)
					v |= (uint32_t)a->prio[e] << (8 * i);
			}
			return v;
		}
		uint32_t group = (off & 0x7F) / 4, kind = off & ~0x7Fu;
		for (int b = 0; b < 32; b++) {
			int e = EXC_IRQ0 + (int)group * 32 + b;
			if (e >= a->nexc)
				break;
			int bit = kind == NVIC_ISER || kind == NVIC_ICER ? a->enabled[e]
				: kind == NVIC_ISPR || kind == NVIC_ICPR ? a->pending[e]
				: kind == NVIC_IABR ? a->active[e] : 0;
			v |= (uint32_t)bit << b;
		}
		return v;
	}
	switch (off) {
	case ICTR:
		return (uint32_t)((a->num_irq + 31) / 32 - 1);
	case SYST_CSR: case SYST_RVR: case SYST_CVR: case SYST_CALIB:
		return systick_read(c, off);
	case CPUID: return !v7m_fp(a) ? 0x412FC231u : a->profile.fpu == 2 ? 0x411FC272u
		: 0x410FC240u;
	case ICSR: {
		int pend = v7m_highest_pending(a), others = 0, isr = 0;
		for (int e = EXC_NMI; e < a->nexc; e++) {
			if (a->active[e] && e != a->cur)
				others = 1;
			if (e >= EXC_IRQ0 && a->pending[e])
				isr = 1;
		}
		if (a->profile.version == 6)
			others = 1;   /* no RETTOBASE on ARMv6-M (B3.2.4) */
		v = (uint32_t)a->cur | ((uint32_t)pend << 12) | (isr ? ICSR_ISRPENDING : 0) |
		    (others ? 0 : ICSR_RETTOBASE) | (a->pending[EXC_NMI] ? ICSR_NMIPENDSET : 0) |
		    (a->pending[EXC_PENDSV] ? ICSR_PENDSVSET : 0) |
		    (a->pending[EXC_SYSTICK] ? ICSR_PENDSTSET : 0);
		return v;
	}
	case VTOR: return a->vtor;
	case AIRCR: return (0xFA05u << 16) | (a->prigroup << 8);
	case SCR: return 0;
	case CCR: return a->ccr;
	case SHPR1: case SHPR1 + 4: case SHPR3:
		for (int i = 0; i < 4; i++)
			v |= (uint32_t)a->prio[4 + (off - SHPR1) + i] << (8 * i);
		return v;
	case SHCSR:
		return v7m_shcsr(a);
	case CFSR: return a->cfsr;
	case HFSR: return a->hfsr;
	case MMFAR: return a->mmfar;
	case BFAR: return a->bfar;
	case 0xD30: case 0xD3C: return 0;   /* DFSR, AFSR */
	}
	if (off >= 0xD40 && off < 0xD80)  /* CPUID feature registers: RAZ is honest enough */
		return 0;
	if (v7m_fp_read(c, off, &v))
		return v;
	core_guest_error(c, SCS_BASE + off);
	return 0;
}

void v7m_note_prio(struct core *c, uint32_t reg, uint32_t addr, int exc, uint32_t written)
{
	struct armv7m *a = arm(c);
	if (!(written & ~(uint32_t)a->prio_mask))
		return;
	det_prio(c, exc >= EXC_IRQ0 ? (uint32_t)(exc - EXC_IRQ0) : NO_LINE, reg, addr, written,
		 written & a->prio_mask);
	if (a->prio_noted)
		return;
	a->prio_noted = 1;
	a->prio_note = (struct prio_note){.reg = reg, .addr = addr, .exc = (uint32_t)exc, .written = written,
		.read_back = written & a->prio_mask, .bits = (uint32_t)__builtin_popcount(a->prio_mask),
		.tick = c->ticks};
	core_request_drain(c);   /* logged by Python now, not when the run ends */
}

/* A priority field (IPR byte, SHPR byte at SCS offset `off`) written with `v`: the implemented
 * bits are kept, the rest read as zero (B3.4.9); the first loss is noted for Python's warning. */
static void prio_write(struct core *c, uint32_t off, int e, uint8_t v)
{
	struct armv7m *a = arm(c);
	a->prio[e] = v & a->prio_mask;
	v7m_note_prio(c, e >= EXC_IRQ0 ? PRIO_NOTE_IPR : PRIO_NOTE_SHPR, SCS_BASE + off, e, v);
}

static void scs_write32(struct core *c, uint32_t off, uint32_t v)
{
	struct armv7m *a = arm(c);
	if ((a->profile.version == 6 && v6m_scs_write(c, off, v)) ||
	    (a->profile.version == 8 && v8m_scs_write(c, off, v))) {
		c->need_check = 1;
		return;
	}
	if (off >= NVIC_ISER && off < NVIC_IABR) {
		uint32_t group = (off & 0x7F) / 4, kind = off & ~0x7Fu;
		for (int b = 0; b < 32; b++) {
			int e = EXC_IRQ0 + (int)group * 32 + b;
			if (e >= a->nexc)
				break;
			if (!(v >> b & 1))
				continue;
			if (kind == NVIC_ISER) {
				uint32_t vec;
				if (!a->enabled[e] && det_wants_vectors(c) &&
				    !core_read32(c, a->vtor + 4u * (uint32_t)e, &vec))
					det_enabled(c, (uint32_t)(e - EXC_IRQ0), vec);
				a->enabled[e] = 1;
			}
			else if (kind == NVIC_ICER)
				a->enabled[e] = 0;
			else if (kind == NVIC_ISPR)
				v7m_set_pending(c, e, PEND_SOFTWARE);
			else if (a->pending[e])
				v7m_unpend(c, e);
		}
		c->need_check = 1;
		return;
	}
	if (off >= NVIC_IPR && off < NVIC_IPR + 0x1F0) {
		for (int i = 0; i < 4; i++) {
			int e = EXC_IRQ0 + (int)(off - NVIC_IPR) + i;
			if (e < a->nexc)
				prio_write(c, off + (uint32_t)i, e, (uint8_t)(v >> (8 * i)));
		}
		c->need_check = 1;
		return;
	}
	switch (off) {
	case SYST_CSR: case SYST_RVR: case SYST_CVR:
		systick_write(c, off, v);
		break;
	case ICSR:
		if (v & ICSR_NMIPENDSET)
			v7m_set_pending(c, EXC_NMI, PEND_SOFTWARE);
		if (v & ICSR_PENDSVSET)
			v7m_set_pending(c, EXC_PENDSV, PEND_SOFTWARE);
		else if ((v & ICSR_PENDSVCLR) && a->pending[EXC_PENDSV])
			v7m_unpend(c, EXC_PENDSV);
		if (v & ICSR_PENDSTSET)
			v7m_set_pending(c, EXC_SYSTICK, PEND_SOFTWARE);
		else if ((v & ICSR_PENDSTCLR) && a->pending[EXC_SYSTICK])
			v7m_unpend(c, EXC_SYSTICK);
		break;
	case VTOR:
		a->vtor = v & 0xFFFFFF80u;    /* TBLOFF, bits [31:7] */
		break;
	case AIRCR:
		if ((v >> 16) != AIRCR_VECTKEY) {
			core_guest_error(c, SCS_BASE + off);  /* writes without VECTKEY are ignored */
			break;
		}
		a->prigroup = (v >> 8) & 7;
		if (v & 4)  /* SYSRESETREQ: not modelled */
			core_guest_error(c, SCS_BASE + off);
		break;
	case SCR:
		break;
	case CCR:
		a->ccr = v & (CCR_NONBASETHRDENA | 2u | 8u | 16u | 0x100u | CCR_STKALIGN);
		break;
	case SHPR1: case SHPR1 + 4: case SHPR3:
		for (int i = 0; i < 4; i++) {
			int e = 4 + (int)(off - SHPR1) + i;
			/* implemented: MemManage, BusFault, UsageFault, SVCall, DebugMon, PendSV, SysTick
			 * (ARMv6-M: SVCall, PendSV, SysTick) */
			if (a->profile.version == 6 ? v6m_shpr_field(e)
			    : e <= 6 || e == 11 || e == 12 || e == 14 || e == 15)
				prio_write(c, off + (uint32_t)i, e, (uint8_t)(v >> (8 * i)));
		}
		break;
	case SHCSR:
		a->shcsr = v & (SHCSR_MEMFAULTENA | SHCSR_BUSFAULTENA | SHCSR_USGFAULTENA);
		break;
	case CFSR:
		a->cfsr &= ~v;   /* write-one-to-clear */
		break;
	case HFSR:
		a->hfsr &= ~v;
		break;
	case MMFAR: a->mmfar = v; break;
	case BFAR: a->bfar = v; break;
	case STIR:
		if ((v & 0x1FF) < (uint32_t)a->num_irq)
			v7m_set_pending(c, EXC_IRQ0 + (int)(v & 0x1FF), PEND_SOFTWARE);
		else
			core_guest_error(c, SCS_BASE + off);
		break;
	default:
		if (!v7m_fp_write(c, off, v))
			core_guest_error(c, SCS_BASE + off);
		return;
	}
	c->need_check = 1;
}

/* The System Control Space is privileged (B3.2, B3.4): an unprivileged access other than a
 * STIR write with CCR.USERSETMPEND is a precise BusFault. The callback cannot redirect the
 * core, so it stops emulation at the access and armv7m_resume takes the fault there. */
static int scs_denied(struct core *c, uint32_t off, int write)
{
	struct armv7m *a = arm(c);
	uint32_t control = 0;
	if (a->cur != 0)
		return 0;
	uc_reg_read(c->uc, UC_ARM_REG_CONTROL, &control);
	if (!(control & 1) || (write && off == STIR && (a->ccr & 2u)))
		return 0;
	a->scs_fault_addr = SCS_BASE + off;
	uc_emu_stop(c->uc);
	return 1;
}

static uint64_t scs_read(uc_engine *uc, uint64_t offset, unsigned size, void *ud)
{
	(void)uc;
	uint32_t off = (uint32_t)offset;
	if (scs_denied(ud, off, 0))
		return 0;
	if (size < 4 && arm(ud)->profile.version == 6)
		core_guest_error(ud, SCS_BASE + off);   /* word access only on ARMv6-M (v6m.c) */
	uint32_t w = scs_read32(ud, off & ~3u);
	return (w >> (8 * (off & 3))) & (size >= 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1);
}

static void scs_write(uc_engine *uc, uint64_t offset, unsigned size, uint64_t value, void *ud)
{
	struct core *c = ud;
	(void)uc;
	uint32_t off = (uint32_t)offset;
	if (__builtin_expect(off >= FP_SENTINEL && off < FP_SENTINEL + 0x44, 0) && v7m_fp_trap(c, off))
		return;    /* the engine's lazy-preservation helper (fpu.c) */
	if (scs_denied(c, off, 1))
		return;
	if (size == 4 && !(off & 3)) {
		scs_write32(c, off, (uint32_t)value);
		return;
	}
	/* byte and halfword writes: the priority registers allow them (B3.4.9, B3.2.10) */
	int prio_reg = (off >= NVIC_IPR && off < NVIC_IPR + 0x1F0) || (off >= SHPR1 && off < SHPR3 + 4);
	if (!prio_reg || arm(c)->profile.version == 6) {
		/* ARMv6-M: word access only (B3.4.7); QEMU 7.2 writes the bytes (v6m.c) */
		core_guest_error(c, SCS_BASE + off);
		if (!prio_reg)
			return;
	}
	for (unsigned i = 0; i < size; i++) {
		uint32_t o = off + i;
		uint32_t w = scs_read32(c, o & ~3u);
		uint32_t sh = 8 * (o & 3);
		w = (w & ~(0xFFu << sh)) | (((uint32_t)(value >> (8 * i)) & 0xFF) << sh);
		scs_write32(c, o & ~3u, w);
	}
}

int v7m_scs_map(struct core *c)
{
	return uc_mmio_map(c->uc, SCS_BASE, ARMV7M_SCS_SIZE, scs_read, c, scs_write, c) ? -1 : 0;
}

/* ---- the NVIC's inputs: line events and device outputs ----------------------------------- */

/* A line event on external line `line` (or LINE_NMI), made at tick `req`. */
static void nvic_line(struct core *c, void *ctl, uint32_t line, uint32_t kind, uint64_t req)
{
	struct armv7m *a = ctl;
	int e = line == LINE_NMI ? EXC_NMI : (int)line + EXC_IRQ0;
	if (e >= a->nexc)
		return;  /* checked in Python */
	switch (kind) {
	case LINE_RAISE:
		if (!a->level[e]) {
			a->level[e] = 1;
			v7m_set_pending_at(c, e, PEND_LINE, c->ticks, req);
		} else {
			/* already high: no new edge, the request merges with the one holding it */
			core_emit_line(c, c->ticks, EV_COALESCE, (uint16_t)e, PEND_LINE, line, req);
		}
		break;
	case LINE_LOWER:
		a->level[e] = 0;   /* the pending state, once latched, stays (B3.4.1) */
		core_trace(c, EV_LOWER, (uint16_t)line, 0);
		break;
	case LINE_PULSE:
		v7m_set_pending_at(c, e, PEND_LINE, c->ticks, req);
		break;
	}
}

/* A board device drives external line `irq`: a level input, pending while high (B3.4.1); or,
 * for irq LINE_NMI, the NMI input, which pends NMI when it rises (a watchdog). */
static void nvic_device(struct core *c, void *ctl, uint32_t irq, int level)
{
	struct armv7m *a = ctl;
	int e = irq == LINE_NMI ? EXC_NMI : (int)irq + EXC_IRQ0;
	if (e >= a->nexc)
		return;
	if (level && !a->level[e]) {
		a->level[e] = 1;
		v7m_set_pending(c, e, PEND_DEVICE);
	} else if (!level) {
		a->level[e] = 0;
	}
}

/* Whether a request pending on `line` is held off now: the line disabled, or its group
 * priority not above the execution priority (active handlers, PRIMASK, BASEPRI, FAULTMASK). */
static int nvic_masked(struct core *c, void *ctl, uint32_t line)
{
	struct armv7m *a = ctl;
	int e = line == LINE_NMI ? EXC_NMI : (int)line + EXC_IRQ0;
	if (e >= a->nexc)
		return -1;
	return !v7m_exc_enabled(a, e) || group_prio(a, e) >= v7m_exec_prio(c, NULL);
}

const struct line_ops v7m_nvic_lines = {nvic_line, nvic_device, nvic_masked};

/* The ARMv7-M exception model (ARMv7-M ARM DDI 0403E, B1.5): priorities and arbitration,
 * exception entry (PushStack, ExceptionTaken), return (ExceptionReturn, PopStack), tail-chaining,
 * faults and their escalation; the architecture's ops for the core (the NVIC's inputs are in
 * nvic.c, the FP context in fpu.c).
 * Unicorn 2.1.4 emulates the instructions (MRS/MSR/CPS on PRIMASK, BASEPRI, FAULTMASK
 * included) but has no NVIC and never performs exception entry or return: both are here.
 * Numbering: armv7m.h.
 *
 * State is kept by meaning, per exception: priority, enabled, pending, active, and the input
 * level of each external line (struct armv7m). What runs next is decided in arbitrate() at a
 * block boundary, and at an exception return (tail-chaining, exc_return()); faults are taken
 * where they happen (take_fault()).
 *
 * Choices where the manual leaves one (each also in docs/semantics.md):
 * - CCR.STKALIGN resets to 1 (as on Cortex-M3 r2p0 and later): frames are 8-byte aligned.
 * - A pend made by the firmware (ISPR, STIR, ICSR, SysTick, enabling a pending IRQ) is taken at
 *   the next translation-block boundary, which is no later than the next ISB, CPS, MSR or
 *   exception return (each ends a block in Unicorn), as B1.5.4 / B3.4 permit.
 * - Line requests are sampled at the first block boundary at or after their tick.
 * - An external line held high re-pends its interrupt when the handler returns (B3.4.1).
 * - ARMv6-M (profile.version 6): every fault is a HardFault; no BASEPRI, FAULTMASK, HFSR;
 *   the SCS differences are v6m.c's.
 * - A stacking fault or an unusable vector ends the run as a lockup (we do not model derived
 *   exceptions on stacking): FirmwareError names the address. ARMv8-M's stack limit on entry
 *   is modelled (v8m.c): the STKOF UsageFault, taken instead of the stacking.
 */
#include <stdlib.h>
#include <string.h>

#include "armv7m.h"

int v7m_exc_enabled(struct armv7m *a, int e)
{
	switch (e) {
	case EXC_MEMMANAGE: return !!(a->shcsr & SHCSR_MEMFAULTENA);
	case EXC_BUSFAULT: return !!(a->shcsr & SHCSR_BUSFAULTENA);
	case EXC_USAGEFAULT: return !!(a->shcsr & SHCSR_USGFAULTENA);
	case EXC_NMI: case EXC_HARDFAULT: case EXC_SVCALL: case EXC_DEBUGMON:
	case EXC_PENDSV: case EXC_SYSTICK:
		return 1;
	default:
		return e >= EXC_IRQ0 && e < a->nexc && a->enabled[e];
	}
}

/* The pending, enabled exception that would be taken next, by priority then number (B1.5.4),
 * or 0. Masks and the execution priority are not considered here. */
int v7m_highest_pending(struct armv7m *a)
{
	int best = 0, bestp = 1000;
	for (int w = 0; w < (a->nexc + 63) / 64; w++)
		for (uint64_t b = a->pend_bits[w]; b; b &= b - 1) {   /* ascending numbers */
			int e = w * 64 + __builtin_ctzll(b);
			if (e < EXC_NMI || !v7m_exc_enabled(a, e))
				continue;
			int p = exc_prio(a, e);
			if (p < bestp) {
				bestp = p;
				best = e;
			}
		}
	return best;
}

/* Execution priority from the active exceptions alone (B1.5.4), 256 in thread mode. */
int v7m_active_prio(struct armv7m *a)
{
	int p = 256;
	if (!a->nactive)
		return p;
	for (int w = 0; w < (a->nexc + 63) / 64; w++)
		for (uint64_t b = a->act_bits[w]; b; b &= b - 1) {
			int e = w * 64 + __builtin_ctzll(b);
			if (e >= EXC_NMI && group_prio(a, e) < p)
				p = group_prio(a, e);
		}
	return p;
}

/* PRIMASK, BASEPRI, FAULTMASK. They apply in unprivileged thread mode too (B1.5.4), but
 * Unicorn's register API reads them as 0 there: in that case look through handler mode. */
void v7m_read_masks(struct core *c, uint32_t *primask, uint32_t *basepri, uint32_t *faultmask)
{
	uint32_t control = 0, xpsr = 0, view;
	int unpriv = 0;
	if (arm(c)->cur == 0) {
		uc_reg_read(c->uc, UC_ARM_REG_CONTROL, &control);
		unpriv = control & 1;
	}
	if (unpriv) {
		uc_reg_read(c->uc, UC_ARM_REG_XPSR, &xpsr);
		view = (xpsr & ~0x1FFu) | EXC_HARDFAULT;
		uc_reg_write(c->uc, UC_ARM_REG_XPSR, &view);
	}
	uc_reg_read(c->uc, UC_ARM_REG_PRIMASK, primask);
	if (arm(c)->profile.version == 6) {
		*basepri = *faultmask = 0;   /* ARMv6-M has PRIMASK only (B1.4.3) */
	} else {
		uc_reg_read(c->uc, UC_ARM_REG_BASEPRI, basepri);
		uc_reg_read(c->uc, UC_ARM_REG_FAULTMASK, faultmask);
	}
	if (unpriv) {
		uc_reg_write(c->uc, UC_ARM_REG_XPSR, &xpsr);
		v7m_rebuild_hflags(c);
	}
}

/* Execution priority including PRIMASK, FAULTMASK and BASEPRI (B1.5.4); *masked: whether a
 * mask, not the active exceptions, set it. */
int v7m_exec_prio(struct core *c, int *masked)
{
	struct armv7m *a = arm(c);
	uint32_t primask = 0, basepri = 0, faultmask = 0;
	int p = v7m_active_prio(a), boosted = 256;
	v7m_read_masks(c, &primask, &basepri, &faultmask);
	if (__builtin_expect(basepri & ~(uint32_t)a->prio_mask, 0))
		v7m_note_prio(c, PRIO_NOTE_BASEPRI, 0, 0, basepri);
	basepri &= a->prio_mask;
	if (basepri)
		boosted = (int)(basepri & ((0xFFu << (a->prigroup + 1)) & 0xFFu));
	if (primask & 1)
		boosted = 0;
	if (faultmask & 1)
		boosted = -1;
	if (masked)
		*masked = boosted < p;
	return boosted < p ? boosted : p;
}

void v7m_set_pending_at(struct core *c, int e, uint32_t source, uint64_t tick, uint64_t req)
{
	struct armv7m *a = arm(c);
	if (a->pending[e]) {
		core_emit_line(c, tick, EV_COALESCE, (uint16_t)e, source, line_of(e), req);
		return;
	}
	pend_set(a, e, 1);
	core_emit_line(c, tick, EV_PEND, (uint16_t)e, source, line_of(e), req);
	c->need_check = 1;
}

void v7m_set_pending(struct core *c, int e, uint32_t source)
{
	v7m_set_pending_at(c, e, source, c->ticks, NO_TICK);
}

void v7m_unpend(struct core *c, int e)
{
	pend_set(arm(c), e, 0);
	core_emit_line(c, c->ticks, EV_UNPEND, (uint16_t)e, 0, line_of(e), NO_TICK);
}

/* ---- exception entry and return (B1.5.6, B1.5.7, B1.5.8) ---------------------------------- */

static int vector_of(struct core *c, int e, uint32_t *pc)
{
	if (core_read32(c, arm(c)->vtor + 4u * (uint32_t)e, pc) || !(*pc & 1)) {
		c->fault_pc = arm(c)->vtor + 4u * (uint32_t)e;
		c->fault_addr = *pc;
		c->fault_cause = FAULT_BAD_VECTOR;
		core_trace(c, EV_FAULT, (uint16_t)e, c->fault_addr);
		core_stop(c, STOP_LOCKUP);
		return -1;
	}
	return 0;
}

static void lockup(struct core *c, uint64_t pc, uint64_t addr, uint32_t cause)
{
	c->fault_pc = pc;
	c->fault_addr = addr;
	c->fault_cause = cause;
	core_stop(c, STOP_LOCKUP);
}

void v7m_rebuild_hflags(struct core *c)
{
	/* Unicorn 2.1.4 rebuilds its cached M-profile flags on an APSR write but not on an xPSR
	 * write; without this an EXC_RETURN branch reports a prefetch abort. */
	uint32_t nzcv;
	uc_reg_read(c->uc, UC_ARM_REG_APSR_NZCV, &nzcv);
	uc_reg_write(c->uc, UC_ARM_REG_APSR_NZCV, &nzcv);
}

/* Exception e becomes the running one (ExceptionTaken's bookkeeping, B1.5.6); `how` for the
 * accounting: 0 from thread mode, 1 preempting, 2 tail-chained. */
static void activate(struct core *c, int e, int how)
{
	struct armv7m *a = arm(c);
	core_emit_line(c, c->ticks, EV_SERVICE, (uint16_t)e, (uint32_t)how, line_of(e), NO_TICK);
	pend_set(a, e, 0);
	act_set(a, e, 1);
	a->nactive++;
	if (a->nactive > a->max_depth)
		a->max_depth = a->nactive;
	a->cur = e;
	a->taken++;
	core_trace(c, EV_EXEC_PRIORITY, (uint16_t)e, (uint32_t)(v7m_active_prio(a) + 256));
}

/* Takes exception e with `ret` as the return address: PushStack then ExceptionTaken. */
static int exc_entry(struct core *c, int e, uint32_t ret)
{
	struct armv7m *a = arm(c);
	static const int regs[] = {UC_ARM_REG_R0, UC_ARM_REG_R1, UC_ARM_REG_R2, UC_ARM_REG_R3,
				   UC_ARM_REG_R12, UC_ARM_REG_LR, UC_ARM_REG_SP, UC_ARM_REG_XPSR,
				   UC_ARM_REG_CONTROL};
	uint32_t v[9];
	void *pv[9] = {&v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8]};
	uc_reg_read_batch(c->uc, regs, pv, 9);
	uint32_t sp = v[6], xpsr = v[7], control = v[8];
	int from_handler = a->cur != 0;
	uint32_t handler;
	if (vector_of(c, e, &handler))
		return -1;

	/* an extended frame (CONTROL.FPCA, ARMv7-M FP: fpu.c): 0x68 bytes, always 8-byte
	 * aligned (B1.5.7) */
	int ext = v7m_fp(a) && (control & CONTROL_FPCA);
	uint32_t align = ((a->ccr & CCR_STKALIGN) || ext) && (sp & 4) ? 1 : 0;
	uint32_t frame = (sp - (ext ? 0x68u : 0x20u)) & ~(align ? 4u : 0u), limit, fp_ticks = 0;
	if (a->profile.version == 8 &&
	    v8m_frame_below_limit(c, frame, !from_handler && (control & 2), &limit)) {
		/* ARMv8-M B3.19: SP = the limit, nothing stacked, a STKOF UsageFault instead */
		e = v8m_stkof_on_entry(c, e, ret);
		if (!e || vector_of(c, e, &handler))
			return -1;
		frame = limit;
	} else {
		uint32_t stacked_xpsr = (xpsr & ~XPSR_ALIGN) | (align ? XPSR_ALIGN : 0) |
					(uint32_t)a->cur;
		uint32_t words[8] = {v[0], v[1], v[2], v[3], v[4], v[5], ret & ~1u, stacked_xpsr};
		uint8_t *p = core_host_ptr(c, frame, ext ? 0x68 : 32);
		if (!p) {
			lockup(c, ret, frame, FAULT_STACKING);
			return -1;
		}
		memcpy(p, words, 32);
		if (ext)
			fp_ticks = v7m_fp_push(c, frame, control, from_handler);
	}

	uint32_t exc_return = exc_return_value(from_handler, control & 2, ext);   /* FType */
	/* ITSTATE cleared; NZCV kept */
	uint32_t new_xpsr = (xpsr & 0xF8000000u) | XPSR_T | (uint32_t)e, nzcv = xpsr & 0xF0000000u;
	if (!ext && (from_handler || !(control & 2))) {
		/* in one call: SP (R13 is still the stack we pushed to), xPSR (R13 stays on
		 * MSP), LR, NZCV as it is (its write rebuilds the engine's hflags) */
		static const int one[] = {UC_ARM_REG_SP, UC_ARM_REG_XPSR, UC_ARM_REG_LR,
					  UC_ARM_REG_APSR_NZCV};
		void *const ov[] = {&frame, &new_xpsr, &exc_return, &nzcv};
		uc_reg_write_batch(c->uc, one, ov, 4);
	} else {
		/* SP first, while R13 is still the stack we pushed to; the xPSR write then
		 * switches R13 to MSP (Unicorn banks SP on IPSR). */
		uc_reg_write(c->uc, UC_ARM_REG_SP, &frame);
		if (!from_handler && (control & 2)) {
			/* CONTROL.SPSEL = 0 (B1.5.6). Unicorn applies an SPSEL write only in privileged
			 * thread mode (R13 then switches to MSP): an unprivileged thread is made
			 * privileged for it, through handler mode, and nPRIV restored with it. */
			if (control & 1) {
				uint32_t priv = control & ~1u, thread_xpsr = xpsr & ~0x1FFu;
				uc_reg_write(c->uc, UC_ARM_REG_XPSR, &new_xpsr);
				uc_reg_write(c->uc, UC_ARM_REG_CONTROL, &priv);
				uc_reg_write(c->uc, UC_ARM_REG_XPSR, &thread_xpsr);
			}
			uint32_t new_control = control & ~2u;
			uc_reg_write(c->uc, UC_ARM_REG_CONTROL, &new_control);
		}
		uc_reg_write(c->uc, UC_ARM_REG_XPSR, &new_xpsr);
		uc_reg_write(c->uc, UC_ARM_REG_LR, &exc_return);
		if (ext)
			v7m_fp_clear_fpca(c);        /* ExceptionTaken: CONTROL.FPCA = 0 */
		uc_reg_write(c->uc, UC_ARM_REG_APSR_NZCV, &nzcv);   /* rebuilds the hflags */
	}
	/* PC on its own: in a batch, Unicorn 2.1.4 went on with the interrupted block (measured) */
	uc_reg_write(c->uc, UC_ARM_REG_PC, &handler);
	c->pc_redirected = 1;

	if (!(exc_return & EXCRET_SPSEL) && frame < a->min_frame_sp)
		a->min_frame_sp = frame;     /* the frame went on MSP: its high-water mark */
	/* stacking and vector fetch: the handler starts after it */
	c->ticks += a->cost_entry + fp_ticks;
	if (from_handler) {
		core_trace(c, EV_PREEMPT, (uint16_t)e, (uint32_t)a->cur);
		a->preemptions++;
	} else {
		core_trace(c, EV_ENTRY, (uint16_t)e, ret & ~1u);
		core_enter_handler_mode(c);
	}
	activate(c, e, from_handler);
	if (exc_return != 0xFFFFFFFDu)
		det_stack_check(c, frame);   /* the frame on MSP, with e active (detect.c) */
	return 0;
}

/* Decides whether the highest pending exception preempts now, and takes it (at a block
 * boundary whose first instruction is `pc`). */
static void arbitrate(struct core *c, uint64_t pc)
{
	struct armv7m *a = arm(c);
	c->need_check = 0;
	c->recheck_masked = 0;
	int e = v7m_highest_pending(a);
	if (!e)
		return;
	int gp = group_prio(a, e);
	if (gp >= v7m_active_prio(a))
		return;                    /* an exception return will look again */
	int masked;
	if (gp >= v7m_exec_prio(c, &masked)) {
		c->recheck_masked = masked; /* unmasking (CPS, MSR) ends a block: look each block */
		return;
	}
	exc_entry(c, e, (uint32_t)pc);
}

static void armv7m_service(struct core *c, uint64_t pc)
{
	systick_advance(c);
	if (c->need_check || c->recheck_masked)
		arbitrate(c, pc);
}

/* The exception that fault `f` (synchronous, return address `pc`) is taken as: f, or
 * HardFault when f is disabled or cannot preempt (B1.5.15); 0 for a lockup, when HardFault
 * cannot either (B1.5.16), which stops the run. */
static int fault_target(struct core *c, int f, uint64_t pc, uint64_t addr, uint32_t cause)
{
	struct armv7m *a = arm(c);
	int ep = v7m_exec_prio(c, NULL);
	if (a->profile.version == 6)
		f = EXC_HARDFAULT;   /* ARMv6-M has HardFault only, and no HFSR (B1.5.15) */
	core_trace(c, EV_FAULT, (uint16_t)f, (uint32_t)addr);
	if (f != EXC_HARDFAULT && (!v7m_exc_enabled(a, f) || group_prio(a, f) >= ep)) {
		a->hfsr |= HFSR_FORCED;
		f = EXC_HARDFAULT;
	}
	if (f == EXC_HARDFAULT && ep <= -1) {
		lockup(c, pc, addr, cause);
		return 0;
	}
	c->fault_pc = pc;
	c->fault_addr = addr;
	c->fault_cause = cause;
	return f;
}

/* Takes fault `f` as a new exception (PushStack), or escalated / locked up as above. */
static int take_fault(struct core *c, int f, uint64_t pc, uint64_t addr, uint32_t cause)
{
	f = fault_target(c, f, pc, addr, cause);
	return f ? exc_entry(c, f, (uint32_t)pc) : -1;
}

int v7m_take_fault(struct core *c, int f, uint64_t pc, uint64_t addr, uint32_t cause)
{
	return take_fault(c, f, pc, addr, cause);
}

int v7m_fault_target(struct core *c, int f, uint64_t pc, uint64_t addr, uint32_t cause)
{
	return fault_target(c, f, pc, addr, cause);
}

/* Level lines still high re-pend their interrupt when it is deactivated (B3.4.1). */
static void deactivate(struct core *c, int e)
{
	struct armv7m *a = arm(c);
	core_emit_line(c, c->ticks, EV_SERVED, (uint16_t)e, 0, line_of(e), NO_TICK);
	if (a->active[e]) {
		act_set(a, e, 0);
		a->nactive--;
	}
	if (e >= EXC_IRQ0 && a->level[e])
		v7m_set_pending(c, e, PEND_LEVEL);
}

/* Enters exception `next` at the return of `from` through the frame already stacked: the
 * tail-chain of B1.5.12, also how an illegal return's UsageFault is taken (B1.5.8). */
static void chain_into(struct core *c, int next, uint32_t excret, int from)
{
	struct armv7m *a = arm(c);
	uint32_t handler, xpsr;
	if (vector_of(c, next, &handler))
		return;
	uc_reg_read(c->uc, UC_ARM_REG_XPSR, &xpsr);
	xpsr = (xpsr & ~0x1FFu) | (uint32_t)next;
	uc_reg_write(c->uc, UC_ARM_REG_XPSR, &xpsr);
	/* the new handler returns through the same frame: LR = the same EXC_RETURN */
	uc_reg_write(c->uc, UC_ARM_REG_LR, &excret);
	if (v7m_fp(a))
		v7m_fp_clear_fpca(c);        /* ExceptionTaken: CONTROL.FPCA = 0 */
	v7m_rebuild_hflags(c);
	uc_reg_write(c->uc, UC_ARM_REG_PC, &handler);
	c->ticks += a->cost_tailchain;
	core_trace(c, EV_TAIL_CHAIN, (uint16_t)next, (uint32_t)from);
	activate(c, next, 2);
}

/* UFSR.INVPC, and UsageFault taken on the frame still stacked, with LR = the EXC_RETURN
 * value; it escalates to HardFault, or locks up, as any fault does. */
static void invpc_on_frame(struct core *c, uint32_t excret, int e)
{
	arm(c)->cfsr |= CFSR_INVPC;
	int f = fault_target(c, EXC_USAGEFAULT, excret, excret, FAULT_EXC_RETURN);
	if (f)
		chain_into(c, f, excret, e);
}

/* An illegal exception return (B1.5.8): the returning exception is deactivated, then INVPC. */
static void illegal_return(struct core *c, uint32_t excret, int e)
{
	deactivate(c, e);
	invpc_on_frame(c, excret, e);
}

/* ExceptionReturn (B1.5.8), entered when the core branched to an EXC_RETURN value. */
static void exc_return(struct core *c, uint32_t excret)
{
	struct armv7m *a = arm(c);
	int e = a->cur;
	if (e == 0) {
		/* in thread mode 0xFxxxxxxx is no EXC_RETURN: the branch fetches from the
		 * Execute Never system region (B3.1), an instruction access fault */
		a->cfsr |= CFSR_IBUSERR;
		take_fault(c, EXC_BUSFAULT, excret & ~1u, excret & ~1u, FAULT_BUS_FETCH);
		return;
	}
	/* EXC_RETURN with FType clear (an extended frame: 0xFFFFFFE1/E9/ED) only with the FP
	 * extension (B1.5.8) */
	uint32_t basic = v7m_fp(a) ? excret | EXCRET_FTYPE : excret;
	int to_thread = (excret & EXCRET_MODE) != 0, psp = to_thread && (excret & EXCRET_SPSEL);
	int bad = a->profile.version == 8 ? v8m_excret_illegal(c, excret)
		: basic != 0xFFFFFFF1u && basic != 0xFFFFFFF9u && basic != 0xFFFFFFFDu;
	if (!a->active[e] || bad ||
	    (to_thread && a->nactive > 1 && !(a->ccr & CCR_NONBASETHRDENA))) {
		/* a bad value, or a return to thread mode with another exception still active */
		illegal_return(c, excret, e);
		return;
	}
	deactivate(c, e);
	if (e != EXC_NMI && a->profile.version != 6) {   /* ARMv6-M has no FAULTMASK */
		uint32_t zero = 0;
		uc_reg_write(c->uc, UC_ARM_REG_FAULTMASK, &zero);
	}
	/* Tail-chaining: a pending exception that would preempt the context being returned to
	 * is taken now, without unstacking and restacking (B1.5.12). */
	int next = v7m_highest_pending(a);
	if (next) {
		int masked;
		int ep = v7m_exec_prio(c, &masked);
		if (group_prio(a, next) < ep) {
			chain_into(c, next, excret, e);
			a->tailchains++;
			return;
		}
		c->recheck_masked = masked;
	}
	/* PopStack */
	uint32_t sp;
	int reg_sp = psp ? UC_ARM_REG_PSP : UC_ARM_REG_MSP;
	int ext = v7m_fp(a) && !(excret & EXCRET_FTYPE);
	uc_reg_read(c->uc, reg_sp, &sp);
	uint8_t *p = core_host_ptr(c, sp, ext ? 0x68 : 32);
	if (!p) {
		lockup(c, excret, sp, FAULT_STACKING);
		return;
	}
	uint32_t w[8];
	memcpy(w, p, 32);
	int to = (int)(w[7] & 0x1FF);   /* the exception (0: thread) the frame returns to */
	if (a->profile.version == 8 && (to == 0) != to_thread) {
		/* ARMv8-M B3.23: the frame's IPSR disagrees with EXC_RETURN.Mode: INVPC on the
		 * frame, nothing unstacked */
		invpc_on_frame(c, excret, e);
		return;
	}
	uint32_t fp_ticks = ext ? v7m_fp_pop(c, sp) : 0;   /* CONTROL.FPCA = 1 */
	if (!ext && v7m_fp(a))
		v7m_fp_clear_fpca(c);             /* CONTROL.FPCA = NOT EXC_RETURN<4> = 0 */
	uint32_t new_sp = sp + (ext ? 0x68u : 0x20u);
	if (((a->ccr & CCR_STKALIGN) || ext) && (w[7] & XPSR_ALIGN))
		new_sp |= 4;
	uint32_t xpsr = (w[7] & ~XPSR_ALIGN) | XPSR_T, nzcv = w[7] & 0xF0000000u, pc = w[6] | 1u;
	/* after the stack and xPSR: NZCV (its write rebuilds the hflags), r0-r3, r12, LR in one
	 * call; then the PC on its own (see exc_entry) */
	static const int regs[] = {UC_ARM_REG_MSP, UC_ARM_REG_XPSR, UC_ARM_REG_APSR_NZCV,
				   UC_ARM_REG_R0, UC_ARM_REG_R1, UC_ARM_REG_R2, UC_ARM_REG_R3,
				   UC_ARM_REG_R12, UC_ARM_REG_LR};
	void *const pv[] = {&new_sp, &xpsr, &nzcv, &w[0], &w[1], &w[2], &w[3], &w[4], &w[5]};
	if (!psp) {
		uc_reg_write_batch(c->uc, regs, pv, 9);   /* MSP and xPSR first, in the same call */
	} else {
		uc_reg_write(c->uc, reg_sp, &new_sp);
		/* back to thread mode on PSP: CONTROL.SPSEL = 1 (B1.5.8). Unicorn applies an SPSEL
		 * write only in privileged thread mode: nPRIV is cleared for it while still in
		 * handler mode, and restored with the SPSEL write. */
		uint32_t control, priv;
		uc_reg_read(c->uc, UC_ARM_REG_CONTROL, &control);
		priv = control & ~1u;
		if (control & 1)
			uc_reg_write(c->uc, UC_ARM_REG_CONTROL, &priv);
		uc_reg_write(c->uc, UC_ARM_REG_XPSR, &xpsr);
		control |= 2u;
		uc_reg_write(c->uc, UC_ARM_REG_CONTROL, &control);   /* R13 becomes PSP */
		uc_reg_write_batch(c->uc, regs + 2, pv + 2, 7);
	}
	uc_reg_write(c->uc, UC_ARM_REG_PC, &pc);
	c->ticks += a->cost_return + fp_ticks;
	core_trace(c, EV_RETURN, (uint16_t)e, (uint32_t)to);
	a->cur = to_thread ? 0 : to;
	core_trace(c, EV_EXEC_PRIORITY, (uint16_t)a->cur, (uint32_t)(v7m_active_prio(a) + 256));
	if (to_thread)
		core_leave_handler_mode(c);
	c->need_check = 1;
}

/* ---- Unicorn exceptions ------------------------------------------------------------------ */

static void armv7m_intr(struct core *c, uint32_t intno)
{
	uint32_t pc, xpsr;
	static const int regs[] = {UC_ARM_REG_PC, UC_ARM_REG_XPSR};
	void *pv[] = {&pc, &xpsr};
	uc_reg_read_batch(c->uc, regs, pv, 2);
	if ((intno == EXCP_EXCEPTION_EXIT || intno == EXCP_PREFETCH_ABORT) &&
	    pc >= arm(c)->excret_min) {
		core_charge_partial(c, pc);
		/* bit 0 branched to is EPSR.T in Unicorn (PC reads 0): ES on ARMv8-M; on ARMv7-M
		 * 0xFFFFFFF8 is illegal (B1.5.8: INVPC, as QEMU 7.2); ARMv6-M as before (1) */
		uint32_t bit0 = arm(c)->profile.version == 6 || (xpsr & XPSR_T) ? 1 : 0;
		exc_return(c, pc | bit0);
		return;
	}
	if (intno == EXCP_SWI) {
		core_charge_partial(c, pc);          /* PC is already past the SVC */
		struct armv7m *a = arm(c);
		if (group_prio(a, EXC_SVCALL) < v7m_exec_prio(c, NULL)) {
			core_trace(c, EV_PEND, EXC_SVCALL, PEND_SOFTWARE);
			exc_entry(c, EXC_SVCALL, pc);
		} else {
			/* SVC that cannot be taken at once escalates (B1.5.15): HardFault, FORCED,
			 * with SVCall's return address, the next instruction (B1.5.6) */
			if (a->profile.version != 6)
				a->hfsr |= HFSR_FORCED;
			take_fault(c, EXC_HARDFAULT, pc, pc - 2, FAULT_SVC_PRIORITY);
		}
		return;
	}
	if (intno == EXCP_BKPT) {
		uint8_t *p = core_host_ptr(c, pc, 2);
		core_charge_partial(c, pc + 2);
		if (p && p[0] == 0xAB && p[1] == 0xBE) {
			uint32_t op, arg, ret;
			uc_reg_read(c->uc, UC_ARM_REG_R0, &op);
			uc_reg_read(c->uc, UC_ARM_REG_R1, &arg);
			int exit = core_semihost(c, op, arg, &ret);
			uc_reg_write(c->uc, UC_ARM_REG_R0, &ret);
			uint32_t next = (pc + 2) | 1u;
			uc_reg_write(c->uc, UC_ARM_REG_PC, &next);
			if (exit)
				core_stop(c, STOP_EXIT);
			return;
		}
		/* BKPT with no debugger attached: a DebugMonitor-less HardFault (C1.4) */
		take_fault(c, EXC_HARDFAULT, pc, pc, FAULT_BKPT);
		return;
	}
	core_charge_partial(c, pc);
	if (arm(c)->profile.version == 8 && v8m_intr(c, intno, pc))
		return;
	if (intno == EXCP_INVSTATE) {
		/* execution with EPSR.T = 0 (a branch to an even address): INVSTATE (B3.2.15) */
		arm(c)->cfsr |= CFSR_INVSTATE;
		take_fault(c, EXC_USAGEFAULT, pc, pc, FAULT_INVSTATE);
		return;
	}
	if (intno == EXCP_NOCP) {
		/* a coprocessor instruction with no coprocessor (an FP one on the M3): NOCP */
		arm(c)->cfsr |= CFSR_NOCP;
		take_fault(c, EXC_USAGEFAULT, pc, pc, FAULT_NOCP);
		return;
	}
	arm(c)->cfsr |= CFSR_UNDEFINSTR;
	take_fault(c, EXC_USAGEFAULT, pc, pc, FAULT_UNDEF);
}

/* emu_start returned after an SCS callback stopped it: the BusFault of an unprivileged
 * access, taken at the accessing instruction (its effect was suppressed). Returns 1 when it
 * did something. */
static int armv7m_resume(struct core *c)
{
	struct armv7m *a = arm(c);
	if (!a)
		return 0;
	if (v7m_fp_resume(c))
		return 1;
	if (!a->scs_fault_addr)
		return 0;
	uint32_t addr = a->scs_fault_addr, pc;
	a->scs_fault_addr = 0;
	uc_reg_read(c->uc, UC_ARM_REG_PC, &pc);
	core_charge_partial(c, pc);
	a->cfsr |= CFSR_PRECISERR | CFSR_BFARVALID;
	a->bfar = addr;
	take_fault(c, EXC_BUSFAULT, pc, addr, FAULT_BUS_DATA);
	return 1;
}

/* emu_start stopped with an error at `pc` (the faulting instruction). */
static int armv7m_fault(struct core *c, uc_err err, uint64_t pc)
{
	struct armv7m *a = arm(c);
	uint64_t addr = c->mem_fault_seen ? c->mem_fault_addr : pc;
	switch (err) {
	case UC_ERR_READ_UNALIGNED: case UC_ERR_WRITE_UNALIGNED:
		a->cfsr |= CFSR_UNALIGNED;      /* UsageFault, not BusFault (B3.2.15) */
		return take_fault(c, EXC_USAGEFAULT, pc, addr, FAULT_MISALIGNED) < 0 ? -1 : 0;
	case UC_ERR_READ_UNMAPPED: case UC_ERR_WRITE_UNMAPPED: case UC_ERR_READ_PROT:
	case UC_ERR_WRITE_PROT:
		a->cfsr |= CFSR_PRECISERR | CFSR_BFARVALID;
		a->bfar = (uint32_t)addr;
		return take_fault(c, EXC_BUSFAULT, pc, addr, FAULT_BUS_DATA) < 0 ? -1 : 0;
	case UC_ERR_FETCH_UNMAPPED: case UC_ERR_FETCH_PROT: case UC_ERR_FETCH_UNALIGNED:
		a->cfsr |= CFSR_IBUSERR;
		return take_fault(c, EXC_BUSFAULT, pc, addr, FAULT_BUS_FETCH) < 0 ? -1 : 0;
	case UC_ERR_INSN_INVALID: {
		uint32_t xpsr = 0;
		uc_reg_read(c->uc, UC_ARM_REG_XPSR, &xpsr);
		if (!(xpsr & XPSR_T)) {
			/* a branch to an even address left EPSR.T = 0: INVSTATE (B3.2.15) */
			a->cfsr |= CFSR_INVSTATE;
			return take_fault(c, EXC_USAGEFAULT, pc, pc, FAULT_INVSTATE) < 0 ? -1 : 0;
		}
		a->cfsr |= CFSR_UNDEFINSTR;
		return take_fault(c, EXC_USAGEFAULT, pc, pc, FAULT_UNDEF) < 0 ? -1 : 0;
	}
	default:
		c->fault_pc = pc;
		c->fault_addr = addr;
		c->fault_cause = FAULT_EMULATOR;
		return -1;
	}
}


static int armv7m_wakeable(struct core *c)
{
	/* WFI wakes on a pending exception that would preempt were PRIMASK clear (B1.5.19). */
	struct armv7m *a = arm(c);
	systick_advance(c);
	int e = v7m_highest_pending(a);
	if (!e)
		return 0;
	uint32_t primask, basepri, faultmask;
	v7m_read_masks(c, &primask, &basepri, &faultmask);
	basepri &= a->prio_mask;
	int p = v7m_active_prio(a);
	if (basepri && (int)basepri < p)
		p = (int)basepri;
	return group_prio(a, e) < p;
}

/* ---- the architecture's ops (arch.h) ------------------------------------------------------ */

static void v7m_release(struct core *c)
{
	v7m_fp_free(arm(c));
}

static void v7m_run_start(struct core *c)
{
	if (__builtin_expect(arm(c)->fp.hook_change, 0))
		v7m_fp_run_start(c);
}

/* Instruction count of the Thumb code p[0, size): a 32-bit Thumb-2 instruction's first
 * halfword is 0b111xx with xx != 00 (A5.1); no block end asks anything of the model. */
static uint32_t thumb_block_info(const uint8_t *p, uint32_t size, uint8_t *end)
{
	uint32_t n = 0;
	for (uint32_t off = 0; off < size; n++) {
		uint16_t hw = (uint16_t)(p[off] | p[off + 1] << 8);
		off += (hw >> 11) >= 0x1D ? 4 : 2;
	}
	*end = BLOCK_END_NONE;
	return n;
}

static int current_line(struct core *c)
{
	return arm(c)->cur >= EXC_IRQ0 ? arm(c)->cur - EXC_IRQ0 : -1;
}

/* `b .`: B T2 with imm11 = -2 (0xE7FE), or B.W T4 to itself (0xF7FF 0xBFFE) (A7.7.12). */
static int thumb_self_loop(const uint8_t *p, uint32_t size)
{
	uint16_t hw0 = (uint16_t)(p[0] | p[1] << 8);
	if (size == 2)
		return hw0 == 0xE7FE;
	return size == 4 && hw0 == 0xF7FF && (p[2] | p[3] << 8) == 0xBFFE;
}

/* A `b .` nothing can leave (docs/semantics.md, "Stuck"): no pending exception preempts the
 * execution priority (PRIMASK, FAULTMASK, BASEPRI and the active handlers; the loop changes
 * none of them, nor any enable or priority), SysTick cannot fire one that does, and, when
 * line events, storm requests or device timers are still to come, neither the NMI (unless one
 * is scheduled only for other lines) nor any enabled external interrupt could. */
static int armv7m_stuck(struct core *c, int quiet)
{
	struct armv7m *a = arm(c);
	int p = v7m_exec_prio(c, NULL);
	int e = v7m_highest_pending(a);
	if (e && group_prio(a, e) < p)
		return 0;
	if ((a->st_csr & (SYST_ENABLE | SYST_TICKINT)) == (SYST_ENABLE | SYST_TICKINT) &&
	    (a->profile.systick != M_SYSTICK_CPU_CLOCK || (a->st_csr & SYST_CLKSOURCE)) &&
	    group_prio(a, EXC_SYSTICK) < p)
		return 0;
	if (quiet)
		return 1;
	if (p > -2 && core_line_may_come(c, LINE_NMI))
		return 0;
	for (int i = EXC_IRQ0; i < a->nexc; i++)
		if (a->enabled[i] && group_prio(a, i) < p)
			return 0;
	return 1;
}

static const struct arch_ops armv7m_ops = {
	.name = "armv7m",
	.block_info = thumb_block_info,
	.service = armv7m_service,
	.intr = armv7m_intr,
	.fault = armv7m_fault,
	.resume = armv7m_resume,
	.deadline = systick_deadline,
	.wakeable = armv7m_wakeable,
	.current_line = current_line,
	.self_loop = thumb_self_loop,
	.stuck = armv7m_stuck,
	.release = v7m_release,
	.run_start = v7m_run_start,
	.save = v7m_save,
	.restore = v7m_restore,
	.reg_pc = UC_ARM_REG_PC,
	.reg_arg0 = UC_ARM_REG_R0,
	.reg_arg1 = UC_ARM_REG_R1,
	.pc_bits = 1,
};

/* ---- set-up and inspection (api.h) -------------------------------------------------------- */

int armv7m_init(struct core *c, int num_irq, int prio_bits, const struct m_profile *p)
{
	if (c->arch || num_irq < 1 || num_irq > 496 || prio_bits < 2 || prio_bits > 8 || !p ||
	    p->version < 6 || p->version > 8 || p->fpu < 0 || p->fpu > 2 ||
	    (p->version == 6 && (prio_bits != 2 || num_irq > 32)))   /* B1.5.4, B3.4 */
		return -1;
	struct armv7m *a = calloc(1, sizeof(*a));
	if (!a)
		return -1;
	a->profile = *p;
	a->num_irq = num_irq;
	a->nexc = EXC_IRQ0 + num_irq;
	a->prio_mask = (uint8_t)(0xFFu << (8 - prio_bits));
	a->ccr = p->version == 6 ? CCR_STKALIGN | 8u : CCR_STKALIGN;   /* v6-M: UNALIGN_TRP RAO */
	a->st_zero = UINT64_MAX;
	a->min_frame_sp = 0xFFFFFFFFu;
	/* EXC_RETURN values from 0xFFFFFFE0 (B1.5.8); ARMv8-M: the EXC_RETURN prefix 0xFF */
	a->excret_min = p->version == 8 ? 0xFF000000u : 0xFFFFFFE0u;
	core_set_arch(c, &armv7m_ops, a);   /* the core frees `a` from here on */
	if (core_add_lines(c, 0, (uint32_t)num_irq, LINE_NMI, 1, &v7m_nvic_lines, a) || v7m_scs_map(c))
		return -2;
	if (p->version == 8 && v8m_init(c))
		return -3;
	int r = v7m_fp_init(c);
	if (r)
		return r == -3 ? -3 : -2;
	return 0;
}

/* Reset (B1.5.5): MSP and PC from the vector table at VTOR = `vtor`, thread mode, privileged.
 * The reset vector must be a Thumb address (bit 0 set): else -2, and nothing runs. */
int armv7m_reset(struct core *c, uint32_t vtor)
{
	struct armv7m *a = arm(c);
	uint32_t sp, pc, zero = 0, xpsr = XPSR_T;
	if (core_read32(c, vtor, &sp) || core_read32(c, vtor + 4, &pc))
		return -1;
	if (!(pc & 1))
		return -2;
	a->vtor = vtor;
	uc_reg_write(c->uc, UC_ARM_REG_XPSR, &xpsr);
	uc_reg_write(c->uc, UC_ARM_REG_CONTROL, &zero);
	uc_reg_write(c->uc, UC_ARM_REG_MSP, &sp);
	uc_reg_write(c->uc, UC_ARM_REG_SP, &sp);
	v7m_rebuild_hflags(c);
	uc_reg_write(c->uc, UC_ARM_REG_PC, &pc);
	return 0;
}

/* The FP extension of ARMv7-M (ARMv7-M ARM DDI 0403E, A2.5 and B1.5.6-B1.5.8; the registers
 * B3.2.20 CPACR, B3.2.21 FPCCR, B3.2.22 FPCAR, B3.2.23 FPDSCR, B4.6 MVFR0-2) for cores whose
 * profile has an FPU (Cortex-M4F: single precision; Cortex-M7: single and double): CPACR,
 * FPCCR, FPCAR, FPDSCR and MVFR0-2 in the SCB, the extended exception frame (s0-s15, FPSCR and
 * a reserved word: 26 words, always 8-byte aligned), EXC_RETURN with bit 4 clear, lazy and
 * eager FP stacking, the NOCP UsageFault, and unstacking on return. docs/semantics.md
 * ("Cortex-M4F and Cortex-M7: the FP context") says why it is built this way.
 *
 * How it meets Unicorn 2.1.4 (measured, docs/semantics.md): the engine emulates the FP
 * instructions and does by itself what the architecture does at the first FP instruction of a
 * context (ExecuteFPCheck: CONTROL.FPCA = 1 and FPSCR from FPDSCR when FPCCR.ASPEN is set), from
 * FPCCR.ASPEN and FPDSCR in its own CPU state, which we keep equal to ours. It ignores CPACR
 * (FP is always enabled), and it never performs exception entry, so it never starts a lazy
 * preservation by itself. But its translator still calls its lazy-preservation helper before
 * the first FP instruction of a block when LSPACT is set in its state, and that helper writes
 * the registers to its FPCAR. So its LSPACT is our trap: set ("armed") when our FPCCR.LSPACT
 * is set (and cleared only by the next trap), its FPCAR pointing at the sentinel words inside
 * the SCS (FP_SENTINEL), whose first write lands in v7m_fp_trap(), where the lazy
 * preservation is done (into our FPCAR) if our LSPACT is still set. FP code
 * costs nothing extra otherwise: the engine's blocks carry LSPACT in their flags, so only the
 * first FP instruction after arming pays. NOCP needs the instruction not to run, which a stop
 * from the helper cannot give (the block runs to its end): while CPACR does not grant full
 * access, code hooks over the FP instructions and over code the scan did not see (nocp.c)
 * stop before a forbidden FP instruction.
 * The engine's state is reached through a saved CPU context at the offsets fp_probe() finds
 * and checks (uc_context is opaque).
 */
#include <stdlib.h>
#include <string.h>

#include "armv7m.h"

/* Where the engine's M-profile FP fields lie relative to its FPCCR (QEMU 5.0's CPUARMState
 * v7m: fpcar[2], fpccr[2], fpdscr[2], cpacr[2], nsacr, in that order; bank 0 non-secure). */
#define E_FPCAR_S (-4)
#define E_FPCCR_NS 0
#define E_FPCCR_S 4
#define E_FPDSCR_NS 8
#define E_CPACR_S 20
#define E_NSACR 24
#define E_FPCCR_S_BIT (1u << 2)     /* FPCCR.S of v8-M: the engine banks LSPACT by it */

#define FP_SCAN_MAX 512             /* instructions of a block searched for the FP one */

/* The engine's side, not part of a snapshot (the engine's own state is in its CPU context). */
struct fp_env {
	uc_context *ctx;
	long fpccr;                  /* byte offset of fpccr[0] in the context */
	int cpacr_stop;              /* a CPACR write stopped emulation to place the check */
	int env_armed;               /* the engine's LSPACT: 1 set, 0 clear, -1 not known */
};

/* Puts our FPCCR.ASPEN, FPDSCR and the trap (`lspact`: armed or not) into the engine's state:
 * one save and restore of its CPU context. */
static void env_write(struct core *c, struct fp_env *x, int lspact)
{
	struct armv7m *a = arm(c);
	if (uc_context_save(c->uc, x->ctx) != UC_ERR_OK)
		return;
	uint8_t *b = (uint8_t *)x->ctx + x->fpccr;
	uint32_t ns = a->fp.fpccr & FPCCR_ASPEN, s, car = SCS_BASE + FP_SENTINEL, cp = 0x00F00000u;
	memcpy(&s, b + E_FPCCR_S, 4);
	s = (s & ~(uint32_t)FPCCR_LSPACT) | E_FPCCR_S_BIT | (lspact ? FPCCR_LSPACT : 0);
	memcpy(b + E_FPCCR_NS, &ns, 4);
	memcpy(b + E_FPCCR_S, &s, 4);
	memcpy(b + E_FPCAR_S, &car, 4);
	memcpy(b + E_FPDSCR_NS, &a->fp.fpdscr, 4);
	memcpy(b + E_CPACR_S, &cp, 4);    /* the helper's own CPACR check passes */
	if (uc_context_restore(c->uc, x->ctx) == UC_ERR_OK)
		x->env_armed = lspact;
}

/* The engine's state after a change of our FP registers: the trap stays armed if it was
 * (disarming is lazy: a stale trap costs one harmless trap at the next FP instruction, and
 * saves a context round trip at every return), and is armed when LSPACT is set. */
void v7m_fp_sync(struct core *c)
{
	struct armv7m *a = arm(c);
	struct fp_env *x = a->fp_env;
	if (!x)
		return;
	uint32_t cp10 = (a->fp.cpacr >> 20) & 3;
	if ((cp10 != 3) != v7m_nocp_hooked(c) && !a->fp.hook_change) {
		a->fp.hook_change = 1;      /* installed where emulation is not running (run_start) */
		core_request_drain(c);
	}
	env_write(c, x, (a->fp.fpccr & FPCCR_LSPACT) || x->env_armed);
}

/* Arms the trap for a lazy preservation (LSPACT just set): no round trip if it still is. */
static void arm_trap(struct core *c)
{
	struct fp_env *x = arm(c)->fp_env;
	if (x->env_armed != 1)
		env_write(c, x, 1);
}

/* Finds the engine's FPCCR in its saved context by the reset values of the fields from FPCAR
 * to NSACR, in QEMU 5.0's order (arm_cpu_reset: FPCAR 0, FPCCR non-secure ASPEN and secure
 * ASPEN | LSPEN | S, FPDSCR 0, CPACR 0, NSACR 0xCFF for a core without the Security
 * Extension), which must match at exactly one offset. 0, or -1 (not found: the engine is not
 * the one this model knows; the board is refused). The guest suite (test_fpu.py) checks the
 * rest: the lazy preservation it drives through these fields matches QEMU 7.2. */
static int fp_probe(struct core *c, struct fp_env *x)
{
	size_t size = uc_context_size(c->uc);
	if (uc_context_save(c->uc, x->ctx) != UC_ERR_OK)
		return -1;
	const uint8_t *b = (const uint8_t *)x->ctx;
	x->fpccr = -1;
	for (size_t off = 8; off + E_NSACR + 4 <= size; off += 4) {
		uint32_t w[9];                   /* fpcar[2], fpccr[2], fpdscr[2], cpacr[2], nsacr */
		memcpy(w, b + off - 8, sizeof(w));
		if (w[2] == FPCCR_ASPEN && w[3] == (FPCCR_ASPEN | FPCCR_LSPEN | E_FPCCR_S_BIT) &&
		    w[8] == 0xCFF && !(w[0] | w[1] | w[4] | w[5] | w[6] | w[7])) {
			if (x->fpccr >= 0)
				return -1;   /* not unique: do not guess */
			x->fpccr = (long)off;
		}
	}
	return x->fpccr >= 0 ? 0 : -1;
}

int v7m_fp_init(struct core *c)
{
	struct armv7m *a = arm(c);
	a->fp.fpccr = FPCCR_ASPEN | FPCCR_LSPEN;     /* reset values (B3.2.21) */
	if (!a->profile.fpu || a->profile.version != 7)
		return 0;    /* no FPU, or ARMv8-M's FP extension, which this file does not model */
	struct fp_env *x = calloc(1, sizeof(*x));
	if (!x || uc_context_alloc(c->uc, &x->ctx) != UC_ERR_OK || v7m_nocp_init(c)) {
		if (x && x->ctx)
			uc_context_free(x->ctx);
		free(x);
		return -1;
	}
	if (fp_probe(c, x)) {
		uc_context_free(x->ctx);
		free(x);
		v7m_nocp_free(a);
		return -3;
	}
	a->fp_env = x;
	if (v7m_fp_run_start(c))          /* CPACR resets to 0: the NOCP check is on */
		return -1;
	v7m_fp_sync(c);
	return 0;
}

/* Emulation is about to start (the run_start op): the NOCP check (nocp.c) placed or removed
 * as CPACR now asks. */
int v7m_fp_run_start(struct core *c)
{
	struct armv7m *a = arm(c);
	if (!a->fp_env)
		return 0;
	a->fp.hook_change = 0;
	return v7m_nocp_run_start(c, ((a->fp.cpacr >> 20) & 3) != 3);
}

/* After a snapshot restore: the engine's LSPACT came back with its CPU context, unknown here;
 * the NOCP check as the restored CPACR asks. */
void v7m_fp_restored(struct armv7m *a)
{
	struct fp_env *x = a->fp_env;
	if (x) {
		x->env_armed = -1;
		a->fp.hook_change = 1;     /* (a no-op when the check is as CPACR asks) */
	}
}

void v7m_fp_free(struct armv7m *a)
{
	struct fp_env *x = a->fp_env;
	if (x) {
		uc_context_free(x->ctx);
		free(x);
	}
	a->fp_env = NULL;
	v7m_nocp_free(a);
}

/* ---- the SCB's FP registers (B3.2.20-23, B4.6) -------------------------------------------- */

/* 1 and *v for an FP register of this core at SCS offset `off`, else 0. MVFR0-2 as QEMU 7.2's
 * Cortex-M4 and Cortex-M7 models give them. */
int v7m_fp_read(struct core *c, uint32_t off, uint32_t *v)
{
	struct armv7m *a = arm(c);
	int dp = a->profile.fpu == 2;
	if (!v7m_fp(a))
		return 0;
	switch (off) {
	case CPACR: *v = a->fp.cpacr; return 1;
	case FPCCR: *v = a->fp.fpccr; return 1;
	case FPCAR: *v = a->fp.fpcar; return 1;
	case FPDSCR: *v = a->fp.fpdscr; return 1;
	case MVFR0: *v = dp ? 0x10110221u : 0x10110021u; return 1;
	case MVFR1: *v = dp ? 0x12000011u : 0x11000011u; return 1;
	case MVFR2: *v = dp ? 0x00000040u : 0; return 1;
	}
	return 0;
}

int v7m_fp_write(struct core *c, uint32_t off, uint32_t v)
{
	struct armv7m *a = arm(c);
	if (!v7m_fp(a))
		return 0;
	switch (off) {
	case CPACR:
		a->fp.cpacr = v & 0x00F00000u;                    /* CP10, CP11 */
		if (((a->fp.cpacr >> 20) & 3) != 3 && a->fp_env && !v7m_nocp_hooked(c)) {
			/* the NOCP check must be in place for the next instruction: emulation stops
			 * at this store (it runs again, the same write) and run_start installs it */
			((struct fp_env *)a->fp_env)->cpacr_stop = 1;
			a->fp.hook_change = 1;
			uc_emu_stop(c->uc);
		}
		break;
	case FPCCR: a->fp.fpccr = v & FPCCR_WRITABLE; break;
	case FPCAR: a->fp.fpcar = v & ~7u; return 1;
	case FPDSCR: a->fp.fpdscr = v & 0x07C00000u; break;     /* AHP, DN, FZ, RMode */
	case MVFR0: case MVFR1: case MVFR2: return 1;             /* read-only */
	default: return 0;
	}
	v7m_fp_sync(c);
	return 1;
}

/* ---- exception entry and return (B1.5.6 PushStack / ExceptionTaken, B1.5.8 PopStack) ------ */

/* s0-s15 and FPSCR, the frame's FP words, from the engine (write = 0) or into it. */
static void fp_words(struct core *c, uint32_t *w, int write)
{
	static const int regs[17] = {
		UC_ARM_REG_S0, UC_ARM_REG_S1, UC_ARM_REG_S2, UC_ARM_REG_S3, UC_ARM_REG_S4,
		UC_ARM_REG_S5, UC_ARM_REG_S6, UC_ARM_REG_S7, UC_ARM_REG_S8, UC_ARM_REG_S9,
		UC_ARM_REG_S10, UC_ARM_REG_S11, UC_ARM_REG_S12, UC_ARM_REG_S13, UC_ARM_REG_S14,
		UC_ARM_REG_S15, UC_ARM_REG_FPSCR};
	void *pv[17];
	for (int i = 0; i < 17; i++)
		pv[i] = &w[i];
	if (write)
		uc_reg_write_batch(c->uc, (int *)regs, pv, 17);
	else
		uc_reg_read_batch(c->uc, (int *)regs, pv, 17);
}

/* PushStack's FP part, after the basic frame went to `frame` (an extended frame: CONTROL.FPCA
 * was set). Eager (FPCCR.LSPEN = 0): s0-s15 and FPSCR at frame + 0x20..0x63; the reserved word
 * at 0x64 is not written (QEMU 7.2 leaves it too). Lazy: UpdateFPCCR (B1.5.7): the space stays
 * reserved, FPCAR = frame + 0x20, LSPACT = 1, and USER, THREAD and the *RDY bits record the
 * context being preempted. Returns the extra ticks (eager stacking). The caller checked that the
 * whole frame is in memory. */
uint32_t v7m_fp_push(struct core *c, uint32_t frame, uint32_t control, int from_handler)
{
	struct armv7m *a = arm(c);
	a->fp.ext_frames++;
	if (!(a->fp.fpccr & FPCCR_LSPEN)) {
		uint32_t w[17];
		uint8_t *p = core_host_ptr(c, frame + 0x20, 0x44);   /* (exc.c checked the frame) */
		fp_words(c, w, 0);
		memcpy(p, w, sizeof(w));
		a->fp.eager_saves++;
		a->fp.ticks += a->fp.cost_entry_eager;
		return a->fp.cost_entry_eager;
	}
	int ep = v7m_exec_prio(c, NULL);
	uint32_t f = a->fp.fpccr & ~(FPCCR_USER | FPCCR_THREAD | FPCCR_HFRDY | FPCCR_MMRDY |
				      FPCCR_BFRDY | FPCCR_MONRDY);
	f |= FPCCR_LSPACT;
	if (!from_handler && (control & 1))
		f |= FPCCR_USER;
	if (!from_handler)
		f |= FPCCR_THREAD;
	if (ep > -1)
		f |= FPCCR_HFRDY;
	if ((a->shcsr & SHCSR_BUSFAULTENA) && ep > exc_prio(a, EXC_BUSFAULT))
		f |= FPCCR_BFRDY;
	if ((a->shcsr & SHCSR_MEMFAULTENA) && ep > exc_prio(a, EXC_MEMMANAGE))
		f |= FPCCR_MMRDY;
	/* MONRDY stays 0: no DebugMonitor (DEMCR.MON_EN) is modelled */
	a->fp.fpccr = f;
	a->fp.fpcar = (frame + 0x20) & ~7u;
	arm_trap(c);
	return 0;
}

/* ExceptionTaken (B1.5.6) and a tail-chain: the handler starts with no FP context of its own,
 * CONTROL.FPCA = 0 (written in handler mode, where the engine applies it). */
void v7m_fp_clear_fpca(struct core *c)
{
	uint32_t control;
	uc_reg_read(c->uc, UC_ARM_REG_CONTROL, &control);
	if (control & CONTROL_FPCA) {
		control &= ~CONTROL_FPCA;
		uc_reg_write(c->uc, UC_ARM_REG_CONTROL, &control);
	}
}

/* PopStack's FP part for an EXC_RETURN with bit 4 clear, still in handler mode, the frame at
 * `frame`: if LSPACT is still set the handler never used FP and the registers still hold the
 * preempted context's values, so LSPACT is cleared and nothing is read; else s0-s15 and FPSCR
 * come back from the frame. Then CONTROL.FPCA = NOT EXC_RETURN<4> (= 1). Returns the extra
 * ticks. */
uint32_t v7m_fp_pop(struct core *c, uint32_t frame)
{
	struct armv7m *a = arm(c);
	uint32_t extra = 0;
	if (a->fp.fpccr & FPCCR_LSPACT) {
		a->fp.fpccr &= ~FPCCR_LSPACT;    /* (the engine's trap stays armed: v7m_fp_sync) */
	} else {
		uint32_t w[17];
		memcpy(w, core_host_ptr(c, frame + 0x20, 0x44), sizeof(w));   /* (checked by exc.c) */
		fp_words(c, w, 1);
		extra = a->fp.cost_return_fp;
		a->fp.ticks += a->fp.cost_return_fp;
	}
	uint32_t control;
	uc_reg_read(c->uc, UC_ARM_REG_CONTROL, &control);
	control |= CONTROL_FPCA;
	uc_reg_write(c->uc, UC_ARM_REG_CONTROL, &control);
	return extra;
}

/* ---- the trap: the first FP instruction while armed (see the head of this file) ---------- */

/* A write of the engine's lazy-preservation helper to the sentinel: its first word (s0)
 * comes before the FP instruction runs (ExecuteFPCheck, B1.5.7 / A2.5.7): PreserveFPState, as
 * LSPACT is set: s0-s15 and FPSCR to FPCAR, LSPACT = 0 (CheckVFPEnabled, before it, is the
 * NOCP check's: nocp.c). The helper then clears the engine's LSPACT: the trap is disarmed.
 * Other writes there (the trap disarmed, or no FP instruction ahead) are the guest's own, to
 * reserved space: a guest error, as before; one made while armed with an FP instruction
 * ahead in its block would be taken as the helper's. */
int v7m_fp_trap(struct core *c, uint32_t off)
{
	struct armv7m *a = arm(c);
	struct fp_env *x = a->fp_env;
	if (!x || off < FP_SENTINEL || off >= FP_SENTINEL + 0x44)
		return 0;
	if (off != FP_SENTINEL) {
		/* the helper's further words (s1-s15, FPSCR), which the first one announced */
		int mine = a->fp.sink;
		if (off == FP_SENTINEL + 0x40)
			a->fp.sink = 0;
		return mine;
	}
	if (!x->env_armed)
		return 0;
	/* The engine's PC is where it last synchronised it in this block, at or before the FP
	 * instruction: the helper runs before the block's first FP instruction, so that is the
	 * first one from there (a Thumb-2 32-bit instruction: 0b111xx, xx != 00, A5.1). */
	uint32_t pc;
	uc_reg_read(c->uc, UC_ARM_REG_PC, &pc);
	const uint8_t *insn = NULL;
	for (int n = 0; n < FP_SCAN_MAX; n++) {
		const uint8_t *p = core_host_ptr(c, pc, 4);
		if (!p)
			break;
		if (v7m_is_fp_insn(p)) {
			insn = p;
			break;
		}
		pc += ((p[1] >> 3) >= 0x1D) ? 4 : 2;
	}
	if (!insn)
		return 0;
	a->fp.sink = 1;
	x->env_armed = 0;                 /* the helper clears the engine's LSPACT */
	if (a->fp.fpccr & FPCCR_LSPACT) {     /* (else a stale trap: nothing to preserve) */
		uint32_t w[17];
		uint8_t *p = core_host_ptr(c, a->fp.fpcar, 0x44);
		if (!p) {
			c->fault_pc = pc;
			c->fault_addr = a->fp.fpcar;
			c->fault_cause = FAULT_STACKING;   /* (no derived faults: as for stacking) */
			core_stop(c, STOP_LOCKUP);
			return 1;
		}
		fp_words(c, w, 0);
		memcpy(p, w, sizeof(w));
		a->fp.fpccr &= ~FPCCR_LSPACT;
		a->fp.lazy_saves++;
		a->fp.ticks += a->fp.cost_lazy;
		c->ticks += a->fp.cost_lazy;
	}
	return 1;
}

/* emu_start returned after the model stopped it (the resume op): at a CPACR store that
 * installs the NOCP check (the store runs again: the same write), or before an FP instruction
 * the check forbade, where the UsageFault is taken (NOCP, B3.2.15). 1 when it did either. */
int v7m_fp_resume(struct core *c)
{
	struct armv7m *a = arm(c);
	struct fp_env *x = a->fp_env;
	if (!x)
		return 0;
	if (x->cpacr_stop) {
		uint32_t pc;
		x->cpacr_stop = 0;
		uc_reg_read(c->uc, UC_ARM_REG_PC, &pc);
		core_charge_partial(c, pc);
		return 1;
	}
	return v7m_nocp_resume(c);
}

/* ---- costs and counters (api.h) ----------------------------------------------------------- */

void armv7m_set_fp_costs(struct core *c, uint32_t entry_eager, uint32_t return_fp, uint32_t lazy)
{
	struct armv7m *a = arm(c);
	a->fp.cost_entry_eager = entry_eager;
	a->fp.cost_return_fp = return_fp;
	a->fp.cost_lazy = lazy;
}

void armv7m_fp_counters(struct core *c, struct fp_counters *out)
{
	struct armv7m *a = arm(c);
	*out = (struct fp_counters){
		.extended_frames = a->fp.ext_frames, .eager_saves = a->fp.eager_saves,
		.lazy_saves = a->fp.lazy_saves, .ticks = a->fp.ticks,
		.cpacr = a->fp.cpacr, .fpccr = a->fp.fpccr, .fpcar = a->fp.fpcar,
		.fpdscr = a->fp.fpdscr,
	};
}

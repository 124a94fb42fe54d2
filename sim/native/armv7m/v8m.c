/* ARMv8-M Mainline in one security state, the Secure state (Cortex-M33 as QEMU 7.2's
 * mps2-an505 boots it), on top of the ARMv7-M model of exc.c and nvic.c: what differs, switched
 * on by profile.version == 8. Follows the ARMv8-M Architecture Reference Manual (DDI 0553):
 * B3.19-B3.23 (exception entry, the stack limit, EXC_RETURN, exception return), D1 (the
 * registers).
 *
 * - EXC_RETURN (B3.20): bits [31:24] PREFIX 0xFF, [23:7] RES1, 6 S (the
 *   frame is on a Secure stack), 5 DCRS (default callee-register stacking: r4-r11 not on the
 *   frame), 4 FType (1: no FP context on the frame), 3 Mode (1: return to Thread), 2 SPSEL
 *   (1: the frame is on PSP), 1 RES0, 0 ES (the exception was taken to the Secure state). Entry
 *   encodes S = ES = DCRS = 1 and FType = !CONTROL.FPCA (exc_return_value, armv7m.h): Secure
 *   firmware sees 0xFFFFFFF1, F9, FD as on ARMv7-M. Return (v8m_excret_illegal) takes exactly
 *   the values this model can honour; the rest is the UsageFault INVPC that QEMU takes for a
 *   RES0 bit or a Non-secure exception (ES = 0; none is ever active here), and what this model
 *   chooses for the values that need the Non-secure state (S = 0, DCRS = 0: a frame with the
 *   integrity signature) or an FP frame (FType = 0; the FP model plugs in there), each with a
 *   guest error. RES1 bits that are zero are UNPREDICTABLE: logged, and the return goes on as
 *   QEMU's does.
 * - Stack limits (B3.19, D1.2 MSPLIM/PSPLIM): Unicorn 2.1.4 keeps MSPLIM and PSPLIM (MSR/MRS
 *   work) and checks them itself for SP writes in code (measured: PUSH, STMDB, SUB SP, MOV SP),
 *   raising its EXCP_STKOF (interrupt 19) before the instruction retires: the model takes the
 *   STKOF UsageFault there (CFSR bit 20). Its register API has neither register, so the model
 *   reads them from Unicorn's CPU context at offsets found once by running MSR on a probe
 *   engine (find_limit_offsets). Exception entry checks the frame address against the limit of
 *   the stack it goes to: below it, SP is set to the limit, nothing is stacked, STKOF is pended
 *   as a UsageFault (escalated as any fault is), and the higher-priority of it and the
 *   exception being entered is taken, as QEMU's v7m_push_stack and v7m_exception_taken do.
 * - The SCS (v8m_scs_read/v8m_scs_write, called first by nvic.c): CPUID and the ID registers
 *   read as QEMU's Cortex-M33; NVIC_ITNS reads as zero and ignores writes (every interrupt
 *   targets the Secure state); CCR.STKALIGN and NONBASETHRDENA are RES1, STKOFHFNMIGN RAZ/WI
 *   (as QEMU's M33 reads it); AIRCR.PRIS reads as written and changes nothing (no Non-secure
 *   exception exists), BFHFNMINS is RAZ/WI; SHCSR adds HARDFAULTACT and NMIACT; SecureFault
 *   (exception 7: its priority, SHCSR's SECUREFAULT* bits) is absent.
 * - Security state changes: a branch to FNC_RETURN (0xFEFFFFFE/F: the return from a call to
 *   the Non-secure state, which cannot have happened) reaches the model as Unicorn's exception
 *   exit, and a fetch fault (prefetch abort) after a switch as well: both stop the run with
 *   FAULT_SECURITY (v8m_intr). BXNS/BLXNS to an even address Unicorn performs by itself: it
 *   switches to its Non-secure bank of SP, CONTROL and masks and runs on (measured: no fault
 *   while the SAU is off), unseen by the model; firmware for this board must not call
 *   Non-secure code. TrustZone would go here: a second bank of the SCS state, of the stack
 *   pointers and limits, SecureFault, and the security state in EXC_RETURN (S, ES, DCRS and
 *   the integrity signature of a frame with callee registers).
 */
#include <string.h>

#include "armv7m.h"

#define CCR_USERSETMPEND (1u << 1)
#define CCR_UNALIGN_TRP (1u << 3)
#define CCR_DIV_0_TRP (1u << 4)
#define CCR_BFHFNMIGN (1u << 8)
#define AIRCR_PRIS (1u << 14)
#define NVIC_ITNS 0x380    /* Interrupt Target Non-secure (D1.2 NVIC_ITNSn) */
#define SHCSR_HARDFAULTACT (1u << 2)
#define SHCSR_NMIACT (1u << 5)

/* QEMU 7.2's Cortex-M33 (target/arm/cpu_tcg.c cortex_m33_initfn), read back on mps2-an505:
 * ID_PFR0 at 0xD40 to CTR at 0xD7C. */
static const uint32_t id_regs[16] = {
	0x00000030, 0x00000210, 0x00200000, 0x00000000,   /* ID_PFR0, ID_PFR1, ID_DFR0, ID_AFR0 */
	0x00101F40, 0x00000000, 0x01000000, 0x00000000,   /* ID_MMFR0-3 */
	0x01101110, 0x02212000, 0x20232232, 0x01111131,   /* ID_ISAR0-3 */
	0x01310132, 0x00000000, 0x00000000, 0x8000C000,   /* ID_ISAR4, ID_ISAR5, CLIDR, CTR */
};

/* ---- MSPLIM and PSPLIM in Unicorn's CPU context ------------------------------------------ */

static long msplim_off = -1, psplim_off = -1;   /* byte offsets in a uc_context; found once */

/* The one offset of a context (size bytes) that holds v, or -1 (none, or more than one). */
static long unique_word(const uint8_t *ctx, size_t size, uint32_t v)
{
	long found = -1;
	for (size_t off = 0; off + 4 <= size; off += 4) {
		uint32_t w;
		memcpy(&w, ctx + off, 4);
		if (w == v) {
			if (found >= 0)
				return -1;
			found = (long)off;
		}
	}
	return found;
}

/* Runs `msr msplim, r0; msr psplim, r1` (T1 MSR, SYSm 0x0A and 0x0B) on a probe engine of the
 * same CPU model and finds the two values in its saved context, after clearing r0 and r1. */
static int find_limit_offsets(uc_engine *like)
{
	static const uint8_t code[] = {0x80, 0xF3, 0x0A, 0x88, 0x81, 0xF3, 0x0B, 0x88};
	const uint32_t mval = 0x5A5A5A58u, pval = 0x3C3C3C38u, base = 0x10000000u;
	int model;
	uc_engine *uc;
	if (msplim_off >= 0)
		return 0;
	if (uc_ctl_get_cpu_model(like, &model) || uc_open(UC_ARCH_ARM, UC_MODE_THUMB, &uc))
		return -1;
	uint32_t r0 = mval, r1 = pval, zero = 0;
	uc_context *x = NULL;
	int ok = !uc_ctl_set_cpu_model(uc, model) && !uc_mem_map(uc, base, 0x1000, UC_PROT_ALL) &&
		 !uc_mem_write(uc, base, code, sizeof(code)) &&
		 !uc_reg_write(uc, UC_ARM_REG_R0, &r0) && !uc_reg_write(uc, UC_ARM_REG_R1, &r1) &&
		 !uc_emu_start(uc, base | 1, base + sizeof(code), 0, 2) &&
		 !uc_reg_write(uc, UC_ARM_REG_R0, &zero) && !uc_reg_write(uc, UC_ARM_REG_R1, &zero) &&
		 !uc_context_alloc(uc, &x) && !uc_context_save(uc, x);
	if (ok) {
		size_t size = uc_context_size(uc);
		long m = unique_word((const uint8_t *)x, size, mval);
		long p = unique_word((const uint8_t *)x, size, pval);
		ok = m >= 0 && p >= 0;
		if (ok) {
			msplim_off = m;
			psplim_off = p;
		}
	}
	if (x)
		uc_context_free(x);
	uc_close(uc);
	return ok ? 0 : -1;
}

/* A context to save into, one per thread (cores may run in several threads; the CPU model,
 * and so the size, is the same for all): allocated once, kept for the thread's life. */
static _Thread_local uc_context *limit_ctx;

/* MSPLIM (psp = 0) or PSPLIM (psp = 1) of the Secure state, as the firmware set it. */
static uint32_t sp_limit(struct core *c, int psp)
{
	uint32_t v = 0;
	if (!limit_ctx && uc_context_alloc(c->uc, &limit_ctx))
		return 0;
	uc_context_save(c->uc, limit_ctx);
	memcpy(&v, (const uint8_t *)limit_ctx + (psp ? psplim_off : msplim_off), 4);
	return v;
}

int armv7m_sp_limits(struct core *c, uint32_t *out)
{
	if (!c->arch || arm(c)->profile.version != 8 || msplim_off < 0)
		return -1;
	out[0] = sp_limit(c, 0);
	out[1] = sp_limit(c, 1);
	return 0;
}

int v8m_init(struct core *c)
{
	struct armv7m *a = arm(c);
	if (find_limit_offsets(c->uc))
		return -1;
	a->ccr |= CCR_NONBASETHRDENA;   /* RES1 on ARMv8-M, with STKALIGN */
	return 0;
}

/* ---- exception entry and return -------------------------------------------------------- */

int v8m_frame_below_limit(struct core *c, uint32_t frame, int psp, uint32_t *limit)
{
	*limit = sp_limit(c, psp);
	return frame < *limit;
}

/* A frame below the stack limit on entry to e (B3.19): STKOF pends UsageFault,
 * escalated as any fault against the execution priority before entry (QEMU v7m_push_stack);
 * of it and e the higher priority (then the lower number) is taken, the other stays pending.
 * Returns the exception to take, 0 for a lockup. */
int v8m_stkof_on_entry(struct core *c, int e, uint32_t ret)
{
	struct armv7m *a = arm(c);
	a->cfsr |= CFSR_STKOF;
	int f = v7m_fault_target(c, EXC_USAGEFAULT, ret, ret, FAULT_STACK_LIMIT);
	if (!f || f == e)
		return f;
	int take = exc_prio(a, f) < exc_prio(a, e) || (exc_prio(a, f) == exc_prio(a, e) && f < e)
		? f : e;
	int other = take == f ? e : f;
	if (!a->pending[other])
		v7m_set_pending(c, other, PEND_SOFTWARE);
	return take;
}

int v8m_excret_illegal(struct core *c, uint32_t excret)
{
	if ((excret & EXCRET_RES1) != EXCRET_RES1)
		core_guest_error(c, excret);        /* UNPREDICTABLE; QEMU goes on, so do we */
	if (excret & EXCRET_RES0)
		return 1;
	if (!(excret & EXCRET_ES))
		return 1;                           /* a Non-secure exception: none is active */
	if (!(excret & EXCRET_S) || !(excret & EXCRET_DCRS) || !(excret & EXCRET_FTYPE) ||
	    (!(excret & EXCRET_MODE) && (excret & EXCRET_SPSEL))) {
		/* the Non-secure state, a frame with callee registers, an FP frame, or Handler
		 * mode on PSP: none of them this model has */
		core_guest_error(c, excret);
		return 1;
	}
	return 0;
}

/* Unicorn's exceptions that only ARMv8-M raises: 1 when handled. */
int v8m_intr(struct core *c, uint32_t intno, uint32_t pc)
{
	if (intno == EXCP_STKOF) {
		/* an SP write in code below MSPLIM/PSPLIM: the instruction did not retire */
		arm(c)->cfsr |= CFSR_STKOF;
		v7m_take_fault(c, EXC_USAGEFAULT, pc, pc, FAULT_STACK_LIMIT);
		return 1;
	}
	if (intno == EXCP_EXCEPTION_EXIT || intno == EXCP_PREFETCH_ABORT) {
		/* FNC_RETURN, or a fetch after BXNS/BLXNS switched Unicorn to the Non-secure state */
		c->fault_pc = pc;
		c->fault_addr = pc;
		c->fault_cause = FAULT_SECURITY;
		core_stop(c, STOP_ERROR);
		return 1;
	}
	return 0;
}

/* ---- the System Control Space -------------------------------------------------------- */

int v8m_scs_read(struct core *c, uint32_t off, uint32_t *v)
{
	struct armv7m *a = arm(c);
	if (off >= NVIC_ITNS && off < NVIC_ITNS + 0x40) {
		*v = 0;
		return 1;
	}
	if (off >= 0xD40 && off < 0xD80) {
		*v = id_regs[(off - 0xD40) / 4];
		return 1;
	}
	switch (off) {
	case CPUID: *v = 0x410FD213u; return 1;     /* Cortex-M33 r0p3, as QEMU */
	case AIRCR: *v = (0xFA05u << 16) | (a->prigroup << 8) | (a->aircr_pris ? AIRCR_PRIS : 0);
		return 1;
	case SHCSR:
		*v = v7m_shcsr(a) | (a->active[EXC_HARDFAULT] ? SHCSR_HARDFAULTACT : 0) |
		     (a->active[EXC_NMI] ? SHCSR_NMIACT : 0);
		return 1;
	}
	return 0;
}

int v8m_scs_write(struct core *c, uint32_t off, uint32_t v)
{
	struct armv7m *a = arm(c);
	if (off >= NVIC_ITNS && off < NVIC_ITNS + 0x40) {
		if (v)   /* an interrupt for the Non-secure state: no such state here */
			core_guest_error(c, SCS_BASE + off);
		return 1;
	}
	switch (off) {
	case CCR:
		a->ccr = (v & (CCR_USERSETMPEND | CCR_UNALIGN_TRP | CCR_DIV_0_TRP | CCR_BFHFNMIGN)) |
			 CCR_STKALIGN | CCR_NONBASETHRDENA;
		return 1;
	case AIRCR:
		if ((v >> 16) == AIRCR_VECTKEY) {
			a->aircr_pris = !!(v & AIRCR_PRIS);
			if (v & (1u << 13))   /* BFHFNMINS: the faults to the Non-secure state */
				core_guest_error(c, SCS_BASE + off);
		}
		return 0;                 /* PRIGROUP, SYSRESETREQ and the key: nvic.c */
	}
	return 0;
}

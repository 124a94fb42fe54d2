/* ARMv7-M exception model, NVIC, SCB and SysTick, in C against Unicorn's API.
 *
 * Follows the ARMv7-M Architecture Reference Manual (DDI 0403E): B1.5 (exception model),
 * B3.2 (System Control Block), B3.3 (SysTick), B3.4 (NVIC). External interrupt n is exception
 * 16 + n. Unicorn 2.1.4 emulates the instructions (MRS/MSR/CPS on PRIMASK, BASEPRI, FAULTMASK
 * included) but has no NVIC and never performs exception entry or return: both are here.
 *
 * State is kept by meaning, per exception: priority, enabled, pending, active, and the input
 * level of each external line. arbitrate() is the only place that decides what runs next.
 *
 * Choices where the manual leaves one (each also in docs/semantics.md):
 * - CCR.STKALIGN resets to 1 (as on Cortex-M3 r2p0 and later): frames are 8-byte aligned.
 * - A pend made by the firmware (ISPR, STIR, ICSR, SysTick, enabling a pending IRQ) is taken at
 *   the next translation-block boundary, which is no later than the next ISB, CPS, MSR or
 *   exception return (each ends a block in Unicorn), as B1.5.4 / B3.4 permit.
 * - Line requests are sampled at the first block boundary at or after their tick.
 * - An external line held high re-pends its interrupt when the handler returns (B3.4.1).
 * - A stacking fault or an unusable vector ends the run as a lockup (we do not model derived
 *   exceptions on stacking): FirmwareError names the address.
 * - SysTick counts ticks (retired instructions) for both CLKSOURCE settings; CALIB reads
 *   NOREF=1, SKEW=1, TENMS=0 (no reference clock).
 * - CPUID reads 0x412FC231 (Cortex-M3 r2p1).
 */
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "core.h"

#define NEXC_MAX (16 + 496)

/* Exception numbers (B1.5.2) */
#define EXC_NMI 2
#define EXC_HARDFAULT 3
#define EXC_MEMMANAGE 4
#define EXC_BUSFAULT 5
#define EXC_USAGEFAULT 6
#define EXC_SVCALL 11
#define EXC_DEBUGMON 12
#define EXC_PENDSV 14
#define EXC_SYSTICK 15
#define EXC_IRQ0 16

/* System Control Space offsets from 0xE000E000 */
#define SCS_BASE 0xE000E000u
#define ICTR 0x004          /* Interrupt Controller Type (B3.4.3) */
#define SYST_CSR 0x010      /* SysTick Control and Status (B3.3.3) */
#define SYST_RVR 0x014      /* SysTick Reload Value (B3.3.4) */
#define SYST_CVR 0x018      /* SysTick Current Value (B3.3.5) */
#define SYST_CALIB 0x01C    /* SysTick Calibration (B3.3.6) */
#define NVIC_ISER 0x100     /* Interrupt Set-Enable (B3.4.4) */
#define NVIC_ICER 0x180     /* Interrupt Clear-Enable (B3.4.5) */
#define NVIC_ISPR 0x200     /* Interrupt Set-Pending (B3.4.6) */
#define NVIC_ICPR 0x280     /* Interrupt Clear-Pending (B3.4.7) */
#define NVIC_IABR 0x300     /* Interrupt Active Bit (B3.4.8) */
#define NVIC_IPR 0x400      /* Interrupt Priority (B3.4.9) */
#define CPUID 0xD00         /* (B3.2.3) */
#define ICSR 0xD04          /* Interrupt Control and State (B3.2.4) */
#define VTOR 0xD08          /* Vector Table Offset (B3.2.5) */
#define AIRCR 0xD0C         /* Application Interrupt and Reset Control (B3.2.6) */
#define SCR 0xD10           /* System Control (B3.2.7) */
#define CCR 0xD14           /* Configuration and Control (B3.2.8) */
#define SHPR1 0xD18         /* System Handler Priority 1-3 (B3.2.10-12) */
#define SHPR3 0xD20
#define SHCSR 0xD24         /* System Handler Control and State (B3.2.13) */
#define CFSR 0xD28          /* Configurable Fault Status (B3.2.15) */
#define HFSR 0xD2C          /* HardFault Status (B3.2.16) */
#define MMFAR 0xD34         /* MemManage Fault Address (B3.2.18) */
#define BFAR 0xD38          /* BusFault Address (B3.2.19) */
#define STIR 0xF00          /* Software Triggered Interrupt (B3.4.3) */

#define ICSR_NMIPENDSET (1u << 31)
#define ICSR_PENDSVSET (1u << 28)
#define ICSR_PENDSVCLR (1u << 27)
#define ICSR_PENDSTSET (1u << 26)
#define ICSR_PENDSTCLR (1u << 25)
#define ICSR_ISRPENDING (1u << 22)
#define ICSR_RETTOBASE (1u << 11)
#define AIRCR_VECTKEY 0x05FAu
#define CCR_NONBASETHRDENA (1u << 0)
#define CCR_STKALIGN (1u << 9)
#define SHCSR_MEMFAULTENA (1u << 16)
#define SHCSR_BUSFAULTENA (1u << 17)
#define SHCSR_USGFAULTENA (1u << 18)
#define CFSR_IBUSERR (1u << 8)
#define CFSR_PRECISERR (1u << 9)
#define CFSR_BFARVALID (1u << 15)
#define CFSR_UNDEFINSTR (1u << 16)
#define CFSR_INVSTATE (1u << 17)
#define CFSR_INVPC (1u << 18)
#define CFSR_UNALIGNED (1u << 24)
#define HFSR_FORCED (1u << 30)
#define SYST_ENABLE (1u << 0)
#define SYST_TICKINT (1u << 1)
#define SYST_CLKSOURCE (1u << 2)
#define SYST_COUNTFLAG (1u << 16)

#define XPSR_T (1u << 24)
#define XPSR_ALIGN (1u << 9)
#define XPSR_IT_MASK ((3u << 25) | (0x3Fu << 10))

#define APB_BASE 0x40000000u
#define APB_SIZE 0x30000u
#define UART0_OFF 0x4000u

struct armv7m {
	int num_irq, nexc;
	uint8_t prio_mask;                   /* implemented priority bits, e.g. 0xE0 for 3 */
	uint8_t prio[NEXC_MAX];
	uint8_t enabled[NEXC_MAX], pending[NEXC_MAX], active[NEXC_MAX], level[NEXC_MAX];
	/* pending and active as bitmaps too (bit e & 63 of word e / 64), so that finding the
	 * highest-priority pending exception and the active priority looks only at the set ones;
	 * pend_set/act_set keep both */
	uint64_t pend_bits[(NEXC_MAX + 63) / 64], act_bits[(NEXC_MAX + 63) / 64];
	int nactive;                         /* number of active exceptions = nesting depth */
	int max_depth;
	int cur;                             /* IPSR: the running exception, 0 = thread */
	uint32_t vtor, prigroup, ccr, shcsr, cfsr, hfsr, bfar, mmfar;
	uint32_t st_csr, st_rvr, st_cvr;     /* st_cvr holds the value while disabled */
	uint64_t st_zero;                    /* tick at which the counter next reaches 0 */
	uint32_t uart_ctrl, uart_bauddiv;
	uint32_t ack_addr;                   /* irqsim's line-acknowledge register, 0 = none */
	uint32_t scs_fault_addr;             /* an unprivileged SCS access to fault on, or 0 */
	uint32_t cost_entry, cost_tailchain, cost_return;  /* ticks the exception mechanism takes */
	uint32_t min_frame_sp;               /* lowest frame address stacked on MSP (high-water) */
	uint64_t taken, tailchains, preemptions;
	uc_hook h_unused;
};

static inline int is_fixed(int e) { return e <= EXC_HARDFAULT; }

/* Priority of exception e as configured: Reset -3, NMI -2, HardFault -1 (B1.5.4). */
static inline int exc_prio(struct armv7m *a, int e)
{
	return e == EXC_NMI ? -2 : e == EXC_HARDFAULT ? -1 : a->prio[e];
}

/* Group priority: the bits of the priority above the PRIGROUP split (B1.5.4). */
static inline int group_prio(struct armv7m *a, int e)
{
	int p = exc_prio(a, e);
	return p < 0 ? p : p & (int)((0xFFu << (a->prigroup + 1)) & 0xFFu);
}

static int exc_enabled(struct armv7m *a, int e)
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
static int highest_pending(struct armv7m *a)
{
	int best = 0, bestp = 1000;
	for (int w = 0; w < (a->nexc + 63) / 64; w++)
		for (uint64_t b = a->pend_bits[w]; b; b &= b - 1) {   /* ascending numbers */
			int e = w * 64 + __builtin_ctzll(b);
			if (e < EXC_NMI || !exc_enabled(a, e))
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
static int active_prio(struct armv7m *a)
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

/* flags[e] and bit e of the bitmap `bits` together */
static void flag_set(uint8_t *flags, uint64_t *bits, int e, int on)
{
	flags[e] = (uint8_t)on;
	if (on)
		bits[e >> 6] |= 1ull << (e & 63);
	else
		bits[e >> 6] &= ~(1ull << (e & 63));
}

static void pend_set(struct armv7m *a, int e, int on)
{
	flag_set(a->pending, a->pend_bits, e, on);
}

static void act_set(struct armv7m *a, int e, int on)
{
	flag_set(a->active, a->act_bits, e, on);
}

/* Execution priority including PRIMASK, FAULTMASK and BASEPRI (B1.5.4). */
static void rebuild_hflags(struct core *c);

/* PRIMASK, BASEPRI, FAULTMASK. They apply in unprivileged thread mode too (B1.5.4), but
 * Unicorn's register API reads them as 0 there: in that case look through handler mode. */
static void read_masks(struct core *c, uint32_t *primask, uint32_t *basepri, uint32_t *faultmask)
{
	uint32_t control = 0, xpsr = 0, view;
	int unpriv = 0;
	if (c->arm->cur == 0) {
		uc_reg_read(c->uc, UC_ARM_REG_CONTROL, &control);
		unpriv = control & 1;
	}
	if (unpriv) {
		uc_reg_read(c->uc, UC_ARM_REG_XPSR, &xpsr);
		view = (xpsr & ~0x1FFu) | EXC_HARDFAULT;
		uc_reg_write(c->uc, UC_ARM_REG_XPSR, &view);
	}
	uc_reg_read(c->uc, UC_ARM_REG_PRIMASK, primask);
	uc_reg_read(c->uc, UC_ARM_REG_BASEPRI, basepri);
	uc_reg_read(c->uc, UC_ARM_REG_FAULTMASK, faultmask);
	if (unpriv) {
		uc_reg_write(c->uc, UC_ARM_REG_XPSR, &xpsr);
		rebuild_hflags(c);
	}
}

static int exec_prio(struct core *c, int *masked)
{
	struct armv7m *a = c->arm;
	uint32_t primask = 0, basepri = 0, faultmask = 0;
	int p = active_prio(a), boosted = 256;
	read_masks(c, &primask, &basepri, &faultmask);
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

/* Pends exception e. `source`: 0 a line request (accounted), 1 a level line re-pending,
 * 2 the firmware, 3 a timer. */
static void set_pending_at(struct core *c, int e, uint32_t source, uint64_t tick)
{
	struct armv7m *a = c->arm;
	if (a->pending[e]) {
		core_trace_at(c, tick, EV_COALESCE, (uint16_t)e, source);
		if (source == 0 && e >= EXC_IRQ0)
			acct_coalesce(c, (uint32_t)(e - EXC_IRQ0));
		return;
	}
	if (source == 0 && e >= EXC_IRQ0)
		acct_pend(c, (uint32_t)(e - EXC_IRQ0), c->req_tick);
	pend_set(a, e, 1);
	core_trace_at(c, tick, EV_PEND, (uint16_t)e, source);
	c->need_check = 1;
}

static void set_pending(struct core *c, int e, uint32_t source)
{
	set_pending_at(c, e, source, c->ticks);
}

/* ---- SysTick (B3.3) ------------------------------------------------------------------- */

static uint32_t systick_cvr(struct core *c)
{
	struct armv7m *a = c->arm;
	if (a->st_zero == UINT64_MAX)
		return a->st_cvr;
	uint64_t v = a->st_zero - c->ticks;
	/* at the tick of a wrap the counter reads 0; st_zero already points one period on */
	if (v == (uint64_t)a->st_rvr + 1)
		v = 0;
	return (uint32_t)(v & 0xFFFFFF);
}

static void systick_advance(struct core *c)
{
	struct armv7m *a = c->arm;
	while (a->st_zero <= c->ticks) {
		a->st_csr |= SYST_COUNTFLAG;
		if (a->st_csr & SYST_TICKINT)
			set_pending_at(c, EXC_SYSTICK, 3, a->st_zero);  /* recorded when it wrapped */
		if (!a->st_rvr) {          /* RELOAD 0 stops the counter at its next wrap */
			a->st_cvr = 0;
			a->st_zero = UINT64_MAX;
		} else {
			a->st_zero += (uint64_t)a->st_rvr + 1;
		}
	}
}

/* The counter restarts from `cvr` now: it reaches 0 after cvr ticks, or, from 0, reloads on
 * the next tick and reaches 0 after RELOAD more. */
static void systick_start(struct core *c, uint32_t cvr)
{
	struct armv7m *a = c->arm;
	if (cvr)
		a->st_zero = c->ticks + cvr;
	else
		a->st_zero = a->st_rvr ? c->ticks + 1 + a->st_rvr : UINT64_MAX;
}

uint64_t armv7m_deadline(struct core *c)
{
	return c->arm ? c->arm->st_zero : UINT64_MAX;
}

/* ---- exception entry and return (B1.5.6, B1.5.7, B1.5.8) ---------------------------------- */

static int vector_of(struct core *c, int e, uint32_t *pc)
{
	if (core_read32(c, c->arm->vtor + 4u * (uint32_t)e, pc) || !(*pc & 1)) {
		c->fault_pc = c->arm->vtor + 4u * (uint32_t)e;
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

static void rebuild_hflags(struct core *c)
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
	struct armv7m *a = c->arm;
	if (e >= EXC_IRQ0)
		acct_enter(c, (uint32_t)(e - EXC_IRQ0), how);
	pend_set(a, e, 0);
	act_set(a, e, 1);
	a->nactive++;
	if (a->nactive > a->max_depth)
		a->max_depth = a->nactive;
	a->cur = e;
	a->taken++;
	core_trace(c, EV_EXECPRI, (uint16_t)e, (uint32_t)(active_prio(a) + 256));
}

/* Takes exception e with `ret` as the return address: PushStack then ExceptionTaken. */
static int exc_entry(struct core *c, int e, uint32_t ret)
{
	struct armv7m *a = c->arm;
	static const int regs[] = {UC_ARM_REG_R0, UC_ARM_REG_R1, UC_ARM_REG_R2, UC_ARM_REG_R3,
				   UC_ARM_REG_R12, UC_ARM_REG_LR, UC_ARM_REG_SP, UC_ARM_REG_XPSR,
				   UC_ARM_REG_CONTROL};
	uint32_t v[9];
	void *pv[9];
	for (int i = 0; i < 9; i++)
		pv[i] = &v[i];
	uc_reg_read_batch(c->uc, (int *)regs, pv, 9);
	uint32_t sp = v[6], xpsr = v[7], control = v[8];
	int from_handler = a->cur != 0;
	uint32_t handler;
	if (vector_of(c, e, &handler))
		return -1;

	uint32_t align = (a->ccr & CCR_STKALIGN) && (sp & 4) ? 1 : 0;
	uint32_t frame = (sp - 0x20u) & ~(align ? 4u : 0u);
	uint32_t stacked_xpsr = (xpsr & ~XPSR_ALIGN) | (align ? XPSR_ALIGN : 0) | (uint32_t)a->cur;
	uint32_t words[8] = {v[0], v[1], v[2], v[3], v[4], v[5], ret & ~1u, stacked_xpsr};
	uint8_t *p = core_host_ptr(c, frame, 32);
	if (!p) {
		lockup(c, ret, frame, FAULT_STACKING);
		return -1;
	}
	memcpy(p, words, 32);

	uint32_t exc_return = from_handler ? 0xFFFFFFF1u : (control & 2) ? 0xFFFFFFFDu : 0xFFFFFFF9u;
	/* SP first, while R13 is still the stack we pushed to; the xPSR write then switches R13
	 * to MSP (Unicorn banks SP on IPSR). */
	uc_reg_write(c->uc, UC_ARM_REG_SP, &frame);
	uint32_t new_xpsr = (xpsr & 0xF8000000u) | XPSR_T | (uint32_t)e;   /* ITSTATE cleared */
	if (!from_handler && (control & 2)) {
		/* CONTROL.SPSEL = 0 (B1.5.6). Unicorn applies an SPSEL write only in privileged
		 * thread mode (R13 then switches to MSP): an unprivileged thread is made
		 * privileged for the write, through handler mode, and nPRIV restored with it. */
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
	rebuild_hflags(c);
	uc_reg_write(c->uc, UC_ARM_REG_PC, &handler);
	c->pc_redirected = 1;

	if (exc_return != 0xFFFFFFFDu && frame < a->min_frame_sp)
		a->min_frame_sp = frame;     /* the frame went on MSP: its high-water mark */
	c->ticks += a->cost_entry;   /* stacking and vector fetch: the handler starts after it */
	if (from_handler) {
		core_trace(c, EV_PREEMPT, (uint16_t)e, (uint32_t)a->cur);
		a->preemptions++;
	} else {
		core_trace(c, EV_ENTRY, (uint16_t)e, ret & ~1u);
		core_enter_handler_mode(c);
	}
	activate(c, e, from_handler);
	return 0;
}

/* Decides whether the highest pending exception preempts now, and takes it (at a block
 * boundary whose first instruction is `pc`). */
static void arbitrate(struct core *c, uint64_t pc)
{
	struct armv7m *a = c->arm;
	c->need_check = 0;
	c->recheck_masked = 0;
	int e = highest_pending(a);
	if (!e)
		return;
	int gp = group_prio(a, e);
	if (gp >= active_prio(a))
		return;                    /* an exception return will look again */
	int masked;
	if (gp >= exec_prio(c, &masked)) {
		c->recheck_masked = masked; /* unmasking (CPS, MSR) ends a block: look each block */
		return;
	}
	exc_entry(c, e, (uint32_t)pc);
}

void armv7m_service(struct core *c, uint64_t pc)
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
	struct armv7m *a = c->arm;
	int ep = exec_prio(c, NULL);
	core_trace(c, EV_FAULT, (uint16_t)f, (uint32_t)addr);
	if (f != EXC_HARDFAULT && (!exc_enabled(a, f) || group_prio(a, f) >= ep)) {
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

/* Level lines still high re-pend their interrupt when it is deactivated (B3.4.1). */
static void deactivate(struct core *c, int e)
{
	struct armv7m *a = c->arm;
	if (e >= EXC_IRQ0)
		acct_return(c, (uint32_t)(e - EXC_IRQ0));
	if (a->active[e]) {
		act_set(a, e, 0);
		a->nactive--;
	}
	if (e >= EXC_IRQ0 && a->level[e])
		set_pending(c, e, 1);
}

/* Enters exception `next` at the return of `from` through the frame already stacked: the
 * tail-chain of B1.5.12, also how an illegal return's UsageFault is taken (B1.5.8). */
static void chain_into(struct core *c, int next, uint32_t excret, int from)
{
	struct armv7m *a = c->arm;
	uint32_t handler, xpsr;
	if (vector_of(c, next, &handler))
		return;
	uc_reg_read(c->uc, UC_ARM_REG_XPSR, &xpsr);
	xpsr = (xpsr & ~0x1FFu) | (uint32_t)next;
	uc_reg_write(c->uc, UC_ARM_REG_XPSR, &xpsr);
	/* the new handler returns through the same frame: LR = the same EXC_RETURN */
	uc_reg_write(c->uc, UC_ARM_REG_LR, &excret);
	rebuild_hflags(c);
	uc_reg_write(c->uc, UC_ARM_REG_PC, &handler);
	c->ticks += a->cost_tailchain;
	core_trace(c, EV_TAILCHAIN, (uint16_t)next, (uint32_t)from);
	activate(c, next, 2);
}

/* An illegal exception return (B1.5.8): the returning exception is deactivated, UFSR.INVPC
 * set, and UsageFault taken on the frame still stacked, with LR = the EXC_RETURN value; it
 * escalates to HardFault, or locks up, as any fault does. */
static void illegal_return(struct core *c, uint32_t excret, int e)
{
	deactivate(c, e);
	c->arm->cfsr |= CFSR_INVPC;
	int f = fault_target(c, EXC_USAGEFAULT, excret, excret, FAULT_EXC_RETURN);
	if (f)
		chain_into(c, f, excret, e);
}

/* ExceptionReturn (B1.5.8), entered when the core branched to an EXC_RETURN value. */
static void exc_return(struct core *c, uint32_t excret)
{
	struct armv7m *a = c->arm;
	int e = a->cur;
	if (e == 0) {
		/* in thread mode 0xFxxxxxxx is no EXC_RETURN: the branch fetches from the
		 * Execute Never system region (B3.1), an instruction access fault */
		a->cfsr |= CFSR_IBUSERR;
		take_fault(c, EXC_BUSFAULT, excret & ~1u, excret & ~1u, FAULT_BUS_FETCH);
		return;
	}
	int to_thread = excret != 0xFFFFFFF1u;
	if (!a->active[e] ||
	    (excret != 0xFFFFFFF1u && excret != 0xFFFFFFF9u && excret != 0xFFFFFFFDu) ||
	    (to_thread && a->nactive > 1 && !(a->ccr & CCR_NONBASETHRDENA))) {
		/* a bad value, or a return to thread mode with another exception still active */
		illegal_return(c, excret, e);
		return;
	}
	deactivate(c, e);
	if (e != EXC_NMI) {
		uint32_t zero = 0;
		uc_reg_write(c->uc, UC_ARM_REG_FAULTMASK, &zero);
	}
	/* Tail-chaining: a pending exception that would preempt the context being returned to
	 * is taken now, without unstacking and restacking (B1.5.12). */
	int next = highest_pending(a);
	if (next) {
		int masked;
		int ep = exec_prio(c, &masked);
		if (group_prio(a, next) < ep) {
			chain_into(c, next, excret, e);
			a->tailchains++;
			return;
		}
		c->recheck_masked = masked;
	}
	/* PopStack */
	uint32_t sp;
	int reg_sp = excret == 0xFFFFFFFDu ? UC_ARM_REG_PSP : UC_ARM_REG_MSP;
	uc_reg_read(c->uc, reg_sp, &sp);
	uint8_t *p = core_host_ptr(c, sp, 32);
	if (!p) {
		lockup(c, excret, sp, FAULT_STACKING);
		return;
	}
	uint32_t w[8];
	memcpy(w, p, 32);
	uint32_t new_sp = sp + 0x20u;
	if ((a->ccr & CCR_STKALIGN) && (w[7] & XPSR_ALIGN))
		new_sp |= 4;
	uc_reg_write(c->uc, reg_sp, &new_sp);
	int to = (int)(w[7] & 0x1FF);   /* the exception (0: thread) the frame returns to */
	uint32_t xpsr = (w[7] & ~XPSR_ALIGN) | XPSR_T;
	if (excret == 0xFFFFFFFDu) {
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
	} else {
		uc_reg_write(c->uc, UC_ARM_REG_XPSR, &xpsr);
	}
	rebuild_hflags(c);
	static const int regs[] = {UC_ARM_REG_R0, UC_ARM_REG_R1, UC_ARM_REG_R2, UC_ARM_REG_R3,
				   UC_ARM_REG_R12, UC_ARM_REG_LR};
	void *pv[6];
	for (int i = 0; i < 6; i++)
		pv[i] = &w[i];
	uc_reg_write_batch(c->uc, (int *)regs, pv, 6);
	uint32_t pc = w[6] | 1u;
	uc_reg_write(c->uc, UC_ARM_REG_PC, &pc);
	c->ticks += a->cost_return;
	core_trace(c, EV_RETURN, (uint16_t)e, (uint32_t)to);
	a->cur = to_thread ? 0 : to;
	core_trace(c, EV_EXECPRI, (uint16_t)a->cur, (uint32_t)(active_prio(a) + 256));
	if (to_thread)
		core_leave_handler_mode(c);
	c->need_check = 1;
}

/* ---- Unicorn exceptions ------------------------------------------------------------------ */

#define EXCP_UDEF 1
#define EXCP_SWI 2
#define EXCP_PREFETCH_ABORT 3
#define EXCP_DATA_ABORT 4
#define EXCP_BKPT 7
#define EXCP_EXCEPTION_EXIT 8
#define EXCP_INVSTATE 18

void armv7m_intr(struct core *c, uint32_t intno)
{
	uint32_t pc;
	uc_reg_read(c->uc, UC_ARM_REG_PC, &pc);
	if ((intno == EXCP_EXCEPTION_EXIT || intno == EXCP_PREFETCH_ABORT) && pc >= 0xFFFFFFE0u) {
		core_charge_partial(c, pc);
		exc_return(c, pc | 1u);
		return;
	}
	if (intno == EXCP_SWI) {
		core_charge_partial(c, pc);          /* PC is already past the SVC */
		struct armv7m *a = c->arm;
		if (group_prio(a, EXC_SVCALL) < exec_prio(c, NULL)) {
			core_trace(c, EV_PEND, EXC_SVCALL, 2);
			exc_entry(c, EXC_SVCALL, pc);
		} else {
			/* SVC that cannot be taken at once escalates (B1.5.15): HardFault, FORCED,
			 * with SVCall's return address, the next instruction (B1.5.6) */
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
	if (intno == EXCP_INVSTATE) {
		/* execution with EPSR.T = 0 (a branch to an even address): INVSTATE (B3.2.15) */
		c->arm->cfsr |= CFSR_INVSTATE;
		take_fault(c, EXC_USAGEFAULT, pc, pc, FAULT_INVSTATE);
		return;
	}
	c->arm->cfsr |= CFSR_UNDEFINSTR;
	take_fault(c, EXC_USAGEFAULT, pc, pc, FAULT_UNDEF);
}

/* emu_start returned after an SCS callback stopped it: the BusFault of an unprivileged
 * access, taken at the accessing instruction (its effect was suppressed). Returns 1 when it
 * did something. */
int armv7m_resume(struct core *c)
{
	struct armv7m *a = c->arm;
	if (!a || !a->scs_fault_addr)
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
int armv7m_fault(struct core *c, uc_err err, uint64_t pc)
{
	struct armv7m *a = c->arm;
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

/* ---- lines from Python ------------------------------------------------------------------ */

void armv7m_line(struct core *c, uint32_t line, uint32_t kind)
{
	struct armv7m *a = c->arm;
	int e = line == LINE_NMI ? EXC_NMI : (int)line + EXC_IRQ0;
	if (e >= a->nexc)
		return;  /* checked in Python */
	switch (kind) {
	case LINE_RAISE:
		if (!a->level[e]) {
			a->level[e] = 1;
			set_pending(c, e, 0);
		} else {
			/* already high: no new edge, the request merges with the one holding it */
			core_trace(c, EV_COALESCE, (uint16_t)e, 0);
			acct_coalesce(c, line);
		}
		break;
	case LINE_LOWER:
		a->level[e] = 0;   /* the pending state, once latched, stays (B3.4.1) */
		core_trace(c, EV_LOWER, (uint16_t)line, 0);
		break;
	case LINE_PULSE:
		set_pending(c, e, 0);
		break;
	}
}

int armv7m_wakeable(struct core *c)
{
	/* WFI wakes on a pending exception that would preempt were PRIMASK clear (B1.5.19). */
	struct armv7m *a = c->arm;
	systick_advance(c);
	int e = highest_pending(a);
	if (!e)
		return 0;
	uint32_t primask, basepri, faultmask;
	read_masks(c, &primask, &basepri, &faultmask);
	basepri &= a->prio_mask;
	int p = active_prio(a);
	if (basepri && (int)basepri < p)
		p = (int)basepri;
	return group_prio(a, e) < p;
}

/* ---- System Control Space ---------------------------------------------------------------- */

static uint32_t scs_read32(struct core *c, uint32_t off)
{
	struct armv7m *a = c->arm;
	uint32_t v = 0;
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
	case SYST_CSR:
		systick_advance(c);
		v = a->st_csr;
		a->st_csr &= ~SYST_COUNTFLAG;   /* COUNTFLAG clears on read */
		return v;
	case SYST_RVR: return a->st_rvr;
	case SYST_CVR: systick_advance(c); return systick_cvr(c);
	case SYST_CALIB: return 0xC0000000u;
	case CPUID: return 0x412FC231u;
	case ICSR: {
		int pend = highest_pending(a), others = 0, isr = 0;
		for (int e = EXC_NMI; e < a->nexc; e++) {
			if (a->active[e] && e != a->cur)
				others = 1;
			if (e >= EXC_IRQ0 && a->pending[e])
				isr = 1;
		}
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
		return a->shcsr | (a->active[EXC_MEMMANAGE] << 0) | (a->active[EXC_BUSFAULT] << 1) |
		       (a->active[EXC_USAGEFAULT] << 3) | (a->active[EXC_SVCALL] << 7) |
		       (a->active[EXC_DEBUGMON] << 8) | (a->active[EXC_PENDSV] << 10) |
		       (a->active[EXC_SYSTICK] << 11) | (a->pending[EXC_USAGEFAULT] << 12) |
		       (a->pending[EXC_MEMMANAGE] << 13) | (a->pending[EXC_BUSFAULT] << 14) |
		       (a->pending[EXC_SVCALL] << 15);
	case CFSR: return a->cfsr;
	case HFSR: return a->hfsr;
	case MMFAR: return a->mmfar;
	case BFAR: return a->bfar;
	case 0xD30: case 0xD3C: return 0;   /* DFSR, AFSR */
	}
	if (off >= 0xD40 && off < 0xD80)  /* CPUID feature registers: RAZ is honest enough */
		return 0;
	core_guest_error(c, SCS_BASE + off);
	return 0;
}

static void scs_write32(struct core *c, uint32_t off, uint32_t v)
{
	struct armv7m *a = c->arm;
	if (off >= NVIC_ISER && off < NVIC_IABR) {
		uint32_t group = (off & 0x7F) / 4, kind = off & ~0x7Fu;
		for (int b = 0; b < 32; b++) {
			int e = EXC_IRQ0 + (int)group * 32 + b;
			if (e >= a->nexc)
				break;
			if (!(v >> b & 1))
				continue;
			if (kind == NVIC_ISER)
				a->enabled[e] = 1;
			else if (kind == NVIC_ICER)
				a->enabled[e] = 0;
			else if (kind == NVIC_ISPR)
				set_pending(c, e, 2);
			else if (a->pending[e]) {
				pend_set(a, e, 0);
				core_trace(c, EV_UNPEND, (uint16_t)e, 0);
				acct_withdraw(c, (uint32_t)(e - EXC_IRQ0), 1);
			}
		}
		c->need_check = 1;
		return;
	}
	if (off >= NVIC_IPR && off < NVIC_IPR + 0x1F0) {
		for (int i = 0; i < 4; i++) {
			int e = EXC_IRQ0 + (int)(off - NVIC_IPR) + i;
			if (e < a->nexc)
				a->prio[e] = (uint8_t)(v >> (8 * i)) & a->prio_mask;
		}
		c->need_check = 1;
		return;
	}
	switch (off) {
	case SYST_CSR: {
		systick_advance(c);
		int was = a->st_csr & SYST_ENABLE;
		a->st_csr = (a->st_csr & SYST_COUNTFLAG) | (v & (SYST_ENABLE | SYST_TICKINT | SYST_CLKSOURCE));
		if (!was && (v & SYST_ENABLE))
			systick_start(c, a->st_cvr);
		else if (was && !(v & SYST_ENABLE)) {
			a->st_cvr = systick_cvr(c);
			a->st_zero = UINT64_MAX;
		}
		break;
	}
	case SYST_RVR:
		a->st_rvr = v & 0xFFFFFF;
		break;
	case SYST_CVR:   /* any write clears the counter and COUNTFLAG */
		a->st_csr &= ~SYST_COUNTFLAG;
		a->st_cvr = 0;
		if (a->st_csr & SYST_ENABLE)
			systick_start(c, 0);
		break;
	case ICSR:
		if (v & ICSR_NMIPENDSET)
			set_pending(c, EXC_NMI, 2);
		if (v & ICSR_PENDSVSET)
			set_pending(c, EXC_PENDSV, 2);
		else if ((v & ICSR_PENDSVCLR) && a->pending[EXC_PENDSV]) {
			pend_set(a, EXC_PENDSV, 0);
			core_trace(c, EV_UNPEND, EXC_PENDSV, 0);
		}
		if (v & ICSR_PENDSTSET)
			set_pending(c, EXC_SYSTICK, 2);
		else if ((v & ICSR_PENDSTCLR) && a->pending[EXC_SYSTICK]) {
			pend_set(a, EXC_SYSTICK, 0);
			core_trace(c, EV_UNPEND, EXC_SYSTICK, 0);
		}
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
			/* implemented: MemManage, BusFault, UsageFault, SVCall, DebugMon, PendSV, SysTick */
			if (e <= 6 || e == 11 || e == 12 || e == 14 || e == 15)
				a->prio[e] = (uint8_t)(v >> (8 * i)) & a->prio_mask;
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
			set_pending(c, EXC_IRQ0 + (int)(v & 0x1FF), 2);
		else
			core_guest_error(c, SCS_BASE + off);
		break;
	default:
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
	struct armv7m *a = c->arm;
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
	uint32_t w = scs_read32(ud, off & ~3u);
	return (w >> (8 * (off & 3))) & (size >= 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1);
}

static void scs_write(uc_engine *uc, uint64_t offset, unsigned size, uint64_t value, void *ud)
{
	struct core *c = ud;
	(void)uc;
	uint32_t off = (uint32_t)offset;
	if (scs_denied(c, off, 1))
		return;
	if (size == 4 && !(off & 3)) {
		scs_write32(c, off, (uint32_t)value);
		return;
	}
	/* byte and halfword writes: the priority registers allow them (B3.4.9, B3.2.10) */
	int prio_reg = (off >= NVIC_IPR && off < NVIC_IPR + 0x1F0) || (off >= SHPR1 && off < SHPR3 + 4);
	if (!prio_reg) {
		core_guest_error(c, SCS_BASE + off);
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

/* ---- APB peripherals: the CMSDK UART0 console; the rest reads as zero (logged) --------- */

static uint64_t apb_read(uc_engine *uc, uint64_t offset, unsigned size, void *ud)
{
	struct core *c = ud;
	(void)uc, (void)size;
	switch (offset) {
	case UART0_OFF + 0x0: return 0;                  /* DATA: nothing received */
	case UART0_OFF + 0x4: return 0;                  /* STATE: transmitter never full */
	case UART0_OFF + 0x8: return c->arm->uart_ctrl;  /* CTRL */
	case UART0_OFF + 0xC: return 0;                  /* INTSTATUS */
	case UART0_OFF + 0x10: return c->arm->uart_bauddiv;
	}
	core_guest_error(c, APB_BASE + offset);
	return 0;
}

static void apb_write(uc_engine *uc, uint64_t offset, unsigned size, uint64_t value, void *ud)
{
	struct core *c = ud;
	(void)uc, (void)size;
	switch (offset) {
	case UART0_OFF + 0x0:
		if (c->arm->uart_ctrl & 1)
			core_console_putc(c, (char)value);
		else
			core_guest_error(c, APB_BASE + offset);  /* TX not enabled: QEMU drops it too */
		return;
	case UART0_OFF + 0x4: case UART0_OFF + 0xC: return;  /* W1C status bits */
	case UART0_OFF + 0x8: c->arm->uart_ctrl = (uint32_t)value & 0x7F; return;
	case UART0_OFF + 0x10: c->arm->uart_bauddiv = (uint32_t)value & 0xFFFFF; return;
	}
	if (c->arm->ack_addr && APB_BASE + offset == c->arm->ack_addr) {
		/* irqsim's acknowledge register: a handler lowers its level-triggered line */
		if (value < (uint64_t)c->arm->num_irq)
			armv7m_line(c, (uint32_t)value, LINE_LOWER);
		return;
	}
	core_guest_error(c, APB_BASE + offset);
}

/* ---- set-up and inspection (api.h) -------------------------------------------------------- */

uint32_t armv7m_count_insns(const uint8_t *p, uint32_t size)
{
	uint32_t n = 0;
	for (uint32_t off = 0; off < size; n++) {
		uint16_t hw = (uint16_t)(p[off] | p[off + 1] << 8);
		off += (hw >> 11) >= 0x1D ? 4 : 2;   /* 32-bit Thumb-2: first halfword 0b111xx, xx != 00 */
	}
	return n;
}

int armv7m_init(struct core *c, int num_irq, int prio_bits)
{
	struct armv7m *a = calloc(1, sizeof(*a));
	if (!a || num_irq < 1 || num_irq > 496 || prio_bits < 2 || prio_bits > 8) {
		free(a);
		return -1;
	}
	c->arm = a;
	a->num_irq = num_irq;
	a->nexc = EXC_IRQ0 + num_irq;
	a->prio_mask = (uint8_t)(0xFFu << (8 - prio_bits));
	a->ccr = CCR_STKALIGN;
	a->st_zero = UINT64_MAX;
	a->min_frame_sp = 0xFFFFFFFFu;
	if (uc_mmio_map(c->uc, SCS_BASE, 0x1000, scs_read, c, scs_write, c) ||
	    uc_mmio_map(c->uc, APB_BASE, APB_SIZE, apb_read, c, apb_write, c))
		return -2;
	return 0;
}

/* Reset (B1.5.5): MSP and PC from the vector table at VTOR = 0, thread mode, privileged. */
int armv7m_reset(struct core *c)
{
	struct armv7m *a = c->arm;
	uint32_t sp, pc, zero = 0, xpsr = XPSR_T;
	if (core_read32(c, 0, &sp) || core_read32(c, 4, &pc))
		return -1;
	a->vtor = 0;
	uc_reg_write(c->uc, UC_ARM_REG_XPSR, &xpsr);
	uc_reg_write(c->uc, UC_ARM_REG_CONTROL, &zero);
	uc_reg_write(c->uc, UC_ARM_REG_MSP, &sp);
	uc_reg_write(c->uc, UC_ARM_REG_SP, &sp);
	rebuild_hflags(c);
	pc |= 1;
	uc_reg_write(c->uc, UC_ARM_REG_PC, &pc);
	return (pc & 1) ? 0 : -1;
}

void armv7m_state(struct core *c, uint8_t *prio, uint8_t *enabled, uint8_t *pending,
		  uint8_t *active, uint8_t *level, int n)
{
	struct armv7m *a = c->arm;
	for (int e = 0; e < n && e < a->nexc; e++) {
		prio[e] = (uint8_t)exc_prio(a, e);
		enabled[e] = (uint8_t)exc_enabled(a, e);
		pending[e] = a->pending[e];
		active[e] = a->active[e];
		level[e] = a->level[e];
	}
}

void armv7m_set_costs(struct core *c, uint32_t entry, uint32_t tailchain, uint32_t ret)
{
	c->arm->cost_entry = entry;
	c->arm->cost_tailchain = tailchain;
	c->arm->cost_return = ret;
}

void armv7m_set_ack(struct core *c, uint32_t addr)
{
	c->arm->ack_addr = addr;
}

int armv7m_current_line(struct core *c)
{
	return c->arm && c->arm->cur >= EXC_IRQ0 ? c->arm->cur - EXC_IRQ0 : -1;
}

int armv7m_exec_priority(struct core *c)
{
	return exec_prio(c, NULL);
}

void armv7m_counters(struct core *c, uint64_t *out)
{
	struct armv7m *a = c->arm;
	out[0] = a->taken;
	out[1] = a->preemptions;
	out[2] = a->tailchains;
	out[3] = (uint64_t)a->max_depth;
	out[4] = a->min_frame_sp;
	out[5] = (uint64_t)a->cur;
	out[6] = (uint64_t)a->prigroup;
	out[7] = a->vtor;
}

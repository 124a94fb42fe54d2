/* ARMv7-M (armv7m/): the state the exception model (exc.c), the NVIC and SCB register file
 * (nvic.c), SysTick (systick.c) and the ARMv8-M differences (v8m.c) share, and what each
 * offers the others.
 *
 * Follows the ARMv7-M Architecture Reference Manual (DDI 0403E): B1.5 (exception model),
 * B3.2 (System Control Block), B3.3 (SysTick), B3.4 (NVIC); for profile.version 8, the ARMv8-M
 * ARM (DDI 0553) as v8m.c says.
 *
 * Numbering, defined here once: exception numbers as in B1.5.2 (1 Reset, 2 NMI, 3 HardFault,
 * 4 MemManage, 5 BusFault, 6 UsageFault, 11 SVCall, 12 DebugMonitor, 14 PendSV, 15 SysTick);
 * external interrupt line n is exception 16 + n (ARMV7M_EXC_IRQ0); the NMI input is the line
 * LINE_NMI. Trace records carry exception numbers (entry, preempt, tail-chain, return,
 * exec-priority, pend, coalesce, unpend, fault); requests and lowers carry the line.
 */
#ifndef SIM_NATIVE_ARMV7M_ARMV7M_H_
#define SIM_NATIVE_ARMV7M_ARMV7M_H_

#include <stdint.h>

#include "../api.h"
#include "../core.h"

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
#define EXC_IRQ0 ARMV7M_EXC_IRQ0

/* System Control Space offsets from 0xE000E000 */
#define SCS_BASE ARMV7M_SCS_BASE
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
#define CPACR 0xD88         /* Coprocessor Access Control (B3.2.20) */
#define FPCCR 0xF34         /* FP Context Control (B3.2.21) */
#define FPCAR 0xF38         /* FP Context Address (B3.2.22) */
#define FPDSCR 0xF3C        /* FP Default Status Control (B3.2.23) */
#define MVFR0 0xF40         /* Media and FP Feature 0-2 (B4.6) */
#define MVFR1 0xF44
#define MVFR2 0xF48
#define FP_SENTINEL 0xE00   /* reserved SCS words fpu.c points the engine's FPCAR at */

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
#define CFSR_NOCP (1u << 19)
#define CFSR_STKOF (1u << 20)        /* ARMv8-M: stack limit violation (D1.2 CFSR) */
#define CFSR_UNALIGNED (1u << 24)
#define FPCCR_LSPACT (1u << 0)
#define FPCCR_USER (1u << 1)
#define FPCCR_THREAD (1u << 3)
#define FPCCR_HFRDY (1u << 4)
#define FPCCR_MMRDY (1u << 5)
#define FPCCR_BFRDY (1u << 6)
#define FPCCR_MONRDY (1u << 8)
#define FPCCR_LSPEN (1u << 30)
#define FPCCR_ASPEN (1u << 31)
#define FPCCR_WRITABLE (FPCCR_ASPEN | FPCCR_LSPEN | FPCCR_MONRDY | FPCCR_BFRDY | FPCCR_MMRDY | \
			FPCCR_HFRDY | FPCCR_THREAD | FPCCR_USER | FPCCR_LSPACT)
#define CONTROL_FPCA (1u << 2)
#define HFSR_FORCED (1u << 30)
#define SYST_ENABLE (1u << 0)
#define SYST_TICKINT (1u << 1)
#define SYST_CLKSOURCE (1u << 2)
#define SYST_COUNTFLAG (1u << 16)

#define XPSR_T (1u << 24)
#define XPSR_ALIGN (1u << 9)
#define XPSR_IT_MASK ((3u << 25) | (0x3Fu << 10))

/* The FP extension's state (fpu.c), by meaning. */
struct v7m_fp {
	uint32_t cpacr, fpccr, fpcar, fpdscr;   /* the SCB's registers (B3.2.20-23) */
	int hook_change;                     /* the NOCP check is to be installed or removed */
	int sink;                            /* the helper's further sentinel words are due */
	uint32_t cost_entry_eager, cost_return_fp, cost_lazy;  /* extra ticks */
	uint64_t ext_frames, eager_saves, lazy_saves, ticks;    /* counters */
};

/* EXC_RETURN's fields (ARMv7-M ARM B1.5.8; ARMv8-M ARM B3.20 names the ones ARMv7-M fixes):
 * 6 S, 5 DCRS, 0 ES are 1 on ARMv7-M and in the Secure state without TrustZone */
#define EXCRET_RES1 0xFFFFFF80u       /* PREFIX 0xFF and bits [23:7] */
#define EXCRET_S (1u << 6)            /* frame on a Secure stack */
#define EXCRET_DCRS (1u << 5)         /* default callee-register stacking: r4-r11 not stacked */
#define EXCRET_FTYPE (1u << 4)        /* 1: the frame holds no FP context */
#define EXCRET_MODE (1u << 3)         /* 1: return to Thread mode */
#define EXCRET_SPSEL (1u << 2)        /* 1: the frame is on PSP */
#define EXCRET_RES0 (1u << 1)
#define EXCRET_ES (1u << 0)           /* the exception was taken to the Secure state */

/* EXC_RETURN on entry: to Handler mode, or to Thread mode on MSP or PSP (`psp`), with or
 * without an FP frame (`fp`, CONTROL.FPCA): 0xFFFFFFF1, F9, FD without FP. */
static inline uint32_t exc_return_value(int to_handler, int psp, int fp)
{
	return EXCRET_RES1 | EXCRET_S | EXCRET_DCRS | EXCRET_ES | (fp ? 0 : EXCRET_FTYPE) |
	       (to_handler ? 0 : EXCRET_MODE | (psp ? EXCRET_SPSEL : 0));
}

/* Unicorn's exception numbers at UC_HOOK_INTR (QEMU's EXCP_*, target/arm/cpu.h) */
#define EXCP_UDEF 1
#define EXCP_SWI 2
#define EXCP_PREFETCH_ABORT 3
#define EXCP_DATA_ABORT 4
#define EXCP_BKPT 7
#define EXCP_EXCEPTION_EXIT 8
#define EXCP_NOCP 17                  /* a coprocessor instruction with no coprocessor */
#define EXCP_INVSTATE 18
#define EXCP_STKOF 19                 /* ARMv8-M: an SP write below MSPLIM/PSPLIM */

struct armv7m {
	struct m_profile profile;            /* the core: architecture version, FPU, VTOR, SysTick */
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
	uint32_t scs_fault_addr;             /* an unprivileged SCS access to fault on, or 0 */
	uint32_t cost_entry, cost_tailchain, cost_return;  /* ticks the exception mechanism takes */
	uint32_t min_frame_sp;               /* lowest frame address stacked on MSP (high-water) */
	uint64_t taken, tailchains, preemptions;
	struct prio_note prio_note;          /* the first priority write that lost low bits ... */
	int prio_noted;                      /* ... once this is set */
	struct v7m_fp fp;                    /* the FP extension, when profile.fpu */
	void *fp_env;                        /* fpu.c's engine side (not in snapshots) */
	void *nocp;                          /* nocp.c's hooks and sites (not in snapshots) */
	uint32_t excret_min;                 /* branches at or above it are exception returns */
	int aircr_pris;                      /* ARMv8-M AIRCR.PRIS, as written (no effect) */
};

static inline struct armv7m *arm(struct core *c) { return c->cpu; }

/* Whether the core has the ARMv7-M FP extension modelled (fpu.c): an M4F or M7. */
static inline int v7m_fp(struct armv7m *a) { return a->fp_env != NULL; }

/* The accounting's line for exception e: its external line, or NO_LINE. */
static inline uint32_t line_of(int e)
{
	return e >= EXC_IRQ0 ? (uint32_t)(e - EXC_IRQ0) : NO_LINE;
}

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

/* flags[e] and bit e of the bitmap `bits` together */
static inline void flag_set(uint8_t *flags, uint64_t *bits, int e, int on)
{
	flags[e] = (uint8_t)on;
	if (on)
		bits[e >> 6] |= 1ull << (e & 63);
	else
		bits[e >> 6] &= ~(1ull << (e & 63));
}

static inline void pend_set(struct armv7m *a, int e, int on)
{
	flag_set(a->pending, a->pend_bits, e, on);
}

static inline void act_set(struct armv7m *a, int e, int on)
{
	flag_set(a->active, a->act_bits, e, on);
}

/* exc.c: the exception model */
int v7m_exc_enabled(struct armv7m *a, int e);
int v7m_highest_pending(struct armv7m *a);
int v7m_active_prio(struct armv7m *a);
int v7m_exec_prio(struct core *c, int *masked);
void v7m_read_masks(struct core *c, uint32_t *primask, uint32_t *basepri, uint32_t *faultmask);
void v7m_rebuild_hflags(struct core *c);
/* Pends exception e, recorded at `tick`; `source` a PEND_* value, `req` the tick of the line
 * request behind it (NO_TICK for none). */
void v7m_set_pending_at(struct core *c, int e, uint32_t source, uint64_t tick, uint64_t req);
void v7m_set_pending(struct core *c, int e, uint32_t source);
/* The firmware cleared exception e's pending state (ICPR, PENDSVCLR, PENDSTCLR). */
void v7m_unpend(struct core *c, int e);

/* Takes fault `f` (synchronous, return address `pc`) as a new exception, escalated or locked
 * up as B1.5.15-16 say: 0, or -1 when nothing is taken. */
int v7m_take_fault(struct core *c, int f, uint64_t pc, uint64_t addr, uint32_t cause);
/* The exception fault `f` is taken as (f, or HardFault; 0 for a lockup, which stops the run),
 * against the execution priority now; traces the fault and keeps its detail. */
int v7m_fault_target(struct core *c, int f, uint64_t pc, uint64_t addr, uint32_t cause);

/* fpu.c: the FP extension (B1.5.6-8, B3.2.20-23); each a no-op or 0 without an FPU */
int v7m_fp_init(struct core *c);
void v7m_fp_free(struct armv7m *a);
void v7m_fp_restored(struct armv7m *a);
void v7m_fp_sync(struct core *c);
int v7m_fp_read(struct core *c, uint32_t off, uint32_t *v);
int v7m_fp_write(struct core *c, uint32_t off, uint32_t v);
int v7m_fp_trap(struct core *c, uint32_t off);
uint32_t v7m_fp_push(struct core *c, uint32_t frame, uint32_t control, int from_handler);
void v7m_fp_clear_fpca(struct core *c);
uint32_t v7m_fp_pop(struct core *c, uint32_t frame);
int v7m_fp_run_start(struct core *c);
int v7m_fp_resume(struct core *c);

/* Whether the Thumb-2 instruction at p is a CP10/CP11 (FP) instruction (A5.3.18, A6.4):
 * 0b111x11xx_xxxxxxxx, then coprocessor 101x in bits 11:9 of the second halfword. */
static inline int v7m_is_fp_insn(const uint8_t *p)
{
	uint16_t hw0 = (uint16_t)(p[0] | p[1] << 8), hw1 = (uint16_t)(p[2] | p[3] << 8);
	return (hw0 & 0xEC00) == 0xEC00 && ((hw1 >> 9) & 7) == 5;
}

/* nocp.c: the NOCP UsageFault's hooks (B3.2.15), for fpu.c; each a no-op or 0 without one */
int v7m_nocp_init(struct core *c);
void v7m_nocp_free(struct armv7m *a);
int v7m_nocp_hooked(struct core *c);
int v7m_nocp_run_start(struct core *c, int want);
int v7m_nocp_resume(struct core *c);

/* nvic.c: the NVIC's inputs (line events, device outputs; core_add_lines) */
extern const struct line_ops v7m_nvic_lines;

/* nvic.c: the System Control Space (NVIC, SCB, and SysTick's registers) */
int v7m_scs_map(struct core *c);
/* SHCSR's value (B3.2.13): the enables and the active and pending bits of the handlers. */
uint32_t v7m_shcsr(struct armv7m *a);
/* Notes the first priority write (register `reg`, a PRIO_NOTE_*, field at byte address `addr`
 * of exception `exc`; 0, 0 for BASEPRI) whose bits outside prio_mask the core drops. */
void v7m_note_prio(struct core *c, uint32_t reg, uint32_t addr, int exc, uint32_t written);

/* v6m.c: the ARMv6-M System Control Space where it differs (profile.version == 6): 1 when
 * the register at SCS offset `off` was answered there (*v the value read), 0 when it is the
 * ARMv7-M register. */
int v6m_scs_read(struct core *c, uint32_t off, uint32_t *v);
int v6m_scs_write(struct core *c, uint32_t off, uint32_t v);
/* Whether exception e has an SHPR field on ARMv6-M (SVCall, PendSV, SysTick; B3.2.10). */
int v6m_shpr_field(int e);

/* state.c: snapshots (arch.h save / restore): NVIC, SCB and SysTick state */
void v7m_save(struct core *c, struct snap_w *w);
int v7m_restore(struct core *c, struct snap_r *r);

/* v8m.c: ARMv8-M Mainline, Secure state only (profile.version == 8) */
int v8m_init(struct core *c);
/* Whether the frame at `frame` is below the limit (MSPLIM, or PSPLIM when `psp`), *limit. */
int v8m_frame_below_limit(struct core *c, uint32_t frame, int psp, uint32_t *limit);
/* STKOF on entry to e, the frame not stacked: the exception to take instead (or e), 0 for a
 * lockup. */
int v8m_stkof_on_entry(struct core *c, int e, uint32_t ret);
/* Whether EXC_RETURN value `excret` is one this model cannot return with (B3.23). */
int v8m_excret_illegal(struct core *c, uint32_t excret);
/* Unicorn's exceptions that only ARMv8-M raises (stack limit, security state): 1 if taken. */
int v8m_intr(struct core *c, uint32_t intno, uint32_t pc);
/* The SCS registers that differ on ARMv8-M: 1 when `off` was one (*v read). */
int v8m_scs_read(struct core *c, uint32_t off, uint32_t *v);
int v8m_scs_write(struct core *c, uint32_t off, uint32_t v);

/* systick.c (B3.3) */
void systick_advance(struct core *c);
uint64_t systick_deadline(struct core *c);
uint32_t systick_read(struct core *c, uint32_t off);
void systick_write(struct core *c, uint32_t off, uint32_t v);

#endif /* SIM_NATIVE_ARMV7M_ARMV7M_H_ */

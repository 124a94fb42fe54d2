/* Guest-side tests of the ARMv8-M Mainline exception model in the Secure state (Cortex-M33 on
 * mps2-an505). Python (tests/cortex_m/test_v8m_guest.py) patches `test_id`, runs the image on
 * irqsim and, where QEMU 7.2 is installed, runs one-test builds on `qemu-system-arm -M
 * mps2-an505` and compares the printed logs line for line.
 *
 * Log codes: 0x100 | irq on handler entry, 0x200 | irq on handler exit, other words per test
 * (register values, EXC_RETURN values). */
#include <stdint.h>

#include "cm3.h"
#include "semihost.h"
#include "testlog.h"

#define ENTER(x) (0x100u | (x))
#define LEAVE(x) (0x200u | (x))
#define SCB_CFSR  REG32(0xE000ED28u)
#define SCB_HFSR  REG32(0xE000ED2Cu)
#define SCB_SHPR3 REG32(0xE000ED20u)
#define NVIC_ITNS(n) REG32(0xE000E380u + 4u * (n))   /* ARMv8-M ARM D1.2 NVIC_ITNSn */
#define SHCSR_USGFAULTENA (1u << 18)
#define CFSR_INVPC (1u << 18)
#define CFSR_STKOF (1u << 20)

TESTLOG_DEFINE()
volatile uint32_t pend_on_entry[8];    /* IRQ mask pended by IRQ n's handler (once) */
volatile uint32_t irq_excret_action;   /* 1: IRQ 0 returns with a RES0 bit set; 2: with a
					* frame whose IPSR says Handler mode; 3: ES = 0 */

/* Thread mode on PSP from `top` (CONTROL.SPSEL = 1), or back on MSP with top = 0. */
static void thread_stack(uint32_t top)
{
	if (top)
		__asm__ volatile("msr psp, %0" ::"r"(top) : "memory");
	__asm__ volatile("msr control, %0\n"
			 "isb\n" ::"r"(top ? 2u : 0u) : "memory");
}

/* Every external IRQ: r0 = MSP at entry, r1 = EXC_RETURN. */
__attribute__((naked)) void IRQ_Handler(void)
{
	__asm__ volatile("mov r0, sp\n"
			 "mov r1, lr\n"
			 "push {r4, lr}\n"
			 "bl irq_body\n"
			 "pop {r4, lr}\n"
			 "cbz r0, 1f\n"
			 "mov lr, r0\n"            /* the EXC_RETURN irq_body chose */
			 "1: bx lr\n");
}

/* Returns 0 to return with the EXC_RETURN the handler got, else the value to return with. */
__attribute__((used)) uint32_t irq_body(uint32_t *msp, uint32_t excret)
{
	uint32_t irq = get_ipsr() - 16u;
	rec(ENTER(irq));
	rec(excret);
	if (pend_on_entry[irq]) {
		uint32_t m = pend_on_entry[irq];
		pend_on_entry[irq] = 0;
		for (unsigned b = 0; b < 8; b++)
			if (m >> b & 1)
				nvic_pend(b);
		isb();
	}
	rec(LEAVE(irq));
	switch (irq == 0 ? irq_excret_action : 0) {
	case 1:
		return 0xFFFFFFFBu;          /* bit 1 (RES0) set */
	case 2:
		msp[7] |= 5;                 /* the stacked xPSR names exception 5 */
		return 0;
	case 3:
		return 0xFFFFFFF8u;          /* ES = 0: a Non-secure exception */
	}
	return 0;
}

/* A handler entry that clears both stack limits before anything is pushed (a handler that
 * starts at the limit would fault on its first PUSH), then calls body(msp, excret, psp);
 * a non-zero result is the EXC_RETURN to return with. */
#define LIMIT_SAFE_HANDLER(name, body)                                            \
	__attribute__((naked)) void name(void)                                    \
	{                                                                         \
		__asm__ volatile("movs r0, #0\n"                                  \
				 "msr msplim, r0\n"                                \
				 "msr psplim, r0\n"                                \
				 "mov r0, sp\n"                                    \
				 "mov r1, lr\n"                                    \
				 "mrs r2, psp\n"                                   \
				 "push {r4, lr}\n"                                 \
				 "bl " #body "\n"                                  \
				 "pop {r4, lr}\n"                                  \
				 "cbz r0, 1f\n"                                    \
				 "mov lr, r0\n"                                    \
				 "1: bx lr\n");                                    \
	}

/* After a stack-limit entry the handler has no frame to return through: print and exit. */
static void finish(uint32_t *msp, uint32_t psp, int code)
{
	rec((uint32_t)msp);
	rec(psp);
	rec(0xEE);
	log_print(log_buf, log_n);
	semihost_exit(code);
}

volatile uint32_t nmi_exits;           /* 1: the NMI handler logs more and exits */
__attribute__((used)) uint32_t nmi_body(uint32_t *msp, uint32_t excret, uint32_t psp)
{
	rec(0x32);
	rec(SCB_SHCSR);
	if (nmi_exits) {
		rec(SCB_CFSR);
		rec(excret);
		finish(msp, psp, 0);
	}
	return 0;
}
LIMIT_SAFE_HANDLER(NMI_Handler, nmi_body)

/* UsageFault: clears the stack limits before anything is pushed, then logs CFSR, HFSR, the
 * SP it started with and the stacked return address when asked; `uf_action` says what next:
 * 0 print and exit (the frame is not there to return through), 1 skip the 16-bit instruction
 * and return, 2 return to Thread mode through the frame below (after an illegal return). */
volatile uint32_t uf_action, uf_count;

__attribute__((used)) uint32_t uf_body(uint32_t *msp, uint32_t excret, uint32_t psp)
{
	uf_count++;
	rec(0x36);
	rec(SCB_CFSR);
	rec(SCB_HFSR);
	rec(excret);
	rec(NVIC_ISPR(0));
	SCB_CFSR = SCB_CFSR;          /* write-one-to-clear */
	switch (uf_action) {
	case 0:
		finish(msp, psp, 0);
		break;
	case 1:
		rec(msp[6]);                 /* the faulting instruction */
		msp[6] += 2;
		break;
	case 2:
		msp[7] &= ~0x1FFu;           /* a Thread-mode frame again */
		return 0xFFFFFFF9u;
	}
	return 0;
}

LIMIT_SAFE_HANDLER(UsageFault_Handler, uf_body)

__attribute__((used)) uint32_t hf_body(uint32_t *msp, uint32_t excret, uint32_t psp)
{
	rec(0x33);
	rec(SCB_CFSR);
	rec(SCB_HFSR);
	rec(excret);
	finish(msp, psp, 3);
	return 0;
}
LIMIT_SAFE_HANDLER(HardFault_Handler, hf_body)

/* ---- tests ----------------------------------------------------------------------------- */

/* MSPLIM just below SP: the next exception's 32-byte frame would go below it. Inlined, so that
 * SP is the caller's. */
static inline __attribute__((always_inline)) uint32_t msplim_above_next_frame(void)
{
	uint32_t sp;
	__asm__ volatile("mov %0, sp" : "=r"(sp));
	uint32_t limit = (sp - 16u) & ~7u;
	set_msplim(limit);
	return limit;
}

/* EXC_RETURN in the Secure state (B3.20): 0xFFFFFFF9 from Thread on MSP, 0xFFFFFFF1 nested
 * (IRQ 1 preempting IRQ 0), 0xFFFFFFFD from Thread on PSP; CONTROL.SPSEL restored. The M3
 * suite's nesting tests (preempt, tail-chains) run on the M33 as well. */
static uint32_t psp_stack[64] __attribute__((aligned(8)));
static int t_excret(void)
{
	nvic_set_priority(0, 0x80);
	nvic_set_priority(1, 0x40);
	nvic_enable(0);
	nvic_enable(1);
	pend_on_entry[0] = 1u << 1;
	nvic_pend(0);
	isb();
	thread_stack((uint32_t)&psp_stack[64]);
	nvic_pend(0);
	isb();
	rec(get_control());
	thread_stack(0);
	rec(get_control());
	return 0;
}

/* A frame below MSPLIM on entry (B3.19): UsageFault STKOF (CFSR bit 20) instead of IRQ 0,
 * SP = MSPLIM, nothing stacked, IRQ 0 still pending. */
static int t_msplim_entry(void)
{
	SCB_SHCSR = SHCSR_USGFAULTENA;
	nvic_set_priority(0, 0x80);
	nvic_enable(0);
	rec(msplim_above_next_frame());
	rec(get_msplim());
	nvic_pend(0);
	isb();
	rec(0xBAD);                          /* not reached: the handler exits */
	return 1;
}

/* The same with UsageFault disabled: STKOF escalates to HardFault (HFSR.FORCED). */
static int t_msplim_hardfault(void)
{
	nvic_set_priority(0, 0x80);
	nvic_enable(0);
	msplim_above_next_frame();
	nvic_pend(0);
	isb();
	rec(0xBAD);
	return 1;
}

/* NMI entered with the frame below MSPLIM: NMI (priority -2) is taken over the STKOF
 * UsageFault, which stays pending (SHCSR.USGFAULTPENDED), SP at the limit. */
static int t_msplim_nmi(void)
{
	SCB_SHCSR = SHCSR_USGFAULTENA;
	nmi_exits = 1;
	msplim_above_next_frame();
	SCB_ICSR = ICSR_NMIPENDSET;
	isb();
	rec(0xBAD);
	return 1;
}

/* An SP write below MSPLIM in code (SUB SP): UsageFault STKOF at the instruction, which did
 * not retire; skipped, the run goes on with SP unchanged. */
static int t_msplim_code(void)
{
	SCB_SHCSR = SHCSR_USGFAULTENA;
	uf_action = 1;
	uint32_t before, after;
	__asm__ volatile("mov r2, sp\n"
			 "sub r1, r2, #40\n"
			 "msr msplim, r1\n"        /* the fault's frame at SP - 32 still fits */
			 "mov %0, sp\n"
			 ".global stkof_point\n"
			 "stkof_point:\n"
			 "sub sp, #48\n"
			 "mov %1, sp\n"
			 "movs r1, #0\n"
			 "msr msplim, r1\n"
			 : "=r"(before), "=r"(after)::"r1", "r2", "memory");
	rec(after - before);
	rec(uf_count);
	return 0;
}

/* A frame below PSPLIM from Thread mode on PSP: STKOF, PSP = PSPLIM. */
static int t_psplim_entry(void)
{
	SCB_SHCSR = SHCSR_USGFAULTENA;
	nvic_set_priority(0, 0x80);
	nvic_enable(0);
	uint32_t top = (uint32_t)&psp_stack[64];
	set_psplim(top - 16u);
	rec(top - 16u);
	thread_stack(top);
	nvic_pend(0);
	isb();
	rec(0xBAD);
	return 1;
}

/* NVIC_ITNS reads as zero: every interrupt targets the Secure state. */
static int t_itns(void)
{
	for (int i = 0; i < 4; i++)
		rec(NVIC_ITNS(i));
	return 0;
}

/* All 8 priority bits (QEMU 7.2): 0xFF reads back 0xFF in an IPR byte and in SHPR3. */
static int t_prio_bits(void)
{
	nvic_set_priority(5, 0xFF);
	rec(NVIC_IPR8(5));
	nvic_set_priority(123, 0x5A);
	rec(NVIC_IPR8(123));
	SCB_SHPR3 = 0xFFFF0000u;
	rec(SCB_SHPR3);
	SCB_SHPR3 = 0;
	NVIC_ISER(3) = 0xFFFFFFFFu;          /* 124 lines: 96..123 */
	rec(NVIC_ISER(3));
	NVIC_ICER(3) = 0xFFFFFFFFu;
	return 0;
}

/* The registers Secure firmware sees: CPUID and the ID registers as QEMU's Cortex-M33, CCR
 * (STKALIGN and NONBASETHRDENA RES1, STKOFHFNMIGN RAZ/WI), AIRCR with PRIS, VTOR's reset value,
 * CONTROL and MSPLIM at reset, SHCSR's NMIACT seen from the NMI handler. */
static int t_registers(void)
{
	rec(REG32(0xE000ED00u));
	for (uint32_t a = 0xE000ED40u; a < 0xE000ED80u; a += 4)
		rec(REG32(a));
	rec(SCB_CCR);
	uint32_t ccr = SCB_CCR;
	SCB_CCR = 0xFFFFFFE6u;
	rec(SCB_CCR);
	SCB_CCR = 0;
	rec(SCB_CCR);
	SCB_CCR = ccr;
	rec(SCB_AIRCR);
	SCB_AIRCR = AIRCR_VECTKEY | (1u << 14) | (3u << 8);
	rec(SCB_AIRCR);
	SCB_AIRCR = AIRCR_VECTKEY;
	rec(SCB_AIRCR);
	rec(SCB_VTOR);
	rec(get_control());
	rec(get_msplim());
	SCB_ICSR = ICSR_NMIPENDSET;
	isb();
	return 0;
}

/* The IoTKit timers' interrupt lines (QEMU armsse.c): timer 0 pends line 3, timer 1 line 4,
 * the dual timer line 5 (the interrupts disabled in the NVIC: only pending is looked at). */
static void wait_pending(uint32_t mask)
{
	for (uint32_t n = 0; !(NVIC_ISPR(0) & mask) && n < 10000000u; n++) {
	}
	rec(NVIC_ISPR(0));
}

static int t_timers(void)
{
	REG32(0x50000008u) = 1000;             /* timer 0: RELOAD, VALUE, CTRL = EN | IRQEN */
	REG32(0x50000004u) = 1000;
	REG32(0x50000000u) = 9;
	wait_pending(1u << 3);
	REG32(0x50000000u) = 0;
	REG32(0x50001008u) = 1000;             /* timer 1 */
	REG32(0x50001004u) = 1000;
	REG32(0x50001000u) = 9;
	wait_pending(1u << 4);
	REG32(0x50001000u) = 0;
	REG32(0x50002000u) = 1000;             /* dual timer 1: LOAD, CTRL = EN | IE | 32-bit */
	REG32(0x50002008u) = 0xA2;
	wait_pending(1u << 5);
	REG32(0x50002008u) = 0;
	return 0;
}

/* Illegal EXC_RETURN values (B3.23): a RES0 bit set, or a frame whose IPSR disagrees with
 * EXC_RETURN.Mode: UsageFault INVPC on the frame still stacked, LR = the bad value; the
 * UsageFault handler returns to Thread mode through that frame. */
static int illegal(uint32_t action)
{
	SCB_SHCSR = SHCSR_USGFAULTENA;
	uf_action = 2;
	irq_excret_action = action;
	nvic_set_priority(0, 0x80);
	nvic_enable(0);
	nvic_pend(0);
	isb();
	rec(uf_count);
	rec(get_ipsr());
	return 0;
}

static int t_illegal_res0(void) { return illegal(1); }
static int t_illegal_mode(void) { return illegal(2); }
static int t_illegal_es(void) { return illegal(3); }

static int (*const tests[])(void) = {
	t_excret, t_msplim_entry, t_msplim_hardfault, t_msplim_nmi, t_msplim_code, t_psplim_entry, t_itns, t_prio_bits,
	t_registers, t_timers, t_illegal_res0, t_illegal_mode, t_illegal_es,
};

TESTLOG_MAIN(tests)

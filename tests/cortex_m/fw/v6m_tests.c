/* Guest-side tests of what ARMv6-M (Cortex-M0 on microbit) does differently from ARMv7-M, and
 * of the nRF51 UART and TIMER (tests/cortex_m/test_v6m_guest.py). Python patches `test_id` (or
 * a build fixes it with -DTEST_ID for QEMU), runs the image and checks the log, which the image
 * also prints, one word a line, for comparison with QEMU 7.2's `microbit`.
 *
 * Log codes: 0x33nn HardFault taken with IPSR nn; 0x100 | irq on an IRQ handler's entry;
 * register values are logged as they read. */
#include <stdint.h>

#include "cm3.h"
#include "semihost.h"
#include "testlog.h"

TESTLOG_DEFINE()

/* ---- handlers -------------------------------------------------------------------------- */

volatile uint32_t fault_skip;       /* bytes the HardFault handler steps over */

__attribute__((naked)) void HardFault_Handler(void)
{
	__asm__ volatile("mov r0, sp\n"
			 "b hardfault_body\n");
}

__attribute__((used)) void hardfault_body(uint32_t *frame)
{
	rec(0x3300u | get_ipsr());
	frame[6] += fault_skip;
}

#define UART_REG(off) REG32(0x40002000u + (off))
#define TIMER0(off) REG32(0x40008000u + (off))
#define TIMER1(off) REG32(0x40009000u + (off))
volatile uint32_t timer_irqs;

void IRQ_Handler(void)
{
	uint32_t irq = get_ipsr() - 16u;
	if (irq == 2) {                       /* UART: TXDRDY; stop it interrupting */
		rec(0x100u | irq);
		UART_REG(0x308) = 1u << 7;    /* INTENCLR TXDRDY */
	} else if (irq == 8) {                /* TIMER0: COMPARE[0] */
		/* STOP before the event is cleared: QEMU's timer runs on host time, and a late
		 * clear can find the next compare due already */
		if (++timer_irqs == 5)
			TIMER0(0x004) = 1;    /* STOP: five ticks, however fast time runs */
		TIMER0(0x140) = 0;            /* EVENTS_COMPARE[0] = 0 lowers the line */
	} else {
		rec(0x100u | irq);
	}
}

/* ---- tests ----------------------------------------------------------------------------- */

/* Every fault is a HardFault (B1.5.15): an undefined 32-bit instruction (LDREX: no exclusive
 * access on ARMv6-M), UDF, a misaligned word load, and an SVC that cannot be taken (PRIMASK
 * set) each enter HardFault, IPSR 3. */
static int t_hardfault(void)
{
	volatile uint32_t word[2] = {0, 0};
	fault_skip = 4;
	__asm__ volatile("mov r0, %0\n"
			 ".inst.w 0xe8500f00\n"   /* ldrex r0, [r0] */
			 :: "r"(&word[0]) : "r0", "memory");
	fault_skip = 2;
	__asm__ volatile("udf #1" ::: "memory");
	__asm__ volatile("adds r0, %0, #1\n"
			 "ldr r0, [r0]\n"         /* misaligned: faults on ARMv6-M (B3.2.8) */
			 :: "r"(&word[0]) : "r0", "memory");
	fault_skip = 0;                     /* the stacked PC is already past the SVC */
	irq_disable();
	__asm__ volatile("svc #1" ::: "memory");
	irq_enable();
	return 0;
}

/* 2 priority bits: 0xFF reads back 0xC0 (B1.5.4); SHPR2 has SVCall only, SHPR3 PendSV and
 * SysTick only; SHPR1 is reserved (RAZ/WI); AIRCR has no PRIGROUP; CCR reads STKALIGN |
 * UNALIGN_TRP and ignores writes; CPUID is a Cortex-M0's. */
volatile uint32_t scratch_shpr3;
static int t_registers(void)
{
	REG32(0xE000E404u) = 0xFFFFFFFFu;       /* NVIC_IPR1: IRQs 4-7 */
	rec(REG32(0xE000E404u));
	REG32(0xE000ED1Cu) = 0xFFFFFFFFu;       /* SHPR2 */
	rec(REG32(0xE000ED1Cu));
	REG32(0xE000ED20u) = 0xFFFFFFFFu;       /* SHPR3 */
	rec(REG32(0xE000ED20u) & 0xFFFF0000u);  /* byte 0 (DebugMonitor): irqsim RAZ, QEMU keeps it */
	scratch_shpr3 = REG32(0xE000ED20u);
	REG32(0xE000ED18u) = 0xFFFFFFFFu;       /* SHPR1: reserved */
	rec(REG32(0xE000ED18u));
	SCB_AIRCR = AIRCR_VECTKEY | (5u << 8);  /* PRIGROUP: not on ARMv6-M */
	rec(SCB_AIRCR);
	rec(REG32(0xE000ED00u));                /* CPUID */
	rec(REG32(0xE000E300u));                /* IABR0: reserved, reads as zero */
	REG32(0xE000ED20u) = 0;
	REG32(0xE000ED1Cu) = 0;
	return 0;
}

/* NVIC_IPR is word-accessible only (B3.4.7): a word write sets four fields at once; a byte
 * write is UNPREDICTABLE (a guest error in irqsim; QEMU and irqsim both write the byte). */
static int t_ipr_word(void)
{
	REG32(0xE000E400u) = 0x00408000u | 0x3Fu;   /* IRQ 0: 0x00 (0x3F dropped), 1: 0x80, 2: 0x40 */
	rec(REG32(0xE000E400u));
	REG8(0xE000E403u) = 0xC0;                   /* IRQ 3, byte access */
	rec(REG32(0xE000E400u));
	REG32(0xE000E400u) = 0;
	return 0;
}

/* No BASEPRI or FAULTMASK on ARMv6-M: MSR BASEPRI and CPSID F do nothing, MRS BASEPRI reads
 * 0, and an interrupt they would have masked on ARMv7-M is taken at once. */
static int t_no_basepri(void)
{
	register uint32_t v __asm__("r0") = 0x80;
	uint32_t r;
	nvic_set_priority(5, 0xC0);
	nvic_enable(5);
	__asm__ volatile(".inst.w 0xf3808811\n"      /* msr basepri, r0 */
			 ".inst.w 0xf3ef8111\n"      /* mrs r1, basepri */
			 "mov %0, r1\n"
			 : "=r"(r) : "r"(v) : "r1", "memory");
	rec(r);
	nvic_pend(5);
	isb();
	rec(0x40);
	__asm__ volatile(".inst 0xb671" ::: "memory");  /* cpsid f */
	nvic_pend(5);
	isb();
	rec(0x41);
	return 0;
}

/* The UART: disabled it reads as zero; TXD before STARTTX is dropped; after STARTTX a byte
 * leaves at once and sets EVENTS_TXDRDY, which with INTEN.TXDRDY raises IRQ 2. */
static int t_uart(void)
{
	rec(UART_REG(0x524));                 /* BAUDRATE while disabled: 0 */
	UART_REG(0x500) = 4;                  /* ENABLE */
	rec(UART_REG(0x524));                 /* its reset value, 0x04000000 */
	UART_REG(0x508 + 4) = 24;             /* PSELTXD */
	UART_REG(0x11C) = 0;
	UART_REG(0x51C) = 'x';                /* not started: dropped */
	rec(UART_REG(0x11C));
	UART_REG(0x008) = 1;                  /* STARTTX */
	nvic_enable(2);
	UART_REG(0x304) = 1u << 7;            /* INTENSET TXDRDY */
	irq_disable();
	UART_REG(0x51C) = '!';
	rec(UART_REG(0x11C));                 /* EVENTS_TXDRDY */
	irq_enable();                         /* IRQ 2 now */
	isb();
	UART_REG(0x51C) = '\n';
	rec(UART_REG(0x304));                 /* INTEN after the handler's INTENCLR */
	nvic_disable(2);
	return 0;
}

/* TIMER0 as an RTOS tick: 16 MHz >> 4, CC[0] = 100 with COMPARE0_CLEAR, interrupt on
 * COMPARE[0]: five interrupts, then STOP. TIMER1 in counter mode counts TASKS_COUNT and
 * captures; CC is kept modulo the width (BITMODE). */
static int t_timer(void)
{
	TIMER0(0x508) = 0;                    /* BITMODE 16 */
	TIMER0(0x510) = 4;                    /* PRESCALER */
	TIMER0(0x540) = 100;                  /* CC[0] */
	TIMER0(0x200) = 1u << 0;              /* SHORTS: COMPARE0_CLEAR */
	TIMER0(0x304) = 1u << 16;             /* INTENSET COMPARE0 */
	nvic_enable(8);
	TIMER0(0x000) = 1;                    /* START */
	while (timer_irqs < 5) {
	}
	nvic_disable(8);
	rec(timer_irqs);
	TIMER0(0x044) = 1;                    /* CAPTURE[1] */
	rec(TIMER0(0x544) < 100);             /* the counter stays below CC[0] */
	TIMER1(0x504) = 1;                    /* MODE counter */
	TIMER1(0x508) = 1;                    /* BITMODE 8 */
	TIMER1(0x548) = 0x1FF;                /* CC[2]: kept modulo 2^8 */
	rec(TIMER1(0x548));
	TIMER1(0x540) = 3;                    /* CC[0] */
	for (int i = 0; i < 3; i++)
		TIMER1(0x008) = 1;                /* COUNT */
	TIMER1(0x040) = 1;                    /* CAPTURE[0] */
	rec(TIMER1(0x540));
	rec(TIMER1(0x140));                   /* EVENTS_COMPARE[0]: reached 3 */
	return 0;
}

/* SysTick as QEMU 7.2's microbit has it: no reference clock, so with CLKSOURCE = 0 it never
 * counts; with CLKSOURCE = 1 (the CPU clock) it does. */
volatile uint32_t systick_count;
void SysTick_Handler(void) { systick_count++; }
static int t_systick_clocks(void)
{
	SYST_RVR = 99;
	SYST_CVR = 0;
	SYST_CSR = 3;                         /* ENABLE, TICKINT, the reference clock */
	for (volatile int i = 0; i < 5000; i++) {
	}
	SYST_CSR = 0;
	rec(systick_count);
	SYST_CSR = 7;                         /* ENABLE, TICKINT, the CPU clock */
	while (!systick_count) {
	}
	SYST_CSR = 0;
	rec(systick_count != 0);
	return 0;
}

static int (*const tests[])(void) = {
	t_hardfault, t_registers, t_ipr_word, t_no_basepri, t_uart, t_timer, t_systick_clocks,
};

int main(void)
{
	if (test_id >= sizeof(tests) / sizeof(tests[0]))
		return 99;
	int r = tests[test_id]();
	rec(0xEE);
	log_print(log_buf, log_n);   /* for comparison with QEMU's run */
	return r;
}

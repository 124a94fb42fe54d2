/* Guest-side tests of the mps2-an385 devices (sim/native/dev/). Python
 * (tests/cortex_m/test_devices_guest.py) patches `test_id` in flash, or builds an image with
 * TEST_ID fixed for QEMU, runs it, and checks what the firmware logged; the log is printed
 * through semihosting at the end so that QEMU's run of the same image can be compared.
 *
 * Nothing logged depends on how many instructions a timer cycle takes (one on irqsim, 40 on
 * QEMU with -icount shift=0): tests wait for events, never for a number of instructions.
 *
 * Log codes: 0x100 | irq on handler entry, other codes per test, 0xEE at the end. */
#include <stdint.h>

#include "cm3.h"
#include "semihost.h"
#include "testlog.h"

#define ENTER(x) (0x100u | (x))

TESTLOG_DEFINE()
volatile uint32_t runs[32];

/* Waits until IRQ `irq`'s handler has run `n` times. The flag is tested with PRIMASK set, so
 * that an interrupt between the test and WFI cannot be missed: WFI wakes on a pending
 * interrupt even then (B1.5.19), and the handler runs once PRIMASK is cleared. */
static void wait_runs(unsigned irq, uint32_t n)
{
	irq_disable();
	while (runs[irq] < n) {
		__asm__ volatile("wfi");
		irq_enable();
		isb();
		irq_disable();
	}
	irq_enable();
}

/* ---- CMSDK APB timers (0x40000000 IRQ 8, 0x40001000 IRQ 9) -------------------------------- */

#define TIMER_BASE(n) (0x40000000u + 0x1000u * (n))
#define TIMER_CTRL(n) REG32(TIMER_BASE(n) + 0x00)
#define TIMER_VALUE(n) REG32(TIMER_BASE(n) + 0x04)
#define TIMER_RELOAD(n) REG32(TIMER_BASE(n) + 0x08)
#define TIMER_INT(n) REG32(TIMER_BASE(n) + 0x0C)
#define TIMER_ID(n, i) REG32(TIMER_BASE(n) + 0xFD0 + 4u * (i))
#define TCTRL_EN 1u
#define TCTRL_IRQEN 8u

/* ---- CMSDK APB UARTs (UART0 0x40004000 RX IRQ 0 / TX IRQ 1, UART1 0x40005000 2 / 3) -------- */

#define UART_BASE(n) (0x40004000u + 0x1000u * (n))
#define UART_DATA(n) REG32(UART_BASE(n) + 0x00)
#define UART_STATE(n) REG32(UART_BASE(n) + 0x04)
#define UART_CTRL(n) REG32(UART_BASE(n) + 0x08)
#define UART_INT(n) REG32(UART_BASE(n) + 0x0C)
#define UART_BAUDDIV(n) REG32(UART_BASE(n) + 0x10)
#define UART_ID(n, i) REG32(UART_BASE(n) + 0xFD0 + 4u * (i))
#define UCTRL_TX_EN 1u
#define UCTRL_RX_EN 2u
#define UCTRL_TX_INTEN 4u
#define UCTRL_RX_INTEN 8u

/* What follows the DATA read is not logged: on QEMU the next byte of its stdin may land at
 * once or later, as the host delivers it. */
static void uart_irq(unsigned n, int rx)
{
	rec(UART_INT(n));                /* 1 (TX) or 2 (RX) */
	if (rx) {
		UART_INT(n) = 2;             /* INTCLEAR first, then the byte */
		rec(UART_DATA(n));
	} else {
		UART_INT(n) = 1;
		rec(UART_INT(n));            /* 0 */
	}
}

/* ---- CMSDK APB dual timer (0x40002000, TIMINTC on IRQ 10) ---------------------------------- */

#define DT(n, off) REG32(0x40002000u + 0x20u * (n) + (off))
#define DT_LOAD(n) DT(n, 0x00)
#define DT_VALUE(n) DT(n, 0x04)
#define DT_CONTROL(n) DT(n, 0x08)
#define DT_INTCLR(n) DT(n, 0x0C)
#define DT_RIS(n) DT(n, 0x10)
#define DT_MIS(n) DT(n, 0x14)
#define DT_BGLOAD(n) DT(n, 0x18)
#define DT_ITCR REG32(0x40002F00u)
#define DT_ITOP REG32(0x40002F04u)
#define DTC_ONESHOT 0x01u
#define DTC_SIZE32 0x02u
#define DTC_DIV16 0x04u
#define DTC_INTEN 0x20u
#define DTC_PERIODIC 0x40u
#define DTC_ENABLE 0x80u

static void dualtimer_irq(void)
{
	if (DT_ITCR) {                   /* integration test: the output is ITOP's */
		rec(0x1C);
		DT_ITOP = 0;
		return;
	}
	for (unsigned n = 0; n < 2; n++)
		if (DT_MIS(n)) {
			rec(0x10 | n);
			DT_INTCLR(n) = 1;
			rec(DT_RIS(n));          /* 0 */
		}
}

void IRQ_Handler(void)
{
	uint32_t irq = get_ipsr() - 16u;
	runs[irq]++;
	rec(ENTER(irq));
	if (irq <= 3)
		uart_irq(irq / 2, !(irq & 1));
	if (irq == 10)
		dualtimer_irq();
	if (irq == 8 || irq == 9) {
		unsigned n = irq - 8;
		rec(TIMER_INT(n));           /* 1: the timer's interrupt status */
		TIMER_INT(n) = 1;            /* INTCLEAR: the level drops */
		rec(TIMER_INT(n));           /* 0 */
		if (TIMER_VALUE(n) > TIMER_RELOAD(n))
			rec(0xBAD);
	}
}

/* Three periodic interrupts of timer `n`, each cleared by the handler; then the timer stops
 * and holds its count. */
static void timer_periodic(unsigned n)
{
	unsigned irq = 8 + n;
	rec(TIMER_CTRL(n));              /* reset values: 0, 0, 0, 0 */
	rec(TIMER_VALUE(n));
	rec(TIMER_RELOAD(n));
	rec(TIMER_INT(n));
	nvic_set_priority(irq, 0x40);
	nvic_enable(irq);
	TIMER_RELOAD(n) = 3000;
	rec(TIMER_VALUE(n));             /* a RELOAD write loads VALUE: 3000 */
	TIMER_CTRL(n) = TCTRL_EN | TCTRL_IRQEN;
	rec(TIMER_CTRL(n));              /* 9 */
	wait_runs(irq, 3);
	TIMER_CTRL(n) = 0;
	uint32_t a = TIMER_VALUE(n);
	for (volatile int i = 0; i < 200; i++)
		;
	rec(a == TIMER_VALUE(n) ? 0x5705 : 0xBAD);   /* stopped: the count holds */
	rec(runs[irq]);
	nvic_disable(irq);
}

static int t_timer0(void) { timer_periodic(0); return 0; }
static int t_timer1(void) { timer_periodic(1); return 0; }

/* Polls timer `n` until its count goes up: it reached 0 and reloaded. */
static void wait_wrap(unsigned n)
{
	uint32_t last = TIMER_VALUE(n);
	for (;;) {
		uint32_t v = TIMER_VALUE(n);
		if (v > last)
			return;
		last = v;
	}
}

/* RELOAD = 0: one interrupt when VALUE reaches zero, then the counter stays at 0. */
static int t_timer_oneshot(void)
{
	nvic_enable(8);
	TIMER_VALUE(0) = 2000;
	TIMER_CTRL(0) = TCTRL_EN | TCTRL_IRQEN;
	wait_runs(8, 1);
	rec(TIMER_VALUE(0));             /* 0 */
	/* a second interrupt would come within another 2000 cycles: wait that long by the
	 * other timer (it counts the same clock) */
	TIMER_RELOAD(1) = 4000;
	TIMER_CTRL(1) = TCTRL_EN;
	wait_wrap(1);
	rec(TIMER_VALUE(0));             /* still 0 */
	rec(runs[8]);                    /* 1 */
	rec(TIMER_INT(1));               /* 0: no IRQEN, no interrupt status */
	return 0;
}

/* Without IRQEN the counter wraps silently; the ID registers read as QEMU gives them;
 * a write to VALUE restarts the count from it. */
static int t_timer_regs(void)
{
	for (int i = 0; i < 12; i++)
		rec(TIMER_ID(0, i));
	TIMER_RELOAD(0) = 100;
	TIMER_CTRL(0) = TCTRL_EN;
	wait_wrap(0);
	rec(TIMER_INT(0));               /* 0 */
	TIMER_CTRL(0) = 0;
	TIMER_VALUE(0) = 77;
	rec(TIMER_VALUE(0));             /* 77: stopped, holds what was written */
	rec(TIMER_RELOAD(0));            /* 100 */
	rec(NVIC_ISPR(0) >> 8 & 3);      /* 0: nothing pended */
	return 0;
}

/* Priority fields keep the implemented bits only (B3.4.9): 3 on the AN385, 8 on QEMU. */
static int t_prio(void)
{
	nvic_set_priority(3, 0xFF);      /* what FreeRTOS's port writes to count the bits */
	rec(NVIC_IPR8(3));
	SCB_SHPR8(15) = 0x45;            /* SysTick */
	rec(SCB_SHPR8(15));
	nvic_set_priority(4, 0x11);
	rec(NVIC_IPR8(4));
	return 0;
}

/* The TX interrupt comes when a byte leaves (at once, as QEMU): on UART0, the console, and on
 * UART1, whose output goes nowhere; the ID registers read as QEMU gives them. */
static int t_uart_tx(void)
{
	rec(UART_ID(0, 4));              /* PID0: 0x21 */
	rec(UART_CTRL(1));               /* reset: 0 */
	nvic_enable(1);
	nvic_enable(3);
	UART_BAUDDIV(0) = 16;
	UART_CTRL(0) = UCTRL_TX_EN | UCTRL_TX_INTEN;
	UART_DATA(0) = 'U';
	wait_runs(1, 1);
	UART_DATA(0) = '\n';
	wait_runs(1, 2);
	UART_BAUDDIV(1) = 16;
	UART_CTRL(1) = UCTRL_TX_EN | UCTRL_TX_INTEN;
	UART_DATA(1) = 'x';
	wait_runs(3, 1);
	rec(UART_STATE(0));              /* 0: never full */
	rec(runs[1] << 8 | runs[3]);
	return 0;
}

/* Console input reaches UART0's receiver byte by byte, each with an RX interrupt. */
static int t_uart_rx(void)
{
	nvic_enable(0);
	UART_BAUDDIV(0) = 16;
	UART_CTRL(0) = UCTRL_TX_EN | UCTRL_RX_EN | UCTRL_RX_INTEN;
	wait_runs(0, 4);
	rec(UART_CTRL(0));               /* 0xb */
	return 0;
}

/* The dual timer: reset values; timer 1 periodic, 32-bit, two interrupts; timer 2 one-shot,
 * 16-bit, prescaled by 16: one interrupt and it stays at 0; RIS without INTEN; the integration
 * test output. */
static int t_dualtimer(void)
{
	for (unsigned n = 0; n < 2; n++) {
		rec(DT_CONTROL(n));          /* 0x20: INTEN, free-running, 16-bit, stopped */
		rec(DT_VALUE(n));            /* 0xffffffff */
		rec(DT_LOAD(n));             /* 0 */
		rec(DT_RIS(n) << 4 | DT_MIS(n));
	}
	rec(DT(0, 0xFE0));               /* PID0: 0x23 */
	nvic_enable(10);
	DT_LOAD(0) = 2000;
	DT_CONTROL(0) = DTC_ENABLE | DTC_PERIODIC | DTC_INTEN | DTC_SIZE32;
	rec(DT_CONTROL(0));              /* 0xe2 */
	wait_runs(10, 2);
	DT_CONTROL(0) = DTC_PERIODIC | DTC_INTEN | DTC_SIZE32;
	rec(DT_LOAD(0));                 /* 2000 */
	DT_LOAD(1) = 0x12340064;         /* 16-bit: counts from 0x64 */
	rec(DT_VALUE(1));                /* 0x12340064 */
	DT_CONTROL(1) = DTC_ENABLE | DTC_INTEN | DTC_ONESHOT | DTC_DIV16;
	wait_runs(10, 3);
	rec(DT_VALUE(1));                /* 0x12340000 */
	TIMER_RELOAD(0) = 3000;          /* wait 3000 cycles more: no second interrupt */
	TIMER_CTRL(0) = TCTRL_EN;
	wait_wrap(0);
	TIMER_CTRL(0) = 0;
	rec(DT_VALUE(1));                /* still 0x12340000 */
	DT_CONTROL(1) = 0;               /* no INTEN: RIS only */
	DT_LOAD(1) = 50;
	DT_CONTROL(1) = DTC_ENABLE | DTC_ONESHOT;
	while (!DT_RIS(1))
		;
	rec(DT_RIS(1) << 4 | DT_MIS(1)); /* 0x10 */
	DT_INTCLR(1) = 1;
	DT_ITCR = 1;                     /* integration test: ITOP drives TIMINTC */
	DT_ITOP = 1;
	isb();
	wait_runs(10, 4);
	DT_ITCR = 0;
	rec(runs[10]);                   /* 4 */
	return 0;
}

/* ---- CMSDK APB watchdog (0x40008000, WDOGINT on NMI) ---------------------------------------- */

#define WDOG(off) REG32(0x40008000u + (off))
#define WDOG_LOAD WDOG(0x000)
#define WDOG_CONTROL WDOG(0x008)
#define WDOG_INTCLR WDOG(0x00C)
#define WDOG_RIS WDOG(0x010)
#define WDOG_MIS WDOG(0x014)
#define WDOG_LOCK WDOG(0xC00)
#define WDOG_ITCR WDOG(0xF00)
#define WDOG_ITOP WDOG(0xF04)
volatile uint32_t nmi_runs;

void NMI_Handler(void)
{
	nmi_runs++;
	if (WDOG_ITCR) {                 /* integration test: the output is ITOP's */
		rec(0x2C);
		WDOG_ITOP = 0;
		return;
	}
	rec(0x2A);
	rec(WDOG_MIS);                   /* 1 */
	WDOG_INTCLR = 1;                 /* clears it and reloads the counter */
	rec(WDOG_MIS);                   /* 0 */
}

/* The watchdog: reset values; the lock; two NMIs from a counter reloaded by each clear; the
 * integration-test output. Waits poll: NMI cannot be masked, so WFI would race with it. */
static int t_watchdog(void)
{
	rec(WDOG_LOAD);                  /* 0xffffffff */
	rec(WDOG_CONTROL);               /* 0 */
	rec(WDOG_RIS);                   /* 0 */
	rec(WDOG_LOCK);                  /* 0 */
	rec(WDOG(0xFE0));                /* PID0: 0x24 */
	WDOG_LOCK = 0;                   /* anything but the key locks it */
	rec(WDOG_LOCK);                  /* 1 */
	WDOG_LOAD = 5;                   /* ignored while locked (a guest error) */
	rec(WDOG_LOAD);                  /* 0xffffffff */
	WDOG_LOCK = 0x1ACCE551;
	rec(WDOG_LOCK);                  /* 0 */
	WDOG_LOAD = 3000;
	WDOG_CONTROL = 1;                /* INTEN: the counter runs */
	while (nmi_runs < 2)
		;
	WDOG_CONTROL = 0;
	WDOG_ITCR = 1;
	WDOG_ITOP = 2;                   /* WDOGINT */
	while (nmi_runs < 3)
		;
	WDOG_ITCR = 0;
	rec(nmi_runs);                   /* 3 */
	return 0;
}

/* ---- MPS2 FPGA IO (0x40028000) and SCC (0x4002F000) ------------------------------------------- */

#define FPGAIO(off) REG32(0x40028000u + (off))
#define SCC(off) REG32(0x4002F000u + (off))

/* LEDs keep 2 bits; BUTTON reads the buttons (none pressed); PRESCALE, MISC, CLK1HZ read back;
 * COUNTER counts PRESCALE + 1 cycles at a time; CLK100HZ moves on by one. */
static int t_fpgaio(void)
{
	rec(FPGAIO(0x00));               /* LED0: 0 */
	FPGAIO(0x00) = 0xFF;
	rec(FPGAIO(0x00));               /* 3 */
	rec(FPGAIO(0x08));               /* BUTTON: 0 */
	FPGAIO(0x4C) = 0x5A;
	rec(FPGAIO(0x4C));               /* MISC: 0x5a */
	FPGAIO(0x10) = 5;
	rec(FPGAIO(0x10));               /* CLK1HZ: 5 (within the second) */
	FPGAIO(0x1C) = 99;               /* PRESCALE */
	rec(FPGAIO(0x1C));
	FPGAIO(0x20) = 99;               /* PSCNTR */
	FPGAIO(0x18) = 0;                /* COUNTER */
	while (FPGAIO(0x18) < 3)
		;
	uint32_t p = FPGAIO(0x20);
	rec(p <= 99);                    /* 1 */
	uint32_t c = FPGAIO(0x14);
	while (FPGAIO(0x14) == c)
		;
	rec(FPGAIO(0x14) - c);           /* CLK100HZ: 1 */
	return 0;
}

/* The SCC's identification and reset values, CFG_REG1 read-write, the SYS_CFG channel to the
 * oscillators (read, write, a device that is not there). */
static int t_scc(void)
{
	rec(SCC(0xFFC));                 /* ID: 0x41043850 */
	rec(SCC(0xFF8));                 /* AID: 0x00200008 */
	rec(SCC(0x010));                 /* CFG_REG4: 2 */
	rec(SCC(0x000));                 /* CFG_REG0: 0 */
	rec(SCC(0x00C));                 /* CFG_REG3: 0 */
	rec(SCC(0x0A8));                 /* CFGCTRL: 0x100000 */
	rec(SCC(0x100));                 /* DLL: 0xffff0001 */
	SCC(0x004) = 3;
	rec(SCC(0x004));                 /* CFG_REG1: 3 */
	for (uint32_t dev = 0; dev < 4; dev++) {
		SCC(0x0A8) = (1u << 31) | (1u << 20) | dev;   /* read OSCCLK dev */
		rec(SCC(0x0AC));             /* 1 done; 3 (error) for device 3 */
		rec(SCC(0x0A0));
	}
	SCC(0x0A4) = 12345678;
	SCC(0x0A8) = (1u << 31) | (1u << 30) | (1u << 20) | 2;   /* write OSCCLK2 */
	rec(SCC(0x0AC));
	SCC(0x0A8) = (1u << 31) | (1u << 20) | 2;
	rec(SCC(0x0A0));                 /* 12345678 */
	rec(SCC(0x0A8));                 /* 0x100002: START does not read back */
	return 0;
}

/* As FreeRTOS's Cortex-M3 port checks the priority bits before its scheduler starts: 0xFF
 * written must read back with at least the bits of priority 4 (configASSERT, a loop for ever). */
static int t_prio_assert(void)
{
	nvic_set_priority(3, 0xFF);
	if (NVIC_IPR8(3) & 0x07)
		rec(0x0A);               /* 8 bits: on */
	else
		for (;;)                 /* configASSERT(ucMaxSysCallPriority) */
			;
	return 0;
}

static int (*const tests[])(void) = {
	t_timer0, t_timer1, t_timer_oneshot, t_timer_regs, t_prio, t_uart_tx, t_uart_rx,
	t_dualtimer, t_watchdog, t_fpgaio, t_scc, t_prio_assert,
};

TESTLOG_MAIN(tests)

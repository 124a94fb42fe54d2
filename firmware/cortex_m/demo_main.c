/* The Cortex-M demo: every external vector enters IRQ_Handler, which reads IPSR and calls the
 * handler table with the IRQ number. Lines 0-7 are enabled with mixed priorities; the handler of
 * line 3 is left unregistered, so requests on it count as unhandled.
 *
 * Built for a core with an FPU (cortex-m4f, cortex-m7: __ARM_FP), it also enables the FPU and
 * uses it in the thread before the main loop (CONTROL.FPCA stays set there, so every interrupt
 * arrives with an FP context: extended frames, lazy stacking), and in the handler of line
 * DEMO_FP_LINE (each of its runs does the lazy preservation). A Cortex-M3 build is unchanged. */
#include <stdint.h>

#include "cm3.h"
#include "console.h"
#include "demo.h"

#ifndef DEMO_CPU                     /* the core and board the banner names (sim/demo.py) */
#if defined(__ARM_FP) && (__ARM_FP & 8)
#define DEMO_CPU "cortex-m7"
#define DEMO_BOARD "mps2-an500"
#elif defined(__ARM_FP)
#define DEMO_CPU "cortex-m4f"
#define DEMO_BOARD "mps2-an386"
#else
#define DEMO_CPU "cortex-m3"
#define DEMO_BOARD "mps2-an385"
#endif
#endif

#define DEMO_ENABLED 8
#define DEMO_EMPTY   3

#if defined(__ARM_ARCH_6M__)
/* Priorities of lines 0-7, the M3 demo's order in the 2 bits ARMv6-M has: lower is more urgent. */
volatile uint8_t demo_priority[DEMO_ENABLED] = {0x80, 0x40, 0x40, 0x80, 0x80, 0x00, 0x40, 0xc0};
#define demo_soft_request(line) nvic_pend(line)   /* no STIR on ARMv6-M */
#else
/* Priorities of lines 0-7 (upper three bits are implemented on this part): lower is more urgent. */
volatile uint8_t demo_priority[DEMO_ENABLED] = {0x80, 0x60, 0x40, 0x80, 0xa0, 0x20, 0x60, 0xc0};
#define demo_soft_request(line) (NVIC_STIR = (line))
#endif

#if defined(__ARM_FP)
#define DEMO_FP_LINE 5
volatile float demo_fp_acc = 1.0f;     /* the FP work of the thread and of line 5's handler */

/* (not inlined: its FP constants must not be loaded in main before the FPU is enabled) */
static __attribute__((noinline)) void demo_fp_work(void)
{
	demo_fp_acc = demo_fp_acc * 0.5f + 1.0f;
}
#endif

void IRQ_Handler(void)
{
#if defined(__ARM_FP)
	if (get_ipsr() - 16u == DEMO_FP_LINE)
		demo_fp_work();
#endif
	demo_dispatch(get_ipsr() - 16u);
}

int main(void)
{
#if defined(__ARM_FP)
	*(volatile uint32_t *)0xE000ED88u = 0xFu << 20;   /* CPACR: CP10, CP11 full access */
	__asm__ volatile("dsb\nisb" ::: "memory");
	demo_fp_work();                                   /* the thread's FP context: FPCA = 1 */
#endif
	console_init();
	console_puts("irqsim demo (" DEMO_CPU ", " DEMO_BOARD ")\n");
	for (unsigned line = 0; line < DEMO_ENABLED; line++) {
		if (line != DEMO_EMPTY)
			demo_register(line);
		nvic_set_priority(line, demo_priority[line]);
		nvic_enable(line);
	}
	/* Self-test: software-triggered requests on lines 0-3, taken at the ISB at the latest. */
	for (unsigned line = 0; line < 4; line++) {
		demo_soft_request(line);
		isb();
	}
	demo_finish_boot(DEMO_ENABLED);
	return 0;
}

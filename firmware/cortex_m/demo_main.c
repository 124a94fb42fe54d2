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

#define DEMO_ENABLED 8
#define DEMO_EMPTY   3

/* Priorities of lines 0-7 (upper three bits are implemented on this part): lower is more urgent. */
volatile uint8_t demo_priority[DEMO_ENABLED] = {0x80, 0x60, 0x40, 0x80, 0xa0, 0x20, 0x60, 0xc0};

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
#if defined(__ARM_FP) && (__ARM_FP & 8)
	console_puts("irqsim demo (cortex-m7, mps2-an500)\n");
#elif defined(__ARM_FP)
	console_puts("irqsim demo (cortex-m4f, mps2-an386)\n");
#else
	console_puts("irqsim demo (cortex-m3, mps2-an385)\n");
#endif
	for (unsigned line = 0; line < DEMO_ENABLED; line++) {
		if (line != DEMO_EMPTY)
			demo_register(line);
		nvic_set_priority(line, demo_priority[line]);
		nvic_enable(line);
	}
	/* Self-test: software-triggered requests on lines 0-3, taken at the ISB at the latest. */
	for (unsigned line = 0; line < 4; line++) {
		NVIC_STIR = line;
		isb();
	}
	demo_finish_boot(DEMO_ENABLED);
	return 0;
}

/* Benchmark firmware for QEMU's mps2-an385: the demo's handler table and handlers, driven by
 * SysTick every BENCH_RVR+1 counts instead of by irqsim's line requests. Counts BENCH_IRQS
 * interrupts, prints how many it took, and exits. Under `-icount shift=0` QEMU retires one
 * instruction per virtual nanosecond, and SysTick counts the 25 MHz CPU clock: one count per
 * 40 instructions. */
#include <stdint.h>

#include "cm3.h"
#include "console.h"
#include "demo.h"

#ifndef BENCH_RVR
#define BENCH_RVR 24
#endif
#ifndef BENCH_IRQS
#define BENCH_IRQS 100000
#endif

volatile uint32_t systick_irqs;

void SysTick_Handler(void)
{
	systick_irqs++;
	demo_dispatch(0);
	if (systick_irqs >= BENCH_IRQS)
		SYST_CSR = 0;   /* past saturation the thread may never run again: stop here */
}

int main(void)
{
	console_init();
	demo_register(0);
	SYST_RVR = BENCH_RVR;
	SYST_CVR = 0;
	SYST_CSR = 7;     /* enable, TICKINT, processor clock */
	while (systick_irqs < BENCH_IRQS)
		thread_progress++;
	SYST_CSR = 0;
	console_puts("irqs ");
	console_putu(systick_irqs);
	console_puts(" loops ");
	console_putu(thread_progress);
	console_puts("\n");
	return 0;
}

/* Benchmark firmware for QEMU's virt (rv32): the demo's handler table and handlers, driven by
 * the CLINT timer every BENCH_PERIOD mtime counts instead of by irqsim's PLIC requests. Counts
 * BENCH_IRQS interrupts, prints how many it took, and exits. Under `-icount shift=0` QEMU
 * retires one instruction per virtual nanosecond, and mtime counts at 10 MHz: one count per
 * 100 instructions. */
#include <stdint.h>

#include "console.h"
#include "demo.h"
#include "riscv.h"

#ifndef BENCH_PERIOD
#define BENCH_PERIOD 10
#endif
#ifndef BENCH_IRQS
#define BENCH_IRQS 100000
#endif

volatile uint32_t timer_irqs;
static uint64_t next;

void riscv_mti_handler(struct trap_frame *f)
{
	(void)f;
	next += BENCH_PERIOD;
	clint_set_mtimecmp(next);
	timer_irqs++;
	demo_dispatch(1);
	/* Past saturation (a handler longer than the period) MTIP never clears and the thread
	 * would never run again to see the count: stop the timer from here. */
	if (timer_irqs >= BENCH_IRQS)
		csr_clear(mie, MIE_MTIE);
}

int main(void)
{
	console_init();
	demo_register(1);
	next = clint_mtime() + BENCH_PERIOD;
	clint_set_mtimecmp(next);
	csr_set(mie, MIE_MTIE);
	irq_enable();
	while (timer_irqs < BENCH_IRQS)
		thread_progress++;
	csr_clear(mie, MIE_MTIE);
	console_puts("irqs ");
	console_putu(timer_irqs);
	console_puts(" loops ");
	console_putu(thread_progress);
	console_puts("\n");
	return 0;
}

/* The RISC-V demo on QEMU's virt board (machine mode).
 *
 * The machine external interrupt handler claims from the PLIC, calls the handler table with
 * the claimed source id and completes. The machine timer and software interrupts go through
 * the same table at their own indices: 62 (MTI) and 63 (MSI), below DEMO_NLINES (64), above
 * every PLIC source a virt device uses below the platform bus (64-95). virt's PLIC has sources
 * 1-96: 62 and 63 share the local interrupts' slots, 64-96 have none. PLIC sources 1-8 are enabled with mixed priorities; the
 * handler of source 3 is left unregistered, so requests on it count as unhandled. The UART
 * (source 10) is enabled too, for the self-test.
 *
 * Self-test at boot: a software interrupt (msip), a timer interrupt (mtimecmp, waited for with
 * wfi) and the UART's transmitter-empty interrupt, each taken once. */
#include <stdint.h>

#include "console.h"
#include "demo.h"
#include "riscv.h"

#define DEMO_ENABLED  8     /* PLIC sources 1..8 */
#define DEMO_EMPTY    3
#define DEMO_LINE_MTI 62
#define DEMO_LINE_MSI 63

/* Priorities of sources 1-8 (index 0 unused): 1 is the least urgent, 7 the most. */
volatile uint8_t demo_priority[DEMO_ENABLED + 1] = {0, 4, 5, 6, 4, 3, 7, 5, 2};

void riscv_mei_handler(struct trap_frame *f)
{
	(void)f;
	uint32_t id = plic_claim();
	if (!id)
		return;                   /* nothing above the threshold any more */
	demo_dispatch(id);
	if (id == UART0_IRQ) {
		/* The transmitter-empty interrupt is one-shot here: reading IIR clears it, and
		 * the interrupt is disabled again, before the source completes. */
		(void)UART_IIR;
		UART_IER = 0;
	}
	plic_complete(id);
}

void riscv_mti_handler(struct trap_frame *f)
{
	(void)f;
	clint_set_mtimecmp(UINT64_MAX);   /* the next write clears MTIP: one interrupt */
	demo_dispatch(DEMO_LINE_MTI);
}

void riscv_msi_handler(struct trap_frame *f)
{
	(void)f;
	CLINT_MSIP = 0;
	demo_dispatch(DEMO_LINE_MSI);
}

/* Waits with wfi until the handler of `line` has run (MIE is clear around the test, so the
 * interrupt cannot slip in between the test and the wfi). */
static void wait_handled(uint32_t line)
{
	irq_disable();
	while (!handled_count[line]) {
		wfi();
		irq_enable();             /* the pending interrupt is taken here */
		irq_disable();
	}
	irq_enable();
}

int main(void)
{
	console_init();
	console_puts("irqsim demo (rv32imac, virt)\n");
	plic_set_threshold(0);
	for (unsigned s = 1; s <= DEMO_ENABLED; s++) {
		if (s != DEMO_EMPTY)
			demo_register(s);
		plic_set_priority(s, demo_priority[s]);
		plic_enable(s);
	}
	demo_register(UART0_IRQ);
	plic_set_priority(UART0_IRQ, 1);
	plic_enable(UART0_IRQ);
	demo_register(DEMO_LINE_MTI);
	demo_register(DEMO_LINE_MSI);
	/* mtimecmp is unspecified after reset (QEMU resets it to 0, so MTIP is pending there):
	 * program it before enabling the timer interrupt. */
	clint_set_mtimecmp(UINT64_MAX);
	csr_set(mie, MIE_MEIE | MIE_MTIE | MIE_MSIE);
	irq_enable();

	/* Self-test */
	CLINT_MSIP = 1;                   /* taken before the next instruction retires */
	wait_handled(DEMO_LINE_MSI);
	clint_set_mtimecmp(clint_mtime() + 100);
	wait_handled(DEMO_LINE_MTI);
	UART_IER = UART_IER_ETBEI;        /* THR is empty: source 10 pends at once */
	wait_handled(UART0_IRQ);
	demo_finish_boot(DEMO_NLINES);
	return 0;
}

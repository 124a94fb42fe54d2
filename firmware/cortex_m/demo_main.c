/* The Cortex-M demo: every external vector enters IRQ_Handler, which reads IPSR and calls the
 * handler table with the IRQ number. Lines 0-7 are enabled with mixed priorities; the handler of
 * line 3 is left unregistered, so requests on it count as unhandled. */
#include <stdint.h>

#include "cm3.h"
#include "console.h"
#include "demo.h"

#ifndef DEMO_CPU                     /* the core and board the banner names (sim/demo.py) */
#define DEMO_CPU "cortex-m3"
#define DEMO_BOARD "mps2-an385"
#endif

#define DEMO_ENABLED 8
#define DEMO_EMPTY   3

/* Priorities of lines 0-7 (upper three bits are implemented on this part): lower is more urgent. */
volatile uint8_t demo_priority[DEMO_ENABLED] = {0x80, 0x60, 0x40, 0x80, 0xa0, 0x20, 0x60, 0xc0};

void IRQ_Handler(void)
{
	demo_dispatch(get_ipsr() - 16u);
}

int main(void)
{
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
		NVIC_STIR = line;
		isb();
	}
	demo_finish_boot(DEMO_ENABLED);
	return 0;
}

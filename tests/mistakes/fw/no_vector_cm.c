/* tests/mistakes: a Cortex-M3 image, CMSIS style (no handler table), that enables line 7. Built
 * without -DWITH_HANDLER it defines no IRQ_Handler, so every external vector is the start-up
 * code's DefaultHandler: line 7 is enabled with no handler. With it, the vector has one. */
#include <stdint.h>

#include "cm3.h"

volatile uint32_t handled;
volatile uint32_t loops;

#ifdef WITH_HANDLER
void IRQ_Handler(void) { handled++; }
#endif

int main(void)
{
	nvic_set_priority(7, 0x40);
	nvic_enable(7);
	for (;;)
		loops++;
}

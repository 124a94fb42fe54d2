/* tests/explain: a Cortex-M3 image whose thread loop masks interrupts with PRIMASK for a
 * while, then unmasks them, forever; line 2 (priority 0x40) dispatches through the handler
 * table. A request made while PRIMASK is set waits and is taken right after the CPSIE: the
 * stacked return address is `unmask_point`. */
#include <stdint.h>

#include "cm3.h"
#include "handler_table.h"

HANDLER_TABLE_DEFINE(irq_table, 8);
volatile uint32_t handled;

static void on_line2(void) { handled++; }

void IRQ_Handler(void)
{
	uint32_t ipsr;
	__asm__ volatile("mrs %0, ipsr" : "=r"(ipsr));
	handler_table_handle(&irq_table, ipsr - 16u);
}

int main(void)
{
	handler_table_register(&irq_table, 2, on_line2);
	nvic_set_priority(2, 0x40);
	nvic_enable(2);
	for (;;) {
		__asm__ volatile("cpsid i" ::: "memory");
		for (volatile int i = 0; i < 200; i++)
			;
		__asm__ volatile("cpsie i\n"
				 ".global unmask_point\n"
				 "unmask_point:\n"
				 "nop" ::: "memory");
		for (volatile int i = 0; i < 200; i++)
			;
	}
}

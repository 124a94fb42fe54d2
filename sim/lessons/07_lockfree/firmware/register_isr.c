/* Lesson 7: the handler of line 1 registers the demo handler of line 4 (from an interrupt),
 * while the thread unregisters it every [demo] toggle_period loops (toggle_line = 4). */
#include <stdint.h>

#include "demo.h"

volatile uint32_t lesson_isr_registered;    /* registrations the handler of line 1 made */

static void register_from_isr(void)
{
	if (demo_register(4))
		lesson_isr_registered++;
}

void lesson_setup(void)
{
	handler_table_unregister(&irq_table, 1);
	handler_table_register(&irq_table, 1, register_from_isr);
}

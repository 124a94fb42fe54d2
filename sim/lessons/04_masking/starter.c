/* Lesson 4: the critical section's mask. This one masks every configurable interrupt. */
#include "cm3.h"

void lesson_mask(void)
{
	irq_disable();          /* cpsid i: PRIMASK = 1 */
}

void lesson_unmask(void)
{
	irq_enable();           /* cpsie i: PRIMASK = 0 */
}

/* Lesson 8: runs once after the demo enabled sources 1-8 with threshold 0, before the thread loop. */
#include "riscv.h"

void lesson_setup(void)
{
	plic_set_threshold(0);
}

/* Threshold 5: priority 5 (source 2) is not above it and waits too. */
#include "riscv.h"

void lesson_setup(void)
{
	plic_set_threshold(5);
}

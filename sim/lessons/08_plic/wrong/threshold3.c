/* Threshold 3: priority 4 (source 1) is above it and gets through. */
#include "riscv.h"

void lesson_setup(void)
{
	plic_set_threshold(3);
}

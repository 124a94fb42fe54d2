/* Threshold 4: priorities 5 and above are forwarded, 4 and below wait. */
#include "riscv.h"

void lesson_setup(void)
{
	plic_set_threshold(4);
}

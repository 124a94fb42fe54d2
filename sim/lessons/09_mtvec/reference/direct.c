/* Direct mode (MODE 0) on trap_direct: every trap enters there and it reads mcause. */
#include <stdint.h>

#include "riscv.h"

void lesson_setup(void)
{
	csr_write(mtvec, (uint32_t)trap_direct);
}

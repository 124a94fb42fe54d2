/* PRIGROUP 5: group priority bits 7:6, subpriority bit 5 (bits 4:0 are not implemented).
 * 0x40 and 0x60 are both group 0x40 (subpriorities 0 and 1); 0x20 is group 0x00. */
#include "cm3.h"

void lesson_setup(void)
{
	SCB_AIRCR = AIRCR_VECTKEY | (5u << 8);
}

/* Lesson 2: your lesson_setup runs once, after the demo set the priorities (line 1 = 0x60,
 * line 2 = 0x40, line 5 = 0x20, ...), before the thread loop. */
#include "cm3.h"

void lesson_setup(void)
{
	SCB_AIRCR = AIRCR_VECTKEY | (0u << 8);     /* PRIGROUP 0 (the reset value) */
}

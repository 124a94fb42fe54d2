/* PRIGROUP 5 without VECTKEY: the core ignores the write (B3.2.6). */
#include "cm3.h"

void lesson_setup(void)
{
	SCB_AIRCR = 5u << 8;
}

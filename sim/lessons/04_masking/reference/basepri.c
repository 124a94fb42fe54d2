/* BASEPRI = 0x40 masks priorities 0x40..0xff (lines 2 and 0), not 0x20 (line 5). */
#include "cm3.h"

void lesson_mask(void)
{
	set_basepri(0x40);
}

void lesson_unmask(void)
{
	set_basepri(0);         /* 0: BASEPRI masks nothing */
}

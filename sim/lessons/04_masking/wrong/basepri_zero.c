/* BASEPRI = 0 "to mask everything": it masks nothing. */
#include "cm3.h"

void lesson_mask(void)
{
	set_basepri(0);
}

void lesson_unmask(void)
{
	set_basepri(0);
}

/* The right mask, never lifted. */
#include "cm3.h"

void lesson_mask(void)
{
	set_basepri(0x40);
}

void lesson_unmask(void)
{
}

/* Lesson 10: line 2 gets priority 0x18 and line 5 0x10 (after the demo's own priorities). A
 * core that implements the top N priority bits keeps bits 7:8-N of each and reads the rest as
 * 0 (ARMv7-M ARM B1.5.4). */
#include "cm3.h"

void lesson_setup(void)
{
	nvic_set_priority(2, 0x18);
	nvic_set_priority(5, 0x10);
}

/* Counts and returns: the level stays asserted. */
#include <stdint.h>

#include "demo.h"

volatile uint32_t lesson_count;

void lesson_handler(void)
{
	lesson_count++;
}

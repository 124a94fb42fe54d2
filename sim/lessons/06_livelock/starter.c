/* Lesson 6: the handler of line 6 (a level request). It counts, and returns. */
#include <stdint.h>

#include "demo.h"

volatile uint32_t lesson_count;

void lesson_handler(void)
{
	lesson_count++;
}

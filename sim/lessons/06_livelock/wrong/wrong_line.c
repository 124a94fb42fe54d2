/* Acknowledges line 5, not its own line 6: the level stays asserted. */
#include <stdint.h>

#include "demo.h"

volatile uint32_t lesson_count;

void lesson_handler(void)
{
	lesson_count++;
	*(volatile uint32_t *)demo_ack_addr = 5;
}

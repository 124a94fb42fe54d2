/* Counts, then tells the device to drop its level: the line number to the acknowledge
 * register (demo_ack_addr holds its address). */
#include <stdint.h>

#include "demo.h"

volatile uint32_t lesson_count;

void lesson_handler(void)
{
	lesson_count++;
	*(volatile uint32_t *)demo_ack_addr = 6;
}

/* The lessons' firmware: the bundled demo of the board, unchanged, except that its main() calls
 * lesson_finish_boot instead of demo_finish_boot (sim/lessons/firmware.py compiles the demo's
 * main with -Ddemo_finish_boot=lesson_finish_boot). lesson_setup runs there: after the demo
 * registered its handlers and set its priorities and enables, before the thread loop. A
 * lesson's own firmware file or the student's answer defines it; without one it does nothing. */
#include <stdint.h>

#include "demo.h"

void lesson_setup(void);

__attribute__((weak)) void lesson_setup(void)
{
}

void lesson_finish_boot(uint32_t nlines)
{
	lesson_setup();
	demo_finish_boot(nlines);
}

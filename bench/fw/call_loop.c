/* Benchmark firmware, both boards: a call-heavy loop, as RTOS idle loops and interrupt
 * handlers are (a call, a callee that saves and restores registers on the stack, a return, per
 * iteration). Runs CALL_LOOPS iterations, prints a checksum and exits; bench/storm.py times it
 * on irqsim and on QEMU -icount shift=0. */
#include <stdint.h>

#include "console.h"

#ifndef CALL_LOOPS
#define CALL_LOOPS 1000000u
#endif

volatile uint32_t call_sink;

__attribute__((noinline)) static uint32_t leaf(uint32_t a, uint32_t b)
{
	call_sink = a;
	return a * 5u + b;
}

/* calls leaf with values live across the call: it must push the return address and the
 * registers holding them, and pop them again */
__attribute__((noinline)) static uint32_t work(uint32_t a, uint32_t b, uint32_t c)
{
	uint32_t x = a * 3u + b, y = b ^ c, z = c + a;
	uint32_t r = leaf(x, y);
	return r + x + y + z;
}

int main(void)
{
	console_init();
	uint32_t acc = 0;
	for (uint32_t i = 0; i < CALL_LOOPS; i++)
		acc += work(i, acc, i ^ acc);
	console_puts("calls ");
	console_putu(acc);
	console_puts("\n");
	return 0;
}

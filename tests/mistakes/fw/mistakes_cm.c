/* tests/mistakes: a Cortex-M3 image that makes one of the mistakes the detectors know (docs/
 * mistakes.md), chosen by `mode`, or, with `correct` set, does the same thing right. Python
 * writes both (and `ack_addr`) before boot; they live in .data, which the start-up code copies
 * from the image. Every external vector enters IRQ_Handler, which dispatches through the
 * handler table (as the bundled demo does). */
#include <stdint.h>

#include "cm3.h"
#include "mistakes.h"

volatile uint32_t mode SETTING, correct SETTING, ack_addr SETTING;
volatile uint32_t handled[16];
volatile uint32_t loops;
volatile uint32_t sink;

#define BASEPRI_LINE 2
#define STACK_FIRST 10   /* lines 10..14: each handler pends the next more urgent one */
#define STACK_LAST 14

HANDLER_TABLE_DEFINE(irq_table, 16);

/* The main stack ends 4.5 KiB below its top (RAM ends at 0x20400000): __StackLimit, as CMSIS
 * linker scripts name it, which the stack-end detector reads. Nested five deep with 1 KiB
 * frames, the last exception frame lands 240 bytes above it. */
__asm__(".globl __StackLimit\n.set __StackLimit, 0x203FEE00");

void IRQ_Handler(void)
{
	uint32_t ipsr;
	__asm__ volatile("mrs %0, ipsr" : "=r"(ipsr));
	handler_table_handle(&irq_table, ipsr - 16u);
}

/* A level line: the correct handler acknowledges it (lowers the line), the mistaken one
 * forgets to. */
static void on_level(void)
{
	handled[LEVEL_LINE]++;
	if (correct)
		*(volatile uint32_t *)ack_addr = LEVEL_LINE;
}

static void on_basepri(void) { handled[BASEPRI_LINE]++; }
static void on_prio(void) { handled[PRIO_LINE]++; }
static void on_empty(void) { handled[EMPTY_LINE]++; }

/* A handler with a big frame (or a small one, correct) that pends the next more urgent line,
 * which preempts it at once: nesting STACK_LAST - STACK_FIRST + 1 deep. */
static __attribute__((noinline)) void nest(uint32_t line)
{
	uint32_t size = correct ? 32u : 1024u;
	volatile uint8_t *buf = __builtin_alloca(size);
	buf[0] = (uint8_t)line;
	buf[size - 1] = 0;
	handled[line]++;
	if (line > STACK_FIRST) {
		NVIC_STIR = line - 1;
		isb();
	}
	sink = buf[0];
}

#define NEST(n) static void on_nest##n(void) { nest(n); }
NEST(10) NEST(11) NEST(12) NEST(13) NEST(14)
static handler_t const nesters[] = {on_nest10, on_nest11, on_nest12, on_nest13, on_nest14};

static void use(uint32_t line, handler_t h, uint8_t prio)
{
	handler_table_register(&irq_table, line, h);
	nvic_set_priority(line, prio);
	nvic_enable(line);
}

static void work(void)
{
	for (volatile int i = 0; i < 100; i++)
		;
}

int main(void)
{
	switch (mode) {
	case MODE_LEVEL:
		use(LEVEL_LINE, on_level, 0x40);
		break;
	case MODE_BASEPRI:
		use(BASEPRI_LINE, on_basepri, 0x80);
		for (;;) {
			/* meant: mask line 2 around the work. BASEPRI 0 masks nothing; 0x40 does */
			if (correct)
				set_basepri(0x40);
			else
				set_basepri(0);
			work();
			set_basepri(0);
			work();
			loops++;
		}
	case MODE_PRIO:
		/* 0x90 on a core with 3 priority bits keeps 0x80: the same as line 5's */
		use(PRIO_LINE, on_prio, correct ? 0xa0 : 0x90);
		break;
	case MODE_STACK:
		for (uint32_t n = STACK_FIRST; n <= STACK_LAST; n++)
			use(n, nesters[n - STACK_FIRST], (uint8_t)(0x20 * (n - STACK_FIRST + 1)));
		NVIC_STIR = STACK_LAST;
		isb();
		break;
	case MODE_EMPTY:
		if (correct)
			handler_table_register(&irq_table, EMPTY_LINE, on_empty);
		nvic_set_priority(EMPTY_LINE, 0x60);
		nvic_enable(EMPTY_LINE);
		break;
	}
	for (;;) {
		loops++;
		work();
	}
}

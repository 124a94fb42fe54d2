/* tests/mistakes: an RV32 image on virt that makes one of the mistakes the detectors know
 * (docs/mistakes.md), chosen by `mode`, or, with `correct` set, does the same thing right.
 * Python writes both (and `ack_addr`) before boot (.data). The machine external interrupt
 * handler claims from the PLIC and dispatches through the handler table, as the demo does. */
#include <stdint.h>

#include "mistakes.h"
#include "riscv.h"

volatile uint32_t mode SETTING, correct SETTING, ack_addr SETTING;
volatile uint32_t handled[16];
volatile uint32_t loops;

#define STACK_LINE 6

/* The stack ends 16 KiB below its top (RAM ends at 0x88000000): __StackLimit, which the
 * stack-end detector reads. */
__asm__(".globl __StackLimit\n.set __StackLimit, 0x87FFC000");
extern uint8_t __StackLimit[];

HANDLER_TABLE_DEFINE(irq_table, 16);

void riscv_mei_handler(struct trap_frame *f)
{
	(void)f;
	uint32_t id = plic_claim();
	if (!id)
		return;
	handler_table_handle(&irq_table, id);
	plic_complete(id);
}

/* A level source: the correct handler acknowledges it (lowers the line) before the PLIC
 * completion, the mistaken one forgets to. */
static void on_level(void)
{
	handled[LEVEL_LINE]++;
	if (correct)
		*(volatile uint32_t *)ack_addr = LEVEL_LINE;
}

static void on_other(void) { handled[0]++; }

static void use(uint32_t s, handler_t h, uint32_t prio)
{
	if (h)
		handler_table_register(&irq_table, s, h);
	plic_set_priority(s, prio);
	plic_enable(s);
}

static void idle(void)
{
	for (;;)
		loops++;
}

/* The thread's stack comes down to 200 bytes above its end (2000, correct) and waits there:
 * an interrupt then stacks its trap frame below that. */
static __attribute__((noinline)) void deep_thread(void)
{
	uint8_t here;
	uint32_t room = (uint32_t)(&here - __StackLimit), keep = correct ? 2000u : 200u;
	volatile uint8_t *p = __builtin_alloca(room > keep ? room - keep : 16);
	p[0] = 1;
	idle();
}

int main(void)
{
	plic_set_threshold(0);
	csr_set(mie, MIE_MEIE);
	irq_enable();
	switch (mode) {
	case MODE_LEVEL:
		use(LEVEL_LINE, on_level, 4);
		break;
	case MODE_PRIO:
		/* 9 on a PLIC with 3 priority bits keeps 1: the least urgent, not above 7 */
		use(PRIO_LINE, on_other, correct ? 7 : 9);
		break;
	case MODE_STACK:
		use(STACK_LINE, on_other, 3);
		deep_thread();
		break;
	case MODE_EMPTY:
		use(EMPTY_LINE, correct ? on_other : 0, 2);
		break;
	}
	idle();
	return 0;
}

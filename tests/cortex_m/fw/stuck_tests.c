/* Loops for the stuck rule (docs/semantics.md, "Stuck"), one per -DTEST=N, each announcing
 * itself through semihosting first:
 *   1 an assert loop: `while (1);` with interrupts masked (PRIMASK): stuck in assert_failed
 *   2 a load from unmapped memory; BusFault is disabled, so it escalates to HardFault, whose
 *     handler is `b .`: a fault loop (CFSR PRECISERR + BFARVALID, BFAR, HFSR FORCED)
 *   3 `while (1);` that SysTick leaves: its fifth interrupt exits with status 5: not stuck
 *   4 `while (1);` with IRQ 3 enabled and interrupts on: stuck unless a request on line 3 is
 *     still to come (then its handler exits with status 7)
 *   5 `while (1);` that only a request on a disabled line could leave: stuck, requests or not
 */
#include <stdint.h>

#include "cm3.h"
#include "semihost.h"

volatile uint32_t ticks_seen;

__attribute__((noinline, used)) void assert_failed(void)
{
	irq_disable();
	for (;;) {
	}
}

__attribute__((naked)) void HardFault_Handler(void)
{
	__asm__ volatile("b .");
}

void SysTick_Handler(void)
{
	if (++ticks_seen == 5)
		semihost_exit(5);
}

void IRQ_Handler(void)
{
	semihost_exit(7);
}

__attribute__((noinline, used)) void spin(void)
{
	for (;;) {
	}
}

int main(void)
{
	semihost_write0("stuck test\n");
#if TEST == 1
	assert_failed();
#elif TEST == 2
	(void)REG32(0x10000000u);
#elif TEST == 3
	SYST_RVR = 999;
	SYST_CVR = 0;
	SYST_CSR = 7;          /* ENABLE, TICKINT, processor clock */
#elif TEST == 4
	nvic_enable(3);
#elif TEST == 5
	nvic_disable(3);
#endif
	spin();
	return 0;
}

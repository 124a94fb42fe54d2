/* Loops for the stuck rule (docs/semantics.md, "How a run ends"), one per -DTEST=N, each
 * announcing itself through semihosting first; for Cortex-M3 and RV32 (on RISC-V mtvec is set
 * here, direct mode):
 *   1 an assert loop: `while (1);` with interrupts masked (PRIMASK; mstatus.MIE clear): stuck
 *     in assert_failed
 *   2 a load from unmapped memory. Cortex-M: BusFault is disabled, so it escalates to
 *     HardFault, whose handler is `b .`: a fault loop (CFSR PRECISERR + BFARVALID, BFAR, HFSR
 *     FORCED). RISC-V: a load access fault (mcause 5, mtval) trapping to `j .`
 *   3 `while (1);` that a timer leaves (SysTick's fifth interrupt; the CLINT's mtimecmp): its
 *     handler exits with status 5: not stuck
 *   4 (Cortex-M) `while (1);` with IRQ 3 enabled and interrupts on: stuck unless a request on
 *     line 3 is still to come (then its handler exits with status 7)
 *   5 (Cortex-M) `while (1);` that only a request on a disabled line could leave: stuck,
 *     requests or not
 */
#include <stdint.h>

#include "semihost.h"
#if defined(__riscv)
#include "riscv.h"
#define BAD_ADDRESS 0x40000000u     /* nothing on irqsim's virt */
#else
#include "cm3.h"
#if defined(__ARM_ARCH_6M__)
#define BAD_ADDRESS 0x60000000u     /* past the peripheral space on microbit */
#else
#define BAD_ADDRESS 0x10000000u     /* between SSRAM1 and SSRAM2/3 on mps2-an385 */
#endif
#endif

volatile uint32_t ticks_seen;

__attribute__((noinline, used)) void assert_failed(void)
{
#if defined(__riscv)
	__asm__ volatile("csrc mstatus, %0" ::"r"(MSTATUS_MIE));
#else
	irq_disable();
#endif
	for (;;) {
	}
}

__attribute__((noinline, used)) void spin(void)
{
	for (;;) {
	}
}

#if defined(__riscv)
__attribute__((naked, aligned(4))) void fault_loop(void)
{
	__asm__ volatile("j .");
}

__attribute__((aligned(4))) void timer_exit(void)
{
	semihost_exit(5);
}
#else
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
#endif

int main(void)
{
	semihost_write0("stuck test\n");
#if TEST == 1
	assert_failed();
#elif TEST == 2
#if defined(__riscv)
	__asm__ volatile("csrw mtvec, %0" ::"r"(fault_loop));
#endif
	(void)REG32(BAD_ADDRESS);
#elif TEST == 3
#if defined(__riscv)
	__asm__ volatile("csrw mtvec, %0" ::"r"(timer_exit));
	CLINT_MTIMECMP_HI = 0;
	CLINT_MTIMECMP_LO = 20000;
	__asm__ volatile("csrs mie, %0" ::"r"(MIE_MTIE));
	__asm__ volatile("csrs mstatus, %0" ::"r"(MSTATUS_MIE));
#else
	SYST_RVR = 999;
	SYST_CVR = 0;
#if defined(SYSTICK_REFCLK)
	SYST_CSR = 3;          /* ENABLE, TICKINT, the reference clock (none on microbit) */
#else
	SYST_CSR = 7;          /* ENABLE, TICKINT, processor clock */
#endif
#endif
#elif TEST == 4
	nvic_enable(3);
#elif TEST == 5
	nvic_disable(3);
#endif
	spin();
	return 0;
}

/* Loops for the stuck rule on RV32 (docs/semantics.md, "Stuck"), one per -DTEST=N, each
 * announcing itself through semihosting first; mtvec is set here (direct mode):
 *   1 an assert loop: `j .` in M-mode with mstatus.MIE clear: stuck in assert_failed
 *   2 a load from unmapped memory traps (load access fault, mcause 5) to a handler that is
 *     `j .`: a fault loop (mcause, mtval, mepc in main)
 *   3 `j .` that the CLINT's timer leaves: its interrupt exits with status 5: not stuck
 */
#include <stdint.h>

#include "riscv.h"
#include "semihost.h"

__attribute__((noinline, used)) void assert_failed(void)
{
	__asm__ volatile("csrc mstatus, %0" ::"r"(MSTATUS_MIE));
	for (;;) {
	}
}

__attribute__((naked, aligned(4))) void fault_loop(void)
{
	__asm__ volatile("j .");
}

__attribute__((aligned(4))) void timer_exit(void)
{
	semihost_exit(5);
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
	__asm__ volatile("csrw mtvec, %0" ::"r"(fault_loop));
	(void)REG32(0x40000000u);
#elif TEST == 3
	__asm__ volatile("csrw mtvec, %0" ::"r"(timer_exit));
	CLINT_MTIMECMP_HI = 0;
	CLINT_MTIMECMP_LO = 20000;
	__asm__ volatile("csrs mie, %0" ::"r"(MIE_MTIE));
	__asm__ volatile("csrs mstatus, %0" ::"r"(MSTATUS_MIE));
#endif
	spin();
	return 0;
}

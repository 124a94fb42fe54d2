/* Hostile firmware for the reliability tests (tests/reliability/test_hostile.py): one image,
 * one misbehaviour per value of `hostile_case` (written by the test before boot; .data). Each
 * case says the stop reason the simulator must give. Cortex-M3, mps2-an385, with the bundled
 * startup (firmware/cortex_m/startup.c), whose weak handlers these override. */
#include <stdint.h>

#include "semihost.h"

enum {
	CASE_EXIT = 0,          /* exits 3 at once: "exit", exit code 3 */
	CASE_SPIN = 1,          /* b . in thread mode: "ticks" (and stops on SIGINT/SIGTERM) */
	CASE_LOCKUP = 2,        /* a fault inside HardFault: lockup, and a lockup again */
	CASE_STUCK_HANDLER = 3, /* IRQ 0's handler never returns: runaway */
	CASE_WRITE_FLOOD = 4,   /* SYS_WRITE of 64 KiB, forever: console-full */
	CASE_STACK_BELOW = 5,   /* MSP at the bottom of RAM, then SVC: stacking fault, lockup */
	CASE_FAULT_LOOP = 6,    /* HardFault returns to the faulting load: faults until "ticks" */
	CASE_TRAP_STORM = 7,    /* SVC in a loop, each returning: "ticks", every trap recorded */
	CASE_IDLE = 8,          /* WFI with every interrupt disabled: "idle" */
};

#ifndef HOSTILE_CASE
#define HOSTILE_CASE 99                 /* no case: exits 99 */
#endif
volatile uint32_t hostile_case = HOSTILE_CASE;   /* .data: a test writes it before boot, or
						  * builds the image with -DHOSTILE_CASE=n */
volatile uint32_t traps;
static char flood[65536];

#define BAD_ADDRESS 0x60000000u        /* nothing is mapped there on mps2-an385 */

void HardFault_Handler(void)
{
	if (hostile_case == CASE_LOCKUP)
		(void)*(volatile uint32_t *)BAD_ADDRESS;   /* a fault in HardFault: lockup */
	if (hostile_case == CASE_FAULT_LOOP)
		return;                                     /* back to the faulting load */
	semihost_exit(70);
}

void SVC_Handler(void)
{
	traps++;
}

void IRQ_Handler(void)
{
	if (hostile_case == CASE_STUCK_HANDLER)
		for (;;)
			__asm volatile("nop");
}

static void sys_write(const void *buf, uint32_t len)
{
	uint32_t block[3] = {1, (uint32_t)buf, len};
	register uint32_t r0 __asm("r0") = 0x05;
	register uint32_t r1 __asm("r1") = (uint32_t)block;
	__asm volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
}

int main(void)
{
	switch (hostile_case) {
	case CASE_EXIT:
		return 3;
	case CASE_SPIN:
		for (;;)
			__asm volatile("");
	case CASE_LOCKUP:
	case CASE_FAULT_LOOP:
		for (;;)
			(void)*(volatile uint32_t *)BAD_ADDRESS;
	case CASE_STUCK_HANDLER:
		*(volatile uint32_t *)0xE000E100u = 1;        /* NVIC_ISER0: enable IRQ 0 */
		for (;;)
			__asm volatile("");
	case CASE_WRITE_FLOOD:
		for (uint32_t i = 0; i < sizeof(flood); i++)
			flood[i] = 'A' + i % 26;
		for (;;)
			sys_write(flood, sizeof(flood));
	case CASE_STACK_BELOW:
		__asm volatile("msr msp, %0\n\tsvc 0" : : "r"(0x20000000u) : "memory");
		return 1;
	case CASE_TRAP_STORM:
		for (;;)
			__asm volatile("svc 0");
	case CASE_IDLE:
		__asm volatile("cpsid i");
		for (;;)
			__asm volatile("wfi");
	}
	return 99;
}

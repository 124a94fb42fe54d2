/* Hostile firmware for the reliability tests (tests/reliability/test_hostile.py): one image,
 * one misbehaviour per value of `hostile_case` (written by the test before boot; .data). Each
 * case says the stop reason the simulator must give. Cortex-M3, mps2-an385, with the bundled
 * startup (firmware/cortex_m/startup.c), whose weak handlers these override. */
#include <stdint.h>

#include "semihost.h"

enum {
	CASE_EXIT = 0,          /* exits 3 at once: "exit", exit code 3 */
	CASE_SPIN = 1,          /* b . in thread mode, nothing to interrupt it: "stuck" */
	CASE_LOCKUP = 2,        /* a fault inside HardFault: lockup, and a lockup again */
	CASE_STUCK_HANDLER = 3, /* IRQ 0's handler never returns: runaway */
	CASE_WRITE_FLOOD = 4,   /* SYS_WRITE of 64 KiB, forever: console-full */
	CASE_STACK_BELOW = 5,   /* MSP at the bottom of RAM, then SVC: stacking fault, lockup */
	CASE_FAULT_LOOP = 6,    /* HardFault returns to the faulting load: faults until "ticks" */
	CASE_TRAP_STORM = 7,    /* SVC in a loop, each returning: "ticks", every trap recorded */
	CASE_IDLE = 8,          /* WFI with every interrupt disabled: "idle" */
	CASE_BUSY = 9,          /* counts in memory for ever (no loop a rule can call stuck):
				 * "ticks" (and stops on SIGINT/SIGTERM) */
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

/* SYS_WRITE to the console: a handle from SYS_OPEN of ":tt" for writing (mode 4), as newlib's
 * rdimon and picolibc get theirs (ARM semihosting has no handles open from the start) */
static void sys_write(const void *buf, uint32_t len)
{
	static uint32_t tt;
	if (!tt) {
		uint32_t open[3] = {(uint32_t)":tt", 4, 3};
		tt = (uint32_t)semihost_call(0x01, (uintptr_t)open);
	}
	uint32_t block[3] = {tt, (uint32_t)buf, len};
	semihost_call(0x05, (uintptr_t)block);
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
	case CASE_BUSY:
		for (;;)
			traps++;
	}
	return 99;
}

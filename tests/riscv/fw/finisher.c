/* The SiFive test finisher: the firmware ends the run through it (tests/riscv/
 * test_rv32_finisher.py), on irqsim and on qemu-system-riscv32 -M virt -bios none.
 *
 * FINISH is the value written to the finisher's register (a -D of the build). What comes after
 * the store runs only if the run goes on: on irqsim when Python runs the machine again; on
 * QEMU never for pass and fail. For reset, QEMU starts the firmware again with RAM kept: a
 * word far from the image tells the second boot, which passes. */
#include <stdint.h>

#include "console.h"
#include "riscv.h"

#ifndef FINISH
#error "build with -DFINISH=<value for the finisher>"
#endif

#define BOOTS (*(volatile uint32_t *)0x84000000u)   /* RAM that neither image nor stack uses */
#define BOOT_MAGIC 0xB007B007u

/* The store that ends the run: its own function, so that tests find the instruction after
 * it (finisher_after). */
__attribute__((noinline)) void finisher_write(uint32_t v)
{
	FINISHER = v;
	__asm__ volatile(".globl finisher_after\nfinisher_after:" ::: "memory");
}

int main(void)
{
	console_init();
	if (BOOTS == BOOT_MAGIC) {
		BOOTS = 0;
		console_puts("boot after reset\n");
		finisher_write(FINISHER_PASS);
	}
	console_puts("finisher test\n");
	if ((FINISH & 0xFFFF) == FINISHER_RESET)
		BOOTS = BOOT_MAGIC;
	finisher_write(FINISH);
	console_puts("after the finisher\n");
	return 99;
}

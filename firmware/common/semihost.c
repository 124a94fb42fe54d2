#include "semihost.h"

/* Kept out of line and in the image: a debugger or a test (Machine.call) may call it. */
__attribute__((noinline, used, retain)) uintptr_t semihost_call(uintptr_t op, uintptr_t arg)
{
#if defined(__arm__)
	register uintptr_t r0 __asm__("r0") = op;
	register uintptr_t r1 __asm__("r1") = arg;
	__asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
	return r0;
#elif defined(__riscv)
	register uintptr_t a0 __asm__("a0") = op;
	register uintptr_t a1 __asm__("a1") = arg;
	/* The three instructions must stay together and uncompressed (semihosting spec for
	 * RISC-V): the debugger recognises the trap by its neighbours. */
	__asm__ volatile(".option push\n.option norvc\n"
			 ".balign 16\n"
			 "slli x0, x0, 0x1f\n"
			 "ebreak\n"
			 "srai x0, x0, 7\n"
			 ".option pop\n"
			 : "+r"(a0) : "r"(a1) : "memory");
	return a0;
#else
#error "semihosting: unknown architecture"
#endif
}

void semihost_write0(const char *s)
{
	semihost_call(SYS_WRITE0, (uintptr_t)s);
}

void semihost_exit(int code)
{
	static volatile uintptr_t block[2];
	block[0] = ADP_STOPPED_APPLICATION_EXIT;
	block[1] = (uintptr_t)code;
	semihost_call(SYS_EXIT_EXTENDED, (uintptr_t)block);
	for (;;) {
	}
}

/* Test firmware for tests/riscv: small functions that Python calls one at a time
 * (sim.Machine.call) after start.S has booted to main. Handlers record what the firmware sees
 * at each trap (mcause, mepc, mtval, mstatus at entry, mip) in trap_log; Python checks it
 * against the RISC-V Privileged Architecture and the PLIC specification.
 *
 * Global labels mark instructions whose address a test needs: mark_store/mark_after (a store
 * and the instruction after it), mark_csr/mark_csr_after (a CSR write and the next one),
 * mark_ecall, mark_ebreak, mark_illegal, mark_cillegal, mark_load, mark_store_fault,
 * mark_amo. */
#include <stdint.h>

#include "riscv.h"

/* Functions Python calls: kept although nothing in the image calls them. */
#define API __attribute__((used, retain, noinline))

struct trap_rec {
	uint32_t mcause, mepc, mtval, mstatus, mip, extra;
};

#define LOG_LEN 64
volatile struct trap_rec trap_log[LOG_LEN];
volatile uint32_t log_n;
volatile uint32_t claims[LOG_LEN];
volatile uint32_t claim_n;
volatile uint32_t nest_mode;        /* MSI handler: 1 = preempted by a timer interrupt */
volatile uint32_t mei_complete = 1; /* MEI handler: complete the claimed source */
volatile uint32_t mei_work;         /* MEI handler: loop iterations before completing */
volatile uint32_t uart_iir;
volatile uint32_t after_nest_mcause;
volatile uint32_t spin_count;
volatile uint32_t user_return;      /* where an ecall from U-mode returns (run_user) */

static void record(struct trap_frame *f, uint32_t extra)
{
	uint32_t n = log_n;
	uint32_t mip = csr_read(mip);
	if (n < LOG_LEN) {
		trap_log[n].mcause = csr_read(mcause);
		trap_log[n].mepc = csr_read(mepc);
		trap_log[n].mtval = csr_read(mtval);
		trap_log[n].mstatus = f->mstatus;
		trap_log[n].mip = mip;
		trap_log[n].extra = extra;
	}
	log_n = n + 1;
}

void riscv_msi_handler(struct trap_frame *f)
{
	record(f, 0);
	CLINT_MSIP = 0;
	if (nest_mode) {
		CLINT_MTIMECMP_HI = 0;
		CLINT_MTIMECMP_LO = 0;       /* mtime >= 0: MTIP now */
		irq_enable();                /* the timer interrupt preempts here */
		irq_disable();
		after_nest_mcause = csr_read(mcause);  /* overwritten by the nested trap */
	}
}

void riscv_mti_handler(struct trap_frame *f)
{
	record(f, (uint32_t)clint_mtime());
	clint_set_mtimecmp(UINT64_MAX);
}

void riscv_mei_handler(struct trap_frame *f)
{
	uint32_t id = plic_claim();
	record(f, id);
	if (claim_n < LOG_LEN)
		claims[claim_n] = id;
	claim_n++;
	if (id == UART0_IRQ) {
		uart_iir = UART_IIR;
		UART_IER = 0;
	}
	for (uint32_t i = mei_work; i; i--)
		__asm__ volatile("" : : : "memory");
	if (id && mei_complete)
		plic_complete(id);
}

void riscv_exception_handler(struct trap_frame *f)
{
	record(f, 0);
	if (csr_read(mcause) == 8) {          /* ecall from U-mode: back to M-mode */
		f->mepc = user_return;
		f->mstatus |= MSTATUS_MPP;
		return;
	}
	uint16_t lo = *(volatile uint16_t *)f->mepc;
	f->mepc += (lo & 3) == 3 ? 4 : 2;    /* skip the trapping instruction */
}

int main(void)
{
	return 0;
}

/* ---- building blocks called from Python ---- */

API void reset_log(void)
{
	log_n = 0;
	claim_n = 0;
	nest_mode = 0;
	mei_complete = 1;
	mei_work = 0;
	after_nest_mcause = 0;
}

API uint32_t get_csr(uint32_t which)
{
	switch (which) {
	case 0: return csr_read(mstatus);
	case 1: return csr_read(mie);
	case 2: return csr_read(mip);
	case 3: return csr_read(mtvec);
	}
	return 0;
}

API void set_mie(uint32_t v) { csr_write(mie, v); }
API void set_mstatus_mie(uint32_t on) { if (on) irq_enable(); else irq_disable(); }
API void set_mtvec(uint32_t v) { csr_write(mtvec, v); }
API void use_direct_mode(void) { csr_write(mtvec, (uint32_t)trap_direct); }
API void use_vectored_mode(void) { csr_write(mtvec, (uint32_t)trap_vectors | 1); }

/* A store of value to addr, labelled. */
API void marked_store(uint32_t addr, uint32_t value)
{
	__asm__ volatile(".option push\n.option norvc\n"
			 ".globl mark_store\nmark_store:\n\tsw %1, 0(%0)\n"
			 ".globl mark_after\nmark_after:\n\tnop\n"
			 ".option pop\n" : : "r"(addr), "r"(value) : "memory");
}

/* A byte store, labelled (the UART's registers are bytes). */
API void marked_store8(uint32_t addr, uint32_t value)
{
	__asm__ volatile(".option push\n.option norvc\n"
			 ".globl mark_store8\nmark_store8:\n\tsb %1, 0(%0)\n"
			 ".globl mark_after8\nmark_after8:\n\tnop\n"
			 ".option pop\n" : : "r"(addr), "r"(value) : "memory");
}

/* csrs mstatus / mie with `bits`, labelled. */
API void marked_set_mstatus(uint32_t bits)
{
	__asm__ volatile(".globl mark_csr\nmark_csr:\n\tcsrs mstatus, %0\n"
			 ".globl mark_csr_after\nmark_csr_after:\n\tnop\n"
			 : : "r"(bits) : "memory");
}

API void marked_set_mie(uint32_t bits)
{
	__asm__ volatile(".globl mark_csr_mie\nmark_csr_mie:\n\tcsrs mie, %0\n"
			 ".globl mark_csr_mie_after\nmark_csr_mie_after:\n\tnop\n"
			 : : "r"(bits) : "memory");
}

API uint32_t read32(uint32_t addr) { return *(volatile uint32_t *)addr; }
API void write32(uint32_t addr, uint32_t v) { *(volatile uint32_t *)addr = v; }
API uint32_t read8(uint32_t addr) { return *(volatile uint8_t *)addr; }
API void write8(uint32_t addr, uint32_t v) { *(volatile uint8_t *)addr = (uint8_t)v; }

API uint32_t mtime_lo(void) { return (uint32_t)clint_mtime(); }
API uint32_t mtime_hi(void) { return (uint32_t)(clint_mtime() >> 32); }
API void set_mtimecmp_delta(uint32_t delta) { clint_set_mtimecmp(clint_mtime() + delta); }
API void set_mtimecmp_abs(uint32_t hi, uint32_t lo)
{
	CLINT_MTIMECMP_HI = 0xFFFFFFFFu;
	CLINT_MTIMECMP_LO = lo;
	CLINT_MTIMECMP_HI = hi;
}

/* Waits with wfi (MIE clear around the test) until n traps have been logged. */
API void wait_traps(uint32_t n)
{
	irq_disable();
	while (log_n < n) {
		wfi();
		irq_enable();
		irq_disable();
	}
}

/* Spins n iterations with interrupts as they are. */
API void spin(uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		spin_count++;
}

/* Loops for tests/riscv/bench_rv32.py: n software interrupts raised by msip stores, n reads
 * of mip, n iterations of nothing. */
API void loop_msip(uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		CLINT_MSIP = 1;
}

API uint32_t loop_mip(uint32_t n)
{
	uint32_t acc = 0;
	for (uint32_t i = 0; i < n; i++)
		acc += csr_read(mip);
	return acc;
}

API void loop_nop(uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		__asm__ volatile("" : : : "memory");
}

/* Exceptions, each labelled; the handler skips the trapping instruction. */
API void do_ecall(void)
{
	__asm__ volatile(".globl mark_ecall\nmark_ecall:\n\tecall" : : : "memory");
}
API void do_ebreak(void)
{
	__asm__ volatile(".option push\n.option norvc\n"
			 ".globl mark_ebreak\nmark_ebreak:\n\tebreak\n.option pop" : : : "memory");
}
API void do_cebreak(void)
{
	__asm__ volatile(".globl mark_cebreak\nmark_cebreak:\n\tc.ebreak" : : : "memory");
}
API void do_illegal(void)
{
	__asm__ volatile(".globl mark_illegal\nmark_illegal:\n\t.word 0xffffffff" : : : "memory");
}
API void do_cillegal(void)
{
	__asm__ volatile(".globl mark_cillegal\nmark_cillegal:\n\t.hword 0" : : : "memory");
}
API uint32_t do_load_fault(uint32_t addr)
{
	uint32_t v;
	__asm__ volatile(".option push\n.option norvc\n"
			 ".globl mark_load\nmark_load:\n\tlw %0, 0(%1)\n.option pop"
			 : "=r"(v) : "r"(addr) : "memory");
	return v;
}
API void do_store_fault(uint32_t addr)
{
	__asm__ volatile(".option push\n.option norvc\n"
			 ".globl mark_store_fault\nmark_store_fault:\n\tsw zero, 0(%0)\n.option pop"
			 : : "r"(addr) : "memory");
}
API uint32_t do_amo(uint32_t addr)
{
	uint32_t v;
	__asm__ volatile(".globl mark_amo\nmark_amo:\n\tamoswap.w %0, zero, (%1)"
			 : "=r"(v) : "r"(addr) : "memory");
	return v;
}
API uint32_t do_misaligned_load(uint32_t addr)
{
	return *(volatile uint32_t *)addr;
}

/* A trap vector that traps at its first instruction, and one that traps at its second. */
API __attribute__((naked, aligned(64))) void bad_vector(void)
{
	__asm__ volatile(".word 0xffffffff");
}
API __attribute__((naked, aligned(64))) void bad_vector2(void)
{
	__asm__ volatile("nop\n.word 0xffffffff");
}
API void use_bad_vector(void) { csr_write(mtvec, (uint32_t)bad_vector); }
API void use_bad_vector2(void) { csr_write(mtvec, (uint32_t)bad_vector2); }

/* Drops to U-mode with mret (MPP = U) at user_entry, where the code sets msip (the software
 * interrupt is taken although MIE is clear: below M-mode machine interrupts are enabled) and
 * then ecalls; the exception handler returns to M-mode at user_back. */
API void run_user(void)
{
	__asm__ volatile("la t0, user_entry\n\tcsrw mepc, t0\n"
			 "\tli t0, 0x1800\n\tcsrc mstatus, t0\n"
			 "\tla t0, user_back\n\tla t1, user_return\n\tsw t0, 0(t1)\n"
			 "\tmret\n"
			 ".globl user_entry\nuser_entry:\n"
			 "\tli t0, 0x02000000\n\tli t1, 1\n"
			 ".globl mark_user_store\nmark_user_store:\n\tsw t1, 0(t0)\n"
			 ".globl mark_user_after\nmark_user_after:\n\tecall\n"
			 "\tj user_entry\n"
			 ".globl user_back\nuser_back:\n"
			 : : : "t0", "t1", "memory");
}

/* Drops to U-mode with sret (SPP = U) at sret_user, with a software interrupt pending and
 * enabled in mie but MIE clear: below M-mode machine interrupts are enabled, so it is taken
 * before the first user instruction. The user code then ecalls back to M-mode. */
API void run_user_sret(void)
{
	/* msip first: its store is looked at (not takeable) blocks before the sret */
	__asm__ volatile("li t0, 0x02000000\n\tli t1, 1\n\tsw t1, 0(t0)\n"
			 "\tla t0, sret_user\n\tcsrw sepc, t0\n"
			 "\tli t0, 0x100\n\tcsrc sstatus, t0\n"
			 "\tla t0, sret_back\n\tla t1, user_return\n\tsw t0, 0(t1)\n"
			 "\tsret\n"
			 ".globl sret_user\nsret_user:\n\tecall\n"
			 ".globl sret_back\nsret_back:\n"
			 : : : "t0", "t1", "memory");
}

/* Code written at run time: `csrs mstatus, a0; nop; ret` (no compressed forms) copied into
 * RAM and called. Returns where it was copied. */
static uint32_t copied_code[4] __attribute__((aligned(16)));

API uint32_t run_copied_csrs(uint32_t bits)
{
	static const uint32_t code[3] = { 0x30052073u, 0x00000013u, 0x00008067u };
	for (int i = 0; i < 3; i++)
		((volatile uint32_t *)copied_code)[i] = code[i];
	__asm__ volatile("" ::: "memory");
	((void (*)(uint32_t))(uintptr_t)copied_code)(bits);
	return (uint32_t)(uintptr_t)copied_code;
}

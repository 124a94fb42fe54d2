/* A self-checking probe that runs unchanged on irqsim and on qemu-system-riscv32 -M virt
 * -bios none -semihosting: it exercises traps, the CLINT, the PLIC and the UART interrupt on
 * its own (the UART's transmitter-empty interrupt is the external source) and prints one
 * "key value" line per observation. tests/riscv/test_rv32_qemu.py compares the two runs. */
#include <stdint.h>

#include "console.h"
#include "riscv.h"

#define PROBE __attribute__((noinline))

static volatile uint32_t order[8], norder;
static volatile uint32_t last_mcause, last_mepc, last_mtval, last_mstatus;

static void put(const char *key, uint32_t v)
{
	console_puts(key);
	console_putc(' ');
	console_putu(v);
	console_putc('\n');
}

static void note(void)
{
	uint32_t n = norder;
	if (n < 8)
		order[n] = csr_read(mcause) & 0xFF;
	norder = n + 1;
	last_mcause = csr_read(mcause);
	last_mepc = csr_read(mepc);
	last_mtval = csr_read(mtval);
}

void riscv_msi_handler(struct trap_frame *f)
{
	last_mstatus = f->mstatus;
	note();
	CLINT_MSIP = 0;
}

void riscv_mti_handler(struct trap_frame *f)
{
	(void)f;
	note();
	clint_set_mtimecmp(UINT64_MAX);
}

void riscv_mei_handler(struct trap_frame *f)
{
	(void)f;
	note();
	uint32_t id = plic_claim();
	if (id == UART0_IRQ)
		UART_IER = 0;
	if (id)
		plic_complete(id);
}

void riscv_exception_handler(struct trap_frame *f)
{
	note();
	uint16_t lo = *(volatile uint16_t *)f->mepc;
	f->mepc += (lo & 3) == 3 ? 4 : 2;
}

extern char probe_store[], probe_after[], probe_ecall[], probe_illegal[], probe_ebreak[];

PROBE static void store_msip(void)
{
	__asm__ volatile(".option push\n.option norvc\n"
			 "li t0, 1\nli t1, 0x02000000\n"
			 ".globl probe_store\nprobe_store: sw t0, 0(t1)\n"
			 ".globl probe_after\nprobe_after: nop\nnop\nnop\nnop\n"
			 ".option pop\n" : : : "t0", "t1", "memory");
}

int main(void)
{
	console_init();
	put("mip_at_boot_mtip", (csr_read(mip) >> IRQ_MTI) & 1);
	clint_set_mtimecmp(UINT64_MAX);
	plic_set_threshold(0);
	plic_set_priority(UART0_IRQ, 1);

	/* Simultaneous: MSIP, MTIP and MEIP (the UART) pending with MIE clear, then MIE set. */
	plic_enable(UART0_IRQ);
	CLINT_MSIP = 1;
	clint_set_mtimecmp(0);
	UART_IER = UART_IER_ETBEI;
	csr_write(mie, MIE_MEIE | MIE_MSIE | MIE_MTIE);
	put("mip_all_three", csr_read(mip) & (MIE_MEIE | MIE_MSIE | MIE_MTIE));
	irq_enable();
	irq_disable();
	put("order_n", norder);
	put("order_0", order[0]);
	put("order_1", order[1]);
	put("order_2", order[2]);

	/* Where a software interrupt raised by a store is taken. */
	csr_write(mie, MIE_MSIE);
	irq_enable();
	store_msip();
	irq_disable();
	put("msip_mcause_low", last_mcause & 0xFF);
	put("msip_mepc_at_next_insn", last_mepc == (uint32_t)probe_after);
	put("entry_mstatus_mpie", (last_mstatus >> 7) & 1);
	put("entry_mstatus_mpp", (last_mstatus >> 11) & 3);
	put("mret_mstatus_mpp", (csr_read(mstatus) >> 11) & 3);
	put("mret_mstatus_mpie", (csr_read(mstatus) >> 7) & 1);

	/* PLIC: the threshold and claims, pending after the level falls. */
	csr_write(mie, 0);
	plic_set_threshold(1);
	UART_IER = UART_IER_ETBEI;
	put("pending_10", (PLIC_PENDING(0) >> UART0_IRQ) & 1);
	put("claim_at_threshold", plic_claim());
	plic_set_threshold(0);
	put("claim_below_threshold", plic_claim());
	put("pending_while_claimed", (PLIC_PENDING(0) >> UART0_IRQ) & 1);
	UART_IER = 0;
	plic_complete(UART0_IRQ);
	UART_IER = UART_IER_ETBEI;
	UART_IER = 0;                     /* the line falls before a claim */
	put("pending_after_level_fell", (PLIC_PENDING(0) >> UART0_IRQ) & 1);
	put("claim_after_level_fell", plic_claim());
	plic_complete(UART0_IRQ);
	plic_set_priority(UART0_IRQ, 0xFF);
	put("priority_warl", PLIC_PRIORITY(UART0_IRQ));
	/* the highest source of virt's PLIC (device tree: riscv,ndev = 96) and the first beyond
	 * (a guest error: no such source), left at 0 after */
	plic_set_priority(96, 7);
	plic_set_priority(97, 7);
	put("priority_source96", PLIC_PRIORITY(96));
	put("priority_source97", PLIC_PRIORITY(97));
	plic_set_priority(96, 0);

	/* Synchronous exceptions. */
	__asm__ volatile(".globl probe_ecall\nprobe_ecall: ecall" : : : "memory");
	put("ecall_mcause", last_mcause);
	put("ecall_mepc_ok", last_mepc == (uint32_t)probe_ecall);
	__asm__ volatile(".globl probe_illegal\nprobe_illegal: .word 0xffffffff" : : : "memory");
	put("illegal_mcause", last_mcause);
	put("illegal_mtval", last_mtval);
	__asm__ volatile(".option push\n.option norvc\n.globl probe_ebreak\nprobe_ebreak: ebreak\n"
			 ".option pop" : : : "memory");
	put("ebreak_mcause", last_mcause);
	put("ebreak_mtval_is_pc", last_mtval == (uint32_t)probe_ebreak);
	put("ebreak_mtval_is_0", last_mtval == 0);
	static volatile uint32_t words[2];
	uint32_t v;
	norder = 0;
	__asm__ volatile("amoswap.w %0, zero, (%1)"
			 : "=r"(v) : "r"((uint32_t)words + 2) : "memory");
	put("amo_misaligned_mcause", norder ? last_mcause : 99);
	put("amo_misaligned_mtval_ok", last_mtval == (uint32_t)words + 2);
	norder = 0;
	v = *(volatile uint32_t *)((uint32_t)words + 1);
	put("load_misaligned_traps", norder);
	norder = 0;
	v = *(volatile uint32_t *)0x00020000u;    /* nothing there on virt */
	put("load_unmapped_mcause", norder ? last_mcause : 99);
	(void)v;
	return 0;
}

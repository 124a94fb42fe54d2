/* Machine-mode CSRs and the devices of QEMU's RISC-V `virt` board used by irqsim's firmware:
 * the CLINT (hart 0), the PLIC (context 0 = hart 0 M-mode) and the NS16550A UART. Sections
 * cite the RISC-V Privileged Architecture (20211203) and the PLIC specification 1.0.0. */
#ifndef FIRMWARE_RISCV_H_
#define FIRMWARE_RISCV_H_

/* mstatus, mie/mip bits and mcause (Privileged 3.1.6.1, 3.1.9, 3.1.15) */
#define MSTATUS_MIE   0x8
#define MSTATUS_MPIE  0x80
#define MSTATUS_MPP   0x1800
#define IRQ_MSI       3
#define IRQ_MTI       7
#define IRQ_MEI       11
#define MIE_MSIE      (1 << IRQ_MSI)
#define MIE_MTIE      (1 << IRQ_MTI)
#define MIE_MEIE      (1 << IRQ_MEI)

/* Trap frame pushed by the trap entry in start.S (offsets in bytes). */
#define FRAME_RA      0
#define FRAME_MEPC    64
#define FRAME_MSTATUS 68
#define FRAME_MCAUSE  72
#define FRAME_SIZE    80

#define TEST_BASE     0x00100000u /* the SiFive test finisher */
#define RTC_BASE      0x00101000u /* the Goldfish RTC */
#define RTC_IRQ       11          /* PLIC source of the RTC on virt */
#define CLINT_BASE    0x02000000u
#define PLIC_BASE     0x0C000000u
#define UART0_BASE    0x10000000u
#define UART0_IRQ     10          /* PLIC source of the UART on virt */
#define PLIC_CTX_M    0           /* context 0: hart 0, M-mode */

#ifndef __ASSEMBLER__

#include <stdint.h>

#define MCAUSE_INTERRUPT (1u << 31)
#define EXC_ILLEGAL   2
#define EXC_BREAKPOINT 3
#define EXC_LOAD_ACCESS 5
#define EXC_STORE_ACCESS 7
#define EXC_ECALL_M   11

#define REG32(a) (*(volatile uint32_t *)(a))
#define REG8(a)  (*(volatile uint8_t *)(a))

/* SiFive test finisher (QEMU hw/misc/sifive_test.c): command in the low halfword, exit code
 * in the high one */
#define FINISHER      REG32(TEST_BASE)
#define FINISHER_FAIL  0x3333u
#define FINISHER_PASS  0x5555u
#define FINISHER_RESET 0x7777u

/* Goldfish RTC (QEMU hw/rtc/goldfish_rtc.c): nanoseconds; read TIME_LOW first (it latches
 * TIME_HIGH), write ALARM_HIGH first (ALARM_LOW arms the alarm) */
#define RTC_TIME_LOW        REG32(RTC_BASE + 0x00u)
#define RTC_TIME_HIGH       REG32(RTC_BASE + 0x04u)
#define RTC_ALARM_LOW       REG32(RTC_BASE + 0x08u)
#define RTC_ALARM_HIGH      REG32(RTC_BASE + 0x0Cu)
#define RTC_IRQ_ENABLED     REG32(RTC_BASE + 0x10u)
#define RTC_CLEAR_ALARM     REG32(RTC_BASE + 0x14u)
#define RTC_ALARM_STATUS    REG32(RTC_BASE + 0x18u)
#define RTC_CLEAR_INTERRUPT REG32(RTC_BASE + 0x1Cu)

/* CLINT: msip, mtimecmp and mtime of hart 0 (Privileged 3.2.1 for mtime/mtimecmp) */
#define CLINT_MSIP        REG32(CLINT_BASE + 0x0000u)
#define CLINT_MTIMECMP_LO REG32(CLINT_BASE + 0x4000u)
#define CLINT_MTIMECMP_HI REG32(CLINT_BASE + 0x4004u)
#define CLINT_MTIME_LO    REG32(CLINT_BASE + 0xBFF8u)
#define CLINT_MTIME_HI    REG32(CLINT_BASE + 0xBFFCu)

/* PLIC ("Memory Map") */
#define PLIC_PRIORITY(s)       REG32(PLIC_BASE + 4u * (s))
#define PLIC_PENDING(w)        REG32(PLIC_BASE + 0x1000u + 4u * (w))
#define PLIC_ENABLE(ctx, w)    REG32(PLIC_BASE + 0x2000u + 0x80u * (ctx) + 4u * (w))
#define PLIC_THRESHOLD(ctx)    REG32(PLIC_BASE + 0x200000u + 0x1000u * (ctx))
#define PLIC_CLAIM(ctx)        REG32(PLIC_BASE + 0x200004u + 0x1000u * (ctx))

/* NS16550A (byte registers, no shift on virt) */
#define UART_THR  REG8(UART0_BASE + 0)
#define UART_DLL  REG8(UART0_BASE + 0)
#define UART_IER  REG8(UART0_BASE + 1)
#define UART_DLM  REG8(UART0_BASE + 1)
#define UART_IIR  REG8(UART0_BASE + 2)
#define UART_FCR  REG8(UART0_BASE + 2)
#define UART_LCR  REG8(UART0_BASE + 3)
#define UART_LSR  REG8(UART0_BASE + 5)
#define UART_IER_ETBEI 0x02       /* transmitter holding register empty interrupt */
#define UART_IIR_ID    0x0F
#define UART_IIR_THRI  0x02
#define UART_LCR_DLAB  0x80
#define UART_LCR_8N1   0x03
#define UART_LSR_THRE  0x20

/* CSR access: the CSR is named in the instruction, so these are macros. */
#define csr_read(csr) __extension__({ uint32_t v_; \
	__asm__ volatile("csrr %0, " #csr : "=r"(v_) : : "memory"); v_; })
#define csr_write(csr, v) __asm__ volatile("csrw " #csr ", %0" : : "r"((uint32_t)(v)) : "memory")
#define csr_set(csr, v)   __asm__ volatile("csrs " #csr ", %0" : : "r"((uint32_t)(v)) : "memory")
#define csr_clear(csr, v) __asm__ volatile("csrc " #csr ", %0" : : "r"((uint32_t)(v)) : "memory")

static inline void irq_enable(void) { __asm__ volatile("csrsi mstatus, 8" : : : "memory"); }
static inline void irq_disable(void) { __asm__ volatile("csrci mstatus, 8" : : : "memory"); }
static inline void wfi(void) { __asm__ volatile("wfi" : : : "memory"); }

/* The trap frame of start.S: caller-saved registers, then mepc, mstatus, mcause. A handler
 * may re-enable MIE: the exit path restores mstatus (MPIE, MPP) and mepc from here. */
struct trap_frame {
	uint32_t ra, t0, t1, t2, a0, a1, a2, a3, a4, a5, a6, a7, t3, t4, t5, t6;
	uint32_t mepc, mstatus, mcause, pad;
};

/* C handlers called by start.S with the trap frame; weak, defaulting to
 * riscv_unexpected_trap. */
void riscv_msi_handler(struct trap_frame *f);
void riscv_mti_handler(struct trap_frame *f);
void riscv_mei_handler(struct trap_frame *f);
void riscv_exception_handler(struct trap_frame *f);   /* may change f->mepc */
void riscv_unexpected_trap(struct trap_frame *f);

extern char trap_vectors[], trap_direct[];

static inline uint64_t clint_mtime(void)
{
	uint32_t hi, lo;
	do {
		hi = CLINT_MTIME_HI;
		lo = CLINT_MTIME_LO;
	} while (hi != CLINT_MTIME_HI);
	return (uint64_t)hi << 32 | lo;
}

/* Writes mtimecmp without passing through a smaller value (Privileged 3.2.1). */
static inline void clint_set_mtimecmp(uint64_t v)
{
	CLINT_MTIMECMP_HI = 0xFFFFFFFFu;
	CLINT_MTIMECMP_LO = (uint32_t)v;
	CLINT_MTIMECMP_HI = (uint32_t)(v >> 32);
}

static inline void plic_set_priority(unsigned s, uint32_t prio) { PLIC_PRIORITY(s) = prio; }
static inline void plic_enable(unsigned s) { PLIC_ENABLE(PLIC_CTX_M, s / 32) |= 1u << (s % 32); }
static inline void plic_disable(unsigned s)
{
	PLIC_ENABLE(PLIC_CTX_M, s / 32) &= ~(1u << (s % 32));
}
static inline void plic_set_threshold(uint32_t t) { PLIC_THRESHOLD(PLIC_CTX_M) = t; }
static inline uint32_t plic_claim(void) { return PLIC_CLAIM(PLIC_CTX_M); }
static inline void plic_complete(uint32_t s) { PLIC_CLAIM(PLIC_CTX_M) = s; }

#endif /* __ASSEMBLER__ */
#endif /* FIRMWARE_RISCV_H_ */

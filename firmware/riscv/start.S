/* Start-up code and trap entry for RV32 machine-mode images on QEMU's virt board.
 *
 * Reset_Handler is the first instruction of the image (link.ld puts .text.reset at the start
 * of RAM): stack at the end of RAM, .bss cleared, mtvec = trap_vectors in vectored mode, then
 * main(); its return value is the semihosting exit status.
 *
 * trap_vectors (vectored mode, Privileged 3.1.7): exceptions enter at BASE, interrupt n at
 * BASE + 4n. trap_direct is the same dispatch for direct mode (mtvec = trap_direct), by
 * mcause. Both push a trap frame (riscv.h: caller-saved registers, mepc, mstatus, mcause) and
 * call a C handler with a0 = the frame:
 *   riscv_msi_handler, riscv_mti_handler, riscv_mei_handler: machine software, timer and
 *   external interrupts; riscv_exception_handler: synchronous traps (it may move frame->mepc,
 *   e.g. past an ecall). All are weak aliases of riscv_unexpected_trap, which reports the trap
 *   through semihosting and exits with status 70.
 * A handler may set MIE and be preempted: the exit path clears MIE, then restores mstatus
 * (MPIE, MPP) and mepc from the frame before mret.
 */
#include "riscv.h"

	.section .text.reset, "ax", @progbits
	.globl	Reset_Handler
	.type	Reset_Handler, @function
Reset_Handler:
	la	sp, _estack
	la	t0, __bss_start
	la	t1, __bss_end
1:	bgeu	t0, t1, 2f
	sw	zero, 0(t0)
	addi	t0, t0, 4
	j	1b
2:	la	t0, trap_vectors
	ori	t0, t0, 1		/* MODE = 1: vectored */
	csrw	mtvec, t0
	call	main
	call	semihost_exit		/* a0: main's result; does not return */
3:	j	3b
	.size	Reset_Handler, . - Reset_Handler

	.section .text.trap_vectors, "ax", @progbits
	.balign	64
	.globl	trap_vectors
	.type	trap_vectors, @function
trap_vectors:
	.option	push
	.option	norvc			/* four bytes per entry */
	j	trap_exception		/* 0: synchronous exceptions */
	j	trap_unexpected		/* 1: supervisor software */
	j	trap_unexpected		/* 2 */
	j	trap_msi		/* 3: machine software */
	j	trap_unexpected		/* 4 */
	j	trap_unexpected		/* 5: supervisor timer */
	j	trap_unexpected		/* 6 */
	j	trap_mti		/* 7: machine timer */
	j	trap_unexpected		/* 8 */
	j	trap_unexpected		/* 9: supervisor external */
	j	trap_unexpected		/* 10 */
	j	trap_mei		/* 11: machine external */
	.option	pop
	.size	trap_vectors, . - trap_vectors

.macro SAVE
	addi	sp, sp, -FRAME_SIZE
	sw	ra, 0(sp)
	sw	t0, 4(sp)
	sw	t1, 8(sp)
	sw	t2, 12(sp)
	sw	a0, 16(sp)
	sw	a1, 20(sp)
	sw	a2, 24(sp)
	sw	a3, 28(sp)
	sw	a4, 32(sp)
	sw	a5, 36(sp)
	sw	a6, 40(sp)
	sw	a7, 44(sp)
	sw	t3, 48(sp)
	sw	t4, 52(sp)
	sw	t5, 56(sp)
	sw	t6, 60(sp)
	csrr	t0, mepc
	sw	t0, FRAME_MEPC(sp)
	csrr	t0, mstatus
	sw	t0, FRAME_MSTATUS(sp)
	csrr	t0, mcause
	sw	t0, FRAME_MCAUSE(sp)
	mv	a0, sp
.endm

.macro ENTRY name, handler
	.type	\name, @function
\name:
	SAVE
	call	\handler
	j	trap_exit
	.size	\name, . - \name
.endm

	.text
	ENTRY	trap_msi, riscv_msi_handler
	ENTRY	trap_mti, riscv_mti_handler
	ENTRY	trap_mei, riscv_mei_handler
	ENTRY	trap_exception, riscv_exception_handler
	ENTRY	trap_unexpected, riscv_unexpected_trap

	.balign	4
	.globl	trap_direct
	.type	trap_direct, @function
trap_direct:
	SAVE
	lw	t0, FRAME_MCAUSE(sp)
	bgez	t0, 5f			/* interrupt bit clear: an exception */
	slli	t0, t0, 1
	srli	t0, t0, 1
	li	t1, IRQ_MEI
	beq	t0, t1, 6f
	li	t1, IRQ_MSI
	beq	t0, t1, 7f
	li	t1, IRQ_MTI
	beq	t0, t1, 8f
	call	riscv_unexpected_trap
	j	trap_exit
5:	call	riscv_exception_handler
	j	trap_exit
6:	call	riscv_mei_handler
	j	trap_exit
7:	call	riscv_msi_handler
	j	trap_exit
8:	call	riscv_mti_handler
	.size	trap_direct, . - trap_direct

	.type	trap_exit, @function
trap_exit:
	csrci	mstatus, MSTATUS_MIE	/* a handler may have set it: no trap until mret */
	lw	t0, FRAME_MSTATUS(sp)
	csrw	mstatus, t0		/* MPIE and MPP as at entry */
	lw	t0, FRAME_MEPC(sp)
	csrw	mepc, t0
	lw	ra, 0(sp)
	lw	t0, 4(sp)
	lw	t1, 8(sp)
	lw	t2, 12(sp)
	lw	a0, 16(sp)
	lw	a1, 20(sp)
	lw	a2, 24(sp)
	lw	a3, 28(sp)
	lw	a4, 32(sp)
	lw	a5, 36(sp)
	lw	a6, 40(sp)
	lw	a7, 44(sp)
	lw	t3, 48(sp)
	lw	t4, 52(sp)
	lw	t5, 56(sp)
	lw	t6, 60(sp)
	addi	sp, sp, FRAME_SIZE
	mret
	.size	trap_exit, . - trap_exit

	.globl	riscv_unexpected_trap
	.type	riscv_unexpected_trap, @function
riscv_unexpected_trap:
	la	a0, unexpected_msg
	call	semihost_write0
	li	a0, 70
	call	semihost_exit
	.size	riscv_unexpected_trap, . - riscv_unexpected_trap

	.weak	riscv_msi_handler
	.set	riscv_msi_handler, riscv_unexpected_trap
	.weak	riscv_mti_handler
	.set	riscv_mti_handler, riscv_unexpected_trap
	.weak	riscv_mei_handler
	.set	riscv_mei_handler, riscv_unexpected_trap
	.weak	riscv_exception_handler
	.set	riscv_exception_handler, riscv_unexpected_trap

	.section .rodata.unexpected_msg, "a", @progbits
unexpected_msg:
	.asciz	"irqsim firmware: unexpected trap\n"

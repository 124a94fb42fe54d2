/* RISC-V RV32 machine mode on QEMU's `virt` board: traps, CLINT, PLIC and the NS16550A UART,
 * in C against Unicorn's API.
 *
 * Follows the RISC-V Privileged Architecture (Volume II, version 20211203): 3.1.6.1 (mstatus
 * MIE/MPIE/MPP), 3.1.7 (mtvec), 3.1.9 (mip, mie), 3.1.14 (mepc), 3.1.15 (mcause), 3.1.16
 * (mtval), 3.2.1 (mtime, mtimecmp), 3.3.1 (ecall, ebreak), 3.3.2 (mret), 3.3.3 (wfi); the
 * RISC-V Platform-Level Interrupt Controller Specification 1.0.0 ("PLIC" below); the SiFive
 * CLINT layout that QEMU's virt maps; the NS16550A data sheet, with QEMU's hw/char/serial.c
 * where the data sheet leaves room; and the RISC-V Semihosting specification 0.3.
 *
 * Numbering: interrupt code n is mcause (1 << 31) | n and mip/mie bit n (MSI 3, MTI 7, MEI 11);
 * PLIC source n is line n (1..num_sources; source 0 does not exist). Trace numbers: entry,
 * preempt and return carry the interrupt code, or 256 + the exception code for synchronous
 * traps; request, pend, coalesce, claim and complete carry the PLIC source, except pends of the
 * hart-local MSIP and MTIP, which carry 0x8000 | code.
 *
 * Unicorn 2.1.4 executes the instructions, CSR accesses and mret, but has no CLINT or PLIC and
 * delivers no machine-mode trap itself: synchronous exceptions come to UC_HOOK_INTR (or make
 * emu_start fail) and interrupts are ours. trap_enter() delivers both; arbitrate() is the only
 * place that decides whether an interrupt is taken. State is kept by meaning: per PLIC source
 * priority, pending, claimed, input levels; per context enables and threshold; the CLINT's
 * msip, mtimecmp and mtime (a linear function of ticks); the hart's MSIP/MTIP/MEIP (rv->mip).
 *
 * How the model sees what the firmware does (each measured on Unicorn 2.1.4; docs/riscv.md):
 * - Every CSR instruction ends a translation block. At load, the image is scanned (at every
 *   halfword) for CSR writes to mstatus or mie, reads of mip, and mret; each site gets a
 *   single-address code hook. An instruction that starts at a hooked address is the one the
 *   scan matched, so stray matches in data cost nothing. A write to mstatus/mie asks for
 *   arbitration at the next block boundary, which is the next instruction; mret records the
 *   return; a read of mip stops emulation before the instruction, and rv32_resume() emulates
 *   it with MSIP/MTIP/MEIP filled in (Unicorn's mip keeps only the supervisor bits).
 * - MMIO stores call back into C in the middle of a block. When one makes an interrupt
 *   takeable, the callback stops emulation; Unicorn then leaves PC at the store, its effect
 *   done, and rv32_resume() steps past it, so the trap is taken with mepc = the next
 *   instruction, before it retires.
 * - ecall, illegal instructions and misaligned AMOs reach UC_HOOK_INTR with PC 4 bytes past
 *   the trapping instruction, whatever its length; ebreak and access faults make emu_start
 *   fail with PC at the instruction.
 *
 * Choices where the specifications leave one (each also in docs/riscv.md):
 * - Simultaneous machine interrupts are taken MEI, MSI, MTI (3.1.9). QEMU 7.2 takes the
 *   lowest-numbered first (MSI, MTI, MEI).
 * - mtimecmp resets to all ones (unspecified in 3.2.1; QEMU 7.2 resets it to 0, so MTIP is
 *   pending there until the firmware programs the timer).
 * - Claim applies the context's threshold (as QEMU does), although PLIC "Interrupt Claim
 *   Process" says the threshold does not affect claims. Ties go to the lower source id.
 * - Priorities and thresholds are WARL: the low prio_bits bits are kept.
 * - Gateways: a source is level-triggered while its input is driven high (raise/lower, the
 *   UART) and edge-triggered for pulses. A pending bit stays set until claimed, even if a
 *   level input falls first (as on QEMU 7.2). While a source is claimed its gateway forwards
 *   nothing (QEMU 7.2 sets the pending bit from a level input even then): a level input still
 *   high at completion pends again; a request that arrives while claimed (an edge, or a level
 *   raised anew) is held and pends at completion, further ones coalesce.
 * - A completion for a source that is not claimed, or not enabled for the context, is ignored
 *   (PLIC "Interrupt Completion") and logged as a guest error.
 * - mtime advances mtime_num / mtime_den per tick (board key controller.mtime_per_tick); a
 *   firmware read sees the value at the start of the current translation block. Timer
 *   interrupts are recognised at the first block boundary at or after the tick mtime reaches
 *   mtimecmp, as line events are.
 * - mtval: the instruction bits for illegal instructions, the address for access and
 *   misaligned faults, the PC for ebreak, 0 otherwise. Misaligned loads and stores are
 *   performed (the EEI may do so); misaligned AMOs trap, as store/AMO address misaligned (6)
 *   except lr.w, which is a load (4).
 * - ECALL, EBREAK and faulting instructions do not retire (no tick), except the ebreak of a
 *   semihosting call, which completes like any instruction.
 * - A trap whose handler address (mtvec, or mtvec + 4 * code when vectored) is not in mapped
 *   memory ends the run (lockup, FAULT_NO_TRAP_VECTOR). So does a synchronous trap raised by
 *   the first instruction of its own handler, or more than 16 synchronous traps in a row,
 *   each within 256 ticks of the last and without an mret in between (FAULT_TRAP_LOOP).
 * - Only PLIC context 0 (hart 0, M-mode) is wired, to MEIP. Other contexts have registers but
 *   drive nothing; supervisor-level interrupts are not modelled.
 * - Accounting (storm.c): a request is bound to a trap at its claim; its service starts at the
 *   first instruction of that trap's handler (or at the claim, if the request came later) and
 *   returns at the trap's mret, as a Cortex-M handler's does.
 */
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "core.h"

/* mstatus (3.1.6.1) */
#define MSTATUS_MIE (1u << 3)
#define MSTATUS_MPIE (1u << 7)
#define MSTATUS_MPP_SHIFT 11
#define MSTATUS_MPP (3u << MSTATUS_MPP_SHIFT)
#define MSTATUS_MPRV (1u << 17)
#define MSTATUS_TRAP_BITS (MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP)
#define PRV_U 0
#define PRV_M 3

/* Interrupt codes and mip/mie bits (3.1.9); mcause (3.1.15) */
#define IRQ_MSI 3
#define IRQ_MTI 7
#define IRQ_MEI 11
#define MIP_MSIP (1u << IRQ_MSI)
#define MIP_MTIP (1u << IRQ_MTI)
#define MIP_MEIP (1u << IRQ_MEI)
#define MIP_MACHINE (MIP_MSIP | MIP_MTIP | MIP_MEIP)
#define MCAUSE_INTERRUPT (1u << 31)

/* Exception codes (3.1.15, table 3.6) */
#define EXC_INSN_MISALIGNED 0
#define EXC_INSN_ACCESS 1
#define EXC_ILLEGAL 2
#define EXC_BREAKPOINT 3
#define EXC_LOAD_MISALIGNED 4
#define EXC_LOAD_ACCESS 5
#define EXC_STORE_MISALIGNED 6
#define EXC_STORE_ACCESS 7
#define EXC_ECALL_U 8            /* + privilege: 11 is ecall from M-mode */

/* CSR numbers (table 2.5) */
#define CSR_MSTATUS 0x300
#define CSR_MIE 0x304
#define CSR_MIP 0x344

/* Instruction encodings */
#define INSN_MRET 0x30200073u
#define INSN_SRET 0x10200073u
#define INSN_EBREAK 0x00100073u
#define INSN_C_EBREAK 0x9002u
#define SEMI_ENTRY 0x01f01013u   /* slli x0, x0, 0x1f  (semihosting spec, "Semihosting trap") */
#define SEMI_EXIT 0x40705013u    /* srai x0, x0, 7 */
#define OPC_SYSTEM 0x73u
#define OPC_AMO 0x2Fu
#define AMO_LR 0x02u             /* funct5 of lr.w */

/* CLINT, hart 0 (SiFive CLINT; QEMU hw/intc/riscv_aclint.c as virt maps it) */
#define CLINT_MSIP 0x0000        /* bit 0: MSIP */
#define CLINT_MTIMECMP 0x4000    /* 64 bits, low word first */
#define CLINT_MTIME 0xBFF8       /* 64 bits, low word first */
#define CLINT_SIZE 0x10000

/* PLIC ("Memory Map") */
#define PLIC_PRIORITY 0x000000   /* + 4 * source */
#define PLIC_PENDING 0x001000    /* one bit per source, read-only */
#define PLIC_ENABLE 0x002000     /* + 0x80 * context, one bit per source */
#define PLIC_ENABLE_STRIDE 0x80
#define PLIC_CONTEXT 0x200000    /* + 0x1000 * context: threshold; + 4: claim/complete */
#define PLIC_CONTEXT_STRIDE 0x1000
#define PLIC_MAX_SOURCES 1023
#define PLIC_MAX_CONTEXTS 16
#define PLIC_WORDS ((PLIC_MAX_SOURCES + 1 + 63) / 64)

/* NS16550A, byte registers (QEMU virt: regshift 0) */
#define UART_RBR_THR 0           /* DLL when LCR.DLAB */
#define UART_IER 1               /* DLM when LCR.DLAB */
#define UART_IIR_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7
#define UART_SIZE 0x1000
#define IER_ETBEI 0x02           /* transmitter holding register empty interrupt enable */
#define IIR_NO_INT 0x01
#define IIR_THRI 0x02
#define IIR_FIFO 0xC0
#define FCR_FE 0x01
#define LCR_DLAB 0x80
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define MSR_DCD_DSR_CTS 0xB0     /* what QEMU's serial reports with a console attached */

/* Trace numbers and pend sources (see the header comment and sim/trace.py) */
#define NUM_EXCEPTION 0x100
#define NUM_LOCAL 0x8000
#define PEND_LINE 0
#define PEND_LEVEL 1
#define PEND_SOFTWARE 2
#define PEND_TIMER 3
#define PEND_DEVICE 4

#define MAX_DEPTH 64
#define MAX_SITES 4096
#define TRAP_LOOP_LIMIT 16
#define TRAP_LOOP_TICKS 256
#define DONE_MAX 8

enum resume { RESUME_NONE, RESUME_STORE, RESUME_MIP };
enum site { SITE_NONE, SITE_CSR_WRITE, SITE_CSR_CLEAR, SITE_MIP_READ, SITE_MRET, SITE_SRET };

struct plic_source {
	uint8_t prio;        /* WARL; 0 never interrupts */
	uint8_t pending;     /* IP: forwarded by the gateway, not yet claimed */
	uint8_t claimed;     /* claimed and not completed: the gateway forwards nothing new */
	uint8_t line;        /* input driven high from Python (raise/lower) */
	uint8_t device;      /* input driven high by a board device (the UART) */
	uint8_t held;        /* a request that came while claimed (HELD_*), sent at completion */
	uint8_t held_why;    /* its EV_PEND source */
	uint64_t req_tick;   /* tick of the line request that set pending (or is held), or ~0 */
};

enum { HELD_NONE, HELD_EDGE, HELD_LEVEL };

/* CSRs the trap entry writes (or reads) in a saved CPU context */
enum { CX_MSTATUS, CX_MEPC, CX_MCAUSE, CX_MTVAL, CX_MTVEC, CX_N };

struct rv32 {
	/* PLIC */
	int nsrc, nctx;
	uint32_t prio_mask;
	uint32_t plic_base, plic_size;
	struct plic_source src[PLIC_MAX_SOURCES + 1];
	uint8_t enabled[PLIC_MAX_CONTEXTS][PLIC_MAX_SOURCES + 1];
	/* the same as bitmaps (bit s of word s / 64), so that a claim or an MEIP update looks
	 * only at sources both pending and enabled instead of at every source */
	int nwords;
	uint64_t pend_bits[PLIC_WORDS];
	uint64_t en_bits[PLIC_MAX_CONTEXTS][PLIC_WORDS];
	uint32_t threshold[PLIC_MAX_CONTEXTS];
	/* CLINT */
	uint32_t clint_base;
	int msip;
	uint64_t mtimecmp;
	uint64_t mtime_at, tick_at;      /* mtime = mtime_at + (ticks - tick_at) * num / den */
	uint32_t mt_num, mt_den;
	uint64_t mtip_tick;              /* tick at which MTIP rises; UINT64_MAX: set, or never */
	/* UART */
	uint32_t uart_base;
	int uart_irq;
	uint8_t ier, lcr, mcr, scr, dll, dlm, fcr, thr_ipending;
	/* hart */
	uint32_t mip;                    /* MSIP, MTIP, MEIP as the CLINT and PLIC drive them */
	int depth, max_depth;            /* traps taken and not yet returned from (mret) */
	uint16_t stack[MAX_DEPTH];       /* their trace numbers */
	int16_t claim_of[MAX_DEPTH + 1]; /* the source each level claimed last (0 = thread) */
	uint64_t entry_tick[MAX_DEPTH + 1]; /* tick each level's trap was entered */
	uint16_t done[MAX_DEPTH + 1][DONE_MAX]; /* sources completed in the level's trap, */
	uint8_t ndone[MAX_DEPTH + 1];           /* which return (accounting) at its mret */
	int sync_chain;                  /* synchronous traps in a row, each soon after the last */
	uint64_t last_sync;              /* tick of the last synchronous trap */
	uint64_t interrupts, exceptions, preemptions, mrets;
	uint32_t trap_cause, trap_tval, trap_vec;  /* the last trap taken or refused */
	/* emulation */
	int resume;                      /* enum resume: what rv32_resume must finish */
	uint64_t resume_pc;
	int in_api;                      /* a register access from Python, not from the guest */
	int nsites;
	/* trap CSRs written without Unicorn's TLB flush (see trap_csrs): a CPU context and the
	 * offsets of the CSRs in it, found by probe_offsets(); cx_ok when all were found */
	uc_context *ctx;
	long cx_off[CX_N];
	int cx_ok;
	/* privilege, mstatus and mie as last read: what decides whether an interrupt is taken.
	 * Only a CSR write to mstatus or mie, mret or sret (each ends its block, rv32_block_end),
	 * a trap (trap_enter_from keeps it) or Python between runs change them. */
	int hart_valid;
	uint32_t h_priv, h_mstatus, h_mie;
	uint32_t ack_base;        /* irqsim's acknowledge register, 0 = not mapped */
	uint64_t site_addr[MAX_SITES];
	uc_hook site_hook[MAX_SITES];
};

/* ---- registers ------------------------------------------------------------------------- */

static uint32_t reg(struct core *c, int r)
{
	uint32_t v = 0;
	uc_reg_read(c->uc, r, &v);
	return v;
}

static void set_reg(struct core *c, int r, uint32_t v)
{
	uc_reg_write(c->uc, r, &v);
}

static uint32_t xreg(struct core *c, uint32_t n)
{
	return n ? reg(c, UC_RISCV_REG_X0 + (int)n) : 0;
}

static void set_xreg(struct core *c, uint32_t n, uint32_t v)
{
	if (n)
		set_reg(c, UC_RISCV_REG_X0 + (int)n, v);
}

/* Unicorn 2.1.4 applies the hart's current privilege to CSR access through its API: below
 * M-mode a machine CSR reads as garbage and writes are dropped. The model acts as M-mode:
 * as_m() switches to it and returns the privilege to give back to restore_priv(). */
static uint32_t as_m(struct core *c)
{
	uint32_t p = reg(c, UC_RISCV_REG_PRIV) & 3;
	if (p != PRV_M)
		set_reg(c, UC_RISCV_REG_PRIV, PRV_M);
	return p;
}

static void restore_priv(struct core *c, uint32_t p)
{
	if (p != PRV_M)
		set_reg(c, UC_RISCV_REG_PRIV, p);
}

/* The trap entry's CSR writes: mstatus <- nv (old: its value now), mepc, mcause, mtval, as
 * writes through the API would store them, minus one cost. Unicorn 2.1.4 (QEMU 5.0's
 * write_mstatus) flushes the whole TLB whenever a write changes MPP, although MPP affects
 * translation only while MPRV is set (data accesses then use MPP's privilege; the TLB is
 * tagged by the current privilege otherwise). Every trap taken from M-mode changes MPP from U
 * (where mret leaves it) to M, so that flush, and the refills after it, cost about a third of
 * an interrupt's host time. When MPRV is clear before and after, the values go straight into
 * the CPU state through a saved context (a copy of about 1 KB each way, cheaper than four CSR
 * writes through the API), `ctx_saved` when the caller already saved it: exactly what the
 * CSR writes store, minus the flush (the fields that also go into SD, FS and XS, do not change
 * here). Otherwise, or when the probe at set-up did not find the CSRs in the context, the
 * ordinary writes. */
static void trap_csrs(struct core *c, int ctx_saved, uint32_t old, uint32_t nv, uint32_t epc,
		      uint32_t cause, uint32_t tval)
{
	struct rv32 *r = c->rv;
	if (r->cx_ok && !((old | nv) & MSTATUS_MPRV) && !((old ^ nv) & ~MSTATUS_TRAP_BITS) &&
	    (ctx_saved || uc_context_save(c->uc, r->ctx) == UC_ERR_OK)) {
		uint8_t *b = (uint8_t *)r->ctx;
		memcpy(b + r->cx_off[CX_MSTATUS], &nv, 4);
		memcpy(b + r->cx_off[CX_MEPC], &epc, 4);
		memcpy(b + r->cx_off[CX_MCAUSE], &cause, 4);
		memcpy(b + r->cx_off[CX_MTVAL], &tval, 4);
		if (uc_context_restore(c->uc, r->ctx) == UC_ERR_OK)
			return;
	}
	set_reg(c, UC_RISCV_REG_MSTATUS, nv);
	set_reg(c, UC_RISCV_REG_MEPC, epc);
	set_reg(c, UC_RISCV_REG_MCAUSE, cause);
	set_reg(c, UC_RISCV_REG_MTVAL, tval);
}

/* Finds CSR `regid` in a saved CPU context (uc_context is opaque: its header and the CPU
 * state layout are Unicorn's), by writing two distinct legal values through the API and
 * looking for the one word that holds each; then checks that a value put there reads back
 * through the API. Returns the byte offset from the start of the context, or -1. Runs in
 * M-mode at set-up; puts the CSR's value back. */
static long probe_field(struct core *c, int regid, uint32_t w1, uint32_t w2, uint8_t *first,
			size_t size)
{
	struct rv32 *r = c->rv;
	long found = -1;
	uint32_t orig = reg(c, regid), v1, v2;
	set_reg(c, regid, w1);
	v1 = reg(c, regid);
	if (uc_context_save(c->uc, r->ctx) != UC_ERR_OK)
		goto out;
	memcpy(first, r->ctx, size);
	set_reg(c, regid, w2);
	v2 = reg(c, regid);
	if (v1 == v2 || uc_context_save(c->uc, r->ctx) != UC_ERR_OK)
		goto out;
	for (size_t off = 0; off + 4 <= size; off += 4) {
		uint32_t a, b;
		memcpy(&a, first + off, 4);
		memcpy(&b, (uint8_t *)r->ctx + off, 4);
		if (a == v1 && b == v2) {
			if (found >= 0) {   /* not unique: do not guess */
				found = -1;
				goto out;
			}
			found = (long)off;
		}
	}
	if (found < 0)
		goto out;
	/* v2 is in the CPU now; put v1 in through the context and read it back */
	memcpy((uint8_t *)r->ctx + found, &v1, 4);
	if (uc_context_restore(c->uc, r->ctx) != UC_ERR_OK || reg(c, regid) != v1)
		found = -1;
out:
	set_reg(c, regid, orig);
	return found;
}

static void probe_offsets(struct core *c)
{
	struct rv32 *r = c->rv;
	size_t size = uc_context_size(c->uc);
	r->cx_ok = 0;
	if (!r->ctx || size < 8 || size > (1u << 20))
		return;
	uint8_t *first = malloc(size);
	if (!first)
		return;
	static const struct { int id; uint32_t w1, w2; } f[CX_N] = {
		[CX_MSTATUS] = { UC_RISCV_REG_MSTATUS, MSTATUS_MPIE | 1u << MSTATUS_MPP_SHIFT | 1u << 5,
				 MSTATUS_MIE | 3u << MSTATUS_MPP_SHIFT | 1u << 8 },
		[CX_MEPC] = { UC_RISCV_REG_MEPC, 0x80001234u, 0x80004568u },
		[CX_MCAUSE] = { UC_RISCV_REG_MCAUSE, 0x8000000bu, 0x00000005u },
		[CX_MTVAL] = { UC_RISCV_REG_MTVAL, 0x13572468u, 0x2468ace0u },
		[CX_MTVEC] = { UC_RISCV_REG_MTVEC, 0x80000101u, 0x80000200u },
	};
	r->cx_ok = 1;
	for (int i = 0; i < CX_N; i++) {
		r->cx_off[i] = probe_field(c, f[i].id, f[i].w1, f[i].w2, first, size);
		if (r->cx_off[i] < 0)
			r->cx_ok = 0;
	}
	free(first);
}

/* The hart state takeable_in() looks at, read through the API when not known. */
static void hart_now(struct core *c, uint32_t *priv, uint32_t *mstatus, uint32_t *mie)
{
	*priv = as_m(c);
	*mstatus = reg(c, UC_RISCV_REG_MSTATUS);
	*mie = reg(c, UC_RISCV_REG_MIE);
	restore_priv(c, *priv);
}

static void hart_read(struct core *c)
{
	struct rv32 *r = c->rv;
	hart_now(c, &r->h_priv, &r->h_mstatus, &r->h_mie);
	r->hart_valid = 1;
}

static int insn_at(struct core *c, uint64_t addr, uint32_t *w)
{
	uint8_t *p = core_host_ptr(c, addr, 2);
	if (!p)
		return -1;
	uint32_t lo = (uint32_t)(p[0] | p[1] << 8);
	if ((lo & 3) != 3) {
		*w = lo;
		return 2;
	}
	if (!(p = core_host_ptr(c, addr, 4)))
		return -1;
	*w = lo | (uint32_t)(p[2] | p[3] << 8) << 16;
	return 4;
}

/* ---- CLINT (3.2.1) ------------------------------------------------------------------------ */

static uint64_t mtime_now(struct core *c)
{
	struct rv32 *r = c->rv;
	unsigned __int128 d = (unsigned __int128)(c->ticks - r->tick_at) * r->mt_num / r->mt_den;
	return r->mtime_at + (uint64_t)d;
}

/* MSIP and MTIP from the CLINT's state; the tick at which MTIP next rises. */
static void clint_update(struct core *c)
{
	struct rv32 *r = c->rv;
	uint32_t old = r->mip;
	uint64_t now = mtime_now(c), due = r->mtip_tick;
	uint32_t mip = old & ~(MIP_MSIP | MIP_MTIP);
	if (r->msip)
		mip |= MIP_MSIP;
	if (r->mtimecmp <= now) {
		mip |= MIP_MTIP;
		r->mtip_tick = UINT64_MAX;
	} else {
		/* the least t with mtime_at + floor((t - tick_at) * num / den) >= mtimecmp */
		unsigned __int128 k = r->mtimecmp - r->mtime_at;
		unsigned __int128 t = (k * r->mt_den + r->mt_num - 1) / r->mt_num + r->tick_at;
		r->mtip_tick = t > UINT64_MAX ? UINT64_MAX : (uint64_t)t;
	}
	r->mip = mip;
	if (mip & ~old & MIP_MTIP)   /* recorded at the tick mtime reached mtimecmp */
		core_trace_at(c, due <= c->ticks ? due : c->ticks, EV_PEND, NUM_LOCAL | IRQ_MTI,
			      PEND_TIMER);
	if (mip != old)
		c->need_check = 1;
}

static void set_msip(struct core *c, int v, uint32_t why)
{
	struct rv32 *r = c->rv;
	if (v && r->msip)
		core_trace(c, EV_COALESCE, NUM_LOCAL | IRQ_MSI, why);
	else if (v)
		core_trace(c, EV_PEND, NUM_LOCAL | IRQ_MSI, why);
	r->msip = v;
	clint_update(c);
}

/* mtime restarts from `v` now. */
static void set_mtime(struct core *c, uint64_t v)
{
	c->rv->mtime_at = v;
	c->rv->tick_at = c->ticks;
	clint_update(c);
}

static uint32_t clint_read32(struct core *c, uint32_t off)
{
	struct rv32 *r = c->rv;
	switch (off) {
	case CLINT_MSIP: return (uint32_t)r->msip;
	case CLINT_MTIMECMP: return (uint32_t)r->mtimecmp;
	case CLINT_MTIMECMP + 4: return (uint32_t)(r->mtimecmp >> 32);
	case CLINT_MTIME: return (uint32_t)mtime_now(c);
	case CLINT_MTIME + 4: return (uint32_t)(mtime_now(c) >> 32);
	}
	core_guest_error(c, r->clint_base + off);   /* other harts' registers, reserved space */
	return 0;
}

static void clint_write32(struct core *c, uint32_t off, uint32_t v)
{
	struct rv32 *r = c->rv;
	uint64_t t;
	switch (off) {
	case CLINT_MSIP:
		set_msip(c, (int)(v & 1), PEND_SOFTWARE);
		return;
	case CLINT_MTIMECMP:
		r->mtimecmp = (r->mtimecmp & ~0xFFFFFFFFull) | v;
		break;
	case CLINT_MTIMECMP + 4:
		r->mtimecmp = (r->mtimecmp & 0xFFFFFFFFull) | (uint64_t)v << 32;
		break;
	case CLINT_MTIME:
		t = mtime_now(c);
		set_mtime(c, (t & ~0xFFFFFFFFull) | v);
		return;
	case CLINT_MTIME + 4:
		t = mtime_now(c);
		set_mtime(c, (t & 0xFFFFFFFFull) | (uint64_t)v << 32);
		return;
	default:
		core_guest_error(c, r->clint_base + off);
		return;
	}
	clint_update(c);
}

uint64_t rv32_deadline(struct core *c)
{
	return c->rv ? c->rv->mtip_tick : UINT64_MAX;
}

/* ---- PLIC ---------------------------------------------------------------------------------- */

/* The source a claim by `ctx` would return: the highest-priority pending, enabled, unclaimed
 * source with priority above the threshold, the lower id on ties; 0 if none. */
static int plic_best(struct rv32 *r, int ctx)
{
	int best = 0;
	uint32_t bestp = r->threshold[ctx];
	for (int w = 0; w < r->nwords; w++) {
		uint64_t m = r->pend_bits[w] & r->en_bits[ctx][w];
		while (m) {              /* ascending ids: a tie keeps the lower one */
			int s = w * 64 + __builtin_ctzll(m);
			struct plic_source *p = &r->src[s];
			m &= m - 1;
			if (!p->claimed && p->prio > bestp) {
				best = s;
				bestp = p->prio;
			}
		}
	}
	return best;
}

/* MEIP follows context 0. */
static void plic_update(struct core *c)
{
	struct rv32 *r = c->rv;
	uint32_t old = r->mip;
	r->mip = plic_best(r, 0) ? old | MIP_MEIP : old & ~MIP_MEIP;
	if (r->mip != old)
		c->need_check = 1;
}

/* Per-level state is indexed by the nesting depth (0 = thread); deeper than MAX_DEPTH levels
 * share the last slot. */
static int depth_slot(struct rv32 *r)
{
	return r->depth < MAX_DEPTH ? r->depth : MAX_DEPTH;
}

/* The requests served by the innermost trap return when it does (mret), as a Cortex-M
 * handler's return; completed sources wait for it here. */
static void return_done(struct core *c, int slot)
{
	struct rv32 *r = c->rv;
	for (int i = 0; i < r->ndone[slot]; i++)
		acct_return(c, r->done[slot][i]);
	r->ndone[slot] = 0;
}

static void return_one(struct core *c, int slot, int s)
{
	struct rv32 *r = c->rv;
	for (int i = 0; i < r->ndone[slot]; i++) {
		if (r->done[slot][i] == s) {
			acct_return(c, (uint32_t)s);
			r->done[slot][i] = r->done[slot][--r->ndone[slot]];
			return;
		}
	}
}

/* The innermost trap's claim (what it dispatches, for the accounting). */
static void note_claim(struct rv32 *r, int s)
{
	r->claim_of[depth_slot(r)] = (int16_t)s;
}

/* Gateways ("Interrupt Gateways"). A request sets the source's pending bit unless it is
 * already pending (the request coalesces) or claimed: then the gateway holds it (one edge, or
 * a level raised during the claim) and forwards it at completion. `req` is the tick of the
 * line request behind it (accounted), or NO_REQ for a device or a level still high. */
#define NO_REQ UINT64_MAX

/* `account`: the request `req` is new (a held one was accounted when it arrived). */
static void set_pending(struct core *c, int s, uint32_t why, uint64_t req, int account)
{
	struct plic_source *p = &c->rv->src[s];
	p->pending = 1;
	c->rv->pend_bits[s / 64] |= 1ull << (s % 64);
	p->req_tick = req;
	core_trace(c, EV_PEND, (uint16_t)s, why);
	if (req != NO_REQ && account)
		acct_pend(c, (uint32_t)s, req);
	plic_update(c);
}

static void gateway_request(struct core *c, int s, uint32_t why, uint64_t req)
{
	struct plic_source *p = &c->rv->src[s];
	if (p->pending || (p->claimed && p->held)) {
		core_trace(c, EV_COALESCE, (uint16_t)s, why);
		if (req != NO_REQ)
			acct_coalesce(c, (uint32_t)s);
		return;
	}
	if (p->claimed) {
		if (req == NO_REQ)
			return;          /* a level: looked at again at completion */
		p->held = (uint8_t)(why == PEND_LINE ? HELD_EDGE : HELD_LEVEL);
		p->held_why = (uint8_t)why;
		p->req_tick = req;
		acct_pend(c, (uint32_t)s, req);   /* in the gateway, pending for accounting */
		return;
	}
	set_pending(c, s, why, req, 1);
}

/* A device drives source s to `level`. */
static void device_level(struct core *c, int s, int level)
{
	struct plic_source *p;
	if (s < 1 || s > c->rv->nsrc)
		return;
	p = &c->rv->src[s];
	int was = p->line || p->device;
	p->device = (uint8_t)level;
	if (!was && level)
		gateway_request(c, s, PEND_DEVICE, NO_REQ);
}

static uint32_t plic_claim(struct core *c, int ctx)
{
	struct rv32 *r = c->rv;
	int s = plic_best(r, ctx);
	core_trace(c, EV_CLAIM, (uint16_t)s, (uint32_t)ctx);
	if (s) {
		struct plic_source *p = &r->src[s];
		p->pending = 0;
		r->pend_bits[s / 64] &= ~(1ull << (s % 64));
		p->claimed = 1;
		note_claim(r, s);
		return_one(c, depth_slot(r), s);   /* claimed again in the same trap */
		/* The request is bound to a trap at its claim. Its handler started at the first
		 * instruction of that trap's handler, unless the request came after it (then at the
		 * claim): the latency the accounting records, like a Cortex-M entry. */
		uint64_t now = c->ticks, entered = r->depth ? r->entry_tick[depth_slot(r)] : now;
		if (p->req_tick == NO_REQ || p->req_tick <= entered)
			c->ticks = entered;
		acct_enter(c, (uint32_t)s, r->depth > 1);
		c->ticks = now;
		plic_update(c);
	}
	return (uint32_t)s;
}

static void plic_complete(struct core *c, int ctx, uint32_t id)
{
	struct rv32 *r = c->rv;
	if (id < 1 || id > (uint32_t)r->nsrc || !r->src[id].claimed || !r->enabled[ctx][id]) {
		core_guest_error(c, r->plic_base + PLIC_CONTEXT +
					    PLIC_CONTEXT_STRIDE * (uint32_t)ctx + 4);
		return;
	}
	struct plic_source *p = &r->src[id];
	p->claimed = 0;
	core_trace(c, EV_COMPLETE, (uint16_t)id, (uint32_t)ctx);
	int slot = depth_slot(r);
	if (r->depth && r->ndone[slot] < DONE_MAX)
		r->done[slot][r->ndone[slot]++] = (uint16_t)id;
	else
		acct_return(c, id);
	if (p->held) {
		p->held = 0;
		set_pending(c, (int)id, p->held_why, p->req_tick, 0);  /* accounted on arrival */
	} else if (p->line || p->device) {
		set_pending(c, (int)id, p->device ? PEND_DEVICE : PEND_LEVEL, NO_REQ, 0);
	}
	plic_update(c);
}

static uint32_t plic_read32(struct core *c, uint32_t off)
{
	struct rv32 *r = c->rv;
	if (off < PLIC_PENDING) {
		uint32_t s = off / 4;
		return s >= 1 && s <= (uint32_t)r->nsrc ? r->src[s].prio : 0;
	}
	if (off < PLIC_PENDING + 0x80) {
		uint32_t v = 0, first = (off - PLIC_PENDING) * 8;
		for (uint32_t b = 0; b < 32; b++)
			if (first + b >= 1 && first + b <= (uint32_t)r->nsrc &&
			    r->src[first + b].pending)
				v |= 1u << b;
		return v;
	}
	if (off >= PLIC_ENABLE && off < PLIC_ENABLE + PLIC_ENABLE_STRIDE * (uint32_t)r->nctx) {
		uint32_t ctx = (off - PLIC_ENABLE) / PLIC_ENABLE_STRIDE;
		uint32_t first = ((off - PLIC_ENABLE) % PLIC_ENABLE_STRIDE) * 8, v = 0;
		for (uint32_t b = 0; b < 32; b++)
			if (first + b >= 1 && first + b <= (uint32_t)r->nsrc &&
			    r->enabled[ctx][first + b])
				v |= 1u << b;
		return v;
	}
	if (off >= PLIC_CONTEXT && off < PLIC_CONTEXT + PLIC_CONTEXT_STRIDE * (uint32_t)r->nctx) {
		uint32_t ctx = (off - PLIC_CONTEXT) / PLIC_CONTEXT_STRIDE;
		switch ((off - PLIC_CONTEXT) % PLIC_CONTEXT_STRIDE) {
		case 0: return r->threshold[ctx];
		case 4: return plic_claim(c, (int)ctx);
		}
	}
	core_guest_error(c, r->plic_base + off);
	return 0;
}

static void plic_write32(struct core *c, uint32_t off, uint32_t v)
{
	struct rv32 *r = c->rv;
	if (off < PLIC_PENDING) {
		uint32_t s = off / 4;
		if (s >= 1 && s <= (uint32_t)r->nsrc)
			r->src[s].prio = (uint8_t)(v & r->prio_mask);
		else
			core_guest_error(c, r->plic_base + off);
		plic_update(c);
		return;
	}
	if (off >= PLIC_ENABLE && off < PLIC_ENABLE + PLIC_ENABLE_STRIDE * (uint32_t)r->nctx) {
		uint32_t ctx = (off - PLIC_ENABLE) / PLIC_ENABLE_STRIDE;
		uint32_t first = ((off - PLIC_ENABLE) % PLIC_ENABLE_STRIDE) * 8;
		for (uint32_t b = 0; b < 32; b++)
			if (first + b >= 1 && first + b <= (uint32_t)r->nsrc) {
				uint32_t s = first + b;
				r->enabled[ctx][s] = (uint8_t)(v >> b & 1);
				r->en_bits[ctx][s / 64] = (r->en_bits[ctx][s / 64] &
							    ~(1ull << (s % 64))) |
							   (uint64_t)(v >> b & 1) << (s % 64);
			}
		plic_update(c);
		return;
	}
	if (off >= PLIC_CONTEXT && off < PLIC_CONTEXT + PLIC_CONTEXT_STRIDE * (uint32_t)r->nctx) {
		uint32_t ctx = (off - PLIC_CONTEXT) / PLIC_CONTEXT_STRIDE;
		switch ((off - PLIC_CONTEXT) % PLIC_CONTEXT_STRIDE) {
		case 0:
			r->threshold[ctx] = v & r->prio_mask;
			plic_update(c);
			return;
		case 4:
			plic_complete(c, (int)ctx, v);
			return;
		}
	}
	/* the pending array is read-only to software; the rest is reserved */
	core_guest_error(c, r->plic_base + off);
}

/* ---- NS16550A UART ------------------------------------------------------------------------- */

/* The interrupt output: THR empty with ETBEI set (no receiver, no line or modem status). */
static void uart_update(struct core *c)
{
	struct rv32 *r = c->rv;
	device_level(c, r->uart_irq, (r->ier & IER_ETBEI) && r->thr_ipending);
}

static uint32_t uart_read8(struct core *c, uint32_t off)
{
	struct rv32 *r = c->rv;
	uint32_t v;
	switch (off) {
	case UART_RBR_THR: return r->lcr & LCR_DLAB ? r->dll : 0;   /* nothing is ever received */
	case UART_IER: return r->lcr & LCR_DLAB ? r->dlm : r->ier;
	case UART_IIR_FCR:
		v = (r->fcr & FCR_FE) ? IIR_FIFO : 0;
		if ((r->ier & IER_ETBEI) && r->thr_ipending) {
			r->thr_ipending = 0;   /* reading IIR that reports THR empty clears it */
			uart_update(c);
			return v | IIR_THRI;
		}
		return v | IIR_NO_INT;
	case UART_LCR: return r->lcr;
	case UART_MCR: return r->mcr;
	case UART_LSR: return LSR_THRE | LSR_TEMT;   /* transmission is instantaneous */
	case UART_MSR: return MSR_DCD_DSR_CTS;
	case UART_SCR: return r->scr;
	}
	core_guest_error(c, r->uart_base + off);
	return 0;
}

static void uart_write8(struct core *c, uint32_t off, uint32_t v)
{
	struct rv32 *r = c->rv;
	uint8_t b = (uint8_t)v, changed;
	switch (off) {
	case UART_RBR_THR:
		if (r->lcr & LCR_DLAB) {
			r->dll = b;
			return;
		}
		core_console_putc(c, (char)b);
		r->thr_ipending = 1;     /* sent at once: THR is empty again */
		uart_update(c);
		return;
	case UART_IER:
		if (r->lcr & LCR_DLAB) {
			r->dlm = b;
			return;
		}
		changed = (r->ier ^ b) & 0x0F;
		r->ier = b & 0x0F;
		/* Setting ETBEI with THR empty raises the interrupt, as on QEMU and the 16550A. */
		if (changed & IER_ETBEI)
			r->thr_ipending = (r->ier & IER_ETBEI) ? 1 : 0;
		uart_update(c);
		return;
	case UART_IIR_FCR: r->fcr = b & 0xC9; return;
	case UART_LCR: r->lcr = b; return;
	case UART_MCR: r->mcr = b & 0x1F; return;
	case UART_LSR: case UART_MSR: return;           /* factory test: ignored, as QEMU does */
	case UART_SCR: r->scr = b; return;
	}
	core_guest_error(c, r->uart_base + off);
}

/* ---- traps (3.1.6.1, 3.1.7, 3.1.14-16) ----------------------------------------------------- */

/* The trace number of the trap at nesting level i (0 = the outermost). Deeper than MAX_DEPTH
 * levels share the last slot. */
static uint16_t running(struct rv32 *r, int i)
{
	return r->stack[i < MAX_DEPTH ? i : MAX_DEPTH - 1];
}

static void lockup(struct core *c, uint64_t pc, uint64_t addr, uint32_t cause)
{
	c->fault_pc = pc;
	c->fault_addr = addr;
	c->fault_cause = cause;
	core_stop(c, STOP_LOCKUP);
}

/* Takes trap `cause` (mcause value) with return address `epc`: mstatus MPIE <- MIE, MIE <- 0,
 * MPP <- privilege, privilege <- M, mepc, mcause, mtval, PC <- the trap vector. */
static int trap_enter_from(struct core *c, uint32_t cause, uint32_t epc, uint32_t tval,
			   uint32_t priv, uint32_t old_mstatus);

static int trap_enter(struct core *c, uint32_t cause, uint32_t epc, uint32_t tval)
{
	uint32_t priv = as_m(c);
	return trap_enter_from(c, cause, epc, tval, priv, reg(c, UC_RISCV_REG_MSTATUS));
}

/* trap_enter with the hart already switched to M-mode by as_m(), which returned `priv`, and
 * mstatus read (old_mstatus) since. */
static int trap_enter_from(struct core *c, uint32_t cause, uint32_t epc, uint32_t tval,
			   uint32_t priv, uint32_t old_mstatus)
{
	struct rv32 *r = c->rv;
	int irq = (cause & MCAUSE_INTERRUPT) != 0;
	uint32_t code = cause & ~MCAUSE_INTERRUPT;
	uint16_t num = (uint16_t)(irq ? code : NUM_EXCEPTION + code);
	/* the context holds mtvec: one copy instead of a CSR read through the API */
	int saved = r->cx_ok && uc_context_save(c->uc, r->ctx) == UC_ERR_OK;
	uint32_t mtvec;
	if (saved)
		memcpy(&mtvec, (uint8_t *)r->ctx + r->cx_off[CX_MTVEC], 4);
	else
		mtvec = reg(c, UC_RISCV_REG_MTVEC);
	uint32_t base = mtvec & ~3u;
	uint32_t target = irq && (mtvec & 3) == 1 ? base + 4 * code : base;
	r->trap_cause = cause;
	r->trap_tval = tval;
	r->trap_vec = mtvec;
	if (!core_host_ptr(c, target, 2)) {
		core_trace(c, EV_FAULT, num, mtvec);
		restore_priv(c, priv);
		lockup(c, epc, mtvec, FAULT_NO_TRAP_VECTOR);
		return -1;
	}
	if (!irq) {
		/* a loop re-traps within a few instructions, without an mret in between */
		r->sync_chain = c->ticks - r->last_sync <= TRAP_LOOP_TICKS ? r->sync_chain + 1 : 1;
		r->last_sync = c->ticks;
	}
	if (!irq && (target == epc || r->sync_chain > TRAP_LOOP_LIMIT)) {
		restore_priv(c, priv);
		lockup(c, epc, target, FAULT_TRAP_LOOP);
		return -1;
	}
	uint32_t mstatus = old_mstatus;
	mstatus = (mstatus & ~(MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP)) |
		  ((mstatus & MSTATUS_MIE) ? MSTATUS_MPIE : 0) | priv << MSTATUS_MPP_SHIFT;
	trap_csrs(c, saved, old_mstatus, mstatus, epc, cause, tval);
	set_reg(c, UC_RISCV_REG_PC, target);
	if (r->hart_valid) {     /* mie does not change */
		r->h_priv = PRV_M;
		r->h_mstatus = mstatus;
	}

	if (r->depth) {
		core_trace(c, EV_PREEMPT, num, running(r, r->depth - 1));
		r->preemptions++;
	} else {
		core_trace(c, EV_ENTRY, num, epc);
		core_enter_handler_mode(c);
	}
	r->stack[r->depth < MAX_DEPTH ? r->depth : MAX_DEPTH - 1] = num;
	r->depth++;
	note_claim(r, 0);
	r->entry_tick[depth_slot(r)] = c->ticks;
	r->ndone[depth_slot(r)] = 0;
	core_trace(c, EV_EXECPRI, num, 1u + num);
	if (r->depth > r->max_depth)
		r->max_depth = r->depth;
	if (irq)
		r->interrupts++;
	else
		r->exceptions++;
	return 0;
}

/* A synchronous exception at `epc`; faults (all but ecall) are traced as such first. */
static int take_exception(struct core *c, uint32_t code, uint32_t epc, uint32_t tval)
{
	if (code < EXC_ECALL_U || code > EXC_ECALL_U + 3)
		core_trace(c, EV_FAULT, (uint16_t)code, tval);
	return trap_enter(c, code, epc, tval);
}

/* Whether an interrupt would be taken now (3.1.6.1, 3.1.9): pending and enabled in mie, and
 * MIE set or the hart below M-mode. Returns the interrupt code, MEI before MSI before MTI. */
static int takeable_in(struct core *c, uint32_t *priv_out, uint32_t *mstatus_out)
{
	struct rv32 *r = c->rv;
	uint32_t pend = r->mip & MIP_MACHINE;
	if (!pend)
		return 0;
	if (!r->hart_valid)
		hart_read(c);
	/* in M-mode with MIE clear, mie does not matter */
	if (r->h_priv == PRV_M && !(r->h_mstatus & MSTATUS_MIE))
		return 0;
	pend &= r->h_mie;
	if (!pend)
		return 0;
	if (priv_out) {          /* the caller takes it: the hart goes to M-mode now */
		*priv_out = r->h_priv;
		*mstatus_out = r->h_mstatus;
		if (r->h_priv != PRV_M)
			set_reg(c, UC_RISCV_REG_PRIV, PRV_M);
	}
	return pend & MIP_MEIP ? IRQ_MEI : pend & MIP_MSIP ? IRQ_MSI : IRQ_MTI;
}

static int takeable(struct core *c)
{
	return takeable_in(c, NULL, NULL);
}

/* Decides whether an interrupt is taken at the block boundary whose first instruction is pc. */
static void arbitrate(struct core *c, uint64_t pc)
{
	uint32_t priv, mstatus;
	c->need_check = 0;
	int code = takeable_in(c, &priv, &mstatus);
	if (code && trap_enter_from(c, MCAUSE_INTERRUPT | (uint32_t)code, (uint32_t)pc, 0, priv,
				    mstatus) == 0)
		c->pc_redirected = 1;
}

void rv32_service(struct core *c, uint64_t pc)
{
	if (c->ticks >= c->rv->mtip_tick)
		clint_update(c);
	if (c->need_check)
		arbitrate(c, pc);
}

/* mret (3.3.2) has retired (Unicorn executes it natively): it ended the block that just ran,
 * and that block is charged. */
static void on_mret(struct core *c)
{
	struct rv32 *r = c->rv;
	r->mrets++;
	r->sync_chain = 0;
	c->need_check = 1;       /* MIE <- MPIE may let a pending interrupt in */
	if (!r->depth)
		return;              /* an mret outside any trap (to drop privilege): no event */
	return_done(c, depth_slot(r));
	r->depth--;
	uint16_t to = r->depth ? running(r, r->depth - 1) : 0;
	core_trace(c, EV_RETURN, running(r, r->depth), to);
	core_trace(c, EV_EXECPRI, to, r->depth ? 1u + to : 0);
	if (!r->depth)
		core_leave_handler_mode(c);
}

/* ---- Unicorn exceptions -------------------------------------------------------------------- */

/* mtval and the exception code of a misaligned AMO at epc. */
static uint32_t amo_misaligned(struct core *c, uint32_t epc, uint32_t intno, uint32_t *tval)
{
	uint32_t w;
	if (insn_at(c, epc, &w) != 4)
		return intno;
	*tval = xreg(c, (w >> 15) & 31);
	if ((w & 0x7F) == OPC_AMO)
		return (w >> 27) == AMO_LR ? EXC_LOAD_MISALIGNED : EXC_STORE_MISALIGNED;
	return intno;
}

void rv32_intr(struct core *c, uint32_t intno)
{
	/* Unicorn 2.1.4 reports PC 4 bytes past the trapping instruction, whatever its length. */
	uint32_t epc = reg(c, UC_RISCV_REG_PC) - 4, tval = 0, w = 0, code = intno;
	core_charge_partial(c, epc);
	switch (intno) {
	case EXC_ECALL_U:
		code = EXC_ECALL_U + (reg(c, UC_RISCV_REG_PRIV) & 3);
		break;
	case EXC_ILLEGAL:
		if (insn_at(c, epc, &w) > 0)
			tval = w;
		break;
	case EXC_LOAD_MISALIGNED: case EXC_STORE_MISALIGNED:
		code = amo_misaligned(c, epc, intno, &tval);
		break;
	default:
		break;
	}
	take_exception(c, code, epc, tval);
}

static int semihost(struct core *c, uint64_t pc)
{
	uint32_t pre, post, op = reg(c, UC_RISCV_REG_A0), arg = reg(c, UC_RISCV_REG_A1), ret;
	if (pc < 4 || core_read32(c, pc - 4, &pre) || core_read32(c, pc + 4, &post) ||
	    pre != SEMI_ENTRY || post != SEMI_EXIT)
		return 0;
	c->ticks++;              /* the ebreak completes; srai then runs as the nop it is */
	int exit = core_semihost(c, op, arg, &ret);
	set_reg(c, UC_RISCV_REG_A0, ret);
	set_reg(c, UC_RISCV_REG_PC, (uint32_t)pc + 4);
	if (exit) {
		c->stop = STOP_EXIT;
		return -1;
	}
	return 1;
}

/* emu_start stopped with an error at `pc`, the instruction that did not complete. */
int rv32_fault(struct core *c, uc_err err, uint64_t pc)
{
	uint64_t addr = c->mem_fault_seen ? c->mem_fault_addr : pc;
	uint32_t w = 0, code;
	int len = insn_at(c, pc, &w);
	switch (err) {
	case UC_ERR_INSN_INVALID:
		if (len == 4 && w == INSN_EBREAK) {
			int s = semihost(c, pc);
			if (s)
				return s < 0 ? -1 : 0;
		}
		if ((len == 4 && w == INSN_EBREAK) || (len == 2 && w == INSN_C_EBREAK))
			return take_exception(c, EXC_BREAKPOINT, (uint32_t)pc, (uint32_t)pc);
		return take_exception(c, EXC_ILLEGAL, (uint32_t)pc, len > 0 ? w : 0);
	case UC_ERR_READ_UNMAPPED: case UC_ERR_READ_PROT:
		/* an AMO reads first; its access faults are store/AMO faults, lr.w's are loads */
		code = len == 4 && (w & 0x7F) == OPC_AMO && (w >> 27) != AMO_LR ? EXC_STORE_ACCESS
										  : EXC_LOAD_ACCESS;
		return take_exception(c, code, (uint32_t)pc, (uint32_t)addr);
	case UC_ERR_WRITE_UNMAPPED: case UC_ERR_WRITE_PROT:
		return take_exception(c, EXC_STORE_ACCESS, (uint32_t)pc, (uint32_t)addr);
	case UC_ERR_FETCH_UNMAPPED: case UC_ERR_FETCH_PROT:
		return take_exception(c, EXC_INSN_ACCESS, (uint32_t)pc, (uint32_t)pc);
	case UC_ERR_READ_UNALIGNED:
		return take_exception(c, EXC_LOAD_MISALIGNED, (uint32_t)pc, (uint32_t)addr);
	case UC_ERR_WRITE_UNALIGNED:
		return take_exception(c, EXC_STORE_MISALIGNED, (uint32_t)pc, (uint32_t)addr);
	case UC_ERR_FETCH_UNALIGNED:
		return take_exception(c, EXC_INSN_MISALIGNED, (uint32_t)pc, (uint32_t)pc);
	default:
		c->fault_pc = pc;
		c->fault_addr = addr;
		c->fault_cause = FAULT_EMULATOR;
		return -1;
	}
}

/* The CSR instruction at pc reads mip (rd != 0): do what it does, with MSIP/MTIP/MEIP. */
static void emulate_mip(struct core *c, uint64_t pc, uint32_t w)
{
	struct rv32 *r = c->rv;
	uint32_t f3 = (w >> 12) & 7, rd = (w >> 7) & 31, rs1 = (w >> 15) & 31;
	uint32_t unicorn_mip = reg(c, UC_RISCV_REG_MIP);
	uint32_t old = (unicorn_mip & ~MIP_MACHINE) | r->mip;
	uint32_t operand = f3 >= 5 ? rs1 : xreg(c, rs1), nv = old;
	int write = (f3 & 3) == 1 || rs1 != 0;
	switch (f3 & 3) {
	case 1: nv = operand; break;
	case 2: nv = old | operand; break;
	case 3: nv = old & ~operand; break;
	}
	if (write)   /* Unicorn keeps the writable (supervisor) bits; MSIP/MTIP/MEIP read-only */
		set_reg(c, UC_RISCV_REG_MIP, nv);
	set_xreg(c, rd, old);
	set_reg(c, UC_RISCV_REG_PC, (uint32_t)pc + 4);
}

/* sb/sh/sw, an AMO, c.sw, c.swsp: the instructions that can make an MMIO store. */
static int is_store(uint32_t w, int len)
{
	if (len == 4)
		return (w & 0x7F) == 0x23 || (w & 0x7F) == OPC_AMO;
	return (w & 0xE003) == 0xC000 || (w & 0xE003) == 0xC002;
}

int rv32_resume(struct core *c)
{
	struct rv32 *r = c->rv;
	int what = r ? r->resume : RESUME_NONE;
	if (what == RESUME_NONE)
		return 0;
	r->resume = RESUME_NONE;
	uint32_t pc = reg(c, UC_RISCV_REG_PC), w;
	core_charge_partial(c, pc);
	int len = insn_at(c, pc, &w);
	if (len < 0)
		return 0;
	if (what == RESUME_STORE) {
		/* Unicorn stopped at the store whose MMIO write made an interrupt takeable; the
		 * write is done: the store retires and the interrupt is taken at the next one. */
		if (!is_store(w, len))
			return 1;        /* not where we expected: take it here, nothing retired */
		set_reg(c, UC_RISCV_REG_PC, pc + (uint32_t)len);
	} else {
		if (pc != r->resume_pc || len != 4)
			return 0;
		emulate_mip(c, pc, w);
	}
	c->ticks++;
	return 1;
}

/* ---- code hooks at CSR and mret sites -------------------------------------------------------- */

static int site_kind(uint32_t w)
{
	if (w == INSN_MRET)
		return SITE_MRET;
	if (w == INSN_SRET)
		return SITE_SRET;
	if ((w & 0x7F) != OPC_SYSTEM)
		return SITE_NONE;
	uint32_t f3 = (w >> 12) & 7, csr = w >> 20, rd = (w >> 7) & 31, rs1 = (w >> 15) & 31;
	if (f3 == 0 || f3 == 4)
		return SITE_NONE;
	int writes = (f3 & 3) == 1 || rs1 != 0;   /* csrrw(i) always; csrrs/c(i) with a source */
	if ((csr == CSR_MSTATUS || csr == CSR_MIE) && writes)
		return (f3 & 3) == 3 ? SITE_CSR_CLEAR : SITE_CSR_WRITE;
	if (csr == CSR_MIP && rd != 0)
		return SITE_MIP_READ;
	return SITE_NONE;
}

/* A read of mip (the only site still watched by a code hook): stops before the instruction,
 * and rv32_resume emulates it with the machine bits filled in. */
static void hook_site(uc_engine *uc, uint64_t addr, uint32_t size, void *ud)
{
	struct core *c = ud;
	(void)size;
	if ((reg(c, UC_RISCV_REG_PRIV) & 3) != PRV_M)
		return;              /* illegal below M-mode: Unicorn raises it */
	c->rv->resume = RESUME_MIP;
	c->rv->resume_pc = addr;
	uc_emu_stop(uc);
}

/* Watches the reads of mip in [addr, addr + size), scanned at every halfword: an instruction
 * starting at a hooked address is the instruction the scan matched, so stray matches in data
 * cost nothing. Returns the number of sites watched in all. */
int rv32_scan(struct core *c, uint64_t addr, uint32_t size)
{
	struct rv32 *r = c->rv;
	uint8_t *p = core_host_ptr(c, addr, size);
	if (!r || !p)
		return -1;
	for (uint32_t off = 0; off + 4 <= size; off += 2) {
		uint32_t w = (uint32_t)(p[off] | p[off + 1] << 8 | p[off + 2] << 16) |
			     (uint32_t)p[off + 3] << 24;
		if (site_kind(w) != SITE_MIP_READ)
			continue;
		int dup = 0;
		for (int i = 0; i < r->nsites && !dup; i++)
			dup = r->site_addr[i] == addr + off;
		if (dup)
			continue;
		if (r->nsites == MAX_SITES)
			return -2;
		if (uc_hook_add(c->uc, &r->site_hook[r->nsites], UC_HOOK_CODE, (void *)hook_site, c,
				addr + off, addr + off) != UC_ERR_OK)
			return -3;
		r->site_addr[r->nsites++] = addr + off;
	}
	return r->nsites;
}

/* The instruction count of the block p[0, size) and what its last instruction asks of the
 * model once it has retired: every CSR instruction, mret and sret ends a translation block, so
 * a CSR write to mstatus or mie, an mret or an sret can only be a block's last instruction. */
uint32_t rv32_block_info(const uint8_t *p, uint32_t size, uint8_t *end)
{
	uint32_t n = 0, off = 0, last = 0;
	while (off < size) {
		last = off;
		off += (p[off] & 3) == 3 ? 4 : 2;
		n++;
	}
	*end = BLOCK_END_NONE;
	if (n && (p[last] & 3) == 3 && last + 4 <= size) {
		uint32_t w = (uint32_t)(p[last] | p[last + 1] << 8 | p[last + 2] << 16) |
			     (uint32_t)p[last + 3] << 24;
		int k = site_kind(w);
		if (k == SITE_CSR_CLEAR && (w >> 20) == CSR_MSTATUS && ((w >> 12) & 7) == 7)
			*end = (uint8_t)(BLOCK_END_CLEARI + ((w >> 15) & 31));   /* csrrci: uimm */
		else
			*end = k == SITE_MRET ? BLOCK_END_MRET
			     : k == SITE_CSR_WRITE || k == SITE_SRET ? BLOCK_END_HART
			     : k == SITE_CSR_CLEAR ? BLOCK_END_CLEAR : BLOCK_END_NONE;
	}
	return n;
}

/* The block that just ran ended with a CSR write to mstatus or mie, an sret or an mret: the
 * hart state changed, and an interrupt may have become takeable (arbitrate now: the block
 * boundary is the next instruction). Clearing bits (csrrc, csrrci) cannot make one takeable:
 * no arbitration, and csrrci on mstatus, which clears known bits, keeps the state known, as
 * does mret, whose effect follows from the state before it. */
void rv32_block_end(struct core *c, int end)
{
	struct rv32 *r = c->rv;
	if (end >= BLOCK_END_CLEARI) {
		r->h_mstatus &= ~(uint32_t)(end - BLOCK_END_CLEARI);
		return;
	}
	if (end == BLOCK_END_MRET && r->hart_valid) {
		/* what mret did (3.3.2, as Unicorn 2.1.4's helper_mret does it): MIE <- MPIE,
		 * MPIE <- 1, MPP <- U, privilege <- MPP (the reserved 2 becomes U) */
		uint32_t ms = r->h_mstatus, prev = (ms & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT;
		ms = (ms & ~(MSTATUS_MIE | MSTATUS_MPP)) | (ms & MSTATUS_MPIE ? MSTATUS_MIE : 0) |
		     MSTATUS_MPIE;
		r->h_mstatus = ms;
		r->h_priv = prev == 2 ? PRV_U : prev;
	} else {
		r->hart_valid = 0;
	}
	if (end == BLOCK_END_MRET)
		on_mret(c);
	else if (end == BLOCK_END_HART)
		c->need_check = 1;
}

/* For tests: 2 when the cached privilege, mstatus and mie are known and match the hart's,
 * 1 when they are not known, 0 when they differ. */
int rv32_hart_cache_check(struct core *c)
{
	struct rv32 *r = c->rv;
	if (!r || !r->hart_valid)
		return 1;
	uint32_t p, ms, mie;
	hart_now(c, &p, &ms, &mie);
	return p == r->h_priv && ms == r->h_mstatus && mie == r->h_mie ? 2 : 0;
}

/* Emulation starts (again): Python may have changed registers since the last run. */
void rv32_run_start(struct core *c)
{
	if (c->rv)
		c->rv->hart_valid = 0;
}

/* ---- lines from Python ------------------------------------------------------------------- */

/* A line request from Python (core_request has traced and counted it). */
void rv32_line(struct core *c, uint32_t line, uint32_t kind)
{
	struct rv32 *r = c->rv;
	if (line == LINE_MSIP) {
		if (kind == LINE_LOWER) {
			r->msip = 0;
			clint_update(c);
			core_trace(c, EV_LOWER, (uint16_t)line, 0);
		} else {
			set_msip(c, 1, PEND_LINE);
		}
		return;
	}
	if (line < 1 || line > (uint32_t)r->nsrc)
		return;  /* checked in Python */
	struct plic_source *p = &r->src[line];
	switch (kind) {
	case LINE_RAISE:
		if (p->line || p->device) {
			/* already high: no new request, it merges with the one holding the line */
			p->line = 1;
			core_trace(c, EV_COALESCE, (uint16_t)line, PEND_LEVEL);
			acct_coalesce(c, line);
		} else {
			p->line = 1;
			gateway_request(c, (int)line, PEND_LEVEL, c->req_tick);
		}
		break;
	case LINE_LOWER:
		p->line = 0;         /* a pending bit, once set, stays until claimed */
		core_trace(c, EV_LOWER, (uint16_t)line, 0);
		if (p->held == HELD_LEVEL && !p->device) {
			p->held = 0;     /* a level raised during the claim fell before completion */
			acct_withdraw(c, line, 0);
		}
		break;
	case LINE_PULSE:
		gateway_request(c, (int)line, PEND_LINE, c->req_tick);
		break;
	}
}

/* irqsim's acknowledge register (not a virt device: QEMU has nothing at the address the board
 * file gives it): a handler writes its source id to lower a level-triggered line. */
static uint64_t ack_read(uc_engine *uc, uint64_t offset, unsigned size, void *ud)
{
	(void)uc, (void)offset, (void)size, (void)ud;
	return 0;
}

static void ack_write(uc_engine *uc, uint64_t offset, unsigned size, uint64_t value, void *ud)
{
	struct core *c = ud;
	(void)uc, (void)size;
	if (offset != 0)
		core_guest_error(c, c->rv->ack_base + offset);
	else if (value >= 1 && value <= (uint64_t)c->rv->nsrc)
		rv32_line(c, (uint32_t)value, LINE_LOWER);
	/* other values (a hart-local interrupt's table index, say) name no line: nothing to do */
}

int rv32_set_ack(struct core *c, uint32_t addr)
{
	c->rv->ack_base = addr;
	return uc_mmio_map(c->uc, addr, 0x1000, ack_read, c, ack_write, c) == UC_ERR_OK ? 0 : -1;
}

int rv32_current_line(struct core *c)
{
	struct rv32 *r = c->rv;
	if (!r)
		return -1;
	int s = r->claim_of[depth_slot(r)];
	return s > 0 ? s : -1;
}

int rv32_wakeable(struct core *c)
{
	/* wfi resumes when an interrupt is pending and enabled in mie, whatever MIE (3.3.3). */
	clint_update(c);
	uint32_t priv, mstatus, mie;
	hart_now(c, &priv, &mstatus, &mie);
	return (c->rv->mip & mie) != 0;
}

/* ---- MMIO ------------------------------------------------------------------------------------ */

/* After a guest store changed device state: an interrupt it made takeable is taken before the
 * next instruction retires (stop at the store, see rv32_resume). */
static void after_write(struct core *c)
{
	struct rv32 *r = c->rv;
	c->need_check = 1;
	core_update_deadline(c);
	if (!r->in_api && r->resume == RESUME_NONE && takeable(c)) {
		r->resume = RESUME_STORE;
		uc_emu_stop(c->uc);
	}
}

static uint64_t word_read(uint32_t (*read32)(struct core *, uint32_t), struct core *c,
			  uint32_t off, unsigned size)
{
	uint32_t w = read32(c, off & ~3u);
	w >>= 8 * (off & 3);
	return size >= 4 ? w : w & ((1u << (8 * size)) - 1);
}

static uint64_t clint_read(uc_engine *uc, uint64_t offset, unsigned size, void *ud)
{
	(void)uc;
	return word_read(clint_read32, ud, (uint32_t)offset, size);
}

static void clint_write(uc_engine *uc, uint64_t offset, unsigned size, uint64_t value, void *ud)
{
	struct core *c = ud;
	uint32_t off = (uint32_t)offset;
	(void)uc;
	if (size == 8 && !(off & 7)) {   /* not from RV32 code, but harmless */
		clint_write32(c, off, (uint32_t)value);
		clint_write32(c, off + 4, (uint32_t)(value >> 32));
	} else if (size == 4 && !(off & 3)) {
		clint_write32(c, off, (uint32_t)value);
	} else {
		uint32_t w = clint_read32(c, off & ~3u), sh = 8 * (off & 3);
		uint32_t mask = size >= 4 ? 0xFFFFFFFFu : ((1u << (8 * size)) - 1) << sh;
		clint_write32(c, off & ~3u, (w & ~mask) | ((uint32_t)value << sh & mask));
	}
	after_write(c);
}

static uint64_t plic_read(uc_engine *uc, uint64_t offset, unsigned size, void *ud)
{
	struct core *c = ud;
	(void)uc;
	if (size != 4 || (offset & 3)) {  /* the PLIC has 32-bit registers only */
		core_guest_error(c, c->rv->plic_base + offset);
		return 0;
	}
	return plic_read32(c, (uint32_t)offset);
}

static void plic_write(uc_engine *uc, uint64_t offset, unsigned size, uint64_t value, void *ud)
{
	struct core *c = ud;
	(void)uc;
	if (size != 4 || (offset & 3)) {
		core_guest_error(c, c->rv->plic_base + offset);
		return;
	}
	plic_write32(c, (uint32_t)offset, (uint32_t)value);
	after_write(c);
}

static uint64_t uart_read(uc_engine *uc, uint64_t offset, unsigned size, void *ud)
{
	(void)uc, (void)size;
	return uart_read8(ud, (uint32_t)offset);
}

static void uart_write(uc_engine *uc, uint64_t offset, unsigned size, uint64_t value, void *ud)
{
	struct core *c = ud;
	(void)uc, (void)size;
	uart_write8(c, (uint32_t)offset, (uint32_t)value);
	after_write(c);
}

/* ---- set-up and inspection (api.h) ---------------------------------------------------------- */

int rv32_init(struct core *c, int num_sources, int prio_bits, int contexts, uint32_t clint_base,
	      uint32_t plic_base, uint32_t uart_base, int uart_irq, uint32_t mtime_num,
	      uint32_t mtime_den)
{
	if (num_sources < 1 || num_sources > PLIC_MAX_SOURCES || prio_bits < 1 || prio_bits > 8 ||
	    contexts < 1 || contexts > PLIC_MAX_CONTEXTS || !mtime_num || !mtime_den ||
	    uart_irq < 0 || uart_irq > num_sources || c->rv)
		return -1;
	struct rv32 *r = calloc(1, sizeof(*r));
	if (!r)
		return -1;
	c->rv = r;
	r->nsrc = num_sources;
	r->nwords = (num_sources + 64) / 64;
	r->nctx = contexts;
	r->prio_mask = (1u << prio_bits) - 1;
	r->clint_base = clint_base;
	r->plic_base = plic_base;
	r->plic_size = (PLIC_CONTEXT + PLIC_CONTEXT_STRIDE * (uint32_t)contexts + 0xFFF) & ~0xFFFu;
	r->uart_base = uart_base;
	r->uart_irq = uart_irq;
	r->mt_num = mtime_num;
	r->mt_den = mtime_den;
	/* mtimecmp is UNSPECIFIED after reset (3.2.1): all ones, so MTIP stays clear until the
	 * firmware programs the timer (QEMU 7+ resets it to 0, so MTIP is pending there). */
	r->mtimecmp = UINT64_MAX;
	clint_update(c);
	c->need_check = 0;
	{
		uint32_t priv = as_m(c);
		r->ctx = NULL;
		if (uc_context_alloc(c->uc, &r->ctx) != UC_ERR_OK)
			r->ctx = NULL;
		probe_offsets(c);
		restore_priv(c, priv);
	}
	if (uc_mmio_map(c->uc, clint_base, CLINT_SIZE, clint_read, c, clint_write, c) ||
	    uc_mmio_map(c->uc, plic_base, r->plic_size, plic_read, c, plic_write, c) ||
	    uc_mmio_map(c->uc, uart_base, UART_SIZE, uart_read, c, uart_write, c))
		return -2;
	return 0;
}

/* Reset as QEMU's virt enters an image with -bios none: M-mode at the entry point, a0 = hart
 * id 0, a1 = 0 (we pass no device tree), mstatus, mie and mtvec 0. */
int rv32_reset(struct core *c, uint32_t entry)
{
	if (!c->rv || !core_host_ptr(c, entry, 2))
		return -1;
	set_reg(c, UC_RISCV_REG_PRIV, PRV_M);
	set_reg(c, UC_RISCV_REG_MSTATUS, 0);
	set_reg(c, UC_RISCV_REG_MIE, 0);
	set_reg(c, UC_RISCV_REG_MTVEC, 0);
	set_reg(c, UC_RISCV_REG_A0, 0);
	set_reg(c, UC_RISCV_REG_A1, 0);
	set_reg(c, UC_RISCV_REG_PC, entry);
	return 0;
}

void rv32_plic_state(struct core *c, int ctx, uint8_t *prio, uint8_t *pending, uint8_t *enabled,
		     uint8_t *claimed, uint8_t *level, int n)
{
	struct rv32 *r = c->rv;
	for (int s = 0; s < n && s <= r->nsrc; s++) {
		prio[s] = r->src[s].prio;
		pending[s] = r->src[s].pending;
		enabled[s] = ctx >= 0 && ctx < r->nctx ? r->enabled[ctx][s] : 0;
		claimed[s] = r->src[s].claimed;
		level[s] = (uint8_t)(r->src[s].line | r->src[s].device << 1);
	}
}

uint32_t rv32_plic_threshold(struct core *c, int ctx)
{
	return ctx >= 0 && ctx < c->rv->nctx ? c->rv->threshold[ctx] : 0;
}

/* A register access from Python, as the firmware would make it (claims and completions
 * included); returns the value read. Addresses outside the three devices: -1 in *ok. */
uint32_t rv32_mmio(struct core *c, uint32_t addr, uint32_t size, uint32_t value, int write,
		   int *ok)
{
	struct rv32 *r = c->rv;
	uint32_t v = 0;
	*ok = 0;
	r->in_api = 1;
	if (addr >= r->clint_base && addr - r->clint_base < CLINT_SIZE) {
		if (write)
			clint_write(c->uc, addr - r->clint_base, size, value, c);
		else
			v = (uint32_t)clint_read(c->uc, addr - r->clint_base, size, c);
	} else if (addr >= r->plic_base && addr - r->plic_base < r->plic_size) {
		if (write)
			plic_write(c->uc, addr - r->plic_base, size, value, c);
		else
			v = (uint32_t)plic_read(c->uc, addr - r->plic_base, size, c);
	} else if (addr >= r->uart_base && addr - r->uart_base < UART_SIZE) {
		if (write)
			uart_write(c->uc, addr - r->uart_base, size, value, c);
		else
			v = (uint32_t)uart_read(c->uc, addr - r->uart_base, size, c);
	} else {
		*ok = -1;
	}
	r->in_api = 0;
	core_update_deadline(c);
	return v;
}

void rv32_release(struct core *c)
{
	if (c->rv && c->rv->ctx) {
		uc_context_free(c->rv->ctx);
		c->rv->ctx = NULL;
	}
}

uint64_t rv32_mtime(struct core *c) { return mtime_now(c); }
uint64_t rv32_mtimecmp(struct core *c) { return c->rv->mtimecmp; }
int rv32_msip(struct core *c) { return c->rv->msip; }

void rv32_set_mtime(struct core *c, uint64_t v)
{
	set_mtime(c, v);
	core_update_deadline(c);
}

void rv32_set_mtimecmp(struct core *c, uint64_t v)
{
	c->rv->mtimecmp = v;
	clint_update(c);
	core_update_deadline(c);
}

void rv32_set_msip(struct core *c, int v)
{
	set_msip(c, v != 0, PEND_SOFTWARE);
}

uint32_t rv32_csr(struct core *c, int csr)
{
	uint32_t priv = as_m(c), v = reg(c, csr);
	restore_priv(c, priv);
	if (csr == UC_RISCV_REG_MIP)
		v = (v & ~MIP_MACHINE) | rv32_mip(c);
	return v;
}

uint32_t rv32_mip(struct core *c)
{
	clint_update(c);
	return c->rv->mip;
}

void rv32_counters(struct core *c, uint64_t *out)
{
	struct rv32 *r = c->rv;
	out[0] = r->interrupts;
	out[1] = r->exceptions;
	out[2] = r->preemptions;
	out[3] = (uint64_t)r->max_depth;
	out[4] = (uint64_t)r->depth;
	out[5] = r->mrets;
	out[6] = (uint64_t)r->nsites;
	out[7] = r->mip;
}

void rv32_trap_info(struct core *c, uint32_t *cause, uint32_t *tval, uint32_t *tvec)
{
	*cause = c->rv->trap_cause;
	*tval = c->rv->trap_tval;
	*tvec = c->rv->trap_vec;
}

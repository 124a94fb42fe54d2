/* RISC-V RV32 hart 0 in machine mode, as on QEMU's `virt` board: traps, the instructions the
 * model must see, and the architecture ops (arch.h) through which core.c runs it. The
 * exceptions Unicorn reports are decoded in rv32/exception.c, the trap CSRs written through a
 * saved CPU context in rv32/context.c. The board's interrupt controllers are devices: the
 * CLINT (dev/clint.c) and the PLIC (dev/plic.c) drive the hart's MSIP, MTIP and MEIP inputs
 * through hart_input() and report claims and completions (rv32/hart.h); the NS16550A UART
 * (dev/ns16550a.c) drives a PLIC source.
 *
 * Follows the RISC-V Privileged Architecture (Volume II, version 20211203): 3.1.6.1 (mstatus
 * MIE/MPIE/MPP), 3.1.7 (mtvec), 3.1.9 (mip, mie), 3.1.14 (mepc), 3.1.15 (mcause), 3.1.16
 * (mtval), 3.3.2 (mret), 3.3.3 (wfi).
 *
 * Numbering: interrupt code n is mcause (1 << 31) | n and mip/mie bit n (MSI 3, MTI 7, MEI 11);
 * exception code n is mcause n. Trace numbers: entry, preempt and return carry the interrupt
 * code, or RV32_NUM_EXCEPTION (0x100) + the exception code for synchronous traps, and
 * exec-priority 1 + that number (0 outside any trap); a fault carries the exception code (the
 * trap's number when its vector is unusable). Requests, pends, coalesces, claims and
 * completions carry the PLIC source (dev/plic.c), except pends of the hart-local MSIP and MTIP,
 * which carry RV32_NUM_LOCAL (0x8000) | code (dev/clint.c).
 *
 * Unicorn 2.1.4 executes the instructions, CSR accesses and mret, but has no CLINT or PLIC and
 * delivers no machine-mode trap itself: synchronous exceptions come to UC_HOOK_INTR (or make
 * emu_start fail; exception.c) and interrupts are ours. trap_enter_from() delivers both
 * (hart_trap_enter() is its entry for exceptions); takeable_in() is the one test of whether an
 * interrupt is taken (at block boundaries by arbitrate(), after a device write by
 * hart_device_written()). The hart keeps MSIP/MTIP/MEIP as its controllers drive them
 * (h->mip), and privilege, mstatus and mie as last read, since only the instructions below, a
 * trap or Python between runs change them.
 *
 * How the model sees what the firmware does (each measured on Unicorn 2.1.4; docs/riscv.md):
 * - Every CSR instruction, mret and sret ends a translation block (QEMU 5.0's translator), so
 *   a CSR write to mstatus or mie, an mret or an sret can only be a block's last instruction:
 *   rv32_block_info() (decode.c) decodes the last instruction once per block and block_end()
 *   acts on it once the block has retired. A write to mstatus/mie or an mret asks for
 *   arbitration at the next block boundary, which is the next instruction, when an interrupt
 *   is takeable there; mret records the return. No code hook is needed for these.
 * - Reads of mip are the only sites watched by code hooks: the image is scanned (at every
 *   halfword, rv32_scan) for them at load, and each gets a single-address code hook. An
 *   instruction that starts at a hooked address is the one the scan matched, so stray matches
 *   in data cost nothing. The hook stops emulation before the instruction, and resume()
 *   emulates it with MSIP/MTIP/MEIP filled in (Unicorn's mip keeps only the supervisor bits).
 * - MMIO stores call back into C in the middle of a block. When one makes an interrupt
 *   takeable, hart_device_written() stops emulation; Unicorn then leaves PC at the store, its
 *   effect done, and resume() steps past it, so the trap is taken with mepc = the next
 *   instruction, before it retires.
 *
 * Choices where the specifications leave one (each also in docs/riscv.md; those about
 * exceptions are in exception.c, the PLIC's, the CLINT's and the UART's in their files):
 * - Simultaneous machine interrupts are taken MEI, MSI, MTI (3.1.9). QEMU 7.2 takes the
 *   lowest-numbered first (MSI, MTI, MEI).
 * - A trap whose handler address (mtvec, or mtvec + 4 * code when vectored) is not in mapped
 *   memory ends the run (lockup, FAULT_NO_TRAP_VECTOR). So does a synchronous trap raised by
 *   the first instruction of its own handler, or more than 16 synchronous traps in a row,
 *   each within 256 ticks of the last and without an mret in between (FAULT_TRAP_LOOP).
 * - Supervisor-level interrupts are not modelled.
 * - Accounting (storm/acct.c observes the events): a request is bound to a trap at its claim
 *   (hart_claimed); its service starts at the first instruction of that trap's handler (or at
 *   the claim, if the request came later) and returns at the trap's mret, as a Cortex-M
 *   handler's does.
 */
#include <stdlib.h>
#include <string.h>

#include "../api.h"
#include "../core.h"
#include "rv32.h"
#include "hart.h"
#include "../snapshot.h"

#define MAX_DEPTH 64
#define MAX_SITES 4096
#define TRAP_LOOP_LIMIT 16
#define TRAP_LOOP_TICKS 256
#define DONE_MAX 8

enum resume { RESUME_NONE, RESUME_STORE, RESUME_MIP };

struct hart {
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
	int resume;                      /* enum resume: what resume() must finish */
	uint64_t resume_pc;
	int nsites;
	/* trap CSRs written without Unicorn's TLB flush (context.c) */
	struct hart_context cx;
	/* privilege, mstatus and mie as last read: what decides whether an interrupt is taken.
	 * Only a CSR write to mstatus or mie, mret or sret (each ends its block, block_end), a
	 * trap (trap_enter_from keeps it) or Python between runs change them. */
	int hart_valid;
	uint32_t h_priv, h_mstatus, h_mie;
	uint64_t site_addr[MAX_SITES];
	uc_hook site_hook[MAX_SITES];
};

static const struct arch_ops rv32_ops;

/* The hart of core c, or NULL when the core runs another architecture. */
static struct hart *hart_of(struct core *c)
{
	return c->arch == &rv32_ops ? c->cpu : NULL;
}

/* ---- registers ------------------------------------------------------------------------- */

static void set_xreg(struct core *c, uint32_t n, uint32_t v)
{
	if (n)
		hart_set_reg(c, UC_RISCV_REG_X0 + (int)n, v);
}

/* Unicorn 2.1.4 applies the hart's current privilege to CSR access through its API: below
 * M-mode a machine CSR reads as garbage and writes are dropped. The model acts as M-mode:
 * as_m() switches to it and returns the privilege to give back to restore_priv(). */
static uint32_t as_m(struct core *c)
{
	uint32_t p = hart_reg(c, UC_RISCV_REG_PRIV) & 3;
	if (p != PRV_M)
		hart_set_reg(c, UC_RISCV_REG_PRIV, PRV_M);
	return p;
}

static void restore_priv(struct core *c, uint32_t p)
{
	if (p != PRV_M)
		hart_set_reg(c, UC_RISCV_REG_PRIV, p);
}

/* The hart state takeable_in() looks at, read through the API when not known. */
static void hart_now(struct core *c, uint32_t *priv, uint32_t *mstatus, uint32_t *mie)
{
	*priv = as_m(c);
	*mstatus = hart_reg(c, UC_RISCV_REG_MSTATUS);
	*mie = hart_reg(c, UC_RISCV_REG_MIE);
	restore_priv(c, *priv);
}

static void hart_read(struct core *c)
{
	struct hart *h = c->cpu;
	hart_now(c, &h->h_priv, &h->h_mstatus, &h->h_mie);
	h->hart_valid = 1;
}

int hart_insn_at(struct core *c, uint64_t addr, uint32_t *w)
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

/* ---- the interrupt inputs and the claims of the controllers (hart.h) -------------------- */

void hart_input(struct core *c, uint32_t bit, int level)
{
	struct hart *h = hart_of(c);
	if (!h)
		return;
	uint32_t old = h->mip;
	h->mip = level ? old | bit : old & ~bit;
	if (h->mip & ~old)
		c->need_check = 1;   /* (an input going low cannot make an interrupt takeable) */
}

int hart_masks(struct core *c, uint32_t bit)
{
	uint32_t priv, mstatus, mie;
	if (!hart_of(c))
		return 1;
	hart_now(c, &priv, &mstatus, &mie);
	return !(mie & bit) || (priv == PRV_M && !(mstatus & MSTATUS_MIE));
}

/* Per-level state is indexed by the nesting depth (0 = thread); deeper than MAX_DEPTH levels
 * share the last slot. */
static int depth_slot(struct hart *h)
{
	return h->depth < MAX_DEPTH ? h->depth : MAX_DEPTH;
}

/* The request on line s, bound to the innermost trap, has been served. */
static void served(struct core *c, uint32_t s)
{
	core_emit_line(c, c->ticks, EV_SERVED, (uint16_t)s, 0, s, NO_TICK);
}

/* The requests served by the innermost trap return when it does (mret), as a Cortex-M
 * handler's return; completed sources wait for it here. */
static void return_done(struct core *c, int slot)
{
	struct hart *h = c->cpu;
	for (int i = 0; i < h->ndone[slot]; i++)
		served(c, h->done[slot][i]);
	h->ndone[slot] = 0;
}

static void return_one(struct core *c, int slot, uint32_t s)
{
	struct hart *h = c->cpu;
	for (int i = 0; i < h->ndone[slot]; i++) {
		if (h->done[slot][i] == s) {
			served(c, s);
			h->done[slot][i] = h->done[slot][--h->ndone[slot]];
			return;
		}
	}
}

/* The innermost trap's claim (what it dispatches, for the accounting). */
static void note_claim(struct hart *h, int s)
{
	h->claim_of[depth_slot(h)] = (int16_t)s;
}

void hart_claimed(struct core *c, uint32_t s, uint64_t req)
{
	struct hart *h = hart_of(c);
	if (!h)
		return;
	int slot = depth_slot(h);
	note_claim(h, (int)s);
	return_one(c, slot, s);   /* claimed again in the same trap */
	/* The request is bound to a trap at its claim. Its handler started at the first
	 * instruction of that trap's handler, unless the request came after it (then at the
	 * claim): the latency the accounting records, like a Cortex-M entry. */
	uint64_t now = c->ticks, entered = h->depth ? h->entry_tick[slot] : now;
	uint64_t start = req == NO_TICK || req <= entered ? entered : now;
	core_emit_line(c, start, EV_SERVICE, (uint16_t)s, h->depth > 1, s, NO_TICK);
}

void hart_completed(struct core *c, uint32_t s)
{
	struct hart *h = hart_of(c);
	if (!h)
		return;
	int slot = depth_slot(h);
	if (h->depth && h->ndone[slot] < DONE_MAX)
		h->done[slot][h->ndone[slot]++] = (uint16_t)s;
	else
		served(c, s);
}

static int current_line(struct core *c)
{
	struct hart *h = c->cpu;
	int s = h->claim_of[depth_slot(h)];
	return s > 0 ? s : -1;
}

/* ---- traps (3.1.6.1, 3.1.7, 3.1.14-16) ----------------------------------------------------- */

/* The trace number of the trap at nesting level i (0 = the outermost). Deeper than MAX_DEPTH
 * levels share the last slot. */
static uint16_t running(struct hart *h, int i)
{
	return h->stack[i < MAX_DEPTH ? i : MAX_DEPTH - 1];
}

static void lockup(struct core *c, uint64_t pc, uint64_t addr, uint32_t cause)
{
	c->fault_pc = pc;
	c->fault_addr = addr;
	c->fault_cause = cause;
	core_stop(c, STOP_LOCKUP);
}

/* Takes trap `cause` (mcause value) with return address `epc`: mstatus MPIE <- MIE, MIE <- 0,
 * MPP <- privilege, privilege <- M, mepc, mcause, mtval, PC <- the trap vector. This one
 * with the hart already switched to M-mode by as_m(), which returned `priv`, and mstatus read
 * (old_mstatus) since. */
static int trap_enter_from(struct core *c, uint32_t cause, uint32_t epc, uint32_t tval,
			   uint32_t priv, uint32_t old_mstatus)
{
	struct hart *h = c->cpu;
	int irq = (cause & MCAUSE_INTERRUPT) != 0;
	uint32_t code = cause & ~MCAUSE_INTERRUPT;
	uint16_t num = (uint16_t)(irq ? code : RV32_NUM_EXCEPTION + code);
	/* the context holds mtvec: one copy instead of a CSR read through the API */
	int saved = hart_context_save(c, &h->cx);
	uint32_t mtvec = saved ? hart_context_csr(&h->cx, CX_MTVEC)
			       : hart_reg(c, UC_RISCV_REG_MTVEC);
	uint32_t base = mtvec & ~3u;
	uint32_t target = irq && (mtvec & 3) == 1 ? base + 4 * code : base;
	h->trap_cause = cause;
	h->trap_tval = tval;
	h->trap_vec = mtvec;
	if (!core_host_ptr(c, target, 2)) {
		core_trace(c, EV_FAULT, num, mtvec);
		restore_priv(c, priv);
		lockup(c, epc, mtvec, FAULT_NO_TRAP_VECTOR);
		return -1;
	}
	if (!irq) {
		/* a loop re-traps within a few instructions, without an mret in between */
		h->sync_chain = c->ticks - h->last_sync <= TRAP_LOOP_TICKS ? h->sync_chain + 1 : 1;
		h->last_sync = c->ticks;
	}
	if (!irq && (target == epc || h->sync_chain > TRAP_LOOP_LIMIT)) {
		restore_priv(c, priv);
		lockup(c, epc, target, FAULT_TRAP_LOOP);
		return -1;
	}
	uint32_t mstatus = old_mstatus;
	mstatus = (mstatus & ~(MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP)) |
		  ((mstatus & MSTATUS_MIE) ? MSTATUS_MPIE : 0) | priv << MSTATUS_MPP_SHIFT;
	hart_trap_csrs(c, &h->cx, saved, old_mstatus, mstatus, epc, cause, tval);
	hart_set_reg(c, UC_RISCV_REG_PC, target);
	if (h->hart_valid) {     /* mie does not change */
		h->h_priv = PRV_M;
		h->h_mstatus = mstatus;
	}

	if (h->depth) {
		core_trace(c, EV_PREEMPT, num, running(h, h->depth - 1));
		h->preemptions++;
	} else {
		core_trace(c, EV_ENTRY, num, epc);
		core_enter_handler_mode(c);
	}
	h->stack[h->depth < MAX_DEPTH ? h->depth : MAX_DEPTH - 1] = num;
	h->depth++;
	note_claim(h, 0);
	h->entry_tick[depth_slot(h)] = c->ticks;
	h->ndone[depth_slot(h)] = 0;
	core_trace(c, EV_EXEC_PRIORITY, num, 1u + num);
	if (h->depth > h->max_depth)
		h->max_depth = h->depth;
	if (irq)
		h->interrupts++;
	else
		h->exceptions++;
	return 0;
}

int hart_trap_enter(struct core *c, uint32_t cause, uint32_t epc, uint32_t tval)
{
	uint32_t priv = as_m(c);
	return trap_enter_from(c, cause, epc, tval, priv, hart_reg(c, UC_RISCV_REG_MSTATUS));
}

/* Whether an interrupt would be taken now (3.1.6.1, 3.1.9): pending and enabled in mie, and
 * MIE set or the hart below M-mode. Returns the interrupt code, MEI before MSI before MTI. */
static int takeable_in(struct core *c, uint32_t *priv_out, uint32_t *mstatus_out)
{
	struct hart *h = c->cpu;
	uint32_t pend = h->mip & MIP_MACHINE;
	if (!pend)
		return 0;
	if (!h->hart_valid)
		hart_read(c);
	/* in M-mode with MIE clear, mie does not matter */
	if (h->h_priv == PRV_M && !(h->h_mstatus & MSTATUS_MIE))
		return 0;
	pend &= h->h_mie;
	if (!pend)
		return 0;
	if (priv_out) {          /* the caller takes it: the hart goes to M-mode now */
		*priv_out = h->h_priv;
		*mstatus_out = h->h_mstatus;
		if (h->h_priv != PRV_M)
			hart_set_reg(c, UC_RISCV_REG_PRIV, PRV_M);
	}
	return pend & MIP_MEIP ? IRQ_MEI : pend & MIP_MSIP ? IRQ_MSI : IRQ_MTI;
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

/* A block boundary with work due (core.c has brought the devices' timers up to date). */
static void service(struct core *c, uint64_t pc)
{
	if (c->need_check)
		arbitrate(c, pc);
}

/* After a device register write (core_device_written): an interrupt it made takeable is
 * taken before the next instruction retires (stop at the store, see resume). */
static void hart_device_written(struct core *c)
{
	struct hart *h = c->cpu;
	if (c->in_api || h->resume != RESUME_NONE)
		return;
	if (takeable_in(c, NULL, NULL)) {
		h->resume = RESUME_STORE;
		uc_emu_stop(c->uc);
	} else {
		/* nothing is takeable now, so nothing is at the next boundary either: until then
		 * only the inputs (hart_input), a CSR write or mret (block_end) can change that,
		 * and each asks again (core_device_written asked for arbitration in general) */
		c->need_check = 0;
	}
}

/* A device store ends the run (core_end_run, a test finisher): the store retires, as when it
 * makes an interrupt takeable (resume steps past it). */
static void hart_stop_after_access(struct core *c)
{
	struct hart *h = c->cpu;
	if (h->resume == RESUME_NONE)
		h->resume = RESUME_STORE;
}

/* mret (3.3.2) has retired (Unicorn executes it natively): it ended the block that just ran,
 * and that block is charged. */
static void on_mret(struct core *c)
{
	struct hart *h = c->cpu;
	h->mrets++;
	h->sync_chain = 0;       /* (MIE <- MPIE may let a pending interrupt in: block_end asks) */
	if (!h->depth)
		return;              /* an mret outside any trap (to drop privilege): no event */
	return_done(c, depth_slot(h));
	h->depth--;
	uint16_t to = h->depth ? running(h, h->depth - 1) : 0;
	core_trace(c, EV_RETURN, running(h, h->depth), to);
	core_trace(c, EV_EXEC_PRIORITY, to, h->depth ? 1u + to : 0);
	if (!h->depth)
		core_leave_handler_mode(c);
}

/* ---- where the model stopped emulation: a read of mip, an MMIO store ----------------------- */

/* The CSR instruction at pc reads mip (rd != 0): do what it does, with MSIP/MTIP/MEIP. */
static void emulate_mip(struct core *c, uint64_t pc, uint32_t w)
{
	struct hart *h = c->cpu;
	uint32_t f3 = (w >> 12) & 7, rd = (w >> 7) & 31, rs1 = (w >> 15) & 31;
	uint32_t unicorn_mip = hart_reg(c, UC_RISCV_REG_MIP);
	uint32_t old = (unicorn_mip & ~MIP_MACHINE) | h->mip;
	uint32_t operand = f3 >= 5 ? rs1 : hart_xreg(c, rs1), nv = old;
	int write = (f3 & 3) == 1 || rs1 != 0;
	switch (f3 & 3) {
	case 1: nv = operand; break;
	case 2: nv = old | operand; break;
	case 3: nv = old & ~operand; break;
	}
	if (write)   /* Unicorn keeps the writable (supervisor) bits; MSIP/MTIP/MEIP read-only */
		hart_set_reg(c, UC_RISCV_REG_MIP, nv);
	set_xreg(c, rd, old);
	hart_set_reg(c, UC_RISCV_REG_PC, (uint32_t)pc + 4);
}

/* sb/sh/sw, an AMO, c.sw, c.swsp: the instructions that can make an MMIO store. */
static int is_store(uint32_t w, int len)
{
	if (len == 4)
		return (w & 0x7F) == 0x23 || (w & 0x7F) == OPC_AMO;
	return (w & 0xE003) == 0xC000 || (w & 0xE003) == 0xC002;
}

/* emu_start returned cleanly: finish the instruction the model stopped at, if it did. */
static int resume(struct core *c)
{
	struct hart *h = c->cpu;
	int what = h->resume;
	if (what == RESUME_NONE)
		return 0;
	h->resume = RESUME_NONE;
	uint32_t pc = hart_reg(c, UC_RISCV_REG_PC), w;
	core_charge_partial(c, pc);
	int len = hart_insn_at(c, pc, &w);
	if (len < 0)
		return 0;
	if (what == RESUME_STORE) {
		/* Unicorn stopped at the store whose MMIO write made an interrupt takeable; the
		 * write is done: the store retires and the interrupt is taken at the next one. */
		if (!is_store(w, len))
			return 1;        /* not where we expected: take it here, nothing retired */
		hart_set_reg(c, UC_RISCV_REG_PC, pc + (uint32_t)len);
	} else {
		if (pc != h->resume_pc || len != 4)
			return 0;
		emulate_mip(c, pc, w);
	}
	c->ticks++;
	return 1;
}

/* ---- the instructions the model must see: CSR writes, mret, sret, reads of mip ------------ */

/* A read of mip (the only site watched by a code hook): stops before the instruction, and
 * resume() emulates it with the machine bits filled in. */
static void hook_site(uc_engine *uc, uint64_t addr, uint32_t size, void *ud)
{
	struct core *c = ud;
	struct hart *h = c->cpu;
	(void)size;
	if ((hart_reg(c, UC_RISCV_REG_PRIV) & 3) != PRV_M)
		return;              /* illegal below M-mode: Unicorn raises it */
	h->resume = RESUME_MIP;
	h->resume_pc = addr;
	uc_emu_stop(uc);
}

/* Watches the reads of mip in [addr, addr + size), scanned at every halfword: an instruction
 * starting at a hooked address is the instruction the scan matched, so stray matches in data
 * cost nothing. Returns the number of sites watched in all. */
int rv32_scan(struct core *c, uint64_t addr, uint32_t size)
{
	struct hart *h = hart_of(c);
	uint8_t *p = core_host_ptr(c, addr, size);
	if (!h || !p)
		return -1;
	for (uint32_t off = 0; off + 4 <= size; off += 2) {
		uint32_t w = (uint32_t)(p[off] | p[off + 1] << 8 | p[off + 2] << 16) |
			     (uint32_t)p[off + 3] << 24;
		if (rv32_site_kind(w) != SITE_MIP_READ)
			continue;
		int dup = 0;
		for (int i = 0; i < h->nsites && !dup; i++)
			dup = h->site_addr[i] == addr + off;
		if (dup)
			continue;
		if (h->nsites == MAX_SITES)
			return -2;
		if (uc_hook_add(c->uc, &h->site_hook[h->nsites], UC_HOOK_CODE, (void *)hook_site, c,
				addr + off, addr + off) != UC_ERR_OK)
			return -3;
		h->site_addr[h->nsites++] = addr + off;
	}
	return h->nsites;
}

/* The block that just ran ended with a CSR write to mstatus or mie, an sret or an mret: the
 * hart state changed, and an interrupt may have become takeable (arbitration at the block
 * boundary, the next instruction, when one is). Clearing bits (csrrc, csrrci) cannot make one
 * takeable; csrrci on mstatus, which clears known bits, keeps the state known, as do mret,
 * whose effect follows from the state before it, and a write to mstatus or mie, after which
 * that CSR is read again. */
static void block_end(struct core *c, int end)
{
	struct hart *h = c->cpu;
	if (end >= BLOCK_END_CLEARI) {
		h->h_mstatus &= ~(uint32_t)(end - BLOCK_END_CLEARI);
		return;
	}
	if (end == BLOCK_END_MRET && h->hart_valid) {
		/* what mret did (3.3.2, as Unicorn 2.1.4's helper_mret does it): MIE <- MPIE,
		 * MPIE <- 1, MPP <- U, privilege <- MPP (the reserved 2 becomes U) */
		uint32_t ms = h->h_mstatus, prev = (ms & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT;
		ms = (ms & ~(MSTATUS_MIE | MSTATUS_MPP)) | (ms & MSTATUS_MPIE ? MSTATUS_MIE : 0) |
		     MSTATUS_MPIE;
		h->h_mstatus = ms;
		h->h_priv = prev == 2 ? PRV_U : prev;
	} else if ((end == BLOCK_END_MSTATUS || end == BLOCK_END_MIE) && h->hart_valid) {
		/* a write to an M-mode CSR retired: the hart is in M-mode, and only that CSR
		 * changed (one read instead of hart_read's four) */
		if (end == BLOCK_END_MSTATUS)
			h->h_mstatus = hart_reg(c, UC_RISCV_REG_MSTATUS);
		else
			h->h_mie = hart_reg(c, UC_RISCV_REG_MIE);
	} else {
		h->hart_valid = 0;
	}
	if (end == BLOCK_END_MRET)
		on_mret(c);
	/* arbitration at the next boundary (the next instruction) only when it would take an
	 * interrupt: what it decides, takeable_in() decides now, with the same state */
	c->need_check = takeable_in(c, NULL, NULL) != 0;
}

/* ---- the rest of the architecture ops ------------------------------------------------------ */

/* Emulation starts (again): Python may have changed registers since the last run. */
static void run_start(struct core *c)
{
	struct hart *h = c->cpu;
	h->hart_valid = 0;
}

/* The hart has no timer of its own: the CLINT's is a device's deadline. */
static uint64_t deadline(struct core *c)
{
	(void)c;
	return UINT64_MAX;
}

static int wakeable(struct core *c)
{
	/* wfi resumes when an interrupt is pending and enabled in mie, whatever MIE (3.3.3). */
	struct hart *h = c->cpu;
	core_advance_devices(c);
	uint32_t priv, mstatus, mie;
	hart_now(c, &priv, &mstatus, &mie);
	return (h->mip & mie) != 0;
}

/* A `j .` nothing can leave (docs/semantics.md, "Stuck"): in M-mode with mstatus.MIE clear no
 * interrupt is taken (3.1.6.1); else none is pending and enabled in mie, and, when line
 * events, storm requests or device timers (the CLINT's mtimecmp) are still to come, mie
 * enables none of MSI, MTI, MEI. */
static int stuck(struct core *c, int quiet)
{
	struct hart *h = c->cpu;
	uint32_t priv, mstatus, mie;
	hart_now(c, &priv, &mstatus, &mie);
	if (priv == PRV_M && !(mstatus & MSTATUS_MIE))
		return 1;
	mie &= (1u << 3) | (1u << 7) | (1u << 11);
	if (h->mip & mie)
		return 0;
	return quiet || !mie;
}

static void release(struct core *c)
{
	struct hart *h = c->cpu;
	hart_context_free(c, &h->cx);
}

/* Snapshots (arch.h save / restore): the trap stack, inputs and counters; not the mip-read
 * sites and their hooks (the image's), nor the trap-CSR context (a scratch copy). */
static void save(struct core *c, struct snap_w *w)
{
	snap_put(w, c->cpu, offsetof(struct hart, site_addr));
}

static int restore(struct core *c, struct snap_r *r)
{
	struct hart *h = c->cpu, s;
	if (snap_get(r, &s, offsetof(struct hart, site_addr)) || s.nsites != h->nsites)
		return -1;
	s.cx = h->cx;
	memcpy(h, &s, offsetof(struct hart, site_addr));
	return 0;
}

static const struct arch_ops rv32_ops = {
	.name = "rv32",
	.block_info = rv32_block_info,
	.block_end = block_end,
	.service = service,
	.intr = hart_intr,
	.fault = hart_fault,
	.resume = resume,
	.run_start = run_start,
	.deadline = deadline,
	.wakeable = wakeable,
	.current_line = current_line,
	.device_written = hart_device_written,
	.stop_after_access = hart_stop_after_access,
	.release = release,
	.self_loop = rv32_self_loop,
	.stuck = stuck,
	.save = save,
	.restore = restore,
	.reg_pc = UC_RISCV_REG_PC,
	.reg_arg0 = UC_RISCV_REG_A0,
	.reg_arg1 = UC_RISCV_REG_A1,
	.reg_sp = UC_RISCV_REG_SP,
	.pc_bits = 0,
};

/* ---- set-up and inspection (api.h) ---------------------------------------------------------- */

int rv32_init(struct core *c)
{
	if (c->arch)
		return -1;
	struct hart *h = calloc(1, sizeof(*h));
	if (!h)
		return -1;
	uint32_t priv = as_m(c);
	hart_context_init(c, &h->cx);
	restore_priv(c, priv);
	if (core_set_arch(c, &rv32_ops, h)) {
		hart_context_free(c, &h->cx);
		free(h);
		return -1;
	}
	return 0;
}

/* Reset as QEMU's virt enters an image with -bios none: M-mode at the entry point, a0 = hart
 * id 0, a1 = 0 (we pass no device tree), mstatus, mie and mtvec 0. */
int rv32_reset(struct core *c, uint32_t entry)
{
	if (!hart_of(c) || !core_host_ptr(c, entry, 2))
		return -1;
	hart_set_reg(c, UC_RISCV_REG_PRIV, PRV_M);
	hart_set_reg(c, UC_RISCV_REG_MSTATUS, 0);
	hart_set_reg(c, UC_RISCV_REG_MIE, 0);
	hart_set_reg(c, UC_RISCV_REG_MTVEC, 0);
	hart_set_reg(c, UC_RISCV_REG_A0, 0);
	hart_set_reg(c, UC_RISCV_REG_A1, 0);
	hart_set_reg(c, UC_RISCV_REG_PC, entry);
	return 0;
}

/* For tests: 2 when the cached privilege, mstatus and mie are known and match the hart's,
 * 1 when they are not known, 0 when they differ. */
int rv32_hart_cache_check(struct core *c)
{
	struct hart *h = hart_of(c);
	if (!h || !h->hart_valid)
		return 1;
	uint32_t p, ms, mie;
	hart_now(c, &p, &ms, &mie);
	return p == h->h_priv && ms == h->h_mstatus && mie == h->h_mie ? 2 : 0;
}

uint32_t rv32_csr(struct core *c, int csr)
{
	if (!hart_of(c))
		return 0;
	uint32_t priv = as_m(c), v = hart_reg(c, csr);
	restore_priv(c, priv);
	if (csr == UC_RISCV_REG_MIP)
		v = (v & ~MIP_MACHINE) | rv32_mip(c);
	return v;
}

uint32_t rv32_mip(struct core *c)
{
	struct hart *h = hart_of(c);
	if (!h)
		return 0;
	core_advance_devices(c);
	return h->mip;
}

void rv32_counters(struct core *c, struct hart_counters *out)
{
	struct hart *h = hart_of(c);
	memset(out, 0, sizeof(*out));
	if (!h)
		return;
	out->interrupts = h->interrupts;
	out->exceptions = h->exceptions;
	out->preemptions = h->preemptions;
	out->max_depth = (uint64_t)h->max_depth;
	out->depth = (uint64_t)h->depth;
	out->mrets = h->mrets;
	out->hooked_sites = (uint64_t)h->nsites;
	out->mip = h->mip;
}

void rv32_trap_info(struct core *c, uint32_t *cause, uint32_t *tval, uint32_t *tvec)
{
	struct hart *h = hart_of(c);
	*cause = h ? h->trap_cause : 0;
	*tval = h ? h->trap_tval : 0;
	*tvec = h ? h->trap_vec : 0;
}

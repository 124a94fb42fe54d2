/* For bench/storm.py: the engine ceiling of an interrupt path on RISC-V, what any simulator
 * built on Unicorn 2.1.4 pays per interrupt on a board whose interrupt controller is a device,
 * and nothing of irqsim's own model. On a bare engine (the board's memory, the fast store path
 * of tlb.c, no core):
 *   - the controller's claim/complete page is MMIO (uc_mmio_map) with callbacks that do
 *     nothing but answer `claim` to every read: the device accesses cost what Unicorn charges
 *     for MMIO, TLB refills included (on virt the PLIC's page 0x0C200000 and RAM's first page
 *     share a slot of Unicorn's TLB);
 *   - one C block hook is the time base; when the block at the trap vector starts after the
 *     handler's mret (mepc points there), it takes the trap as irqsim does (mstatus, mepc,
 *     mcause through one saved CPU context, context.c; then a PC write, which makes Unicorn
 *     leave and re-enter its execution loop), and counts a round; after max_rounds it stops
 *     the engine (so the run needs neither emu_start's timeout, whose timer thread wakes every
 *     2 us, nor its count, which adds a hook at every instruction).
 * So the guest runs its whole interrupt path back to back, mret included, with the engine's
 * part of trap entry and device access, and no arbitration, device models, trace, accounting or
 * time keeping beyond the hook. One such engine at a time (static state).
 */
#include <string.h>

#include "rv32.h"

static struct {
	struct core core;        /* only .uc is used (context.c reaches the engine through it) */
	struct hart_context cx;
	uc_hook block;
	uint32_t vector, cause, claim;
	int entered;             /* the trap was just taken: the vector's block runs now */
	uint64_t rounds, max_rounds;
} ceil;

static uint64_t mmio_read(uc_engine *uc, uint64_t off, unsigned size, void *ud)
{
	(void)uc, (void)off, (void)size, (void)ud;
	return ceil.claim;
}

static void mmio_write(uc_engine *uc, uint64_t off, unsigned size, uint64_t v, void *ud)
{
	(void)uc, (void)off, (void)size, (void)v, (void)ud;
}

static void hook_block(uc_engine *uc, uint64_t addr, uint32_t size, void *ud)
{
	(void)size, (void)ud;
	if (addr != ceil.vector)
		return;
	if (ceil.entered) {
		ceil.entered = 0;
		return;
	}
	/* trap entry, as hart.c's: MPIE <- MIE, MIE <- 0, MPP <- M; mepc; mcause */
	struct core *c = &ceil.core;
	int saved = hart_context_save(c, &ceil.cx);
	uint32_t old = saved ? hart_context_csr(&ceil.cx, CX_MSTATUS)
			     : hart_reg(c, UC_RISCV_REG_MSTATUS);
	uint32_t nv = (old & ~(MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP)) |
		      ((old & MSTATUS_MIE) ? MSTATUS_MPIE : 0) | PRV_M << MSTATUS_MPP_SHIFT;
	hart_trap_csrs(c, &ceil.cx, saved, old, nv, ceil.vector, ceil.cause, 0);
	uint32_t pc = ceil.vector;
	uc_reg_write(uc, UC_RISCV_REG_PC, &pc);
	ceil.entered = 1;
	if (++ceil.rounds == ceil.max_rounds)
		uc_emu_stop(uc);
}

int rv32_bench_trap_path(uintptr_t uc, uint32_t vector, uint32_t cause, uint64_t page,
			 uint32_t claim, uint64_t max_rounds)
{
	if (ceil.core.uc) {
		hart_context_free(&ceil.core, &ceil.cx);
		ceil.core.uc = NULL;
	}
	memset(&ceil, 0, sizeof(ceil));
	ceil.core.uc = (uc_engine *)uc;
	ceil.vector = vector;
	ceil.cause = cause;
	ceil.claim = claim;
	ceil.max_rounds = max_rounds;
	uint32_t priv = PRV_M;
	uc_reg_write(ceil.core.uc, UC_RISCV_REG_PRIV, &priv);
	hart_context_init(&ceil.core, &ceil.cx);
	if (uc_mmio_map(ceil.core.uc, page, 0x1000, mmio_read, NULL, mmio_write, NULL) != UC_ERR_OK)
		return -1;
	return uc_hook_add(ceil.core.uc, &ceil.block, UC_HOOK_BLOCK, (void *)hook_block, NULL, 1,
			   0) == UC_ERR_OK ? 0 : -1;
}

uint64_t rv32_bench_trap_rounds(void)
{
	return ceil.rounds;
}

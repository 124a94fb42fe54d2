/* What a debugger (sim/gdb) needs of the core: breakpoints, watchpoints, one-instruction steps
 * and a halt request (api.h, "debugging"). None of it costs anything until it is used.
 *
 * - A breakpoint is a UC_HOOK_CODE hook on one address (Unicorn calls it before that
 *   instruction and checks for a stop request right after it), so the instruction does not
 *   run: STOP_BREAK with PC at it. The translated blocks holding the address are dropped so
 *   that the hook is compiled in.
 * - A watchpoint needs a memory hook, whose mere presence sends every guest load and store
 *   through Unicorn's slow path: the hooks exist only while a watchpoint is set (or a step
 *   runs). The memory hook notes a hit; an every-instruction hook stops before the next
 *   instruction, or the block hook at the next block boundary, before anything is serviced
 *   there: the accessing instruction has retired (GDB reports the watchpoint after it).
 * - core_step runs exactly one instruction and charges one tick: the every-instruction hook
 *   lets the first one run and stops at the second (or the block hook does, at the boundary,
 *   before servicing it). When an exception is due at the first boundary it is taken and the
 *   step ends at the handler's first instruction, none of it run.
 * - Determinism: interrupts are recognised at block boundaries. A stop in the middle of a
 *   block makes the next run start a block there, a boundary the undebugged run does not have;
 *   the block hook services nothing at it (core_debug_resumed), so requests due meanwhile are
 *   taken at the same natural boundary as without the debugger, and the trace is the same.
 *   (A stop at a block's start after the block hook ran there: the same, and its watched
 *   block start, already recorded, is not recorded again.)
 */
#include <stdlib.h>
#include <string.h>

#include "core.h"

static struct debug *dbg(struct core *c)
{
	if (!c->dbg) {
		c->dbg = calloc(1, sizeof(*c->dbg));
		if (c->dbg)
			c->dbg->skip_bp = UINT64_MAX;
	}
	return c->dbg;
}

static void hook_bp(uc_engine *uc, uint64_t addr, uint32_t size, void *ud)
{
	struct core *c = ud;
	(void)uc, (void)size;
	if (c->probing || c->stop)
		return;              /* (the run is ending for another reason already) */
	if (addr == c->dbg->skip_bp) {      /* resuming at the breakpoint we stopped at */
		c->dbg->skip_bp = UINT64_MAX;
		return;
	}
	for (int i = 0; i < c->dbg->nbp; i++)
		if (c->dbg->bp[i] == addr) {
			c->dbg->resume_skip = 1;
			core_stop(c, STOP_BREAK);
			return;
		}
}

static void hook_insn(uc_engine *uc, uint64_t addr, uint32_t size, void *ud)
{
	struct core *c = ud;
	struct debug *d = c->dbg;
	(void)uc, (void)addr, (void)size;
	if (c->probing || c->stop)
		return;
	if (d->watch_hit || (d->stepping && d->step_seen)) {
		d->resume_skip = 1;
		core_stop(c, d->watch_hit ? STOP_WATCH : STOP_STEP);
		return;
	}
	if (d->stepping) {
		d->step_seen = 1;
		c->deadline = 0;       /* the block hook's slow path looks at the next boundary */
	}
}

static void hook_mem(uc_engine *uc, uc_mem_type type, uint64_t addr, int size, int64_t value,
		     void *ud)
{
	struct core *c = ud;
	struct debug *d = c->dbg;
	(void)uc, (void)value;
	if (c->probing || d->watch_hit)
		return;
	int kind = type == UC_MEM_WRITE ? WATCH_WRITE : WATCH_READ;
	for (int i = 0; i < d->nwp; i++) {
		if (!(d->wp[i].kind & kind) || addr >= d->wp[i].addr + d->wp[i].len ||
		    addr + (uint64_t)size <= d->wp[i].addr)
			continue;
		d->watch_hit = 1;
		d->watch_addr = addr < d->wp[i].addr ? d->wp[i].addr : addr;
		d->watch_kind = kind;
		c->deadline = 0;       /* the block hook's slow path looks at the next boundary */
		return;
	}
}

/* Installs or removes the memory and every-instruction hooks as they are needed now; the
 * translated code is dropped either way (the hooks are compiled into it). */
static int update_hooks(struct core *c)
{
	struct debug *d = c->dbg;
	int want = d->nwp > 0 || d->stepping;
	if (want == d->hooked)
		return 0;
	if (want) {
		if (uc_hook_add(c->uc, &d->h_mem, UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE,
				(void *)hook_mem, c, 1, 0))
			return -2;
		if (uc_hook_add(c->uc, &d->h_insn, UC_HOOK_CODE, (void *)hook_insn, c, 1, 0)) {
			uc_hook_del(c->uc, d->h_mem);
			return -2;
		}
	} else {
		uc_hook_del(c->uc, d->h_mem);
		uc_hook_del(c->uc, d->h_insn);
	}
	d->hooked = want;
	uc_ctl_flush_tb(c->uc);
	return 0;
}

int core_set_breakpoint(struct core *c, uint64_t addr, int on)
{
	struct debug *d = dbg(c);
	if (!d)
		return -2;
	addr &= ~1ull;
	int i = 0;
	while (i < d->nbp && d->bp[i] != addr)
		i++;
	if (on && i == d->nbp) {
		if (d->nbp == CORE_MAX_BREAKPOINTS)
			return -1;
		if (uc_hook_add(c->uc, &d->bp_hook[i], UC_HOOK_CODE, (void *)hook_bp, c, addr,
				addr))
			return -2;
		d->bp[d->nbp++] = addr;
	} else if (!on && i < d->nbp) {
		uc_hook_del(c->uc, d->bp_hook[i]);
		d->bp[i] = d->bp[d->nbp - 1];
		d->bp_hook[i] = d->bp_hook[d->nbp - 1];
		d->nbp--;
	} else {
		return 0;
	}
	uc_ctl_remove_cache(c->uc, addr, addr + 1);
	return 0;
}

int core_set_watchpoint(struct core *c, uint64_t addr, uint32_t len, int kind, int on)
{
	struct debug *d = dbg(c);
	if (!d)
		return -2;
	if (!len || kind < WATCH_WRITE || kind > WATCH_ACCESS)
		return -3;
	int i = 0;
	while (i < d->nwp && !(d->wp[i].addr == addr && d->wp[i].len == len &&
			       d->wp[i].kind == kind))
		i++;
	if (on && i == d->nwp) {
		if (d->nwp == CORE_MAX_WATCHPOINTS)
			return -1;
		d->wp[d->nwp].addr = addr;
		d->wp[d->nwp].len = len;
		d->wp[d->nwp].kind = kind;
		d->nwp++;
	} else if (!on && i < d->nwp) {
		d->wp[i] = d->wp[--d->nwp];
	}
	return update_hooks(c);
}

void core_watch_info(struct core *c, uint64_t *addr, int *kind)
{
	*addr = c->dbg ? c->dbg->watch_addr : 0;
	*kind = c->dbg ? c->dbg->watch_kind : 0;
}

int core_step(struct core *c)
{
	struct debug *d = dbg(c);
	if (!d)
		return STOP_ERROR;
	uint32_t pc = 0;
	uc_reg_read(c->uc, c->arch->reg_pc, &pc);
	d->skip_bp = pc;         /* a step runs the instruction at PC, breakpoint or not */
	d->stepping = 1;
	d->step_seen = 0;
	if (update_hooks(c)) {
		d->stepping = 0;
		return STOP_ERROR;
	}
	int r = core_run(c, UINT64_MAX, 0);
	d->stepping = 0;
	update_hooks(c);
	return r;
}

void core_halt(struct core *c)
{
	c->halt_req = 1;
}

int core_debug_resumed(struct core *c, uint64_t addr)
{
	struct debug *d = c->dbg;
	int skip = d->resume_skip && d->resume_pc == addr;
	d->resume_skip = 0;
	if (!skip) {             /* PC was moved meanwhile: what retired is charged now */
		c->ticks += d->lag;
		d->lag = 0;
	}
	return skip;
}

const struct icount_entry *core_debug_carry(struct core *c, const struct icount_entry *e)
{
	struct debug *d = c->dbg;
	d->carry = *e;
	d->carry.count += (uint32_t)d->lag;
	d->carry_lag = d->lag;
	d->lag = 0;
	return &d->carry;
}

/* At a block boundary, before anything is serviced: a watchpoint hit by the last block's
 * last instruction, or the step's instruction done. 1 when the run stops here. */
int core_debug_boundary(struct core *c)
{
	struct debug *d = c->dbg;
	if (d->watch_hit || (d->stepping && d->step_seen)) {
		core_stop(c, d->watch_hit ? STOP_WATCH : STOP_STEP);
		return 1;
	}
	return 0;
}

/* A step's first boundary took an exception (PC moved to its handler): the step ends there. */
void core_debug_redirected(struct core *c)
{
	struct debug *d = c->dbg;
	d->skip_bp = UINT64_MAX;
	if (d->stepping)
		core_stop(c, STOP_STEP);
}

void core_debug_stopped(struct core *c, uint64_t pc)
{
	struct debug *d = c->dbg;
	const struct icount_entry *b = c->blk;
	if (d && d->resume_skip) {
		/* a code hook stopped at pc, after the block hook ran for its block */
		if (pc == b->addr && (b->start & ~BLOCK_START_LOOP))
			c->start_noted = pc;
		/* pc lies in the block the block hook saw last (a carry: its lag included) */
		uint64_t had = b == &d->carry ? d->carry_lag : 0;
		d->lag = had + core_insns_between(c, b->addr, pc);
		c->blk_end = BLOCK_END_NONE;   /* its last instruction did not retire */
		d->resume_pc = pc;
		d->skip_bp = pc;
	}
	if (d)
		d->watch_hit = 0;
	if (d && c->stop == STOP_WATCH)
		d->skip_bp = UINT64_MAX;   /* (the instruction at pc has not been reached yet) */
}

void core_debug_free(struct core *c)
{
	free(c->dbg);
	c->dbg = NULL;
}

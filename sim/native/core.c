/* Time, scheduled line events, the event stream, memory, the console and the run loop (see
 * core.h). No architecture is named here: the CPU model is reached through c->arch (arch.h),
 * interrupt controllers through their line sets, devices through dev/dev.c. */
#include "core.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "api.h"

#define TRACE_SLACK 64   /* records one block boundary may add beyond the drain mark */
#define NO_UNTIL 0xFFFFFFFEull

/* ---- guest errors ------------------------------------------------------------------------- */

/* ---- memory ----------------------------------------------------------------------------- */

const struct region *core_region_of(struct core *c, uint64_t addr, uint32_t len)
{
	for (int i = 0; i < c->nregions; i++) {
		const struct region *r = &c->regions[i];
		if (addr >= r->base && addr + len <= r->base + r->size)
			return r;
	}
	return NULL;
}

uint8_t *core_host_ptr(struct core *c, uint64_t addr, uint32_t len)
{
	const struct region *r = core_region_of(c, addr, len);
	return r ? r->host + (addr - r->base) : NULL;
}

int core_read32(struct core *c, uint64_t addr, uint32_t *v)
{
	uint8_t *p = core_host_ptr(c, addr, 4);
	if (!p)
		return -1;
	memcpy(v, p, 4);
	return 0;
}

int core_write32(struct core *c, uint64_t addr, uint32_t v)
{
	uint8_t *p = core_host_ptr(c, addr, 4);
	if (!p)
		return -1;
	memcpy(p, &v, 4);
	return 0;
}

int core_map(struct core *c, uint64_t base, uint64_t size, int perms)
{
	if (c->nregions == CORE_MAX_REGIONS)
		return -1;
	if (!size || size > (1ull << 32) || base > (1ull << 32) - size)
		return -2;   /* empty, or past the 32-bit address space (also: no overflow below) */
	/* Anonymous pages read as zero and cost nothing until touched: a board's 128 MiB of RAM
	 * is cheap. core_free unmaps them. */
	void *host = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (host == MAP_FAILED)
		return -1;
	struct region r = {base, size, host, (uint32_t)perms, NULL};
	if (core_tlb_region(&r)) {
		munmap(host, size);
		return -1;
	}
	if (uc_mem_map_ptr(c->uc, base, size, (uint32_t)perms, host) != UC_ERR_OK) {
		munmap(host, size);
		free(r.executed);
		return -2;
	}
	c->regions[c->nregions++] = r;
	return 0;
}

uint64_t core_next_event_tick(struct core *c)
{
	uint64_t t = c->heap_len ? c->heap[0].tick : UINT64_MAX;
	uint64_t s = storm_next_tick(c);
	if (s < t)
		t = s;
	uint64_t d = core_devices_deadline(c);
	if (d < t)
		t = d;
	uint64_t a = c->arch ? c->arch->deadline(c) : UINT64_MAX;
	return a < t ? a : t;
}

/* The block hook's next look: at `due`, or CORE_POLL_TICKS from now if sooner (signals). */
static inline void set_poll_deadline(struct core *c)
{
	uint64_t poll = c->ticks + CORE_POLL_TICKS;
	c->deadline = c->due < poll ? c->due : poll;
}

void core_update_deadline(struct core *c)
{
	uint64_t d = core_next_event_tick(c);
	if (c->stop_tick < d)
		d = c->stop_tick;
	if (c->runaway_limit && c->handler_since != UINT64_MAX) {
		uint64_t r = c->handler_since + c->runaway_limit;
		if (r < d)
			d = r;
	}
	c->due = d;
	set_poll_deadline(c);
}

/* ---- hooks ------------------------------------------------------------------------------ */

static struct icount_entry *__attribute__((noinline))
block_info_slow(struct core *c, struct icount_entry *e, uint64_t addr, uint32_t size)
{
	uint8_t *p = core_host_ptr(c, addr, size);
	uint8_t end = BLOCK_END_NONE, start = 0;
	uint32_t n;
	if (!p)
		n = size / 4 ? size / 4 : 1;  /* code outside RAM/flash mappings: estimate */
	else
		n = c->arch->block_info(p, size, &end);
	if (c->dispatch_addr && addr == c->dispatch_addr)
		start |= BLOCK_START_DISPATCH;
	if (c->table_register_addr && addr == c->table_register_addr)
		start |= BLOCK_START_REGISTER;
	if (c->table_unregister_addr && addr == c->table_unregister_addr)
		start |= BLOCK_START_UNREGISTER;
	if (p && c->arch->self_loop && c->arch->self_loop(p, size))
		start |= BLOCK_START_LOOP;
	e->addr = addr;
	e->size = size;
	e->count = n;
	e->end = end;
	e->start = start;
	e->fast = start || end ? NO_FAST_KEY : icount_key(addr, size);
	return e;
}

/* The block [addr, addr + size): a direct-mapped cache in front of decoding the instruction
 * lengths (Thumb-2 and RVC both tell the length from the first halfword). */
static inline struct icount_entry *block_info(struct core *c, uint64_t addr, uint32_t size)
{
	struct icount_entry *e = &c->icache[(addr >> 1) & (ICOUNT_CACHE - 1)];
	if (__builtin_expect(e->addr == addr && e->size == size, 1))
		return e;
	return block_info_slow(c, e, addr, size);
}

static inline uint32_t count_insns(struct core *c, uint64_t addr, uint32_t size)
{
	return block_info(c, addr, size)->count;
}

uint32_t core_insns_between(struct core *c, uint64_t addr, uint64_t pc)
{
	return pc > addr ? count_insns(c, addr, (uint32_t)(pc - addr)) : 0;
}

/* The block before the first one of a run, or one that did not run: nothing to charge. */
static const struct icount_entry no_block = {UINT64_MAX, NO_FAST_KEY, 0, 0, BLOCK_END_NONE, 0};

static void icache_clear(struct core *c)
{
	for (int i = 0; i < ICOUNT_CACHE; i++) {
		c->icache[i].addr = UINT64_MAX;
		c->icache[i].fast = NO_FAST_KEY;
	}
}

void core_forget_blocks(struct core *c)
{
	icache_clear(c);
	c->blk = &no_block;
	c->blk_end = BLOCK_END_NONE;
}

/* The current block's last instruction has retired: what it asks of the model. */
static inline void block_end(struct core *c)
{
	int end = c->blk_end;
	c->blk_end = BLOCK_END_NONE;
	if (end)
		c->arch->block_end(c, end);
}

/* Charges the current block when emulation left it at `pc`: the instructions before pc when
 * pc lies inside it (a fault, a trap, a stop at an instruction), else all of it, and then what
 * its last instruction asks of the model (block_end). */
void core_charge_partial(struct core *c, uint64_t pc)
{
	const struct icount_entry *b = c->blk;
	uint64_t addr = b->addr;
	c->blk = &no_block;
	if (pc >= addr && pc < addr + b->size) {
		c->blk_end = BLOCK_END_NONE;   /* its last instruction did not retire */
		/* (count_insns may reuse b's cache entry: addr is copied) */
		c->ticks += pc == addr ? 0 : count_insns(c, addr, (uint32_t)(pc - addr));
		if (c->dbg && b == &c->dbg->carry)
			c->ticks += c->dbg->carry_lag;   /* retired before a debugger stop */
	} else {
		c->ticks += b->count;
		block_end(c);
	}
}

void core_stop(struct core *c, int reason)
{
	if (!c->stop)
		c->stop = reason;
	uc_emu_stop(c->uc);
}

/* ---- the end of a run ---------------------------------------------------------------- */

void core_end_run(struct core *c, int reason)
{
	if (c->in_api) {         /* Python, between runs: the next run ends at once */
		if (reason == STOP_EXIT)
			core_trace(c, EV_EXIT, 0, (uint32_t)c->exit_code);
		if (!c->pending_stop)
			c->pending_stop = reason;
		return;
	}
	if (c->ending)
		return;              /* the first one stands */
	c->ending = reason;
	if (c->arch->stop_after_access)
		c->arch->stop_after_access(c);
	core_stop(c, reason);
}

void core_exit(struct core *c, int code)
{
	if (c->ending || (c->in_api && c->pending_stop))
		return;
	c->exit_code = code;
	core_end_run(c, STOP_EXIT);
}

void core_device_written(struct core *c)
{
	c->need_check = 1;
	core_update_deadline(c);
	if (c->arch->device_written)
		c->arch->device_written(c);
}

void core_enter_handler_mode(struct core *c)
{
	c->handler_since = c->ticks;
}

void core_leave_handler_mode(struct core *c)
{
	if (c->handler_since != UINT64_MAX)
		c->handler_ticks += c->ticks - c->handler_since;
	c->handler_since = UINT64_MAX;
}

void core_thread_ticks(struct core *c, uint64_t *thread, uint64_t *handler)
{
	uint64_t h = c->handler_ticks;
	if (c->handler_since != UINT64_MAX)
		h += c->ticks - c->handler_since;
	*handler = h;
	*thread = c->ticks - h;
}

/* Delivers scheduled line events and storm requests that are due, in tick order (at one tick:
 * scheduled events first, then sources in the order they were added). */
static int deliver_due(struct core *c)
{
	for (;;) {
		uint64_t th = c->heap_len ? c->heap[0].tick : UINT64_MAX;
		uint64_t ts = storm_next_tick(c);
		if ((th < ts ? th : ts) > c->ticks)
			return 0;
		if (c->trace_enabled && c->trace_len + TRACE_SLACK >= c->trace_cap)
			return -1;
		if (th <= ts) {
			struct sched_ev e = core_heap_pop(c);
			core_request(c, e.tick, e.line, e.kind);
		} else {
			storm_deliver_one(c);
		}
	}
}

static void service(struct core *c, uint64_t pc)
{
	c->loop_ok = NO_LOOP;   /* what can wake the core may have changed */
	if (deliver_due(c)) {
		core_stop(c, STOP_TRACE_FULL);
		return;
	}
	if (c->ticks >= c->stop_tick) {
		core_stop(c, STOP_TICKS);
		return;
	}
	if (c->trace_enabled && c->trace_len + TRACE_SLACK >= c->trace_cap) {
		core_stop(c, STOP_TRACE_FULL);
		return;
	}
	if (c->drain_asap) {
		c->drain_asap = 0;
		core_stop(c, STOP_TRACE_FULL);
		return;
	}
	if (c->runaway_limit && c->handler_since != UINT64_MAX &&
	    c->ticks >= c->handler_since + c->runaway_limit) {
		c->fault_pc = pc;
		core_stop(c, STOP_RUNAWAY);
		return;
	}
	core_advance_devices(c);
	c->arch->service(c, pc);
	core_update_deadline(c);
}

static void block_start(struct core *c, int start);

/* hook_block when there is more to do than charge the last block and note this one: the last
 * block's instructions are charged already. */
static void __attribute__((noinline)) hook_block_slow(struct core *c, uint64_t addr, uint32_t size)
{
	if (c->probing)
		return;   /* probe_fault_address re-runs one instruction */
	/* a run that stopped (STOP_EVENT) at a watched block's start resumes at that block: its
	 * start is noted already. The first block of every run comes here (need_check). */
	uint64_t noted = c->start_noted;
	c->start_noted = UINT64_MAX;
	c->blk = &no_block;
	/* the first block after a debugger stopped in the middle of a block (debug.c) */
	int resumed = c->dbg && core_debug_resumed(c, addr);
	if (c->blk_end) {
		block_end(c);
		if (c->stop == STOP_EVENT)
			return;  /* after its record (an mret): the next run services this boundary */
	}
	if (core_signal_flag) {
		core_stop(c, STOP_SIGNAL);   /* at this boundary: the block does not run */
		return;
	}
	if (c->halt_req) {
		c->halt_req = 0;
		core_stop(c, STOP_HALT);     /* the same */
		return;
	}
	if (c->dbg && core_debug_boundary(c))
		return;                      /* a step done, a watchpoint hit: the same */
	if (c->ticks >= c->deadline && c->ticks < c->due)
		set_poll_deadline(c);        /* only the poll was due */
	if (!resumed && (c->ticks >= c->due || c->need_check || c->recheck_masked)) {
		c->pc_redirected = 0;
		service(c, addr);
		if (c->pc_redirected && c->dbg)
			core_debug_redirected(c);
		if (c->stop || c->pc_redirected)
			return;  /* this block does not run now */
	}
	struct icount_entry *e = block_info(c, addr, size);
	if ((e->start & BLOCK_START_LOOP) && core_on_loop(c, addr, size))
		return;  /* stuck: the loop does not run again */
	c->blk = resumed && c->dbg->lag ? core_debug_carry(c, e) : e;
	c->blk_end = e->end;
	if ((e->start & ~BLOCK_START_LOOP) && noted != addr) {
		block_start(c, e->start);
		if (c->stop == STOP_EVENT)
			c->start_noted = addr;   /* this block does not run now */
	}
}

/* The time base: called by Unicorn before every translation block runs. The previous block ran
 * to its end (else emulation left it through core_charge_partial): its instructions are charged
 * now. The common case, nothing due and the block known with no start or end work, is a leaf
 * that calls nothing and makes two stores (ticks and blk). Few stores matter more than few
 * instructions here: right after them come Unicorn's loads (its hook list, the CPU state, the
 * next block's guest data), and with three stores (the earlier ticks, blk, blk_end) the demo's
 * thread loop ran 11% slower in a fixed layout, and at 575-800 Mticks/s by engine
 * (docs/architecture.md "Speed"). */
static void hook_block(uc_engine *uc, uint64_t addr, uint32_t size, void *ud)
{
	struct core *c = ud;
	(void)uc;
	uint64_t t = c->ticks + c->blk->count;
	c->ticks = t;
	const struct icount_entry *e = &c->icache[(addr >> 1) & (ICOUNT_CACHE - 1)];
	/* (no end work: blk_end stays BLOCK_END_NONE, as attn == 0 says it is) */
	if (__builtin_expect(e->fast == icount_key(addr, size) && t < c->deadline && !c->attn, 1)) {
		c->blk = e;              /* (its entry stays put until the next block is decoded) */
		return;
	}
	hook_block_slow(c, addr, size);
}

static void hook_intr(uc_engine *uc, uint32_t intno, void *ud)
{
	struct core *c = ud;
	(void)uc;
	if (!c->probing)
		c->arch->intr(c, intno);
}

static bool hook_invalid(uc_engine *uc, uc_mem_type type, uint64_t addr, int size, int64_t value,
			 void *ud)
{
	struct core *c = ud;
	(void)uc, (void)type, (void)size, (void)value;
	c->mem_fault_addr = addr;
	c->mem_fault_seen = 1;
	return false;
}

/* emu_start failed with a data access fault at `pc`: which address did the access use? Only a
 * UC_HOOK_MEM_INVALID hook is told, and the mere presence of one sends every guest load and
 * store through Unicorn's slow path (measured: a store loop 660 -> 41 MIPS), so none is kept.
 * Instead the faulting instruction runs once more, alone, with the hook added for just that:
 * it faults again at the same access (nothing of it retired, and emulation is deterministic),
 * and the hook records the address. While the probe runs the core's own hooks stand aside
 * (`probing`). An instruction that made some accesses before the one that faulted (LDM/STM,
 * an AMO's read) makes them again: the same values to the same RAM; device registers with
 * read side effects are the one visible difference, and such an instruction is a firmware bug
 * that faults anyway. */
static void probe_fault_address(struct core *c, uint64_t pc)
{
	uc_hook h;
	c->mem_fault_seen = 0;
	if (uc_hook_add(c->uc, &h, UC_HOOK_MEM_INVALID, (void *)hook_invalid, c, 1, 0) != UC_ERR_OK)
		return;
	c->probing = 1;
	uc_emu_start(c->uc, pc | c->arch->pc_bits, NO_UNTIL, 0, 1);
	c->probing = 0;
	uc_hook_del(c->uc, h);
	c->blk = &no_block;
	c->blk_end = BLOCK_END_NONE;
	uint32_t v = (uint32_t)pc;   /* where the fault left it (Thumb: the bit is not part of PC) */
	uc_reg_write(c->uc, c->arch->reg_pc, &v);
}

static int is_data_fault(uc_err err)
{
	return err == UC_ERR_READ_UNMAPPED || err == UC_ERR_WRITE_UNMAPPED ||
	       err == UC_ERR_READ_PROT || err == UC_ERR_WRITE_PROT;
}

/* handler_table_handle(table, idx) is about to run (its first block starts): records which
 * slot the firmware dispatches and whether a handler was there when it looked (on one core
 * nothing else writes the slot between this instruction and the function's acquire load,
 * unless an interrupt preempts in between, which the trace then shows). The table layout is
 * handlertable's: { size_t len; slot *slots; } with 32-bit words on both targets. */
static void on_dispatch(struct core *c)
{
	uint32_t table = 0, idx = 0, sp = 0, len = 0, slots = 0, slot = 0;
	int want_sp = c->arch->reg_sp && det_stack_on(c);   /* the stack detector (detect.c) */
	uc_reg_read(c->uc, c->arch->reg_arg0, &table);
	uc_reg_read(c->uc, c->arch->reg_arg1, &idx);
	if (want_sp)
		uc_reg_read(c->uc, c->arch->reg_sp, &sp);
	if (!core_read32(c, table, &len) && !core_read32(c, table + 4, &slots) && idx < len)
		core_read32(c, slots + 4ull * idx, &slot);
	int line = c->arch->current_line(c);
	det_dispatch(c, line >= 0 ? (uint32_t)line : NO_LINE, idx, table, slot, want_sp ? sp : ~0ull);
	core_emit_line(c, c->ticks, EV_DISPATCH, (uint16_t)idx, slot != 0,
		       line >= 0 ? (uint32_t)line : NO_LINE, NO_TICK);
}

/* A block starting at a watched function. */
static void block_start(struct core *c, int start)
{
	if (start & BLOCK_START_DISPATCH)
		on_dispatch(c);
	if (start & (BLOCK_START_REGISTER | BLOCK_START_UNREGISTER)) {
		/* handler_table_register / unregister: the table changes */
		uint32_t idx = 0;
		uc_reg_read(c->uc, c->arch->reg_arg1, &idx);
		core_trace(c, EV_TABLE, (uint16_t)idx, (start & BLOCK_START_REGISTER) != 0);
	}
}

/* For bench/storm.py: the cheapest possible block hook, to show the floor that any
 * block-hook time base costs on top of bare Unicorn: Unicorn's call and return, nothing else
 * (not even a store: see hook_block on what a store costs here). */
static void hook_block_empty(uc_engine *uc, uint64_t addr, uint32_t size, void *ud)
{
	(void)uc, (void)addr, (void)size, (void)ud;
}

int core_bench_empty_block_hook(uintptr_t uc)
{
	uc_hook h;
	return uc_hook_add((uc_engine *)uc, &h, UC_HOOK_BLOCK, (void *)hook_block_empty, NULL, 1,
			   0) == UC_ERR_OK ? 0 : -1;
}

/* ---- public API (api.h) ------------------------------------------------------------------ */

struct core *core_new(uintptr_t uc, uint32_t clock_hz)
{
	if (clock_hz < CORE_CLOCK_HZ_MIN || clock_hz > CORE_CLOCK_HZ_MAX)
		return NULL;
	struct core *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->uc = (uc_engine *)uc;
	c->clock_hz = clock_hz;
	c->console_limit = CORE_CONSOLE_LIMIT_DEFAULT;
	c->handler_since = UINT64_MAX;
	c->loop_ok = NO_LOOP;
	c->wait_pc = NO_LOOP;
	c->blk = &no_block;
	c->deadline = 0;
	c->due = 0;
	c->start_noted = UINT64_MAX;
	c->stop_tick = UINT64_MAX;
	c->trace_enabled = 1;
	c->trace_cap = 1 << 16;
	c->trace = malloc(c->trace_cap * sizeof(*c->trace));
	icache_clear(c);
	if (!c->trace || det_init(c))
		goto fail;
	if (uc_hook_add(c->uc, &c->h_block, UC_HOOK_BLOCK, (void *)hook_block, c, 1, 0) ||
	    uc_hook_add(c->uc, &c->h_intr, UC_HOOK_INTR, (void *)hook_intr, c, 1, 0) ||
	    core_tlb_init(c))
		goto fail;
	return c;
fail:
	det_free(c);
	free(c->trace);
	free(c);
	return NULL;
}

void core_free(struct core *c)
{
	if (!c)
		return;
	/* The Unicorn engine belongs to Python and is closed there, after this. */
	uc_hook_del(c->uc, c->h_block);
	uc_hook_del(c->uc, c->h_intr);
	uc_hook_del(c->uc, c->h_tlb);
	for (int i = 0; i < c->nregions; i++) {
		munmap(c->regions[i].host, c->regions[i].size);
		free(c->regions[i].executed);
	}
	free(c->heap);
	free(c->trace);
	free(c->console);
	core_semihost_free(c);
	storm_free(c);
	core_debug_free(c);
	core_free_devices(c);
	det_free(c);
	if (c->arch && c->arch->release)
		c->arch->release(c);
	free(c->cpu);
	free(c);
}

/* Watches calls of handler_table_handle at fn_addr (0: none). A function's first instruction
 * starts a translation block (it is reached by a call or a jump), so the block hook sees the
 * call: no code hook, which would cost a walk of Unicorn's code-hook list and an exit-request
 * check at every hooked instruction. */
int core_set_dispatch(struct core *c, uint64_t fn_addr)
{
	c->dispatch_addr = fn_addr & ~1ull;
	icache_clear(c);
	return 0;
}

int core_set_table_hooks(struct core *c, uint64_t register_addr, uint64_t unregister_addr)
{
	c->table_register_addr = register_addr & ~1ull;
	c->table_unregister_addr = unregister_addr & ~1ull;
	icache_clear(c);
	return 0;
}

int core_set_trace(struct core *c, int enabled, size_t cap)
{
	if (cap > CORE_TRACE_CAP_MAX)
		return -2;
	if (cap < 4 * TRACE_SLACK)
		cap = 4 * TRACE_SLACK;
	if (cap != c->trace_cap) {
		struct trace_rec *p = realloc(c->trace, cap * sizeof(*p));
		if (!p)
			return -1;
		c->trace = p;
		c->trace_cap = cap;
		if (c->trace_len > cap)
			c->trace_len = cap;
	}
	c->trace_enabled = enabled;
	return 0;
}

size_t core_trace_take(struct core *c, struct trace_rec *out, size_t max)
{
	size_t n = c->trace_len < max ? c->trace_len : max;
	memcpy(out, c->trace, n * sizeof(*out));
	memmove(c->trace, c->trace + n, (c->trace_len - n) * sizeof(*out));
	c->trace_len -= n;
	return n;
}

void core_set_runaway(struct core *c, uint64_t limit)
{
	c->runaway_limit = limit;
}

void core_set_stop_on(struct core *c, uint32_t kinds)
{
	c->stop_on = kinds & ((1u << EV_RECORDED_END) - 1);
}

uint64_t core_ticks(struct core *c)
{
	return c->ticks + (c->dbg ? c->dbg->lag : 0);
}

int core_exit_code(struct core *c)
{
	return c->exit_code;
}

void core_loop_info(struct core *c, uint64_t *start, uint64_t *end)
{
	*start = c->loop_start;
	*end = c->loop_end;
}

void core_fault_info(struct core *c, uint64_t *pc, uint64_t *addr, uint32_t *cause)
{
	*pc = c->fault_pc;
	*addr = c->fault_addr;
	*cause = c->fault_cause;
}


static uint64_t read_pc(struct core *c)
{
	uint32_t pc = 0;
	uc_reg_read(c->uc, c->arch->reg_pc, &pc);
	return pc;
}

/* An idle wait (WFI) ended emu_start: skip time to the next event that can wake the core.
 * A wait the tick budget ends goes on in the next core_run (if PC is still there): a run split
 * into budgets behaves as one. */
static int idle(struct core *c, uint64_t pc)
{
	if (c->arch->wakeable(c))
		return 0;
	uint64_t next = core_next_event_tick(c);
	if (next == UINT64_MAX)
		return STOP_IDLE;
	if (next >= c->stop_tick) {
		c->ticks = c->stop_tick;
		c->wait_pc = pc;
		return STOP_TICKS;
	}
	if (next > c->ticks)
		c->ticks = next;
	return 0;
}

int core_set_arch(struct core *c, const struct arch_ops *ops, void *state)
{
	if (c->arch)
		return -1;
	c->arch = ops;
	c->cpu = state;
	return 0;
}

static int run(struct core *c, uint64_t max_ticks, uint64_t until);

int core_run(struct core *c, uint64_t max_ticks, uint64_t until)
{
	if (c->locked_up)
		return c->stop = STOP_LOCKUP;
	if (!c->arch)
		return c->stop = STOP_ERROR;
	struct saved_signals saved;
	core_catch_signals(&saved);
	int r = run(c, max_ticks, until);
	if (core_restore_signals(&saved, r == STOP_SIGNAL, r == STOP_TICKS || r == STOP_TRACE_FULL))
		r = c->stop = STOP_SIGNAL;   /* (a signal as a chunk ended: the run stops there) */
	if (r == STOP_LOCKUP)
		c->locked_up = 1;
	return r;
}

static int run(struct core *c, uint64_t max_ticks, uint64_t until)
{
	c->stop = STOP_NONE;
	if (c->pending_stop) {   /* a device ended the run from Python (core_end_run) */
		c->stop = c->pending_stop;
		c->pending_stop = 0;
		return c->stop;
	}
	c->stop_tick = UINT64_MAX - c->ticks > max_ticks ? c->ticks + max_ticks : UINT64_MAX;
	c->until = until;
	c->loop_ok = NO_LOOP;   /* Python may have changed what can wake the core */
	c->need_check = 1;
	core_update_deadline(c);
	if (c->wait_pc != NO_LOOP) {
		/* the last run ended in an idle wait: it goes on where the core still waits */
		uint64_t pc = read_pc(c), at = c->wait_pc;
		c->wait_pc = NO_LOOP;
		int r = pc == at ? idle(c, pc) : 0;   /* (idle sets wait_pc again at the budget) */
		if (r)
			return c->stop = r;
	}
	for (;;) {
		if (core_signal_flag)
			return c->stop = STOP_SIGNAL;
		if (c->halt_req) {
			c->halt_req = 0;
			return c->stop = STOP_HALT;
		}
		if (c->ticks >= c->stop_tick)
			return c->stop = STOP_TICKS;
		if (c->trace_enabled && c->trace_len + TRACE_SLACK >= c->trace_cap)
			return c->stop = STOP_TRACE_FULL;
		uint64_t pc = read_pc(c);
		if (until && pc == until)
			return c->stop = STOP_UNTIL;
		c->blk = &no_block;
		c->blk_end = BLOCK_END_NONE;
		c->mem_fault_seen = 0;
		if (c->arch->run_start)
			c->arch->run_start(c);
		uint64_t start = pc | c->arch->pc_bits;
		uc_err err = uc_emu_start(c->uc, start, until ? until : NO_UNTIL, 0, 0);
		/* The model stopped emulation at an instruction it finishes itself (RISC-V: an MMIO
		 * store that made an interrupt takeable, a read of mip; Cortex-M: an unprivileged
		 * access to the SCS). */
		int resumed = err == UC_ERR_OK && c->arch->resume(c);
		if (c->ending) {         /* a device ended the run; the access has retired */
			if (c->ending == STOP_EXIT)
				core_trace(c, EV_EXIT, 0, (uint32_t)c->exit_code);
			c->ending = 0;
		}
		if (c->stop) {
			if (c->stop >= STOP_BREAK && c->stop <= STOP_HALT)
				core_debug_stopped(c, read_pc(c));
			if (c->stop == STOP_TRACE_FULL) {
				c->stop = STOP_NONE;
				return STOP_TRACE_FULL;
			}
			return c->stop;
		}
		if (resumed) {
			c->need_check = 1;
			core_update_deadline(c);
			continue;
		}
		pc = read_pc(c);
		if (err != UC_ERR_OK) {
			core_charge_partial(c, pc);
			if (is_data_fault(err))
				probe_fault_address(c, pc);
			if (c->arch->fault(c, err, pc) < 0)
				return c->stop ? c->stop : (c->stop = STOP_ERROR);
			continue;
		}
		/* Returned on its own: the block ran to its end (WFI ends a block), or `until`. */
		core_charge_partial(c, pc);
		if (until && pc == until)
			return c->stop = STOP_UNTIL;
		int r = idle(c, pc);
		if (r)
			return c->stop = r;
		c->need_check = 1;
		core_update_deadline(c);
	}
}

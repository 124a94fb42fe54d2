/* The native core of irqsim: time, scheduled line events, the event stream (trace and
 * accounting), memory, the console and the run loop. It knows no architecture: a CPU model
 * reaches it through its ops table (arch.h), interrupt controllers through their line sets
 * (arch.h), board devices through dev/dev.h. Python (sim/machine.py) sets a core up, schedules
 * line events and reads results in bulk; everything that happens per interrupt happens here.
 *
 * Time is counted in ticks: instructions retired. A translation-block hook charges each block's
 * instruction count when the next block starts, so at every block boundary `ticks` is exact.
 * Interrupts are recognised at block boundaries: the boundary at or after the tick a line event
 * is scheduled for, and, for a pend the firmware makes itself, the next boundary (which is no
 * later than the next context-synchronising instruction, since ISB, CPS, MSR and exception
 * returns all end a block).
 *
 * Events: controllers, devices and the core report what happens through core_emit(), which
 * records it in the trace (kinds below EV_RECORDED_END) and shows it to the storm accounting
 * (storm/acct.c), which observes and is called from nowhere else.
 */
#ifndef SIM_NATIVE_CORE_H_
#define SIM_NATIVE_CORE_H_

#include <stddef.h>
#include <stdint.h>

#include <unicorn/unicorn.h>

#include "api.h"
#include "arch.h"

struct sched_ev {
	uint64_t tick;
	uint64_t seq;    /* order of scheduling: ties at one tick keep their order */
	uint32_t line;
	uint32_t kind;
};

struct region {
	uint64_t base, size;
	uint8_t *host;
	uint32_t perms;          /* UC_PROT_* as the board maps it */
	uint64_t *executed;      /* a bit per TLB_GRAIN bytes: code was fetched there (tlb.c) */
};

#define CORE_MAX_REGIONS 8
#define CORE_MAX_DEVICES 16
#define ICOUNT_CACHE 1024
#define NO_LINE 0xFFFFFFFFu
#define NO_LOOP UINT64_MAX      /* loop_ok, wait_pc: none */
#define SH_MAX_FILES 32          /* semihosting handles open at once (1..31) */
#define GUEST_NOTE_MAX 192

/* One event. `line` and `req` are for the accounting: the controller line it concerns
 * (NO_LINE for none) and the tick of the line request behind it (NO_TICK for none). */
struct event {
	uint64_t tick;
	uint16_t kind, num;
	uint32_t arg;
	uint32_t line;
	uint64_t req;
};

/* What the block hook needs to know about a translation block, decoded once per block:
 * its instruction count, what its last instruction asks of the model once the block has run
 * (arch block_end), and whether it starts at a watched function. */
struct icount_entry {
	uint64_t addr;
	uint64_t fast;           /* the block hook's one compare: icount_key(addr, size) for a
				  * block with no start or end work, else NO_FAST_KEY */
	uint32_t size, count;
	uint8_t end;             /* the architecture's block-end code, BLOCK_END_NONE for none */
	uint8_t start;           /* BLOCK_START_* */
};

/* A guest address is 32 bits and a block's size below 2^31: no key is all ones. */
#define NO_FAST_KEY UINT64_MAX
static inline uint64_t icount_key(uint64_t addr, uint32_t size)
{
	return addr | (uint64_t)size << 32;
}

/* Block starts watched for the trace and the accounting (a function's first instruction
 * always starts a translation block: it is reached by a call or a jump). */
#define BLOCK_START_DISPATCH   1   /* handler_table_handle */
#define BLOCK_START_REGISTER   2   /* handler_table_register */
#define BLOCK_START_UNREGISTER 4   /* handler_table_unregister */
#define BLOCK_START_LOOP       8   /* a branch to itself (arch self_loop): is the core stuck? */

struct storm;
struct device;
struct detect;

/* What a debugger set (debug.c): breakpoints as one-address code hooks, watchpoints as memory
 * hooks plus an every-instruction hook that stops after the access, stepping. */
struct debug {
	uint64_t bp[CORE_MAX_BREAKPOINTS];
	uc_hook bp_hook[CORE_MAX_BREAKPOINTS];
	int nbp;
	struct { uint64_t addr; uint32_t len; int kind; } wp[CORE_MAX_WATCHPOINTS];
	int nwp;
	uc_hook h_mem, h_insn;   /* installed while watchpoints are set or a step runs */
	int hooked;
	int stepping, step_seen; /* core_step: the instruction started */
	int watch_hit;           /* an access hit: stop before the next instruction */
	uint64_t watch_addr;
	int watch_kind;
	uint64_t skip_bp;        /* the breakpoint the debugger stopped at: run its instruction */
	int resume_skip;         /* stopped by a code hook after the block hook ran at resume_pc */
	uint64_t resume_pc;
	/* Ticks are exact at block boundaries, and what happens inside a block is stamped with
	 * the tick of its start. A debugger stop inside a block keeps that convention: the
	 * instructions of the block that retired before the stop are `lag`, charged with the
	 * rest of the block (the first block of the next run, `carry`). core_ticks adds it. */
	uint64_t lag;
	struct icount_entry carry;
	uint64_t carry_lag;      /* the lag carry.count holds beyond its own instructions */
};

struct core {
	uc_engine *uc;
	const struct arch_ops *arch;
	void *cpu;               /* the architecture's state */

	/* time */
	uint64_t ticks;          /* instructions retired before the current block */
	const struct icount_entry *blk;  /* the current block (its icache entry, or none), charged
					  * when the next one starts */
	uint64_t deadline;       /* the next boundary the block hook must look at: `due`, or
				  * sooner, CORE_POLL_TICKS after the last look (signals) */
	uint64_t due;            /* earliest tick at which service() has work */
	uint64_t stop_tick;      /* end of the current core_run budget */
	uint64_t runaway_limit;  /* ticks a handler may run before STOP_RUNAWAY (0 = off) */
	uint32_t stop_on;        /* record kinds (bit 1 << kind) that end core_run: STOP_EVENT */
	uint64_t start_noted;    /* a watched block whose start was recorded when STOP_EVENT
				  * stopped the run before it ran (UINT64_MAX: none) */
	uint64_t handler_since;  /* tick at which the core left thread mode */
	/* What the next block boundary must see to (any byte non-zero: the block hook tests the
	 * word `attn` at once) */
	union {
		struct {
			uint8_t need_check;     /* controller state changed: arbitrate */
			uint8_t recheck_masked; /* a pending exception waits on a mask: every block */
			uint8_t blk_end;        /* block-end code of the current block, done when it
						 * completes */
			uint8_t probing;        /* probe_fault_address is re-running one
						 * instruction: the core's hooks stand aside */
		};
		uint32_t attn;
	};

	/* scheduled line events: a binary min-heap on (tick, seq) */
	struct sched_ev *heap;
	size_t heap_len, heap_cap;
	uint64_t heap_seq;

	/* trace */
	struct trace_rec *trace;
	size_t trace_len, trace_cap;
	int trace_enabled;

	/* console output, drained by Python */
	char *console;
	size_t console_len, console_cap;
	uint64_t console_total, console_limit;   /* bytes ever written; the most kept */

	/* run state */
	int stop;                /* enum core_stop, set by hooks */
	int locked_up;           /* STOP_LOCKUP was returned: every later run returns it again */
	int exit_code;
	int ending;              /* a device ends the run (core_end_run): its stop reason */
	int pending_stop;        /* ... from Python, between runs: the next core_run returns it */
	uint64_t until;          /* stop when a block starts here (0 = none) */
	uint64_t fault_pc, fault_addr;
	uint32_t fault_cause;
	uint64_t loop_start, loop_end;  /* the loop of a STOP_STUCK */
	uint64_t loop_ok;        /* a loop found leavable since the last service(), or NO_LOOP */
	uint64_t wait_pc;        /* the idle wait the last run's budget ended in, or NO_LOOP */
	uint64_t mem_fault_addr; /* address of the last data access fault (probe_fault_address) */
	int mem_fault_seen;
	uint32_t clock_hz;       /* ticks per simulated second (semihosting clocks) */
	int pc_redirected;       /* service() moved PC: the block it was called for does not run */
	int in_api;              /* a device access from Python (core_mmio), not from the guest */
	int drain_asap;          /* core_request_drain: pause at the next block boundary */
	uint64_t guest_errors;
	char guest_note[GUEST_NOTE_MAX];   /* what the last noted guest error was about */
	struct semihost *sh;     /* semihosting state (semihost.c), NULL until first used */

	struct region regions[CORE_MAX_REGIONS];
	int nregions;
	struct icount_entry icache[ICOUNT_CACHE];

	uc_hook h_block, h_intr, h_tlb;
	uint64_t dispatch_addr, table_register_addr, table_unregister_addr;  /* 0 = not watched */

	struct line_set lines[CORE_MAX_LINE_SETS];   /* interrupt controllers' inputs */
	int nline_sets;
	struct device *devs[CORE_MAX_DEVICES];
	int ndevs;
	struct device *timed[CORE_MAX_DEVICES];  /* those with a deadline (a timer), in order */
	int ntimed;

	struct storm *storm;     /* sources and accounting (storm/), NULL until storm_init */
	struct debug *dbg;       /* breakpoints, watchpoints, stepping (debug.c), NULL until used */
	volatile int halt_req;   /* core_halt: stop at the next block boundary (STOP_HALT) */
	uint64_t handler_ticks;  /* ticks spent in handler mode, up to the last return */
	struct detect *det;      /* the mistake detectors (detect.c), always there */
};

/* ---- events (core.c) ---------------------------------------------------------------------- */

void acct_observe(struct core *c, const struct event *e);   /* storm/acct.c */
/* detect.c: the mistake detectors (docs/mistakes.md). det_observe sees the events det_wants
 * (core_emit is inlined with a constant kind at nearly every site, so the test folds away);
 * the rest is reported to it directly. */
void det_observe(struct core *c, const struct event *e);
int det_init(struct core *c);
void det_free(struct core *c);
/* a one-address code hook at addr calling `callback` (a uc_cb_hookcode_t with c): 0, or -2 */
int det_code_hook(struct core *c, uint64_t addr, void *callback);
/* The first member of the detectors' state: the stack window det_stack_check looks at (the
 * stack's end known: span > 0). */
struct det_window {
	uint64_t lo, span;
};
/* the stack pointer at an exception entry (the frame) or a table dispatch came into the window */
void det_stack(struct core *c, uint64_t sp);
/* handler_table_handle(table, idx) for `line` found `slot` (0: empty); SP then `sp` (read only
 * when det_stack_on) */
void det_dispatch(struct core *c, uint32_t line, uint32_t idx, uint32_t table, uint32_t slot,
		  uint64_t sp);
/* 1 when det_enabled wants the vector of each line enabled (default handlers are known) */
int det_wants_vectors(struct core *c);
void det_enabled(struct core *c, uint32_t line, uint64_t vector);
/* a priority field (reg a PRIO_NOTE_* or 0, at `addr`) written `written`, kept `kept` */
void det_prio(struct core *c, uint32_t line, uint32_t reg, uint32_t addr, uint32_t written,
	      uint32_t kept);
/* an MSR to BASEPRI at pc: BASEPRI was `old`, becomes `value` */
void det_mask_write(struct core *c, uint32_t pc, uint32_t old, uint32_t value);

/* debug.c: the run's first block after a debugger stop in the middle of a block: 1 when the
 * block hook must not service it (the boundary exists only because the run stopped there) */
int core_debug_resumed(struct core *c, uint64_t addr);
/* debug.c: emulation stopped with c->stop a debugger stop at pc: charge what retired */
void core_debug_stopped(struct core *c, uint64_t pc);
/* debug.c: the resumed first block `e` with the lag added (core_debug_resumed was 1) */
const struct icount_entry *core_debug_carry(struct core *c, const struct icount_entry *e);
/* core.c: instructions in [addr, pc) of the code there */
uint32_t core_insns_between(struct core *c, uint64_t addr, uint64_t pc);
int core_debug_boundary(struct core *c); /* a step or watchpoint stop at this boundary */
void core_debug_redirected(struct core *c);  /* service moved PC to a handler */
void core_debug_free(struct core *c);
void core_stop(struct core *c, int reason);

/* The events the mistake detectors look at: a handler's start and return, and a pend by a
 * level still high (no request behind it). */
static inline int det_wants(const struct event *e)
{
	return e->kind == EV_SERVICE || e->kind == EV_SERVED ||
	       (e->kind == EV_PEND && (e->arg == PEND_LEVEL || e->arg == PEND_DEVICE) &&
		e->req == NO_TICK);
}

static inline int det_stack_on(struct core *c)
{
	return ((const struct det_window *)(const void *)c->det)->span != 0;
}

static inline void det_stack_check(struct core *c, uint64_t sp)
{
	const struct det_window *w = (const void *)c->det;
	if (sp - w->lo < w->span)
		det_stack(c, sp);
}

/* Reports event `e`: into the trace if it is a record kind, and to the accounting if it
 * concerns a line. The one way anything reports what happened. */
static inline void core_emit(struct core *c, const struct event *e)
{
	/* core_run stops with STOP_TRACE_FULL before the buffer can fill; the slack absorbs
	 * the records of one boundary. Dropping a record here would be a bug. */
	if (e->kind < EV_RECORDED_END && c->trace_enabled && c->trace_len < c->trace_cap)
		c->trace[c->trace_len++] = (struct trace_rec){e->tick, e->kind, e->num, e->arg};
	if (c->stop_on && e->kind < EV_RECORDED_END && (c->stop_on >> e->kind & 1))
		core_stop(c, STOP_EVENT);   /* the model finishes its step; core_run then returns */
	if (e->line != NO_LINE && c->storm)
		acct_observe(c, e);
	if (det_wants(e))
		det_observe(c, e);
}

/* An event about line `line` (NO_LINE: none) and the request at `req` (NO_TICK: none). */
static inline void core_emit_line(struct core *c, uint64_t tick, uint16_t kind, uint16_t num,
				  uint32_t arg, uint32_t line, uint64_t req)
{
	struct event e = {tick, kind, num, arg, line, req};
	core_emit(c, &e);
}

/* A trace record of something no line's accounting cares about, at `tick` / now. */
static inline void core_trace_at(struct core *c, uint64_t tick, uint16_t kind, uint16_t num,
				 uint32_t arg)
{
	core_emit_line(c, tick, kind, num, arg, NO_LINE, NO_TICK);
}

static inline void core_trace(struct core *c, uint16_t kind, uint16_t num, uint32_t arg)
{
	core_trace_at(c, c->ticks, kind, num, arg);
}

/* ---- the rest of the core (core.c) ---------------------------------------------------------- */

/* sched.c: the earliest scheduled line event, taken off the heap (heap_len > 0) */
struct sched_ev core_heap_pop(struct core *c);

void core_console_putc(struct core *c, char ch);
uint8_t *core_host_ptr(struct core *c, uint64_t addr, uint32_t len);
/* The RAM/flash region holding all of [addr, addr + len), or NULL. */
const struct region *core_region_of(struct core *c, uint64_t addr, uint32_t len);
int core_read32(struct core *c, uint64_t addr, uint32_t *v);
int core_write32(struct core *c, uint64_t addr, uint32_t v);
void core_update_deadline(struct core *c);
void core_guest_error(struct core *c, uint64_t addr);
/* A guest error with a note saying what was wrong (printf format), for Python to log. */
void core_guest_note(struct core *c, uint64_t addr, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void core_charge_partial(struct core *c, uint64_t pc);
uint64_t core_next_event_tick(struct core *c);
/* stuck.c: 1 when a line event for `line` is scheduled or a storm source may request it. */
int core_line_may_come(struct core *c, uint32_t line);
/* stuck.c: the block at addr is a branch to itself: 1 when it stopped the run (STOP_STUCK). */
int core_on_loop(struct core *c, uint64_t addr, uint32_t size);
void core_enter_handler_mode(struct core *c);
void core_leave_handler_mode(struct core *c);
/* A line event made at `tick` (<= now): recorded, then handed to the controller of the line. */
void core_request(struct core *c, uint64_t tick, uint32_t line, uint32_t kind);
/* Something Python should report soon (a guest note): the run pauses at the next block
 * boundary, as for a full trace (STOP_TRACE_FULL), so that Machine.run drains, logs and goes
 * on; the trace is the same as without the pause. */
static inline void core_request_drain(struct core *c)
{
	c->drain_asap = 1;
	c->need_check = 1;   /* service() at the next boundary */
}
/* A device's interrupt output: to the controller that takes device outputs. */
void core_irq(struct core *c, int irq, int level);
/* A device ends the run as a firmware exit with `code` (STOP_EXIT, EV_EXIT recorded), as a
 * semihosting exit does: a test finisher. From a guest store, the store retires first (the
 * architecture's stop_after_access) and the exit is recorded at the tick after it; from
 * Python (core_mmio, between runs), the exit is recorded now and the next core_run returns
 * STOP_EXIT at once. */
void core_exit(struct core *c, int code);
/* The same with another stop reason (STOP_RESET) and no EV_EXIT. */
void core_end_run(struct core *c, int reason);
/* After a device register write that may have changed an interrupt input (dev/dev.h). */
void core_device_written(struct core *c);
/* A level line lowered by the firmware (an acknowledge register): the controller's own
 * lines only, not recorded as a request. */
void core_lower_line(struct core *c, uint32_t line);
/* Brings the devices' own timers up to now (those whose deadline has passed); the earliest
 * tick at which one has its next event. */
void core_advance_devices(struct core *c);
uint64_t core_devices_deadline(struct core *c);
void core_free_devices(struct core *c);

/* signals.c: SIGINT and SIGTERM while core_run runs (api.h, core_signal_taken). The handler
 * sets core_signal_flag; the block hook's slow path and the run loop stop at it. */
#include <signal.h>
extern volatile sig_atomic_t core_signal_flag;
struct saved_signals {
	struct sigaction sa_int, sa_term;
	int have_int, have_term;
};
/* Clears the flag and installs the handler for both signals (not where they are ignored). */
void core_catch_signals(struct saved_signals *s);
/* Puts the previous handlers back, then looks at the flag. `stopped`: the run ended with
 * STOP_SIGNAL; `can_stop`: it ended at a chunk's end (STOP_TICKS, STOP_TRACE_FULL), where a
 * signal that came as it ended stops it instead. Returns the signal that stopped the run (what
 * core_signal_taken reports), or 0; a signal after any other end is raised again to the
 * previous handlers. */
int core_restore_signals(const struct saved_signals *s, int stopped, int can_stop);

/* tlb.c: the fast store path (Unicorn's virtual TLB, filled here) */
int core_tlb_init(struct core *c);
int core_tlb_region(struct region *r);
/* The words of r->executed. */
size_t core_tlb_marks(const struct region *r);

/* core.c: after a restore, the decoded-block cache and the current block are forgotten. */
void core_forget_blocks(struct core *c);

/* semihost.c: one semihosting call (op, parameter block at arg); 1 when it ends the run (exit),
 * else 0; *ret is the value for r0/a0. */
int core_semihost(struct core *c, uint32_t op, uint32_t arg, uint32_t *ret);
void core_semihost_free(struct core *c);
/* Snapshots (snapshot.c): the semihosting state; restore 0, or -1 (r->err set: short). */
struct snap_w;
struct snap_r;
void core_semihost_save(struct core *c, struct snap_w *w);
int core_semihost_restore(struct core *c, struct snap_r *r);
void det_save(struct core *c, struct snap_w *w);        /* detect.c: the detectors' state */
int det_restore(struct core *c, struct snap_r *r);

/* storm/sources.c: sources (no-ops while no storm is set up) */
uint64_t storm_next_tick(struct core *c);
void storm_deliver_one(struct core *c);
void storm_free(struct core *c);
/* 1 when a source of the storm may still request `line`. */
int storm_may_request(struct core *c, uint32_t line);

#endif /* SIM_NATIVE_CORE_H_ */

/* The native core's public surface: what sim/native/_build.py declares to cffi, and the one
 * definition of every number that crosses between C and Python (sim/codes.py builds its
 * tables from `lib`; tests/test_codes.py checks them). Plain C declarations only: cffi parses
 * this file, comments and preprocessor lines other than `#define NAME VALUE` removed. */
#ifndef SIM_NATIVE_API_H_
#define SIM_NATIVE_API_H_

#include <stddef.h>
#include <stdint.h>

/* Why core_run returned. */
enum core_stop {
	STOP_NONE = 0,
	STOP_TICKS = 1,       /* the tick budget ran out */
	STOP_UNTIL = 2,       /* PC reached the `until` address */
	STOP_EXIT = 3,        /* the firmware exited (semihosting, a test finisher) */
	STOP_IDLE = 4,        /* waiting for an interrupt that can never come */
	STOP_TRACE_FULL = 5,  /* the trace buffer needs draining; call core_run again */
	STOP_LOCKUP = 6,      /* a fault that cannot be handled (lockup / no trap vector) */
	STOP_RUNAWAY = 7,     /* a handler ran longer than the runaway limit */
	STOP_ERROR = 8,       /* the emulator failed in a way we cannot map to the architecture */
	STOP_RESET = 9,       /* the firmware asked for a machine reset (a test finisher) */
	STOP_STUCK = 10,      /* a loop nothing can ever leave (docs/semantics.md, "How a run
	                       * ends"): core_loop_info gives its address range */
	STOP_CONSOLE_FULL = 11,/* the console output reached its limit (core_set_console_limit) */
	STOP_SIGNAL = 12,     /* SIGINT or SIGTERM arrived during the run (core_signal_taken) */
	STOP_EVENT = 13,      /* a trace record of a kind asked for (core_set_stop_on) was made */
	STOP_BREAK = 14,      /* PC reached a breakpoint (core_set_breakpoint), not yet run */
	STOP_WATCH = 15,      /* an access hit a watchpoint (core_set_watchpoint): it retired */
	STOP_STEP = 16,       /* core_step ran one instruction, or took an exception entry */
	STOP_HALT = 17        /* core_halt asked the run to stop (another thread, a debugger) */
};

/* Watchpoint kinds (core_set_watchpoint), as GDB's Z2 / Z3 / Z4. */
#define WATCH_WRITE 1
#define WATCH_READ 2
#define WATCH_ACCESS 3
#define CORE_MAX_BREAKPOINTS 64
#define CORE_MAX_WATCHPOINTS 16

/* Limits of the core (README "Limits"). Every size the core allocates is bounded by one of
 * these, and every size computation is checked against them before it is made. */
#define CORE_CLOCK_HZ_MIN 100            /* ticks per simulated second: SYS_CLOCK counts */
#define CORE_CLOCK_HZ_MAX 4000000000     /* centiseconds (clock_hz / 100 must not be 0) */
#define CORE_TRACE_CAP_MAX 16777216      /* trace buffer records (16 B each: 256 MiB) */
#define CORE_CONSOLE_LIMIT_DEFAULT 67108864  /* console bytes a machine keeps (64 MiB) */
#define CORE_SCHED_MAX 16777216          /* line events scheduled and not yet delivered */
#define CORE_POLL_TICKS 1048576          /* the longest run between two looks at signals */
#define STORM_MAX_SOURCES 64             /* sources per machine (core_add_source) */
#define STORM_MAX_TARGETS 64             /* lines per source */
#define STORM_MAX_REPLAY 16777216        /* ticks of a replay source */

/* What core_add_source refuses (its negative results). */
enum source_error {
	SOURCE_ERR_FULL = -1,     /* no storm set up, STORM_MAX_SOURCES reached, or out of memory */
	SOURCE_ERR_LINES = -2,    /* no lines, more than STORM_MAX_TARGETS, or a line out of range */
	SOURCE_ERR_WEIGHTS = -3,  /* the weights are all zero */
	SOURCE_ERR_RATE = -4,     /* a poisson rate <= 0 or a periodic period of 0 */
	SOURCE_ERR_REPLAY = -5    /* more than STORM_MAX_REPLAY replay ticks */
};

/* Events. Those below EV_RECORDED_END are trace records (sim/trace.py names them: the enum
 * name, lower case, '_' as '-'); `num` is the exception number (Cortex-M) or cause / source
 * (RISC-V): see the numbering comments of armv7m/exc.c and rv32/hart.c. The rest are seen by
 * the accounting only (storm/acct.c) and never recorded. */
enum core_event {
	EV_REQUEST = 1,        /* a line event arrived: num = line, arg = LINE_* kind */
	EV_PEND = 2,           /* the request made the interrupt pending: arg = PEND_* source */
	EV_COALESCE = 3,       /* it arrived while already pending: merged */
	EV_ENTRY = 4,          /* exception entered from thread mode: arg = return address */
	EV_PREEMPT = 5,        /* exception entered over a running handler: arg = preempted num */
	EV_TAIL_CHAIN = 6,     /* exception entered at another's return: arg = the one returning */
	EV_RETURN = 7,         /* exception returned: arg = the num (0 = thread) returned to */
	EV_DISPATCH = 8,       /* handler_table_handle called: num = index, arg = 1 handler, 0 empty */
	EV_LOWER = 9,          /* a level line was lowered: num = line */
	EV_FAULT = 10,         /* a fault was taken: num = fault exception, arg = faulting address */
	EV_GUEST_ERROR = 11,   /* the firmware did something the model rejects: arg = address */
	EV_EXIT = 12,          /* the firmware exited (semihosting, a finisher): arg = exit code */
	EV_CLAIM = 13,         /* PLIC claim: num = source (0 = none), arg = context */
	EV_COMPLETE = 14,      /* PLIC complete: num = source, arg = context */
	EV_EXEC_PRIORITY = 15, /* execution priority changed: Cortex-M arg = priority + 256 (256:
	                        * thread, NMI -2, HardFault -1); RISC-V arg = 0 outside a trap,
	                        * else 1 + num */
	EV_TABLE = 16,         /* handler_table_register (arg 1) / unregister (arg 0): num = index */
	EV_UNPEND = 17,        /* the firmware cleared a pending state: num as for EV_PEND */
	EV_RECORDED_END = 18,
	/* accounting only */
	EV_HOLD = 64,          /* a request held in a gateway while its source is claimed */
	EV_WITHDRAW = 65,      /* a held or pending request withdrawn without a record (lowered) */
	EV_SERVICE = 66,       /* a request's handler starts: arg = 0 from thread, 1 preempting,
	                        * 2 tail-chained; tick = when it started */
	EV_SERVED = 67         /* the handler serving `line` returned */
};

/* Kinds of line events (core_schedule). */
enum line_kind { LINE_RAISE = 1, LINE_LOWER = 2, LINE_PULSE = 3 };

/* What made an interrupt pending (EV_PEND / EV_COALESCE arg). */
enum pend_source {
	PEND_LINE = 0,         /* a line event (an edge, or a level raised) */
	PEND_LEVEL = 1,        /* a level input still high (re-pended at return or completion) */
	PEND_SOFTWARE = 2,     /* the firmware (or Python through a register) */
	PEND_TIMER = 3,        /* a timer (SysTick, mtime >= mtimecmp) */
	PEND_DEVICE = 4        /* a board device's interrupt output */
};

/* Fault causes reported by core_fault_info (FirmwareError messages, sim/codes.py). */
enum fault_cause {
	FAULT_BUS_DATA = 1,       /* data access to unmapped or protected memory */
	FAULT_BUS_FETCH = 2,      /* instruction fetch from unmapped memory */
	FAULT_UNDEF = 3,          /* undefined instruction */
	FAULT_STACKING = 4,       /* exception frame pushed to or popped from unmapped memory */
	FAULT_BAD_VECTOR = 5,     /* vector table entry unreadable or not a Thumb address */
	FAULT_EXC_RETURN = 6,     /* illegal EXC_RETURN */
	FAULT_BKPT = 7,           /* breakpoint with no debugger */
	FAULT_SVC_PRIORITY = 8,   /* SVC executed where SVCall cannot preempt */
	FAULT_EMULATOR = 9,       /* an emulator error with no architectural meaning */
	FAULT_NO_TRAP_VECTOR = 10,/* RISC-V: trap with mtvec unusable */
	FAULT_TRAP_LOOP = 11,     /* RISC-V: trap taken at the trap vector itself, repeatedly */
	FAULT_MISALIGNED = 13,    /* misaligned access */
	FAULT_INVSTATE = 14,      /* Cortex-M: execution with EPSR.T = 0 */
	FAULT_STACK_LIMIT = 15,   /* ARMv8-M: the stack went below MSPLIM/PSPLIM (STKOF) */
	FAULT_SECURITY = 16,      /* ARMv8-M: a change to the Non-secure state (not modelled) */
	FAULT_NOCP = 17           /* Cortex-M: an FP instruction with no FPU or that CPACR denies */
};

/* Numbering of trace records (the `num` field) */
#define ARMV7M_EXC_IRQ0 16    /* Cortex-M: external line n is exception 16 + n */
#define RV32_NUM_EXCEPTION 0x100 /* RISC-V: a synchronous trap's num is 0x100 + its code */
#define RV32_NUM_LOCAL 0x8000 /* RISC-V: pend of a hart-local interrupt: 0x8000 | its code */
#define ARMV7M_SCS_BASE 0xE000E000  /* Cortex-M: the System Control Space (NVIC, SCB, SysTick) */
#define ARMV7M_SCS_SIZE 0x1000      /* ... the core maps it: no board memory may overlap it */
/* Special line numbers */
#define LINE_NMI 0xFFFF       /* Cortex-M: the NMI input */
#define LINE_MSIP 0xFFFE      /* RISC-V: the CLINT's MSIP bit of hart 0, as a schedulable line */

/* Storm sources (storm/sources.c) */
#define SRC_ONCE 1
#define SRC_PERIODIC 2
#define SRC_POISSON 3
#define SRC_BURST 4
#define SRC_REPLAY 5
#define HIST_BUCKETS 3840     /* latency histogram: exact below 256 ticks, then 64 per octave */
#define NO_TICK 0xFFFFFFFFFFFFFFFF  /* a tick field that holds none */

struct storm_spec {
	int kind;                 /* SRC_* */
	uint32_t trigger;         /* LINE_PULSE (edge) or LINE_RAISE (level) */
	uint64_t start;           /* first possible tick */
	uint64_t stop;            /* no requests at or after this tick (0 = never stops) */
	uint64_t period, phase, jitter;   /* periodic: tick start+phase+k*period, +-jitter */
	double rate_per_tick;     /* poisson: mean requests per tick */
	uint32_t burst;           /* burst: requests per burst ... */
	uint64_t spacing, gap;    /* ... spaced by `spacing`, next burst `gap` after the last */
	uint64_t hold;            /* level: ticks the line stays high (0 = until acknowledged) */
	uint64_t seed;
	uint32_t nlines;          /* target lines, chosen by integer weights */
	size_t nreplay;           /* replay: request ticks, ascending */
};

/* Per-line outcome accounting. */
struct line_acct {
	uint64_t requests, handled, unhandled, coalesced, cleared, lowered, entries;
	uint64_t preempting, tailchained, max_entry_latency, max_return_latency;
	uint64_t pend_req;        /* tick of the request holding the pending state, or NO_TICK */
	uint64_t svc_req;         /* tick of the request whose handler is running, or NO_TICK */
	uint32_t svc_dispatched, pad;
};

/* ARMv7-M counters (armv7m_counters) */
struct nvic_counters {
	uint64_t taken, preemptions, tail_chains, max_depth;
	uint64_t min_frame_sp;    /* lowest exception frame stacked on MSP */
	uint64_t active;          /* IPSR: the running exception, 0 = thread */
	uint64_t prigroup, vtor;
};

/* The first priority write whose low bits the core dropped (armv7m_prio_note): the NVIC keeps
 * `bits` implemented bits (the board's prio_bits) and reads the rest as zero. */
struct prio_note {
	uint32_t reg;             /* PRIO_NOTE_*: the register written */
	uint32_t addr;            /* the byte address of the priority field (0 for BASEPRI) */
	uint32_t exc;             /* the exception whose priority it is (0 for BASEPRI) */
	uint32_t written, read_back;   /* the byte written, what the model keeps of it */
	uint32_t bits;            /* implemented priority bits */
	uint64_t tick;            /* when */
};
#define PRIO_NOTE_IPR 1       /* NVIC_IPRn (B3.4.9): n = (exc - 16) / 4 */
#define PRIO_NOTE_SHPR 2      /* SHPRn (B3.2.10-12): n = (exc - 4) / 4 + 1 */
#define PRIO_NOTE_BASEPRI 3   /* BASEPRI, written by MSR: seen when the model reads it */

/* Mistake detectors (detect.c; docs/mistakes.md): what each found, one record per kind and
 * line, read in bulk with core_mistakes. */
enum mistake_kind {
	MISTAKE_LEVEL_STUCK = 1,  /* a level source its handler never clears: re-entered back to back
	                           * DET_REENTRIES times with the level still asserted */
	MISTAKE_BASEPRI_ZERO = 2, /* BASEPRI written 0 (while 0) to mask, an interrupt taken inside,
	                           * then 0 written again at another site (Cortex-M) */
	MISTAKE_PRIO_BITS = 3,    /* a priority written in bits the controller does not implement */
	MISTAKE_STACK_END = 4,    /* the stack came within DET_STACK_MARGIN bytes of its end */
	MISTAKE_NO_VECTOR = 5,    /* an interrupt enabled whose vector is the default handler */
	MISTAKE_EMPTY_SLOT = 6    /* an interrupt taken whose handler table slot was empty */
};
#define DET_REENTRIES 32          /* level re-entries in a row that make MISTAKE_LEVEL_STUCK */
#define DET_STACK_MARGIN 256      /* bytes above the stack's end at which MISTAKE_STACK_END fires */
#define DET_MAX_RECORDS 64        /* records kept (core_mistakes counts the rest) */
#define DET_MAX_ACTIVE 8          /* active handlers a MISTAKE_STACK_END record lists */
#define DET_NO_LINE 0xFFFF        /* an active[] entry's line for a handler of no line */

struct mistake {
	uint32_t kind;            /* MISTAKE_* */
	uint32_t line;            /* the line it is about, 0xFFFFFFFF for none */
	uint64_t tick, last;      /* the first and the last evidence */
	uint64_t count;           /* times seen (re-entry runs, takes, writes) */
	uint32_t addr;            /* LEVEL_STUCK, EMPTY_SLOT: the handler table's slot value;
	                           * NO_VECTOR: the vector; BASEPRI_ZERO: the first MSR; PRIO_BITS:
	                           * the field's address; STACK_END: the deepest stack pointer */
	uint32_t addr2;           /* BASEPRI_ZERO: the second MSR; STACK_END: the stack's end;
	                           * EMPTY_SLOT: the handler table */
	uint32_t value, value2;   /* LEVEL_STUCK: the longest run; PRIO_BITS: written, kept;
	                           * BASEPRI_ZERO: the exception (trace num) taken; EMPTY_SLOT:
	                           * the slot index */
	uint64_t tick2;           /* BASEPRI_ZERO: when the interrupt was taken */
	uint32_t depth;           /* STACK_END: nesting depth; PRIO_BITS: the PRIO_NOTE_* register */
	uint32_t nactive;         /* STACK_END: active handlers, outermost first: ... */
	uint32_t active[DET_MAX_ACTIVE];   /* ... (exception or trap num << 16) | line */
};

/* RV32 hart counters (rv32_counters) */
struct hart_counters {
	uint64_t interrupts, exceptions, preemptions, max_depth;
	uint64_t depth;           /* traps taken and not yet returned from */
	uint64_t mrets;
	uint64_t hooked_sites;    /* reads of mip watched by a code hook */
	uint64_t mip;             /* MSIP, MTIP, MEIP as the CLINT and PLIC drive them */
};

/* An option of a device (core_add_device): a board file's [[devices]] key and its value. */
struct dev_opt {
	const char *key;
	uint64_t value;
};

struct core;
struct trace_rec { uint64_t tick; uint16_t kind; uint16_t num; uint32_t arg; };

/* ---- snapshots (snapshot.c) ------------------------------------------------------------- */

/* Why core_restore refused a snapshot: enum snapshot_error. */
enum snapshot_error {
	SNAP_ERR_NOMEM = -1,      /* out of memory */
	SNAP_ERR_ARCH = -2,       /* taken on another architecture or CPU model */
	SNAP_ERR_LAYOUT = -3,     /* another memory map, other devices or other storm lines */
	SNAP_ERR_ENGINE = -4,     /* Unicorn refused the CPU context */
	SNAP_ERR_CORRUPT = -5     /* the blob does not read back as it was written */
};

struct snapshot;
/* The whole state of core c between runs (docs/testing.md, "Snapshots"); NULL when out of
 * memory. Freed with core_snapshot_free; independent of c once taken. */
struct snapshot *core_snapshot(struct core *c);
/* Puts snapshot s into core c (the same core, or one of the same image and board): 0, or an
 * enum snapshot_error; the layout is checked before anything changes (SNAP_ERR_NOMEM and
 * SNAP_ERR_ENGINE may leave c halfway: restore a good snapshot again). */
int core_restore(struct core *c, const struct snapshot *s);
void core_snapshot_free(struct snapshot *s);
/* Bytes the snapshot holds (memory pages that are not zero, the models' state). */
size_t core_snapshot_size(const struct snapshot *s);

/* ---- the core (core.c) ------------------------------------------------------------------ */

/* A core on engine uc; NULL when out of memory or clock_hz is outside
 * CORE_CLOCK_HZ_MIN..CORE_CLOCK_HZ_MAX. */
struct core *core_new(uintptr_t uc, uint32_t clock_hz);
void core_free(struct core *c);
/* Maps [base, base + size) of host memory: 0, -1 more than 8 regions or out of memory, -2 an
 * empty range, one past the 32-bit address space, or one Unicorn refuses (an overlap). */
int core_map(struct core *c, uint64_t base, uint64_t size, int perms);
/* 0, or -1 when CORE_SCHED_MAX events wait already (or out of memory). */
int core_schedule(struct core *c, uint64_t tick, uint32_t line, uint32_t kind);
int core_schedule_many(struct core *c, const uint64_t *ticks, const uint32_t *lines,
		       const uint32_t *kinds, size_t n);
/* Runs at most max_ticks ticks: an enum core_stop. A core that locked up stays locked up:
 * every later call returns STOP_LOCKUP at once. */
int core_run(struct core *c, uint64_t max_ticks, uint64_t until);
/* 0, -1 out of memory, -2 cap above CORE_TRACE_CAP_MAX. */
int core_set_trace(struct core *c, int enabled, size_t cap);
/* The console keeps at most `bytes` bytes over the core's life (taken or not): the write that
 * would pass it stops the run with STOP_CONSOLE_FULL, and what passes it is dropped. */
void core_set_console_limit(struct core *c, uint64_t bytes);
uint64_t core_console_total(struct core *c);
/* The signal (SIGINT, SIGTERM) that stopped the last run with STOP_SIGNAL, 0 for none. While
 * core_run runs it handles both (unless ignored): the handler sets a flag that the run loop
 * polls at block boundaries (at most CORE_POLL_TICKS apart), and the previous handlers are
 * back when it returns (one that came as the run ended for another reason is raised again, to
 * them). */
int core_signal_taken(void);
size_t core_trace_take(struct core *c, struct trace_rec *out, size_t max);
size_t core_console_take(struct core *c, char *out, size_t max);
size_t core_console_len(struct core *c);
int core_set_dispatch(struct core *c, uint64_t fn_addr);
int core_set_table_hooks(struct core *c, uint64_t register_addr, uint64_t unregister_addr);
void core_set_runaway(struct core *c, uint64_t limit);
/* core_run ends with STOP_EVENT right after a trace record of a kind whose bit (1 << kind) is
 * set in `kinds` is made, once the model has finished what made it (an exception entry: the
 * frame stacked, PC at the vector); 0 turns it off. Only kinds below EV_RECORDED_END. */
void core_set_stop_on(struct core *c, uint32_t kinds);
uint64_t core_ticks(struct core *c);

/* ---- debugging (debug.c): what a debugger (sim/gdb) needs of the core --------------------- */

/* Stops every later run before the instruction at `addr` (STOP_BREAK), once it is reached;
 * `on` 0 removes it. 0, -1 the table is full (CORE_MAX_BREAKPOINTS), -2 out of memory. A run
 * that starts at a breakpoint runs that instruction first (the debugger steps off it). */
int core_set_breakpoint(struct core *c, uint64_t addr, int on);
/* Stops a run right after an instruction accessed [addr, addr + len) (kind WATCH_*):
 * STOP_WATCH, core_watch_info tells which. While any watchpoint is set, every access and
 * every instruction goes through a C hook (slow); with none, no hook is installed. */
int core_set_watchpoint(struct core *c, uint64_t addr, uint32_t len, int kind, int on);
/* The access of the last STOP_WATCH: its address and kind (WATCH_READ / WATCH_WRITE). */
void core_watch_info(struct core *c, uint64_t *addr, int *kind);
/* Runs exactly one instruction (one tick), or, when an exception is due at this boundary,
 * only its entry (PC at the handler's first instruction): STOP_STEP, or what else ended it
 * (an exit, a fault that locks up, ...). */
int core_step(struct core *c);
/* Asks a running core_run to stop at its next block boundary (STOP_HALT): safe from another
 * thread or a signal handler; a request made while no run runs ends the next one at once. */
void core_halt(struct core *c);
int core_exit_code(struct core *c);
/* The loop of a STOP_STUCK: [start, end) of its block. */
void core_loop_info(struct core *c, uint64_t *start, uint64_t *end);
void core_fault_info(struct core *c, uint64_t *pc, uint64_t *addr, uint32_t *cause);
uint64_t core_guest_errors(struct core *c);
void core_thread_ticks(struct core *c, uint64_t *thread, uint64_t *handler);
/* 1 when a request pending on `line` now is held off by a mask (disabled, priority, threshold,
 * the core's masks), 0 when it would be taken next, -1 for a line no controller has. */
int core_line_masked(struct core *c, uint32_t line);
/* Bytes [addr, addr + len) were written through the engine's API (Machine.mem_write): drops
 * the translations of code there, where code may have run (tlb.c). */
void core_code_written(struct core *c, uint64_t addr, uint64_t len);
/* For tests: 1 when code may have been fetched from the 4 KiB page holding addr (its stores
 * then take Unicorn's slow path) or addr is outside RAM, 0 when not. */
int core_code_page(struct core *c, uint64_t addr);
int core_bench_empty_block_hook(uintptr_t uc);
/* For bench/storm.py: the fast store path (tlb.c) on a bare engine; 0 or -1. */
int core_bench_fast_stores(uintptr_t uc);
/* The note of the last guest error that has one (then cleared); its length. */
size_t core_guest_note_take(struct core *c, char *out, size_t max);

/* ---- semihosting (semihost.c) ----------------------------------------------------------- */

/* Shares host directory `dir` with the guest's file operations: 0, or -errno. */
int core_semihost_root(struct core *c, const char *dir);
/* What GET_CMDLINE returns; 0, or -1 out of memory. */
int core_semihost_cmdline(struct core *c, const char *line);
/* What HEAPINFO returns. */
void core_semihost_heapinfo(struct core *c, uint32_t heap_base, uint32_t heap_limit,
			    uint32_t stack_base, uint32_t stack_limit);
/* Appends to the console input (`:tt` read, READC); 0, or -1 out of memory. */
int core_semihost_input(struct core *c, const char *data, size_t n);

/* ---- devices (dev/dev.c): a board file's [[devices]] entry each ------------------------- */

/* Instantiates device `kind` at `base`, driving controller input `irq` (-1: none), with the
 * entry's other integer options. The device index, or: -1 unknown kind, -2 bad options, -3
 * the address range is taken, -4 out of memory, -5 no interrupt controller for its irq. */
int core_add_device(struct core *c, const char *kind, uint64_t base, int irq,
		    const struct dev_opt *opts, int nopts);
/* A device register access from Python with the guest's semantics; *ok = -1 where no device
 * answers. */
uint32_t core_mmio(struct core *c, uint64_t addr, uint32_t size, uint32_t value, int write,
		   int *ok);

/* Console input: bytes for the receiver of the board's first device that takes console input
 * (a UART; on mps2-an385 the console UART0), which delivers them to the firmware at its line
 * rate. The number of bytes it took (fewer when its queue is full), or -1 when no device
 * takes console input. */
long core_console_input(struct core *c, const uint8_t *data, size_t n);

/* ---- storms (storm/) -------------------------------------------------------------------- */

int storm_init(struct core *c, uint32_t nlines);
int core_add_source(struct core *c, const struct storm_spec *spec, const uint32_t *lines,
		    const uint64_t *weights, const uint64_t *replay);
int core_storm_lines(struct core *c, struct line_acct *out, uint32_t n);
int core_storm_hist(struct core *c, uint32_t line, int which, uint64_t *out);
void core_storm_reset(struct core *c);
uint64_t core_storm_bucket_low(uint32_t b);

/* ---- mistake detectors (detect.c) ------------------------------------------------------- */

/* The records found so far, at most `max` into out; the number found (more than kept when
 * above DET_MAX_RECORDS). */
int core_mistakes(struct core *c, struct mistake *out, int max);
/* The stack's end (its lowest address) for MISTAKE_STACK_END; 0 turns the detector off. */
void core_set_stack_end(struct core *c, uint64_t end);
/* The handler table slot the last dispatch for `line` found (0: none seen, or empty). */
uint32_t core_det_handler(struct core *c, uint32_t line);
/* Up to 4 addresses of the image's default handler (MISTAKE_NO_VECTOR); 0 for none. */
void core_set_default_handlers(struct core *c, const uint64_t *addrs, int n);

/* ---- ARMv7-M (armv7m/): exception model, NVIC + SCB, SysTick ---------------------------- */

/* The M-profile core a board names (its `cpu` key): which exception model it has. Filled from
 * the CPU table of sim/arch/armv7m.py (ARMV7M_CPUS); armv7m_init copies it. */
struct m_profile {
	int version;        /* 6 ARMv6-M, 7 ARMv7-M, 8 ARMv8-M Mainline */
	int fpu;            /* 0 none, 1 single precision, 2 single and double precision */
	int vtor;           /* the SCB has VTOR (always on v7-M and v8-M; an option on v6-M) */
	int systick;        /* M_SYSTICK_*: whether SysTick is there, and its clocks */
};
#define M_SYSTICK_NONE 0       /* no SysTick (an option on v6-M: its registers are reserved) */
#define M_SYSTICK_ON 1         /* SysTick; both CLKSOURCE settings count (docs/semantics.md) */
#define M_SYSTICK_CPU_CLOCK 2  /* SysTick without a reference clock: it counts with CLKSOURCE
				* = 1 only (QEMU 7.2's microbit) */

/* Installs the architecture and its NVIC (num_irq lines, prio_bits priority bits) for core
 * profile p on core c; 0 on success. */
int armv7m_init(struct core *c, int num_irq, int prio_bits, const struct m_profile *p);
/* Reset (B1.5.5) with the vector table at `vtor` (0 on ARMv7-M; on ARMv8-M the board's Secure
 * VTOR reset value): 0, -1 when the vector table is not readable, -2 when the reset vector is
 * not a Thumb address (bit 0 clear). */
int armv7m_reset(struct core *c, uint32_t vtor);
void armv7m_state(struct core *c, uint8_t *prio, uint8_t *enabled, uint8_t *pending,
		  uint8_t *active, uint8_t *level, int n);
int armv7m_exec_priority(struct core *c);
void armv7m_set_costs(struct core *c, uint32_t entry, uint32_t tailchain, uint32_t ret);
void armv7m_counters(struct core *c, struct nvic_counters *out);
/* 1 and *out when a priority write has lost low bits (the first one since armv7m_init), else 0. */
int armv7m_prio_note(struct core *c, struct prio_note *out);
/* Watches the MSR BASEPRI / BASEPRI_MAX at `addr` (a one-address code hook, for
 * MISTAKE_BASEPRI_ZERO): 0, -1 not such an instruction, -2 the table is full or out of memory. */
int armv7m_watch_msr(struct core *c, uint64_t addr);
/* The FP context (cores with an FPU, armv7m/fpu.c): counters since armv7m_init and the
 * SCB's FP registers. */
struct fp_counters {
	uint64_t extended_frames;  /* exception entries that stacked an extended (FP) frame */
	uint64_t eager_saves;      /* ... of which wrote s0-s15 and FPSCR at entry (LSPEN = 0) */
	uint64_t lazy_saves;       /* lazy preservations: a handler's first FP instruction */
	uint64_t ticks;            /* ticks charged for FP stacking, unstacking and preservation */
	uint32_t cpacr, fpccr, fpcar, fpdscr;
};
void armv7m_fp_counters(struct core *c, struct fp_counters *out);
/* ARMv8-M: out = {MSPLIM, PSPLIM} of the Secure state as the firmware set them; 0, or -1 on a
 * core without stack limits. */
int armv7m_sp_limits(struct core *c, uint32_t *out);
/* The NOCP check's sites (armv7m/nocp.c): scans [addr, addr + size), code in memory, for FP
 * instructions; `cover` 1 for the image's code at load (the rest of executable memory is
 * checked at every instruction while CPACR denies), 0 for code written there later. The
 * number of sites in all (0 on a core without the FP extension), -1 not in memory, -2 out of
 * memory or too many spans. */
int armv7m_fp_scan(struct core *c, uint64_t addr, uint32_t size, int cover);
/* Extra ticks: an entry that stacks the FP registers (eager), a return that unstacks them, a
 * lazy preservation. */
void armv7m_set_fp_costs(struct core *c, uint32_t entry_eager, uint32_t return_fp, uint32_t lazy);
/* The fault status registers (B3.2.15-19): out = {CFSR, HFSR, MMFAR, BFAR}. */
void armv7m_fault_status(struct core *c, uint32_t *out);

/* ---- RISC-V RV32 (rv32/): machine-mode traps; its PLIC and CLINT are devices ------------ */

/* Installs the architecture (hart 0, machine mode) on core c; 0 on success. */
int rv32_init(struct core *c);
/* M-mode at `entry`, a0 = 0 (hart id), a1 = 0; mstatus, mie, mtvec 0. */
int rv32_reset(struct core *c, uint32_t entry);
/* Watches reads of mip in [addr, addr + size): the number of sites watched so far, or < 0. */
int rv32_scan(struct core *c, uint64_t addr, uint32_t size);
int rv32_hart_cache_check(struct core *c);
/* A machine CSR (a UC_RISCV_REG_* id) as M-mode reads it, whatever the hart's privilege; mip
 * with MSIP/MTIP/MEIP. */
uint32_t rv32_csr(struct core *c, int csr);
/* MSIP, MTIP and MEIP as the hart sees them in mip. */
uint32_t rv32_mip(struct core *c);
void rv32_counters(struct core *c, struct hart_counters *out);
/* The last trap taken or refused: mcause, mtval, and mtvec at that time. */
void rv32_trap_info(struct core *c, uint32_t *cause, uint32_t *tval, uint32_t *tvec);
/* For bench/storm.py (rv32/ceiling.c): the bare engine `uc` runs an interrupt path back to
 * back, trap entry at `vector` (mcause `cause`) as irqsim's from a C block hook, the page at
 * `page` MMIO that reads `claim`, and stops after `max_rounds` traps; 0 or -1.
 * rv32_bench_trap_rounds: interrupts taken so far. */
int rv32_bench_trap_path(uintptr_t uc, uint32_t vector, uint32_t cause, uint64_t page,
			 uint32_t claim, uint64_t max_rounds);
uint64_t rv32_bench_trap_rounds(void);

/* The PLIC device (dev/plic.c), by its device index. Per source 0..n-1: priority, pending,
 * enabled for ctx, claimed, input level (bit 0 line, bit 1 device). */
int plic_state(struct core *c, int dev, int ctx, uint8_t *prio, uint8_t *pending,
	       uint8_t *enabled, uint8_t *claimed, uint8_t *level, int n);
uint32_t plic_threshold(struct core *c, int dev, int ctx);

/* The CLINT device (dev/clint.c), by its device index. */
uint64_t clint_mtime(struct core *c, int dev);
void clint_set_mtime(struct core *c, int dev, uint64_t v);
uint64_t clint_mtimecmp(struct core *c, int dev);
void clint_set_mtimecmp(struct core *c, int dev, uint64_t v);
int clint_msip(struct core *c, int dev);
void clint_set_msip(struct core *c, int dev, int v);

#endif /* SIM_NATIVE_API_H_ */

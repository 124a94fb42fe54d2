/* The native core of irqsim: time, scheduled line events, the trace buffer, memory and the run
 * loop shared by both architectures, plus the per-architecture interrupt models (armv7m.c,
 * rv32.c). Python (sim/machine.py) sets a core up, schedules line events and reads results in
 * bulk; everything that happens per interrupt happens here.
 *
 * Time is counted in ticks: instructions retired. A translation-block hook charges each block's
 * instruction count when the next block starts, so at every block boundary `ticks` is exact.
 * Interrupts are recognised at block boundaries: the boundary at or after the tick a line event
 * is scheduled for, and, for a pend the firmware makes itself, the next boundary (which is no
 * later than the next context-synchronising instruction, since ISB, CPS, MSR and exception
 * returns all end a block).
 */
#ifndef SIM_NATIVE_CORE_H_
#define SIM_NATIVE_CORE_H_

#include <stddef.h>
#include <stdint.h>

#include <unicorn/unicorn.h>

#define CORE_ARCH_ARMV7M 1
#define CORE_ARCH_RV32   2

/* Why core_run returned. */
enum core_stop {
	STOP_NONE = 0,
	STOP_TICKS = 1,       /* the tick budget ran out */
	STOP_UNTIL = 2,       /* PC reached the `until` address */
	STOP_EXIT = 3,        /* the firmware exited through semihosting */
	STOP_IDLE = 4,        /* waiting for an interrupt that can never come */
	STOP_TRACE_FULL = 5,  /* the trace buffer needs draining; call core_run again */
	STOP_LOCKUP = 6,      /* a fault that cannot be handled (lockup / no trap vector) */
	STOP_RUNAWAY = 7,     /* a handler ran longer than the runaway limit */
	STOP_ERROR = 8,       /* the emulator failed in a way we cannot map to the architecture */
};

/* Trace record kinds. `num` is the exception number (Cortex-M) or cause / line (RISC-V). */
enum core_event {
	EV_REQUEST = 1,     /* a line event arrived: num = line, arg = LINE_* kind */
	EV_PEND = 2,        /* the request made the interrupt pending: num = exception */
	EV_COALESCE = 3,    /* it arrived while already pending: merged */
	EV_ENTRY = 4,       /* exception entered from thread mode: arg = stacked return address */
	EV_PREEMPT = 5,     /* exception entered over a running handler: arg = preempted exception */
	EV_TAILCHAIN = 6,   /* exception entered at another's return: arg = the one returning */
	EV_RETURN = 7,      /* exception returned: arg = exception (0 = thread) returned to */
	EV_DISPATCH = 8,    /* handler_table_handle called: num = index, arg = 1 handler, 0 empty */
	EV_LOWER = 9,       /* a level line was lowered: num = line */
	EV_FAULT = 10,      /* a fault was taken: num = fault exception, arg = faulting address */
	EV_GUEST_ERROR = 11,/* the firmware did something the model rejects: arg = address */
	EV_EXIT = 12,       /* semihosting exit: arg = exit code */
	EV_CLAIM = 13,      /* PLIC claim: num = source (0 = none), arg = context */
	EV_COMPLETE = 14,   /* PLIC complete: num = source, arg = context */
	EV_EXECPRI = 15,    /* execution priority from active exceptions changed: arg = prio+256
	                     * (Cortex-M: 256 = thread, 255..0 configurable, 254 NMI, 255 HardFault
	                     * encoded as -2/-1 + 256); RISC-V: arg = 0 not in a trap, else 1+cause */
	EV_TABLE = 16,      /* handler_table_register (arg 1) / unregister (arg 0) called: num = index */
	EV_UNPEND = 17,     /* the firmware cleared a pending state: num as for EV_PEND */
};

enum line_kind { LINE_RAISE = 1, LINE_LOWER = 2, LINE_PULSE = 3 };

struct trace_rec {
	uint64_t tick;
	uint16_t kind;
	uint16_t num;
	uint32_t arg;
};

struct sched_ev {
	uint64_t tick;
	uint64_t seq;    /* order of scheduling: ties at one tick keep their order */
	uint32_t line;
	uint32_t kind;
};

struct region {
	uint64_t base, size;
	uint8_t *host;
};

#define CORE_MAX_REGIONS 8
#define ICOUNT_CACHE 1024

/* What the block hook needs to know about a translation block, decoded once per block:
 * its instruction count, what its last instruction asks of the model once the block has run
 * (enum block_end, per architecture), and whether it starts at a watched function. */
struct icount_entry {
	uint64_t addr;
	uint32_t size, count;
	uint8_t end;             /* enum block_end */
	uint8_t start;           /* BLOCK_START_* */
};

/* Block starts watched for the trace and the accounting (a function's first instruction
 * always starts a translation block: it is reached by a call or a jump). */
#define BLOCK_START_DISPATCH   1   /* handler_table_handle */
#define BLOCK_START_REGISTER   2   /* handler_table_register */
#define BLOCK_START_UNREGISTER 4   /* handler_table_unregister */

/* The last instruction of a block, when the model must act once it has retired. On RISC-V
 * every CSR instruction, mret and sret ends its translation block (Unicorn 2.1.4, QEMU 5.0's
 * translator), so these are exactly the sites that a code hook would otherwise watch:
 * BLOCK_END_HART, a CSR write to mstatus or mie that may set bits, or an sret;
 * BLOCK_END_MRET, an mret; BLOCK_END_CLEAR, csrrc/csrrci on mstatus or mie;
 * BLOCK_END_CLEARI + uimm, `csrrci rd, mstatus, uimm` (known bits cleared). */
enum block_end { BLOCK_END_NONE, BLOCK_END_HART, BLOCK_END_MRET, BLOCK_END_CLEAR,
		 BLOCK_END_CLEARI = 32 };

struct armv7m;
struct rv32;
struct storm;

struct core {
	uc_engine *uc;
	int arch;

	/* time */
	uint64_t ticks;          /* instructions retired before the current block */
	const struct icount_entry *blk;  /* the current block (its icache entry, or none), charged
					  * when the next one starts */
	uint64_t deadline;       /* earliest tick at which service() has work */
	uint64_t stop_tick;      /* end of the current core_run budget */
	uint64_t runaway_limit;  /* ticks a handler may run before STOP_RUNAWAY (0 = off) */
	uint64_t handler_since;  /* tick at which the core left thread mode */
	/* What the next block boundary must see to (any byte non-zero: the block hook tests the
	 * word `attn` at once) */
	union {
		struct {
			uint8_t need_check;     /* controller state changed: arbitrate */
			uint8_t recheck_masked; /* a pending exception waits on a mask: every block */
			uint8_t blk_end;        /* enum block_end of the current block, done when it
						 * completes */
			uint8_t attn_spare;
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

	/* run state */
	int stop;                /* enum core_stop, set by hooks */
	int exit_code;
	uint64_t until;          /* stop when a block starts here (0 = none) */
	uint64_t fault_pc, fault_addr;
	uint32_t fault_cause;
	uint64_t mem_fault_addr; /* address of the last invalid access (UC_HOOK_MEM_INVALID) */
	int mem_fault_seen;
	uint32_t clock_hz;       /* ticks per simulated second (semihosting clocks) */
	int pc_redirected;       /* service() moved PC: the block it was called for does not run */
	uint64_t guest_errors;

	struct region regions[CORE_MAX_REGIONS];
	int nregions;
	struct icount_entry icache[ICOUNT_CACHE];

	uc_hook h_block, h_intr, h_inval;
	uint64_t dispatch_addr, table_register_addr, table_unregister_addr;  /* 0 = not watched */

	struct armv7m *arm;
	struct rv32 *rv;
	struct storm *storm;     /* sources and accounting (storm.c), NULL until storm_init */
	uint64_t req_tick;       /* tick of the request being delivered (for accounting) */
	uint64_t handler_ticks;  /* ticks spent in handler mode, up to the last return */
};

/* common (core.c) */
void core_trace(struct core *c, uint16_t kind, uint16_t num, uint32_t arg);
void core_trace_at(struct core *c, uint64_t tick, uint16_t kind, uint16_t num, uint32_t arg);
void core_console_putc(struct core *c, char ch);
uint8_t *core_host_ptr(struct core *c, uint64_t addr, uint32_t len);
int core_read32(struct core *c, uint64_t addr, uint32_t *v);
int core_write32(struct core *c, uint64_t addr, uint32_t v);
void core_update_deadline(struct core *c);
void core_guest_error(struct core *c, uint64_t addr);
void core_charge_partial(struct core *c, uint64_t pc);
void core_stop(struct core *c, int reason);
int core_semihost(struct core *c, uint32_t op, uint32_t arg, uint32_t *ret);
uint64_t core_next_event_tick(struct core *c);
void core_request(struct core *c, uint64_t tick, uint32_t line, uint32_t kind);
void core_enter_handler_mode(struct core *c);
void core_leave_handler_mode(struct core *c);

/* storm.c: sources and accounting (all no-ops while no storm is set up) */
uint64_t storm_next_tick(struct core *c);
int storm_deliver_one(struct core *c);
void storm_free(struct core *c);
void acct_request(struct core *c, uint32_t line);
void acct_pend(struct core *c, uint32_t line, uint64_t req_tick);
void acct_coalesce(struct core *c, uint32_t line);
void acct_enter(struct core *c, uint32_t line, int how);
void acct_dispatch(struct core *c, uint32_t line, int handled);
void acct_return(struct core *c, uint32_t line);
void acct_withdraw(struct core *c, uint32_t line, int by_firmware);
int armv7m_current_line(struct core *c);
int rv32_current_line(struct core *c);

/* per architecture */
void armv7m_service(struct core *c, uint64_t pc);
void armv7m_intr(struct core *c, uint32_t intno);
int armv7m_fault(struct core *c, uc_err err, uint64_t pc);
void armv7m_line(struct core *c, uint32_t line, uint32_t kind);
uint64_t armv7m_deadline(struct core *c);
int armv7m_wakeable(struct core *c);
uint32_t armv7m_count_insns(const uint8_t *p, uint32_t size);

void rv32_service(struct core *c, uint64_t pc);
void rv32_intr(struct core *c, uint32_t intno);
int rv32_fault(struct core *c, uc_err err, uint64_t pc);
void rv32_line(struct core *c, uint32_t line, uint32_t kind);
uint64_t rv32_deadline(struct core *c);
int rv32_wakeable(struct core *c);
uint32_t rv32_block_info(const uint8_t *p, uint32_t size, uint8_t *end);
void rv32_block_end(struct core *c, int end);
void rv32_run_start(struct core *c);
int rv32_resume(struct core *c);    /* core_run calls these when emu_start returns cleanly */
int armv7m_resume(struct core *c);
void rv32_release(struct core *c); /* RISC-V only: core_free calls it (Unicorn resources) */

#endif /* SIM_NATIVE_CORE_H_ */

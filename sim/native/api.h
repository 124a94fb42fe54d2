/* The native core's public surface: what sim/native/_build.py declares to cffi. Plain C
 * declarations only (cffi parses this file's API section). */
#ifndef SIM_NATIVE_API_H_
#define SIM_NATIVE_API_H_

#include <stddef.h>
#include <stdint.h>

/* Fault causes reported by core_fault_info (FirmwareError messages in sim/machine.py). */
#define FAULT_BUS_DATA 1      /* data access to unmapped or protected memory */
#define FAULT_BUS_FETCH 2     /* instruction fetch from unmapped memory */
#define FAULT_UNDEF 3         /* undefined instruction */
#define FAULT_STACKING 4      /* exception frame pushed to or popped from unmapped memory */
#define FAULT_BAD_VECTOR 5    /* vector table entry unreadable or not a Thumb address */
#define FAULT_EXC_RETURN 6    /* illegal EXC_RETURN */
#define FAULT_BKPT 7          /* breakpoint with no debugger */
#define FAULT_SVC_PRIORITY 8  /* SVC executed where SVCall cannot preempt */
#define FAULT_EMULATOR 9      /* an emulator error with no architectural meaning */
#define FAULT_NO_TRAP_VECTOR 10 /* RISC-V: trap with mtvec unusable */
#define FAULT_TRAP_LOOP 11    /* RISC-V: trap taken at the trap vector itself, repeatedly */
#define FAULT_ECALL 12
#define FAULT_MISALIGNED 13
#define FAULT_INVSTATE 14     /* Cortex-M: execution with EPSR.T = 0 */

/* Special line numbers */
#define LINE_NMI 0xFFFF       /* Cortex-M: the NMI input */

/* Storm sources (storm.c) */
#define SRC_ONCE 1
#define SRC_PERIODIC 2
#define SRC_POISSON 3
#define SRC_BURST 4
#define SRC_REPLAY 5
#define HIST_BUCKETS 3840     /* latency histogram: exact below 256 ticks, then 64 per octave */

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
	uint64_t pend_req;        /* tick of the request holding the pending state, or ~0 */
	uint64_t svc_req;         /* tick of the request whose handler is running, or ~0 */
	uint32_t svc_dispatched, pad;
};

struct core;
struct trace_rec;

struct core *core_new(uintptr_t uc, int arch, uint32_t clock_hz);
void core_free(struct core *c);
int core_map(struct core *c, uint64_t base, uint64_t size, int perms);
int core_schedule(struct core *c, uint64_t tick, uint32_t line, uint32_t kind);
int core_schedule_many(struct core *c, const uint64_t *ticks, const uint32_t *lines,
		       const uint32_t *kinds, size_t n);
int core_run(struct core *c, uint64_t max_ticks, uint64_t until);
int core_set_trace(struct core *c, int enabled, size_t cap);
size_t core_trace_take(struct core *c, struct trace_rec *out, size_t max);
size_t core_console_take(struct core *c, char *out, size_t max);
size_t core_console_len(struct core *c);
int core_set_dispatch(struct core *c, uint64_t fn_addr);
int core_set_table_hooks(struct core *c, uint64_t register_addr, uint64_t unregister_addr);
void core_set_runaway(struct core *c, uint64_t limit);
uint64_t core_ticks(struct core *c);
int core_exit_code(struct core *c);
void core_fault_info(struct core *c, uint64_t *pc, uint64_t *addr, uint32_t *cause);
uint64_t core_guest_errors(struct core *c);
void core_thread_ticks(struct core *c, uint64_t *thread, uint64_t *handler);
int core_bench_empty_block_hook(uintptr_t uc);

int storm_init(struct core *c, uint32_t nlines);
int core_add_source(struct core *c, const struct storm_spec *spec, const uint32_t *lines,
		    const uint64_t *weights, const uint64_t *replay);
int core_storm_lines(struct core *c, struct line_acct *out, uint32_t n);
int core_storm_hist(struct core *c, uint32_t line, int which, uint64_t *out);
void core_storm_reset(struct core *c);
uint64_t acct_bucket_low(uint32_t b);

int armv7m_init(struct core *c, int num_irq, int prio_bits);
int armv7m_reset(struct core *c);
void armv7m_state(struct core *c, uint8_t *prio, uint8_t *enabled, uint8_t *pending,
		  uint8_t *active, uint8_t *level, int n);
int armv7m_exec_priority(struct core *c);
void armv7m_set_ack(struct core *c, uint32_t addr);
int rv32_set_ack(struct core *c, uint32_t addr);
void armv7m_set_costs(struct core *c, uint32_t entry, uint32_t tailchain, uint32_t ret);
void armv7m_counters(struct core *c, uint64_t *out);

/* ---- RISC-V RV32 (rv32.c): machine-mode traps, CLINT, PLIC, NS16550A --------------------- */

#define LINE_MSIP 0xFFFE      /* RISC-V: the CLINT's MSIP bit of hart 0, as a schedulable line */

/* Sets the model up and maps the CLINT, PLIC and UART; mtime advances mtime_num / mtime_den
 * per tick. 0 on success. */
int rv32_init(struct core *c, int num_sources, int prio_bits, int contexts, uint32_t clint_base,
	      uint32_t plic_base, uint32_t uart_base, int uart_irq, uint32_t mtime_num,
	      uint32_t mtime_den);
/* M-mode at `entry`, a0 = 0 (hart id), a1 = 0; mstatus, mie, mtvec 0. */
int rv32_reset(struct core *c, uint32_t entry);
/* Hooks the CSR writes to mstatus/mie, reads of mip and mret in [addr, addr + size): the
 * number of sites hooked so far, or < 0. */
int rv32_scan(struct core *c, uint64_t addr, uint32_t size);
int rv32_hart_cache_check(struct core *c);
/* Per source 0..n-1: priority, pending, enabled for ctx, claimed, input level (bit 0 line,
 * bit 1 device). */
void rv32_plic_state(struct core *c, int ctx, uint8_t *prio, uint8_t *pending, uint8_t *enabled,
		     uint8_t *claimed, uint8_t *level, int n);
uint32_t rv32_plic_threshold(struct core *c, int ctx);
/* A device register access from Python with the guest's semantics; *ok = -1 if no device. */
uint32_t rv32_mmio(struct core *c, uint32_t addr, uint32_t size, uint32_t value, int write,
		   int *ok);
uint64_t rv32_mtime(struct core *c);
void rv32_set_mtime(struct core *c, uint64_t v);
uint64_t rv32_mtimecmp(struct core *c);
void rv32_set_mtimecmp(struct core *c, uint64_t v);
int rv32_msip(struct core *c);
void rv32_set_msip(struct core *c, int v);
/* MSIP, MTIP and MEIP as the hart sees them in mip. */
uint32_t rv32_mip(struct core *c);
/* A machine CSR (a UC_RISCV_REG_* id) as M-mode reads it, whatever the hart's privilege; mip
 * with MSIP/MTIP/MEIP. */
uint32_t rv32_csr(struct core *c, int csr);
/* interrupts, exceptions, preemptions, max depth, depth, mrets, hooked sites, mip */
void rv32_counters(struct core *c, uint64_t *out);
/* The last trap taken or refused: mcause, mtval, and mtvec at that time. */
void rv32_trap_info(struct core *c, uint32_t *cause, uint32_t *tval, uint32_t *tvec);

#endif /* SIM_NATIVE_API_H_ */

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

/* Special line numbers */
#define LINE_NMI 0xFFFF       /* Cortex-M: the NMI input */

struct core;
struct trace_rec;

struct core *core_new(uintptr_t uc, int arch, uint32_t clock_hz);
void core_free(struct core *c);
int core_map(struct core *c, uint64_t base, uint64_t size, int perms);
int core_schedule(struct core *c, uint64_t tick, uint32_t line, uint32_t kind);
int core_schedule_many(struct core *c, const uint64_t *ticks, const uint32_t *lines,
		       const uint32_t *kinds, size_t n);
size_t core_pending_events(struct core *c);
void core_clear_events(struct core *c);
int core_run(struct core *c, uint64_t max_ticks, uint64_t until);
int core_set_trace(struct core *c, int enabled, size_t cap);
size_t core_trace_take(struct core *c, struct trace_rec *out, size_t max);
size_t core_trace_len(struct core *c);
size_t core_console_take(struct core *c, char *out, size_t max);
size_t core_console_len(struct core *c);
int core_set_dispatch(struct core *c, uint64_t fn_addr);
int core_set_table_hooks(struct core *c, uint64_t register_addr, uint64_t unregister_addr);
void core_set_runaway(struct core *c, uint64_t limit);
uint64_t core_ticks(struct core *c);
int core_exit_code(struct core *c);
void core_fault_info(struct core *c, uint64_t *pc, uint64_t *addr, uint32_t *cause);
uint64_t core_guest_errors(struct core *c);

int armv7m_init(struct core *c, int num_irq, int prio_bits);
int armv7m_reset(struct core *c);
void armv7m_state(struct core *c, uint8_t *prio, uint8_t *enabled, uint8_t *pending,
		  uint8_t *active, uint8_t *level, int n);
int armv7m_exec_priority(struct core *c);
void armv7m_counters(struct core *c, uint64_t *out);

#endif /* SIM_NATIVE_API_H_ */

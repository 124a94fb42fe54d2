/* The demo application shared by both architectures.
 *
 * Table index = interrupt line number: external IRQ n on Cortex-M (exception 16 + n), PLIC
 * source n on RISC-V (plus the local timer and software interrupts at their own indices, see
 * riscv/demo_main.c). Handlers count into per-line arrays and append to a ring log; a line whose
 * table slot is empty counts as unhandled. Python reads and writes all of these by symbol. */
#ifndef FIRMWARE_DEMO_H_
#define FIRMWARE_DEMO_H_

#include <stdint.h>

#include "handler_table.h"

#define DEMO_NLINES  64
#define DEMO_LOG_LEN 64

struct demo_log_entry {
	uint32_t line;
	uint32_t seq;   /* running count of handled interrupts, 1-based */
};

extern struct handler_table irq_table;
extern volatile uint32_t handled_count[DEMO_NLINES];
extern volatile uint32_t unhandled_count[DEMO_NLINES];
extern volatile uint32_t handler_work[DEMO_NLINES];
extern volatile struct demo_log_entry irq_log[DEMO_LOG_LEN];
extern volatile uint32_t irq_log_head;
extern volatile uint32_t thread_progress;
extern volatile uint32_t demo_loops;
extern volatile uint32_t demo_toggle_line;
extern volatile uint32_t demo_toggle_period;
extern volatile uint32_t demo_ack_addr;

/* Calls the table for `line` from interrupt context; counts an empty slot as unhandled. */
void demo_dispatch(uint32_t line);
/* Registers the demo handler of `line`; false if the slot was taken. Thread context. */
int demo_register(uint32_t line);
/* Prints the per-line counters of lines [0, n). */
void demo_print_counts(uint32_t n);
/* The thread-mode loop: counts progress, toggles the handler of demo_toggle_line every
 * demo_toggle_period iterations (when set); returns after demo_loops iterations (0 = never). */
void demo_thread_loop(void);

/* The end of both demos' main(): prints the self-test's counts (lines [0, nlines)), runs the
 * thread loop, then prints the totals. */
void demo_finish_boot(uint32_t nlines);

#endif /* FIRMWARE_DEMO_H_ */

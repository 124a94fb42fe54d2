/* Board devices: one model per file in this folder, one instance per [[devices]] entry of a
 * board file (sim/machine.py calls core_add_device for each). A model maps its registers
 * through dev.c, which gives it the Unicorn MMIO callbacks, and reaches the rest of the board
 * through these calls only:
 *   core_irq(c, d->irq, level)   its interrupt output, to the controller input the board
 *                                wires it to (a PLIC source, an NVIC line)
 *   core_device_written(c)       after a register write that may have changed an interrupt
 *                                output: the architecture takes what became takeable
 *   core_update_deadline(c)      after a read that moved its deadline (a UART's receiver)
 *   core_exit / core_end_run     it ends the run (a test finisher), as a firmware exit
 *   core_emit / core_trace / core_guest_error / core_console_putc   events and console
 * An interrupt controller modelled as a device (the PLIC, the CLINT) drives the CPU's inputs
 * through the CPU's one input call (rv32/hart.h), never by writing its state.
 *
 * Adding a device: a new file here with its `struct device_model`, its name in `models[]` of
 * dev.c, and an entry in a board file (docs/architecture.md, "Add a device").
 */
#ifndef SIM_NATIVE_DEV_DEV_H_
#define SIM_NATIVE_DEV_DEV_H_

#include <stddef.h>
#include <stdint.h>

#include "../api.h"
#include "../core.h"
#include "../snapshot.h"

struct device;

struct device_model {
	const char *kind;        /* the board file's `kind` */
	/* Validates the options, allocates the state, sets d->size (bytes of registers from
	 * d->base); 0, or -2 for bad options, -4 out of memory. */
	int (*init)(struct device *d, const struct dev_opt *opts, int nopts);
	uint64_t (*read)(struct device *d, uint32_t off, unsigned size);
	void (*write)(struct device *d, uint32_t off, unsigned size, uint64_t value);
	/* the tick of its next own event (a timer reaching its compare value), or UINT64_MAX;
	 * NULL when it has none */
	uint64_t (*deadline)(struct device *d);
	/* time reached its deadline (or the CPU needs its inputs up to date) */
	void (*advance)(struct device *d);
	/* console input for its receiver (core_console_input): the bytes it took, which it
	 * delivers to the firmware in its own time, or -1 when this instance is not the console
	 * (core_console_input asks the next); NULL for a device that takes none */
	long (*input)(struct device *d, const uint8_t *data, size_t n);
	void (*free)(struct device *d);
	/* Snapshots (snapshot.c): a model whose state is plain data gives its size here, and
	 * dev_save copies d->state as is (configuration included: every instance of the same
	 * board entry has the same); one whose state holds pointers (a queue, its device) gives
	 * save and restore instead, which deep-copy and keep the instance's own pointers. A model
	 * with neither has no state (an ack register, a test finisher). */
	size_t state_size;
	void (*save)(struct device *d, struct snap_w *w);
	int (*restore)(struct device *d, struct snap_r *r);   /* 0, or -1 (short snapshot) */
};

struct device {
	const struct device_model *model;
	struct core *core;
	uint64_t base, size;
	int irq;                 /* the controller input its interrupt output drives, -1 none */
	int mapped;              /* its MMIO range is mapped in the engine */
	int untimed;             /* set by init: this instance never has a deadline (a UART that
				  * receives nothing), so the deadline loops skip it */
	void *state;
};

/* The value of option `key`, or `dflt` when the entry does not give it. */
uint64_t dev_opt(const struct dev_opt *opts, int nopts, const char *key, uint64_t dflt);
/* 1 when every option is one of the NULL-terminated `known` keys; else 0. */
int dev_opts_known(const struct dev_opt *opts, int nopts, const char *const *known);
/* The device with index `i` if it is of kind `model`, else NULL. */
struct device *dev_get(struct core *c, int i, const struct device_model *model);
/* The first device of kind `model`, or NULL. */
struct device *dev_find(struct core *c, const struct device_model *model);
/* Reads a 32-bit register file byte- or halfword-wise: the bytes of `read32(off & ~3)`. */
uint64_t dev_word_read(uint32_t (*read32)(struct device *, uint32_t), struct device *d,
		       uint32_t off, unsigned size);

/* Console input a UART has not received yet: a host-side queue, bytes [head, len) of buf. */
struct inq {
	uint8_t *buf;
	size_t head, len, cap;
};

static inline int inq_empty(const struct inq *q) { return q->head == q->len; }
static inline uint8_t inq_pop(struct inq *q) { return q->buf[q->head++]; }
/* Appends data[0, n): n, or 0 (took none) when out of memory. */
long inq_push(struct inq *q, const uint8_t *data, size_t n);
/* Snapshots: the bytes not yet received; inq_restore reads them back into `own` (this
 * instance's buffer) and makes *saved (the queue fields of the state read from the snapshot)
 * that queue: 0, or -1 (short snapshot, out of memory). */
void inq_save(const struct inq *q, struct snap_w *w);
int inq_restore(struct inq *own, struct inq *saved, struct snap_r *r);
/* A UART's snapshot ops and free op, for a model whose state is `size` bytes of plain data
 * but for its console input queue, the struct inq at byte `at` of it: the state as it is,
 * then the queued bytes (a deep copy); a restore keeps this instance's own buffer. */
void inq_dev_save(struct device *d, size_t size, size_t at, struct snap_w *w);
int inq_dev_restore(struct device *d, size_t size, size_t at, struct snap_r *r);
void inq_dev_free(struct device *d, size_t at);

/* A device's state into a snapshot, and back (its model's save/restore or state_size). */
void dev_save(struct device *d, struct snap_w *w);
int dev_restore(struct device *d, struct snap_r *r);

/* The CMSDK peripherals' ID registers (PID4..PID7, PID0..PID3, CID0..CID3 at 0xFD0-0xFFC, read
 * only), as QEMU gives them: all alike but PID0, the part number's low byte (`part`). */
#define CMSDK_ID_FIRST 0xFD0u
#define CMSDK_ID_LAST 0xFFCu
uint32_t cmsdk_id(uint32_t off, uint8_t part);

/* A down-counter as the CMSDK timers have it: it decrements once every `div` ticks (its
 * prescaler), reaches 0 at tick `zero`, holds 0 for one count and then reloads from the
 * model's reload value (0: it stops at 0). Stopped, it holds `value`. A model keeps one per
 * counter (countdown_init first) and gives `zero` as its deadline. */
struct countdown {
	uint64_t zero;           /* the tick it next reaches 0; UINT64_MAX while stopped */
	uint64_t from;           /* the tick the current count-down started */
	uint32_t value;          /* the count while stopped */
	uint32_t div;            /* ticks per count, >= 1 */
};

/* Stopped, holding `v`, counting once every `div` ticks when started. */
void countdown_init(struct countdown *k, uint32_t v, uint32_t div);
/* Stopped, holding `v`. */
void countdown_load(struct countdown *k, uint32_t v);
/* Starts counting down from the value held now (from 0: reloads after one count). */
void countdown_start(struct countdown *k, uint64_t now, uint32_t reload);
/* Stops, holding the count of now. */
void countdown_stop(struct countdown *k, uint64_t now, uint32_t reload);
/* Brings it up to `now`: how many times it reached 0 since it was last brought up to date. */
uint64_t countdown_advance(struct countdown *k, uint64_t now, uint32_t reload);
/* The count at `now` (brought up to date first). */
uint32_t countdown_value(const struct countdown *k, uint64_t now, uint32_t reload);
static inline int countdown_running(const struct countdown *k)
{
	return k->zero != UINT64_MAX;
}

extern const struct device_model dev_plic, dev_clint, dev_ns16550a, dev_cmsdk_uart, dev_cmsdk_timer,
	dev_cmsdk_dualtimer, dev_cmsdk_watchdog, dev_mps2_fpgaio, dev_mps2_scc, dev_ack,
	dev_sifive_test, dev_goldfish_rtc, dev_nrf51_uart, dev_nrf51_timer, dev_nrf51_clock,
	dev_nrf51_ficr, dev_nrf51_uicr, dev_unimplemented;

#endif /* SIM_NATIVE_DEV_DEV_H_ */

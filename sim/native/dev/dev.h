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
	 * delivers to the firmware in its own time; NULL for a device that takes none */
	long (*input)(struct device *d, const uint8_t *data, size_t n);
	void (*free)(struct device *d);
};

struct device {
	const struct device_model *model;
	struct core *core;
	uint64_t base, size;
	int irq;                 /* the controller input its interrupt output drives, -1 none */
	int mapped;              /* its MMIO range is mapped in the engine */
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

extern const struct device_model dev_plic, dev_clint, dev_ns16550a, dev_cmsdk_uart, dev_ack,
	dev_sifive_test, dev_goldfish_rtc, dev_unimplemented;

#endif /* SIM_NATIVE_DEV_DEV_H_ */

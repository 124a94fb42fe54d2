/* The MPS2 FPGA system control and I/O block (AN385 application note, "FPGA system control
 * and I/O"), as QEMU 7.2's hw/misc/mps2-fpgaio.c models it for mps2-an385, at 0x40028000: two
 * user LEDs, the user buttons, free-running 1 Hz and 100 Hz counters, and a prescaled cycle
 * counter. No interrupt.
 *
 * Registers (offsets): 0x00 LED0 (bits 1:0), 0x08 BUTTON (read only), 0x10 CLK1HZ, 0x14
 * CLK100HZ, 0x18 COUNTER, 0x1C PRESCALE, 0x20 PSCNTR, 0x4C MISC.
 *
 * Time: the counters count ticks at the board's clock_hz (QEMU: the prescaler runs at 25 MHz,
 * the AN385's clock). CLK1HZ and CLK100HZ count seconds and hundredths since reset (or since
 * the value written to them). PSCNTR counts down once a tick; one tick after it reaches 0 it
 * reloads from PRESCALE and COUNTER increments; with PRESCALE 0, COUNTER increments every tick.
 *
 * Choices:
 * - BUTTON: QEMU reads 0 (no buttons modelled). Here a write from Python (Machine.mmio_write,
 *   as a user pressing them) sets the button bits (1:0); a write from the firmware is a guest
 *   error, as for any read-only register.
 * - MISC reads as written (it controls other board devices; nothing is modelled), as QEMU.
 * - There is no SWITCH or DBGCTRL register on the AN385 (QEMU: AN505 only): guest errors.
 */
#include "dev.h"

#include <stdlib.h>

#define IO_LED0 0x00
#define IO_BUTTON 0x08
#define IO_CLK1HZ 0x10
#define IO_CLK100HZ 0x14
#define IO_COUNTER 0x18
#define IO_PRESCALE 0x1C
#define IO_PSCNTR 0x20
#define IO_MISC 0x4C

struct mps2_fpgaio {
	uint32_t led0, buttons, misc, prescale, pscntr, counter;
	uint64_t sync;               /* the tick PSCNTR and COUNTER were brought up to */
	uint64_t hz1_at, hz100_at;   /* the ticks CLK1HZ, CLK100HZ read 0 (may be "negative") */
};

/* PSCNTR and COUNTER brought up to now. */
static void io_sync(struct device *d)
{
	struct mps2_fpgaio *f = d->state;
	uint64_t n = d->core->ticks - f->sync;
	f->sync = d->core->ticks;
	if (n < f->pscntr) {
		f->pscntr -= (uint32_t)n;
	} else if (!f->prescale) {
		f->counter += (uint32_t)(n - f->pscntr);
		f->pscntr = 0;
	} else {
		/* after reaching 0 the count runs through PRESCALE + 1 values per increment */
		uint64_t past = n - f->pscntr + f->prescale, period = (uint64_t)f->prescale + 1;
		f->pscntr = f->prescale - (uint32_t)(past % period);
		f->counter += (uint32_t)(past / period);
	}
}

static uint32_t io_clock(struct device *d, uint64_t zero_at, uint32_t per_second)
{
	uint64_t hz = d->core->clock_hz ? d->core->clock_hz : 1;
	return (uint32_t)((d->core->ticks - zero_at) * per_second / hz);
}

static uint64_t io_zero_at(struct device *d, uint32_t v, uint32_t per_second)
{
	uint64_t hz = d->core->clock_hz ? d->core->clock_hz : 1;
	return d->core->ticks - (uint64_t)v * hz / per_second;
}

static uint32_t io_read32(struct device *d, uint32_t off)
{
	struct mps2_fpgaio *f = d->state;
	switch (off) {
	case IO_LED0: return f->led0;
	case IO_BUTTON: return f->buttons;
	case IO_CLK1HZ: return io_clock(d, f->hz1_at, 1);
	case IO_CLK100HZ: return io_clock(d, f->hz100_at, 100);
	case IO_COUNTER: io_sync(d); return f->counter;
	case IO_PRESCALE: return f->prescale;
	case IO_PSCNTR: io_sync(d); return f->pscntr;
	case IO_MISC: return f->misc;
	}
	core_guest_error(d->core, d->base + off);
	return 0;
}

static uint64_t io_read(struct device *d, uint32_t off, unsigned size)
{
	return dev_word_read(io_read32, d, off, size);
}

static void io_write(struct device *d, uint32_t off, unsigned size, uint64_t value)
{
	struct mps2_fpgaio *f = d->state;
	uint32_t v = (uint32_t)value;
	(void)size;
	switch (off) {
	case IO_LED0: f->led0 = v & 3; return;
	case IO_CLK1HZ: f->hz1_at = io_zero_at(d, v, 1); return;
	case IO_CLK100HZ: f->hz100_at = io_zero_at(d, v, 100); return;
	case IO_COUNTER: io_sync(d); f->counter = v; return;
	case IO_PRESCALE: io_sync(d); f->prescale = v; return;
	case IO_PSCNTR: io_sync(d); f->pscntr = v; return;
	case IO_MISC: f->misc = v; return;
	case IO_BUTTON:
		if (d->core->in_api) {   /* the user presses buttons (Machine.mmio_write) */
			f->buttons = v & 3;
			return;
		}
		break;
	}
	core_guest_error(d->core, d->base + off);
}

static int io_init(struct device *d, const struct dev_opt *opts, int nopts)
{
	static const char *const known[] = {NULL};
	if (!dev_opts_known(opts, nopts, known))
		return -2;
	struct mps2_fpgaio *f = calloc(1, sizeof(*f));
	if (!f)
		return -4;
	f->sync = f->hz1_at = f->hz100_at = d->core->ticks;
	d->state = f;
	d->size = 0x1000;
	return 0;
}

const struct device_model dev_mps2_fpgaio = {
	.kind = "mps2-fpgaio",
	.state_size = sizeof(struct mps2_fpgaio),   /* plain data (snapshots) */
	.init = io_init,
	.read = io_read,
	.write = io_write,
};

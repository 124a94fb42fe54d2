/* The CMSDK APB timer (Arm Cortex-M System Design Kit TRM, DDI 0479C, "APB timer"), as QEMU 7.2
 * models it (hw/timer/cmsdk-apb-timer.c): a 32-bit down-counter clocked by PCLK that reloads
 * from RELOAD and raises TIMERINT when it reaches zero with CTRL.IRQEN set. mps2-an385 has two,
 * at 0x40000000 (IRQ 8) and 0x40001000 (IRQ 9).
 *
 * Registers (offsets): 0x00 CTRL (EN bit 0, SELEXTEN 1, SELEXTCLK 2, IRQEN 3), 0x04 VALUE,
 * 0x08 RELOAD, 0x0C INTSTATUS/INTCLEAR (bit 0, write one to clear), 0xFD0-0xFFC the ID
 * registers (read-only: PID4..7, PID0..3, CID0..3 as QEMU gives them).
 *
 * Time: one tick (the board's clock_hz) is one PCLK cycle. QEMU's `-icount shift=0` runs its
 * 25 MHz PCLK against 1 ns per instruction, so there the counter moves once every 40
 * instructions; guest tests compared with QEMU do not depend on that ratio (docs/devices.md).
 *
 * Where the TRM is silent, QEMU's reading, which we follow:
 * - the interrupt comes on the 1 -> 0 transition; the counter holds 0 for one cycle and then
 *   reloads, so a running timer interrupts every RELOAD + 1 cycles; with RELOAD = 0 it stops at
 *   zero (no further 1 -> 0 transition).
 * - INTSTATUS is set only when IRQEN is set at the transition; TIMERINT is INTSTATUS (a level:
 *   it stays high until the handler writes INTCLEAR).
 * - a write to RELOAD also loads VALUE; a write to VALUE restarts the count from it.
 * - EXTIN (SELEXTEN, SELEXTCLK) is not modelled: setting either bit is a guest error (QEMU logs
 *   it as unimplemented); the bits read back as written.
 * Other offsets, and writes to the ID registers, are guest errors.
 */
#include "dev.h"

#include <stdlib.h>

#define TIMER_CTRL 0x00
#define TIMER_VALUE 0x04
#define TIMER_RELOAD 0x08
#define TIMER_INTSTATUS 0x0C
#define TIMER_PART 0x22   /* PID0: the APB timer */
#define CTRL_EN 0x1
#define CTRL_EXTIN 0x6
#define CTRL_IRQEN 0x8

struct cmsdk_timer {
	uint32_t ctrl, reload, intstatus;
	struct countdown cnt;
};

/* The counter reached zero (once or more) since it was last brought up to date. */
static void timer_advance(struct device *d)
{
	struct cmsdk_timer *t = d->state;
	if (countdown_advance(&t->cnt, d->core->ticks, t->reload) && (t->ctrl & CTRL_IRQEN) &&
	    !t->intstatus) {
		t->intstatus = 1;
		core_irq(d->core, d->irq, 1);
	}
}

static uint32_t timer_read32(struct device *d, uint32_t off)
{
	struct cmsdk_timer *t = d->state;
	timer_advance(d);
	switch (off) {
	case TIMER_CTRL: return t->ctrl;
	case TIMER_VALUE: return countdown_value(&t->cnt, d->core->ticks, t->reload);
	case TIMER_RELOAD: return t->reload;
	case TIMER_INTSTATUS: return t->intstatus;
	}
	if (off >= CMSDK_ID_FIRST && off <= CMSDK_ID_LAST)
		return cmsdk_id(off, TIMER_PART);
	core_guest_error(d->core, d->base + off);
	return 0;
}

static uint64_t timer_read(struct device *d, uint32_t off, unsigned size)
{
	return dev_word_read(timer_read32, d, off, size);
}

static void timer_write(struct device *d, uint32_t off, unsigned size, uint64_t value)
{
	struct cmsdk_timer *t = d->state;
	struct core *c = d->core;
	uint32_t v = (uint32_t)value;
	(void)size;
	timer_advance(d);
	switch (off) {
	case TIMER_CTRL:
		if (v & CTRL_EXTIN)
			core_guest_error(c, d->base + off);
		t->ctrl = v & 0xF;
		if (!(t->ctrl & CTRL_EN))
			countdown_stop(&t->cnt, c->ticks, t->reload);
		else if (!countdown_running(&t->cnt))
			countdown_start(&t->cnt, c->ticks, t->reload);
		break;
	case TIMER_RELOAD:   /* loads VALUE too */
		t->reload = v;
		countdown_load(&t->cnt, v);
		if (v && (t->ctrl & CTRL_EN))
			countdown_start(&t->cnt, c->ticks, t->reload);
		break;
	case TIMER_VALUE: {
		int was = countdown_running(&t->cnt);
		countdown_load(&t->cnt, v);
		if ((t->ctrl & CTRL_EN) && (v || (was && t->reload)))
			countdown_start(&t->cnt, c->ticks, t->reload);
		break;
	}
	case TIMER_INTSTATUS:
		if ((v & 1) && t->intstatus) {
			t->intstatus = 0;
			core_irq(c, d->irq, 0);
		}
		break;
	default:
		core_guest_error(c, d->base + off);
		return;
	}
	core_device_written(c);
}

static uint64_t timer_deadline(struct device *d)
{
	return ((struct cmsdk_timer *)d->state)->cnt.zero;
}

static int timer_init(struct device *d, const struct dev_opt *opts, int nopts)
{
	static const char *const known[] = {NULL};
	if (!dev_opts_known(opts, nopts, known))
		return -2;
	struct cmsdk_timer *t = calloc(1, sizeof(*t));
	if (!t)
		return -4;
	countdown_init(&t->cnt, 0, 1);
	d->state = t;
	d->size = 0x1000;
	return 0;
}

const struct device_model dev_cmsdk_timer = {
	.kind = "cmsdk-timer",
	.state_size = sizeof(struct cmsdk_timer),   /* plain data (snapshots) */
	.init = timer_init,
	.read = timer_read,
	.write = timer_write,
	.deadline = timer_deadline,
	.advance = timer_advance,
};

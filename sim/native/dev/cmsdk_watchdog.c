/* The CMSDK APB watchdog (Arm Cortex-M System Design Kit TRM, DDI 0479C, "APB watchdog"; the
 * SP805's register set). mps2-an385 has one at 0x40008000 whose WDOGINT drives the NMI input
 * (QEMU 7.2 hw/arm/mps2.c; the board entry says irq = "nmi").
 *
 * Registers (offsets): 0x000 WDOGLOAD, 0x004 WDOGVALUE (read only), 0x008 WDOGCONTROL (INTEN 0,
 * RESEN 1), 0x00C WDOGINTCLR (write only), 0x010 WDOGRIS, 0x014 WDOGMIS, 0xC00 WDOGLOCK,
 * 0xF00 WDOGITCR, 0xF04 WDOGITOP (write only; integration test: WDOGINT from bit 1), ID
 * registers 0xFD0-0xFFC (QEMU's values). Reset: LOAD 0xFFFFFFFF, CONTROL 0, unlocked.
 *
 * Time: one tick is one WDOGCLK cycle (the board's clock_hz). The counter decrements from LOAD;
 * at 0 (the 1 -> 0 transition) it sets WDOGRIS, which raises WDOGINT with INTEN, reloads from
 * LOAD and counts on; reaching 0 again with the interrupt still set asserts the reset.
 * WDOGINTCLR clears the interrupt and reloads the counter; a WDOGLOAD write reloads it.
 *
 * Choices (also docs/devices.md):
 * - The counter runs while INTEN is set, and INTEN 0 -> 1 reloads it from LOAD (the TRM: "set
 *   HIGH to enable the counter and the interrupt"). QEMU 7.2 runs it from reset whatever INTEN
 *   (later QEMU follows the TRM).
 * - The counter holds 0 for one cycle before it reloads, as the CMSDK timers (QEMU's ptimer
 *   policy for all three).
 * - The reset (second expiry with RESEN) is not modelled: it is a guest error at WDOGCONTROL's
 *   address and the counter stops (QEMU resets the machine).
 * - Writes while locked (WDOGLOCK not 0x1ACCE551) are ignored as guest errors; reads of the
 *   write-only registers and writes to the read-only ones are guest errors.
 */
#include "dev.h"

#include <stdlib.h>

#define WD_LOAD 0x000
#define WD_VALUE 0x004
#define WD_CONTROL 0x008
#define WD_INTCLR 0x00C
#define WD_RIS 0x010
#define WD_MIS 0x014
#define WD_LOCK 0xC00
#define WD_ITCR 0xF00
#define WD_ITOP 0xF04
#define WD_PART 0x24             /* PID0: the APB watchdog */
#define WD_UNLOCK 0x1ACCE551u
#define WDC_INTEN 0x1
#define WDC_RESEN 0x2

struct cmsdk_watchdog {
	uint32_t load, control, ris, lock, itcr, itop;
	int driven;
	struct countdown cnt;
};

static void wd_update(struct device *d)
{
	struct cmsdk_watchdog *w = d->state;
	int out = w->itcr ? (w->itop & 2) != 0 : w->ris && (w->control & WDC_INTEN);
	if (out != w->driven) {
		w->driven = out;
		core_irq(d->core, d->irq, out);
	}
}

/* (Re)starts the count from LOAD, if the counter runs. */
static void wd_reload(struct device *d)
{
	struct cmsdk_watchdog *w = d->state;
	countdown_load(&w->cnt, w->load);
	if (w->control & WDC_INTEN)
		countdown_start(&w->cnt, d->core->ticks, w->load);
}

static void wd_advance(struct device *d)
{
	struct cmsdk_watchdog *w = d->state;
	uint64_t n = countdown_advance(&w->cnt, d->core->ticks, w->load);
	if (!n)
		return;
	if (!w->ris) {
		w->ris = 1;
		n--;
	}
	if (n) {                     /* expired again with the interrupt set: the reset */
		countdown_load(&w->cnt, 0);
		if (w->control & WDC_RESEN)
			core_guest_error(d->core, d->base + WD_CONTROL);
	}
	wd_update(d);
}

static uint64_t wd_deadline(struct device *d)
{
	return ((struct cmsdk_watchdog *)d->state)->cnt.zero;
}

static uint32_t wd_read32(struct device *d, uint32_t off)
{
	struct cmsdk_watchdog *w = d->state;
	wd_advance(d);
	switch (off) {
	case WD_LOAD: return w->load;
	case WD_VALUE: return countdown_value(&w->cnt, d->core->ticks, w->load);
	case WD_CONTROL: return w->control;
	case WD_RIS: return w->ris;
	case WD_MIS: return w->ris && (w->control & WDC_INTEN);
	case WD_LOCK: return w->lock;
	case WD_ITCR: return w->itcr;
	}
	if (off >= CMSDK_ID_FIRST && off <= CMSDK_ID_LAST)
		return cmsdk_id(off, WD_PART);
	core_guest_error(d->core, d->base + off);
	return 0;
}

static uint64_t wd_read(struct device *d, uint32_t off, unsigned size)
{
	return dev_word_read(wd_read32, d, off, size);
}

static void wd_write(struct device *d, uint32_t off, unsigned size, uint64_t value)
{
	struct cmsdk_watchdog *w = d->state;
	uint32_t v = (uint32_t)value;
	(void)size;
	wd_advance(d);
	if (w->lock && off != WD_LOCK) {
		core_guest_error(d->core, d->base + off);
		return;
	}
	switch (off) {
	case WD_LOAD:
		w->load = v;
		wd_reload(d);
		break;
	case WD_CONTROL: {
		uint32_t was = w->control;
		w->control = v & (WDC_INTEN | WDC_RESEN);
		if ((was ^ w->control) & WDC_INTEN)
			wd_reload(d);
		break;
	}
	case WD_INTCLR:
		w->ris = 0;
		wd_reload(d);
		break;
	case WD_LOCK:
		w->lock = v != WD_UNLOCK;
		return;
	case WD_ITCR:
		w->itcr = v & 1;
		break;
	case WD_ITOP:
		w->itop = v & 3;
		break;
	default:
		core_guest_error(d->core, d->base + off);
		return;
	}
	wd_update(d);
	core_device_written(d->core);
}

static int wd_init(struct device *d, const struct dev_opt *opts, int nopts)
{
	static const char *const known[] = {NULL};
	if (!dev_opts_known(opts, nopts, known))
		return -2;
	struct cmsdk_watchdog *w = calloc(1, sizeof(*w));
	if (!w)
		return -4;
	w->load = 0xFFFFFFFFu;
	countdown_init(&w->cnt, w->load, 1);
	d->state = w;
	d->size = 0x1000;
	return 0;
}

const struct device_model dev_cmsdk_watchdog = {
	.kind = "cmsdk-watchdog",
	.state_size = sizeof(struct cmsdk_watchdog),   /* plain data (snapshots) */
	.init = wd_init,
	.read = wd_read,
	.write = wd_write,
	.deadline = wd_deadline,
	.advance = wd_advance,
};

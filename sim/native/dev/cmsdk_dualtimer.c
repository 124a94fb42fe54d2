/* The CMSDK APB dual-input timer (Arm Cortex-M System Design Kit TRM, DDI 0479C, "APB dual-input
 * timers"; the SP804's register set), as QEMU 7.2 models it (hw/timer/cmsdk-apb-dualtimer.c).
 * mps2-an385 has one at 0x40002000 whose combined interrupt TIMINTC (TIMINT1 | TIMINT2) is
 * IRQ 10 (QEMU hw/arm/mps2.c; the per-timer outputs are not wired).
 *
 * Registers (offsets), per timer n = 1, 2 at 0x20 * (n - 1): LOAD 0x00, VALUE 0x04 (read only),
 * CONTROL 0x08 (ONESHOT 0, SIZE 1 (32-bit), PRESCALE 3:2 (1, 16, 256), INTEN 5, MODE 6
 * (periodic), ENABLE 7), INTCLR 0x0C, RIS 0x10, MIS 0x14, BGLOAD 0x18; TIMERITCR 0xF00 and
 * TIMERITOP 0xF04 (integration test: the outputs from ITOP's bits); ID registers 0xFD0-0xFFC.
 * Reset: CONTROL = INTEN (free-running, 16-bit, stopped), VALUE 0xFFFFFFFF, LOAD 0.
 *
 * Time: one tick is one TIMCLK cycle (the board's clock_hz), divided by PRESCALE. As with the
 * APB timer, the interrupt comes on the 1 -> 0 transition and the counter holds 0 for one count
 * before it reloads: from LOAD in periodic mode (every LOAD + 1 counts), from 0xFFFF /
 * 0xFFFFFFFF when free-running; in one-shot mode it stops at 0. RIS is set at every transition
 * whatever INTEN; MIS = RIS & INTEN drives TIMINTC.
 *
 * Choices:
 * - A write to LOAD while the timer runs in periodic mode keeps it periodic (the TRM); QEMU 7.2
 *   restarts it as a one-shot timer there. BGLOAD sets the reload value only.
 * - PRESCALE 0b11 is undefined (TRM): a guest error, counted as 256 (as QEMU).
 * - In 16-bit mode VALUE's top half reads what it held when the counter became 16 bits wide (or
 *   was last loaded), as QEMU.
 * Other offsets, and writes to VALUE, RIS, MIS and the ID registers, are guest errors.
 */
#include "dev.h"

#include <stdlib.h>

#define DT_LOAD 0x00
#define DT_VALUE 0x04
#define DT_CONTROL 0x08
#define DT_INTCLR 0x0C
#define DT_RIS 0x10
#define DT_MIS 0x14
#define DT_BGLOAD 0x18
#define DT_ITCR 0xF00
#define DT_ITOP 0xF04
#define DT_PART 0x23             /* PID0: the dual timer */
#define DTC_ONESHOT 0x01
#define DTC_SIZE 0x02
#define DTC_PRESCALE 0x0C
#define DTC_INTEN 0x20
#define DTC_MODE 0x40
#define DTC_ENABLE 0x80
#define DTC_VALID 0xEF

struct dt_module {
	uint32_t control, load, ris;
	uint32_t hi;                 /* VALUE's top half in 16-bit mode */
	struct countdown cnt;
};

struct cmsdk_dualtimer {
	struct dt_module m[2];
	uint32_t itcr, itop;
	int driven;                  /* TIMINTC as driven now */
};

static uint32_t dt_div(uint32_t control)
{
	static const uint32_t div[4] = {1, 16, 256, 256};
	return div[(control & DTC_PRESCALE) >> 2];
}

/* What the counter reloads from at its next wrap (0: it stops there). */
static uint32_t dt_reload(const struct dt_module *m)
{
	uint32_t mask = (m->control & DTC_SIZE) ? 0xFFFFFFFFu : 0xFFFFu;
	if (m->control & DTC_ONESHOT)
		return 0;
	return (m->control & DTC_MODE) ? m->load & mask : mask;
}

static void dt_update(struct device *d)
{
	struct cmsdk_dualtimer *t = d->state;
	int out = t->itcr ? (t->itop & 3) != 0
			  : (t->m[0].ris && (t->m[0].control & DTC_INTEN)) ||
			    (t->m[1].ris && (t->m[1].control & DTC_INTEN));
	if (out != t->driven) {
		t->driven = out;
		core_irq(d->core, d->irq, out);
	}
}

static void dt_advance(struct device *d)
{
	struct cmsdk_dualtimer *t = d->state;
	int fired = 0;
	for (int i = 0; i < 2; i++) {
		struct dt_module *m = &t->m[i];
		if (countdown_advance(&m->cnt, d->core->ticks, dt_reload(m)))
			m->ris = 1, fired = 1;
	}
	if (fired)
		dt_update(d);
}

static uint64_t dt_deadline(struct device *d)
{
	struct cmsdk_dualtimer *t = d->state;
	uint64_t a = t->m[0].cnt.zero, b = t->m[1].cnt.zero;
	return a < b ? a : b;
}

static uint32_t dt_value(struct device *d, struct dt_module *m)
{
	uint32_t v = countdown_value(&m->cnt, d->core->ticks, dt_reload(m));
	return (m->control & DTC_SIZE) ? v : (m->hi & 0xFFFF0000u) | (v & 0xFFFF);
}

static uint32_t dt_read32(struct device *d, uint32_t off)
{
	struct cmsdk_dualtimer *t = d->state;
	dt_advance(d);
	if (off < 0x40) {
		struct dt_module *m = &t->m[off >> 5];
		switch (off & 0x1F) {
		case DT_LOAD: case DT_BGLOAD: return m->load;
		case DT_VALUE: return dt_value(d, m);
		case DT_CONTROL: return m->control;
		case DT_RIS: return m->ris;
		case DT_MIS: return m->ris && (m->control & DTC_INTEN);
		}
	} else if (off == DT_ITCR) {
		return t->itcr;
	} else if (off >= CMSDK_ID_FIRST && off <= CMSDK_ID_LAST) {
		return cmsdk_id(off, DT_PART);
	}
	core_guest_error(d->core, d->base + off);
	return 0;
}

static uint64_t dt_read(struct device *d, uint32_t off, unsigned size)
{
	return dev_word_read(dt_read32, d, off, size);
}

static void dt_write_control(struct device *d, struct dt_module *m, uint32_t v)
{
	uint64_t now = d->core->ticks;
	uint32_t changed = (m->control ^ v) & DTC_VALID;
	v &= DTC_VALID;
	if ((v & DTC_PRESCALE) == DTC_PRESCALE)
		core_guest_error(d->core, d->base + DT_CONTROL);
	/* the count carries over a change of width or prescaler (restarted from it), and an
	 * enable starts it, also a one-shot timer that expired */
	if (!(v & DTC_ENABLE) || (changed & (DTC_SIZE | DTC_PRESCALE)) || !countdown_running(&m->cnt)) {
		uint32_t cur = countdown_value(&m->cnt, now, dt_reload(m));
		if (!(m->control & DTC_SIZE))
			cur = (m->hi & 0xFFFF0000u) | (cur & 0xFFFF);
		if ((changed & DTC_SIZE) && !(v & DTC_SIZE))
			m->hi = cur;
		countdown_init(&m->cnt, (v & DTC_SIZE) ? cur : cur & 0xFFFF, dt_div(v));
		m->control = v;
		if (v & DTC_ENABLE)
			countdown_start(&m->cnt, now, dt_reload(m));
	}
	m->control = v;
}

static void dt_write(struct device *d, uint32_t off, unsigned size, uint64_t value)
{
	struct cmsdk_dualtimer *t = d->state;
	uint32_t v = (uint32_t)value;
	(void)size;
	dt_advance(d);
	if (off < 0x40 && !(off & 3) && ((off & 0x1F) <= DT_INTCLR || (off & 0x1F) == DT_BGLOAD) &&
	    (off & 0x1F) != DT_VALUE) {
		struct dt_module *m = &t->m[off >> 5];
		switch (off & 0x1F) {
		case DT_LOAD:        /* the reload value, and the count from it now */
			m->load = m->hi = v;
			countdown_load(&m->cnt, (m->control & DTC_SIZE) ? v : v & 0xFFFF);
			if ((m->control & DTC_ENABLE) && (v || !(m->control & DTC_MODE)))
				countdown_start(&m->cnt, d->core->ticks, dt_reload(m));
			break;
		case DT_BGLOAD:      /* the reload value only */
			m->load = v;
			break;
		case DT_CONTROL:
			dt_write_control(d, m, v);
			break;
		case DT_INTCLR:
			m->ris = 0;
			break;
		}
	} else if (off == DT_ITCR) {
		t->itcr = v & 1;
	} else if (off == DT_ITOP) {
		t->itop = v & 3;
	} else {
		core_guest_error(d->core, d->base + off);
		return;
	}
	dt_update(d);
	core_device_written(d->core);
}

static int dt_init(struct device *d, const struct dev_opt *opts, int nopts)
{
	static const char *const known[] = {NULL};
	if (!dev_opts_known(opts, nopts, known))
		return -2;
	struct cmsdk_dualtimer *t = calloc(1, sizeof(*t));
	if (!t)
		return -4;
	for (int i = 0; i < 2; i++) {
		t->m[i].control = DTC_INTEN;
		t->m[i].hi = 0xFFFFFFFFu;
		countdown_init(&t->m[i].cnt, 0xFFFF, 1);
	}
	d->state = t;
	d->size = 0x1000;
	return 0;
}

const struct device_model dev_cmsdk_dualtimer = {
	.kind = "cmsdk-dualtimer",
	.state_size = sizeof(struct cmsdk_dualtimer),   /* plain data (snapshots) */
	.init = dt_init,
	.read = dt_read,
	.write = dt_write,
	.deadline = dt_deadline,
	.advance = dt_advance,
};

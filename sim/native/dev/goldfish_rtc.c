/* The Goldfish RTC ("google,goldfish-rtc"), as QEMU's virt maps it at 0x101000 on PLIC source
 * 11 (hw/rtc/goldfish_rtc.c; the register set of Android's GOLDFISH-VIRTUAL-HARDWARE.TXT, "Goldfish
 * real-time clock"): a 64-bit nanosecond counter and one alarm. Its interrupt output drives
 * the controller input of the board entry's `irq` through core_irq().
 *
 * Time is simulated time, deterministic: TIME = epoch (the board entry's `epoch`, seconds
 * since 1970-01-01 UTC; virt says 2026-01-01) + ticks * 1e9 / clock_hz, rounded down, plus
 * whatever the firmware's writes of TIME_LOW/HIGH added. QEMU's follows the host's clock
 * (rtc_clock: the wall-clock date at start-up, then host or virtual time).
 *
 * Registers (32-bit; QEMU's order of side effects):
 *   TIME_LOW   read: the low word of the time, latching the high word for TIME_HIGH (the
 *              documented protocol: LOW first); write: replaces the low word of the time
 *   TIME_HIGH  read: the word latched by the last TIME_LOW read; write: replaces the high word
 *   ALARM_LOW  write: the low word of the alarm time, and arms the alarm: an alarm time not
 *              after now fires at once, a later one at the first tick the time reaches it
 *   ALARM_HIGH write: the high word (write it first); both read back what was written
 *   IRQ_ENABLED bit 0: the interrupt output is "alarm fired" AND this bit
 *   CLEAR_ALARM write: disarms the alarm (a fired one's interrupt stays)
 *   ALARM_STATUS read: 1 while the alarm is armed and has not fired
 *   CLEAR_INTERRUPT write: clears "alarm fired", lowering the output
 *
 * Choices where QEMU's device differs or the documentation is silent (docs/riscv.md, "RTC"):
 * - The alarm fires at the first translation-block boundary at or after the tick at which
 *   the time reaches the alarm (the device's deadline), as the CLINT's timer does; a wait in
 *   wfi skips to that very tick.
 * - Accesses other than aligned 32-bit ones (QEMU's device accepts only those: other sizes
 *   are access faults there), reads of the write-only registers and of offsets past
 *   CLEAR_INTERRUPT, and writes of ALARM_STATUS, are guest errors; reads of them return 0.
 * - The output is a level into the PLIC's gateway, as QEMU's qemu_set_irq.
 */
#include <stdlib.h>

#include "dev.h"

/* Registers (GOLDFISH-VIRTUAL-HARDWARE.TXT; QEMU hw/rtc/goldfish_rtc.c) */
#define RTC_TIME_LOW 0x00
#define RTC_TIME_HIGH 0x04
#define RTC_ALARM_LOW 0x08
#define RTC_ALARM_HIGH 0x0C
#define RTC_IRQ_ENABLED 0x10
#define RTC_CLEAR_ALARM 0x14
#define RTC_ALARM_STATUS 0x18
#define RTC_CLEAR_INTERRUPT 0x1C
#define RTC_SIZE 0x1000
#define NS_PER_S 1000000000ull

struct rtc {
	uint64_t offset;         /* time = offset + ns_at(ticks), modulo 2^64 */
	uint64_t alarm;          /* ALARM_HIGH:ALARM_LOW */
	uint64_t alarm_tick;     /* the tick at which an armed alarm fires; UINT64_MAX: none */
	uint32_t time_high;      /* latched by a TIME_LOW read */
	uint8_t armed;           /* ALARM_STATUS */
	uint8_t fired;           /* the alarm fired: the interrupt is pending */
	uint8_t irq_enabled;
};

static uint64_t ns_at(struct core *c, uint64_t ticks)
{
	return (uint64_t)((unsigned __int128)ticks * NS_PER_S / c->clock_hz);
}

static uint64_t now_ns(struct core *c, struct rtc *r)
{
	return r->offset + ns_at(c, c->ticks);
}

static void update(struct device *d)
{
	struct rtc *r = d->state;
	if (d->irq >= 0)
		core_irq(d->core, d->irq, r->fired && r->irq_enabled);
}

static void fire(struct device *d)
{
	struct rtc *r = d->state;
	r->armed = 0;
	r->alarm_tick = UINT64_MAX;
	r->fired = 1;
	update(d);
}

/* ALARM_LOW written: fire now, or at the least tick t with offset + ns_at(t) >= alarm. */
static void arm(struct device *d)
{
	struct core *c = d->core;
	struct rtc *r = d->state;
	uint64_t now = now_ns(c, r);
	if (r->alarm <= now) {
		fire(d);
		return;
	}
	/* ns_at(t) >= n  <=>  t * 1e9 >= n * hz  (floor division)  <=>  t >= ceil(n * hz / 1e9) */
	unsigned __int128 n = r->alarm - now + ns_at(c, c->ticks);
	unsigned __int128 t = (n * c->clock_hz + NS_PER_S - 1) / NS_PER_S;
	r->alarm_tick = t > UINT64_MAX ? UINT64_MAX : (uint64_t)t;
	r->armed = 1;
}

/* The time changed under an armed alarm: its tick moves (or it fires at once). */
static void set_time(struct device *d, uint64_t v)
{
	struct rtc *r = d->state;
	r->offset += v - now_ns(d->core, r);
	if (r->armed)
		arm(d);
}

static uint64_t rtc_read(struct device *d, uint32_t off, unsigned size)
{
	struct core *c = d->core;
	struct rtc *r = d->state;
	uint64_t t;
	if (size == 4 && !(off & 3)) {
		switch (off) {
		case RTC_TIME_LOW:
			t = now_ns(c, r);
			r->time_high = (uint32_t)(t >> 32);
			return (uint32_t)t;
		case RTC_TIME_HIGH: return r->time_high;
		case RTC_ALARM_LOW: return (uint32_t)r->alarm;
		case RTC_ALARM_HIGH: return (uint32_t)(r->alarm >> 32);
		case RTC_IRQ_ENABLED: return r->irq_enabled;
		case RTC_ALARM_STATUS: return r->armed;
		}
	}
	core_guest_error(c, d->base + off);
	return 0;
}

static void rtc_write(struct device *d, uint32_t off, unsigned size, uint64_t value)
{
	struct core *c = d->core;
	struct rtc *r = d->state;
	uint32_t v = (uint32_t)value;
	if (size != 4 || (off & 3)) {
		core_guest_error(c, d->base + off);
		return;
	}
	switch (off) {
	case RTC_TIME_LOW:
		set_time(d, (now_ns(c, r) & ~0xFFFFFFFFull) | v);
		break;
	case RTC_TIME_HIGH:
		set_time(d, (now_ns(c, r) & 0xFFFFFFFFull) | (uint64_t)v << 32);
		break;
	case RTC_ALARM_LOW:
		r->alarm = (r->alarm & ~0xFFFFFFFFull) | v;
		arm(d);
		break;
	case RTC_ALARM_HIGH:
		r->alarm = (r->alarm & 0xFFFFFFFFull) | (uint64_t)v << 32;
		break;
	case RTC_IRQ_ENABLED:
		r->irq_enabled = v & 1;
		update(d);
		break;
	case RTC_CLEAR_ALARM:
		r->armed = 0;
		r->alarm_tick = UINT64_MAX;
		break;
	case RTC_CLEAR_INTERRUPT:
		r->fired = 0;
		update(d);
		break;
	default:
		core_guest_error(c, d->base + off);
		return;
	}
	core_device_written(c);   /* the output, or the alarm's deadline, may have changed */
}

static uint64_t rtc_deadline(struct device *d)
{
	return ((struct rtc *)d->state)->alarm_tick;
}

static void rtc_advance(struct device *d)
{
	fire(d);
}

static int rtc_init(struct device *d, const struct dev_opt *opts, int nopts)
{
	static const char *const known[] = {"epoch", NULL};
	uint64_t epoch = dev_opt(opts, nopts, "epoch", 0);
	if (!dev_opts_known(opts, nopts, known) || epoch > UINT64_MAX / NS_PER_S)
		return -2;
	struct rtc *r = calloc(1, sizeof(*r));
	if (!r)
		return -4;
	d->state = r;
	d->size = RTC_SIZE;
	r->offset = epoch * NS_PER_S - ns_at(d->core, d->core->ticks);
	r->alarm_tick = UINT64_MAX;
	return 0;
}

const struct device_model dev_goldfish_rtc = {
	.kind = "goldfish_rtc",
	.state_size = sizeof(struct rtc),   /* plain data (snapshots) */
	.init = rtc_init,
	.read = rtc_read, .write = rtc_write,
	.deadline = rtc_deadline, .advance = rtc_advance,   /* the alarm */
};

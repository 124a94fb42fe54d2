/* The nRF51 TIMER (nRF51 Series Reference Manual v3.0, chapter 18 "Timer/counter"), as QEMU 7.2
 * models it (hw/timer/nrf51_timer.c): a counter of 8, 16, 24 or 32 bits (BITMODE) clocked by
 * HFCLK (16 MHz) >> PRESCALER in timer mode, or by TASKS_COUNT in counter mode, with four
 * capture/compare registers CC[0-3]. The counter reaching CC[n] sets EVENTS_COMPARE[n]; SHORTS
 * bit n (COMPARE[n]_CLEAR) clears the counter there, bit n+8 (COMPARE[n]_STOP) stops it. The
 * interrupt output is a level: some EVENTS_COMPARE[n] set with INTEN bit 16+n. The microbit
 * (nRF51822) has three, TIMER0-2 at 0x40008000, 0x40009000, 0x4000A000 on IRQ 8, 9, 10 (QEMU
 * hw/arm/nrf51_soc.c: the IRQ is bits [16:12] of the base).
 *
 * Registers (offsets): 0x000 TASKS_START, 0x004 TASKS_STOP, 0x008 TASKS_COUNT, 0x00C
 * TASKS_CLEAR, 0x010 TASKS_SHUTDOWN, 0x040-0x04C TASKS_CAPTURE[0-3] (a task runs on a write of
 * 1), 0x140-0x14C EVENTS_COMPARE[0-3] (a write of 0 clears), 0x200 SHORTS (mask 0xF0F), 0x304
 * INTENSET, 0x308 INTENCLR (bits 16-19; both read INTEN), 0x504 MODE (0 timer, 1 counter;
 * read back as written), 0x508 BITMODE (0 16-bit, 1 8-bit, 2 24-bit, 3 32-bit), 0x510
 * PRESCALER (4 bits), 0x540-0x54C CC[0-3] (kept modulo the counter width).
 *
 * Time: one tick (the board's clock_hz, 16 MHz on microbit) is one HFCLK cycle, so the counter
 * moves once every 2^PRESCALER ticks. QEMU 7.2 runs the same 16 MHz >> PRESCALER on its virtual
 * clock (1 ns per instruction with -icount shift=0); guest tests compared with QEMU do not
 * depend on that ratio (docs/devices.md).
 *
 * Where QEMU and the manual part, and what we chose:
 * - A compare event comes each time the counter reaches CC[n], also while EVENTS_COMPARE[n]
 *   is still set (the manual; QEMU skips such a CC when it re-arms its timer, so a short on an
 *   event the firmware left set acts late there).
 * - COMPARE[n]_CLEAR clears the counter at the tick it reaches CC[n], so the period is CC[n]
 *   counts (QEMU's reading).
 * - TASKS_START in counter mode does nothing, TASKS_COUNT in timer mode does nothing (QEMU).
 * - BITMODE or PRESCALER written while the timer runs is a guest error and takes effect from
 *   that tick (QEMU logs it and applies it).
 * Other offsets read as zero and are guest errors (QEMU: "bad read offset").
 */
#include "dev.h"

#include <stdlib.h>

#define T_START 0x000
#define T_STOP 0x004
#define T_COUNT 0x008
#define T_CLEAR 0x00C
#define T_SHUTDOWN 0x010
#define T_CAPTURE0 0x040
#define T_CAPTURE3 0x04C
#define E_COMPARE0 0x140
#define E_COMPARE3 0x14C
#define R_SHORTS 0x200
#define R_INTENSET 0x304
#define R_INTENCLR 0x308
#define R_MODE 0x504
#define R_BITMODE 0x508
#define R_PRESCALER 0x510
#define R_CC0 0x540
#define R_CC3 0x54C
#define SHORTS_MASK 0xF0Fu
#define INTEN_MASK 0xF0000u
#define MODE_TIMER 0
#define MODE_COUNTER 1
#define NCC 4

struct nrf51_timer {
	uint32_t cc[NCC], ev[NCC], shorts, inten, mode, bitmode, prescaler;
	int running, driven;
	uint32_t count0;         /* the counter at tick `start` (while stopped: the counter) */
	uint64_t start;
	uint64_t next;           /* the tick of the next compare event, or UINT64_MAX */
};

static uint32_t width_mask(const struct nrf51_timer *t)
{
	static const uint32_t bits[4] = {16, 8, 24, 32};
	uint32_t b = bits[t->bitmode & 3];
	return b == 32 ? 0xFFFFFFFFu : (1u << b) - 1;
}

/* Counts since `start` at tick `now`. */
static uint64_t elapsed(const struct nrf51_timer *t, uint64_t now)
{
	return now > t->start ? (now - t->start) >> t->prescaler : 0;
}

/* It counts HFCLK: running, in timer mode. */
static int ticking(const struct nrf51_timer *t)
{
	return t->running && t->mode == MODE_TIMER;
}

static uint32_t counter_at(const struct nrf51_timer *t, uint64_t now)
{
	if (!ticking(t))
		return t->count0;
	return (uint32_t)((t->count0 + elapsed(t, now)) & width_mask(t));
}

/* The tick at which the counter next reaches CC[n] after tick `now` (UINT64_MAX: never). */
static uint64_t match_at(const struct nrf51_timer *t, int n, uint64_t now)
{
	uint32_t mask = width_mask(t);
	if (t->cc[n] > mask)
		return UINT64_MAX;
	uint64_t k = elapsed(t, now);
	uint32_t c = (uint32_t)((t->count0 + k) & mask);
	uint64_t d = (t->cc[n] - c) & mask;
	if (!d)
		d = (uint64_t)mask + 1;   /* at CC now: the next match is a full wrap away */
	return t->start + ((k + d) << t->prescaler);
}

static void rearm(struct nrf51_timer *t, uint64_t now)
{
	t->next = UINT64_MAX;
	if (!ticking(t))
		return;
	for (int n = 0; n < NCC; n++) {
		uint64_t at = match_at(t, n, now);
		if (at < t->next)
			t->next = at;
	}
}

static void update_irq(struct device *d)
{
	struct nrf51_timer *t = d->state;
	int level = 0;
	for (int n = 0; n < NCC; n++)
		level |= t->ev[n] && (t->inten >> (16 + n) & 1);
	if (level != t->driven) {
		t->driven = level;
		core_irq(d->core, d->irq, level);
	}
}

/* The counter restarts at `v` from tick `now` (running) or holds it (stopped). */
static void set_counter(struct nrf51_timer *t, uint32_t v, uint64_t now)
{
	t->count0 = v;
	t->start = now;
}

/* Compare events up to now, in order, each at its tick with its shorts. */
static void timer_advance(struct device *d)
{
	struct nrf51_timer *t = d->state;
	uint64_t now = d->core->ticks;
	int fired = 0;
	while (t->next <= now) {
		uint64_t at = t->next;
		uint32_t c = counter_at(t, at);  /* = the CC values that match at `at` */
		int clear = 0, stop = 0;
		for (int n = 0; n < NCC; n++) {
			if (t->cc[n] != c)
				continue;
			t->ev[n] = 1;
			clear |= (t->shorts >> n) & 1;
			stop |= (t->shorts >> (n + 8)) & 1;
		}
		fired = 1;
		set_counter(t, clear ? 0 : c, at);
		if (stop)
			t->running = 0;
		rearm(t, at);
	}
	if (fired)
		update_irq(d);
}

static uint64_t timer_deadline(struct device *d)
{
	return ((struct nrf51_timer *)d->state)->next;
}

static uint32_t timer_read32(struct device *d, uint32_t off)
{
	struct nrf51_timer *t = d->state;
	timer_advance(d);
	if (off >= E_COMPARE0 && off <= E_COMPARE3)
		return t->ev[(off - E_COMPARE0) / 4];
	if (off >= R_CC0 && off <= R_CC3)
		return t->cc[(off - R_CC0) / 4];
	switch (off) {
	case R_SHORTS: return t->shorts;
	case R_INTENSET: case R_INTENCLR: return t->inten;
	case R_MODE: return t->mode;
	case R_BITMODE: return t->bitmode;
	case R_PRESCALER: return t->prescaler;
	}
	core_guest_error(d->core, d->base + off);
	return 0;
}

static uint64_t timer_read(struct device *d, uint32_t off, unsigned size)
{
	return dev_word_read(timer_read32, d, off, size);
}

static void timer_write(struct device *d, uint32_t off, unsigned size, uint64_t value)
{
	struct nrf51_timer *t = d->state;
	uint64_t now = d->core->ticks;
	uint32_t v = (uint32_t)(value << (8 * (off & 3)));   /* a narrower write: its word */
	(void)size;
	off &= ~3u;
	timer_advance(d);
	uint32_t cur = counter_at(t, now);
	if (off >= T_CAPTURE0 && off <= T_CAPTURE3) {
		if (v == 1)
			t->cc[(off - T_CAPTURE0) / 4] = cur;
	} else if (off >= E_COMPARE0 && off <= E_COMPARE3) {
		if (v == 0)
			t->ev[(off - E_COMPARE0) / 4] = 0;
	} else if (off >= R_CC0 && off <= R_CC3) {
		t->cc[(off - R_CC0) / 4] = v & width_mask(t);
	} else {
		switch (off) {
		case T_START:
			if (v == 1 && t->mode == MODE_TIMER && !t->running) {
				t->running = 1;
				set_counter(t, cur, now);
			}
			break;
		case T_STOP: case T_SHUTDOWN:
			if (v == 1 && t->running) {
				t->running = 0;
				set_counter(t, cur, now);
			}
			break;
		case T_COUNT:
			if (v == 1 && t->mode == MODE_COUNTER) {
				uint32_t c = (cur + 1) & width_mask(t);
				for (int n = 0; n < NCC; n++)
					if (t->cc[n] == c) {
						t->ev[n] = 1;
						if (t->shorts >> n & 1)
							c = 0;
					}
				set_counter(t, c, now);
			}
			break;
		case T_CLEAR:
			if (v == 1)
				set_counter(t, 0, now);
			break;
		case R_SHORTS:
			t->shorts = v & SHORTS_MASK;
			break;
		case R_INTENSET:
			t->inten |= v & INTEN_MASK;
			break;
		case R_INTENCLR:
			t->inten &= ~(v & INTEN_MASK);
			break;
		case R_MODE:
			t->mode = v;
			set_counter(t, cur, now);
			break;
		case R_BITMODE: case R_PRESCALER:
			if (t->running && t->mode == MODE_TIMER)
				core_guest_error(d->core, d->base + off);   /* QEMU logs it too */
			if (off == R_BITMODE)
				t->bitmode = v & 3;
			else
				t->prescaler = v & 0xF;
			set_counter(t, cur & width_mask(t), now);
			break;
		default:
			core_guest_error(d->core, d->base + off);
			return;
		}
	}
	rearm(t, now);
	update_irq(d);
	core_device_written(d->core);   /* the interrupt and the deadline */
}

static int timer_init(struct device *d, const struct dev_opt *opts, int nopts)
{
	static const char *const known[] = {NULL};
	if (!dev_opts_known(opts, nopts, known))
		return -2;
	struct nrf51_timer *t = calloc(1, sizeof(*t));
	if (!t)
		return -4;
	t->next = UINT64_MAX;
	d->state = t;
	d->size = 0x1000;
	return 0;
}

const struct device_model dev_nrf51_timer = {
	.kind = "nrf51-timer",
	.state_size = sizeof(struct nrf51_timer),   /* plain data (snapshots) */
	.init = timer_init,
	.read = timer_read,
	.write = timer_write,
	.deadline = timer_deadline,
	.advance = timer_advance,
};

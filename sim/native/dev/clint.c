/* The CLINT of hart 0: msip, mtimecmp and mtime (RISC-V Privileged Architecture 20211203,
 * 3.2.1), in the SiFive CLINT layout that QEMU's virt maps (hw/intc/riscv_aclint.c). It drives
 * the hart's MSIP and MTIP inputs through hart_input() (rv32/hart.h).
 *
 * Numbering: pends and coalesces of MSIP and MTIP carry RV32_NUM_LOCAL (0x8000) | the interrupt
 * code (MSI 3, MTI 7). The CLINT's MSIP bit is also a schedulable line, LINE_MSIP (raise sets
 * msip, lower clears it); it is not a storm line, so the accounting does not follow it.
 *
 * State by meaning: msip, mtimecmp, and mtime as a linear function of ticks.
 *
 * Choices where the specification leaves one (each also in docs/riscv.md):
 * - mtimecmp resets to all ones (unspecified in 3.2.1; QEMU 7.2 resets it to 0, so MTIP is
 *   pending there until the firmware programs the timer).
 * - mtime advances mtime_num / mtime_den per tick (board key controller.mtime_per_tick); a
 *   firmware read sees the value at the start of the current translation block. Timer
 *   interrupts are recognised at the first block boundary at or after the tick mtime reaches
 *   mtimecmp (the device's deadline), as line events are; the pend is recorded at that tick.
 */
#include <stdlib.h>

#include "../rv32/hart.h"
#include "dev.h"

/* Registers of hart 0 */
#define CLINT_MSIP 0x0000        /* bit 0: MSIP */
#define CLINT_MTIMECMP 0x4000    /* 64 bits, low word first */
#define CLINT_MTIME 0xBFF8       /* 64 bits, low word first */
#define CLINT_SIZE 0x10000

struct clint {
	int msip;
	int mtip;                        /* MTIP as last driven */
	uint64_t mtimecmp;
	uint64_t mtime_at, tick_at;      /* mtime = mtime_at + (ticks - tick_at) * num / den */
	uint32_t mt_num, mt_den;
	uint64_t mtip_tick;              /* tick at which MTIP rises; UINT64_MAX: set, or never */
};

static uint64_t mtime_now(struct core *c, struct clint *k)
{
	unsigned __int128 d = (unsigned __int128)(c->ticks - k->tick_at) * k->mt_num / k->mt_den;
	return k->mtime_at + (uint64_t)d;
}

/* MSIP and MTIP from the CLINT's state, to the hart; the tick at which MTIP next rises. */
static void update(struct core *c, struct clint *k)
{
	uint64_t now = mtime_now(c, k), due = k->mtip_tick;
	int mtip = k->mtimecmp <= now;
	if (mtip) {
		k->mtip_tick = UINT64_MAX;
	} else {
		/* the least t with mtime_at + floor((t - tick_at) * num / den) >= mtimecmp */
		unsigned __int128 n = k->mtimecmp - k->mtime_at;
		unsigned __int128 t = (n * k->mt_den + k->mt_num - 1) / k->mt_num + k->tick_at;
		k->mtip_tick = t > UINT64_MAX ? UINT64_MAX : (uint64_t)t;
	}
	hart_input(c, MIP_MSIP, k->msip);
	hart_input(c, MIP_MTIP, mtip);
	if (mtip && !k->mtip)    /* recorded at the tick mtime reached mtimecmp */
		core_trace_at(c, due <= c->ticks ? due : c->ticks, EV_PEND,
			      RV32_NUM_LOCAL | IRQ_MTI, PEND_TIMER);
	k->mtip = mtip;
}

static void set_msip(struct core *c, struct clint *k, int v, uint32_t why)
{
	if (v && k->msip)
		core_trace(c, EV_COALESCE, RV32_NUM_LOCAL | IRQ_MSI, why);
	else if (v)
		core_trace(c, EV_PEND, RV32_NUM_LOCAL | IRQ_MSI, why);
	k->msip = v;
	update(c, k);
}

/* mtime restarts from `v` now. */
static void set_mtime(struct core *c, struct clint *k, uint64_t v)
{
	k->mtime_at = v;
	k->tick_at = c->ticks;
	update(c, k);
}

/* ---- the MSIP line (arch.h line_ops) -------------------------------------------------------- */

static void clint_line(struct core *c, void *ctl, uint32_t line, uint32_t kind, uint64_t req)
{
	struct clint *k = ctl;
	(void)req;
	if (kind == LINE_LOWER) {
		k->msip = 0;
		update(c, k);
		core_trace(c, EV_LOWER, (uint16_t)line, 0);
	} else {
		set_msip(c, k, 1, PEND_LINE);
	}
}

static void clint_device(struct core *c, void *ctl, uint32_t irq, int level)
{
	(void)c, (void)ctl, (void)irq, (void)level;   /* devices drive the PLIC, not the CLINT */
}

static int clint_masked(struct core *c, void *ctl, uint32_t line)
{
	(void)c, (void)ctl, (void)line;
	return 0;
}

static const struct line_ops clint_line_ops = {
	.line = clint_line,
	.device = clint_device,
	.masked = clint_masked,
};

/* ---- registers ------------------------------------------------------------------------------ */

static uint32_t read32(struct device *d, uint32_t off)
{
	struct core *c = d->core;
	struct clint *k = d->state;
	switch (off) {
	case CLINT_MSIP: return (uint32_t)k->msip;
	case CLINT_MTIMECMP: return (uint32_t)k->mtimecmp;
	case CLINT_MTIMECMP + 4: return (uint32_t)(k->mtimecmp >> 32);
	case CLINT_MTIME: return (uint32_t)mtime_now(c, k);
	case CLINT_MTIME + 4: return (uint32_t)(mtime_now(c, k) >> 32);
	}
	core_guest_error(c, d->base + off);   /* other harts' registers, reserved space */
	return 0;
}

static void write32(struct device *d, uint32_t off, uint32_t v)
{
	struct core *c = d->core;
	struct clint *k = d->state;
	uint64_t t;
	switch (off) {
	case CLINT_MSIP:
		set_msip(c, k, (int)(v & 1), PEND_SOFTWARE);
		return;
	case CLINT_MTIMECMP:
		k->mtimecmp = (k->mtimecmp & ~0xFFFFFFFFull) | v;
		break;
	case CLINT_MTIMECMP + 4:
		k->mtimecmp = (k->mtimecmp & 0xFFFFFFFFull) | (uint64_t)v << 32;
		break;
	case CLINT_MTIME:
		t = mtime_now(c, k);
		set_mtime(c, k, (t & ~0xFFFFFFFFull) | v);
		return;
	case CLINT_MTIME + 4:
		t = mtime_now(c, k);
		set_mtime(c, k, (t & 0xFFFFFFFFull) | (uint64_t)v << 32);
		return;
	default:
		core_guest_error(c, d->base + off);
		return;
	}
	update(c, k);
}

static uint64_t clint_read(struct device *d, uint32_t off, unsigned size)
{
	return dev_word_read(read32, d, off, size);
}

static void clint_write(struct device *d, uint32_t off, unsigned size, uint64_t value)
{
	if (size == 8 && !(off & 7)) {   /* not from RV32 code, but harmless */
		write32(d, off, (uint32_t)value);
		write32(d, off + 4, (uint32_t)(value >> 32));
	} else if (size == 4 && !(off & 3)) {
		write32(d, off, (uint32_t)value);
	} else {
		uint32_t w = read32(d, off & ~3u), sh = 8 * (off & 3);
		uint32_t mask = size >= 4 ? 0xFFFFFFFFu : ((1u << (8 * size)) - 1) << sh;
		write32(d, off & ~3u, (w & ~mask) | ((uint32_t)value << sh & mask));
	}
	core_device_written(d->core);
}

/* ---- set-up and inspection ------------------------------------------------------------------ */

static uint64_t clint_deadline(struct device *d)
{
	return ((struct clint *)d->state)->mtip_tick;
}

static void clint_advance(struct device *d)
{
	update(d->core, d->state);
}

static int clint_init(struct device *d, const struct dev_opt *opts, int nopts)
{
	static const char *const known[] = {"mtime_num", "mtime_den", NULL};
	uint64_t num = dev_opt(opts, nopts, "mtime_num", 1);
	uint64_t den = dev_opt(opts, nopts, "mtime_den", 1);
	if (!dev_opts_known(opts, nopts, known) || !num || !den || num > UINT32_MAX ||
	    den > UINT32_MAX)
		return -2;
	struct clint *k = calloc(1, sizeof(*k));
	if (!k)
		return -4;
	d->state = k;
	d->size = CLINT_SIZE;
	k->mt_num = (uint32_t)num;
	k->mt_den = (uint32_t)den;
	/* mtimecmp is UNSPECIFIED after reset (3.2.1): all ones, so MTIP stays clear until the
	 * firmware programs the timer (QEMU 7+ resets it to 0, so MTIP is pending there). */
	k->mtimecmp = UINT64_MAX;
	k->tick_at = d->core->ticks;
	update(d->core, k);
	if (core_add_lines(d->core, 0, 0, LINE_MSIP, 0, &clint_line_ops, k))
		return -4;
	return 0;
}

static void clint_free(struct device *d)
{
	core_remove_lines(d->core, d->state);
}

const struct device_model dev_clint = {
	.kind = "clint",
	.state_size = sizeof(struct clint),   /* plain data (snapshots) */
	.init = clint_init,
	.read = clint_read, .write = clint_write,
	.deadline = clint_deadline, .advance = clint_advance,   /* mtime reaching mtimecmp */
	.free = clint_free,
};

static struct clint *clint_of(struct core *c, int dev)
{
	struct device *d = dev_get(c, dev, &dev_clint);
	return d ? d->state : NULL;
}

/* What Python sets (api.h clint_set_*): takes effect at once, as a register write would. */
enum { SET_MTIME, SET_MTIMECMP, SET_MSIP };

static void api_set(struct core *c, int dev, int what, uint64_t v)
{
	struct clint *k = clint_of(c, dev);
	if (!k)
		return;
	switch (what) {
	case SET_MTIME:
		set_mtime(c, k, v);
		break;
	case SET_MTIMECMP:
		k->mtimecmp = v;
		update(c, k);
		break;
	case SET_MSIP:
		set_msip(c, k, v != 0, PEND_SOFTWARE);   /* its deadline does not change */
		return;
	}
	core_update_deadline(c);
}

uint64_t clint_mtime(struct core *c, int dev)
{
	struct clint *k = clint_of(c, dev);
	return k ? mtime_now(c, k) : 0;
}

uint64_t clint_mtimecmp(struct core *c, int dev)
{
	struct clint *k = clint_of(c, dev);
	return k ? k->mtimecmp : 0;
}

int clint_msip(struct core *c, int dev)
{
	struct clint *k = clint_of(c, dev);
	return k ? k->msip : 0;
}

void clint_set_mtime(struct core *c, int dev, uint64_t v) { api_set(c, dev, SET_MTIME, v); }
void clint_set_mtimecmp(struct core *c, int dev, uint64_t v) { api_set(c, dev, SET_MTIMECMP, v); }
void clint_set_msip(struct core *c, int dev, int v) { api_set(c, dev, SET_MSIP, v != 0); }

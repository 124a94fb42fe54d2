/* The RISC-V Platform-Level Interrupt Controller Specification 1.0.0 ("PLIC" below), with the
 * memory map QEMU's virt gives it (hw/intc/sifive_plic.c): `num_sources` sources, `prio_bits`
 * priority bits, `contexts` contexts (the board's [controller] keys). Context 0 (hart 0
 * M-mode) drives the hart's MEIP input through hart_input() (rv32/hart.h).
 *
 * Numbering: PLIC source n is controller line n (1..num_sources; source 0 does not exist), and
 * a board device with irq = n drives source n. Request, pend, coalesce, claim and complete
 * records carry the source.
 *
 * State by meaning: per source priority, pending, claimed and input levels (a line raised from
 * Python, a device's output); per context enables and threshold.
 *
 * Choices where the specification leaves one (each also in docs/riscv.md):
 * - Claim applies the context's threshold (as QEMU does), although PLIC "Interrupt Claim
 *   Process" says the threshold does not affect claims. Ties go to the lower source id.
 * - Priorities and thresholds are WARL: the low prio_bits bits are kept.
 * - Gateways: a source is level-triggered while its input is driven high (raise/lower, a
 *   device) and edge-triggered for pulses. A pending bit stays set until claimed, even if a
 *   level input falls first (as on QEMU 7.2). While a source is claimed its gateway forwards
 *   nothing (QEMU 7.2 sets the pending bit from a level input even then): a level input still
 *   high at completion pends again; a request that arrives while claimed (an edge, or a level
 *   raised anew) is held and pends at completion, further ones coalesce.
 * - A completion for a source that is not claimed, or not enabled for the context, is ignored
 *   (PLIC "Interrupt Completion") and logged as a guest error.
 * - Only context 0 (hart 0, M-mode) is wired, to MEIP. Other contexts have registers but drive
 *   nothing; supervisor-level interrupts are not modelled.
 *
 * Accounting (storm/acct.c observes): each event about a source carries the tick of the line
 * request behind it, NO_TICK for a device or a level still high; a held request is reported
 * as EV_HOLD when it arrives. Claims and completions go to the hart (hart_claimed,
 * hart_completed), which binds them to its traps.
 */
#include <stdlib.h>

#include "../rv32/hart.h"
#include "dev.h"

/* Memory map ("Memory Map") */
#define PLIC_PRIORITY 0x000000   /* + 4 * source */
#define PLIC_PENDING 0x001000    /* one bit per source, read-only */
#define PLIC_ENABLE 0x002000     /* + 0x80 * context, one bit per source */
#define PLIC_ENABLE_STRIDE 0x80
#define PLIC_CONTEXT 0x200000    /* + 0x1000 * context: threshold; + 4: claim/complete */
#define PLIC_CONTEXT_STRIDE 0x1000
#define PLIC_MAX_SOURCES 1023
#define PLIC_MAX_CONTEXTS 16
#define PLIC_WORDS ((PLIC_MAX_SOURCES + 1 + 63) / 64)

struct plic_source {
	uint8_t prio;        /* WARL; 0 never interrupts */
	uint8_t pending;     /* IP: forwarded by the gateway, not yet claimed */
	uint8_t claimed;     /* claimed and not completed: the gateway forwards nothing new */
	uint8_t line;        /* input driven high from Python (raise/lower) */
	uint8_t device;      /* input driven high by a board device (the UART) */
	uint8_t held;        /* a request that came while claimed (HELD_*), sent at completion */
	uint8_t held_why;    /* its EV_PEND source */
	uint64_t req_tick;   /* tick of the line request that set pending (or is held), or NO_TICK */
};

enum { HELD_NONE, HELD_EDGE, HELD_LEVEL };

struct plic {
	struct device *d;        /* its device: base address of guest errors */
	int nsrc, nctx;
	uint32_t prio_mask;
	struct plic_source src[PLIC_MAX_SOURCES + 1];
	uint8_t enabled[PLIC_MAX_CONTEXTS][PLIC_MAX_SOURCES + 1];
	/* the same as bitmaps (bit s of word s / 64), so that a claim or an MEIP update looks
	 * only at sources both pending and enabled instead of at every source */
	int nwords;
	uint64_t pend_bits[PLIC_WORDS];
	uint64_t en_bits[PLIC_MAX_CONTEXTS][PLIC_WORDS];
	uint32_t threshold[PLIC_MAX_CONTEXTS];
};

/* The source a claim by `ctx` would return: the highest-priority pending, enabled, unclaimed
 * source with priority above the threshold, the lower id on ties; 0 if none. */
static int highest(struct plic *r, int ctx)
{
	int best = 0;
	uint32_t bestp = r->threshold[ctx];
	for (int w = 0; w < r->nwords; w++) {
		uint64_t m = r->pend_bits[w] & r->en_bits[ctx][w];
		while (m) {              /* ascending ids: a tie keeps the lower one */
			int s = w * 64 + __builtin_ctzll(m);
			struct plic_source *p = &r->src[s];
			m &= m - 1;
			if (!p->claimed && p->prio > bestp) {
				best = s;
				bestp = p->prio;
			}
		}
	}
	return best;
}

/* MEIP follows context 0. */
static void update(struct core *c, struct plic *r)
{
	hart_input(c, MIP_MEIP, highest(r, 0) != 0);
}

/* Gateways ("Interrupt Gateways"). A request sets the source's pending bit unless it is
 * already pending (the request coalesces) or claimed: then the gateway holds it (one edge, or
 * a level raised during the claim) and forwards it at completion. `req` is the tick of the
 * line request behind it, or NO_TICK for a device or a level still high. */

/* `account`: the request `req` is new (a held one was accounted when it arrived). */
static void set_pending(struct core *c, struct plic *r, int s, uint32_t why, uint64_t req,
			int account)
{
	struct plic_source *p = &r->src[s];
	p->pending = 1;
	r->pend_bits[s / 64] |= 1ull << (s % 64);
	p->req_tick = req;
	core_emit_line(c, c->ticks, EV_PEND, (uint16_t)s, why, (uint32_t)s,
		       account ? req : NO_TICK);
	update(c, r);
}

static void gateway_request(struct core *c, struct plic *r, int s, uint32_t why, uint64_t req)
{
	struct plic_source *p = &r->src[s];
	if (p->pending || (p->claimed && p->held)) {
		core_emit_line(c, c->ticks, EV_COALESCE, (uint16_t)s, why, (uint32_t)s, req);
		return;
	}
	if (p->claimed) {
		if (req == NO_TICK)
			return;          /* a level: looked at again at completion */
		p->held = (uint8_t)(why == PEND_LINE ? HELD_EDGE : HELD_LEVEL);
		p->held_why = (uint8_t)why;
		p->req_tick = req;
		/* in the gateway, pending for the accounting */
		core_emit_line(c, c->ticks, EV_HOLD, (uint16_t)s, why, (uint32_t)s, req);
		return;
	}
	set_pending(c, r, s, why, req, 1);
}

static uint32_t claim(struct core *c, struct plic *r, int ctx)
{
	int s = highest(r, ctx);
	core_trace(c, EV_CLAIM, (uint16_t)s, (uint32_t)ctx);
	if (s) {
		struct plic_source *p = &r->src[s];
		p->pending = 0;
		r->pend_bits[s / 64] &= ~(1ull << (s % 64));
		p->claimed = 1;
		hart_claimed(c, (uint32_t)s, p->req_tick);
		update(c, r);
	}
	return (uint32_t)s;
}

static void complete(struct core *c, struct plic *r, int ctx, uint32_t id)
{
	if (id < 1 || id > (uint32_t)r->nsrc || !r->src[id].claimed || !r->enabled[ctx][id]) {
		core_guest_error(c, r->d->base + PLIC_CONTEXT +
					    PLIC_CONTEXT_STRIDE * (uint32_t)ctx + 4);
		return;
	}
	struct plic_source *p = &r->src[id];
	p->claimed = 0;
	core_trace(c, EV_COMPLETE, (uint16_t)id, (uint32_t)ctx);
	hart_completed(c, id);
	if (p->held) {
		p->held = 0;
		set_pending(c, r, (int)id, p->held_why, p->req_tick, 0);  /* accounted on arrival */
	} else if (p->line || p->device) {
		set_pending(c, r, (int)id, p->device ? PEND_DEVICE : PEND_LEVEL, NO_TICK, 0);
	}
	update(c, r);
}

/* ---- the controller's inputs (arch.h line_ops) -------------------------------------------- */

/* A line event on source `line` (core_request has recorded it). */
static void plic_line(struct core *c, void *ctl, uint32_t line, uint32_t kind, uint64_t req)
{
	struct plic *r = ctl;
	struct plic_source *p = &r->src[line];
	switch (kind) {
	case LINE_RAISE:
		if (p->line || p->device) {
			/* already high: no new request, it merges with the one holding the line */
			p->line = 1;
			core_emit_line(c, c->ticks, EV_COALESCE, (uint16_t)line, PEND_LEVEL, line, req);
		} else {
			p->line = 1;
			gateway_request(c, r, (int)line, PEND_LEVEL, req);
		}
		break;
	case LINE_LOWER:
		p->line = 0;         /* a pending bit, once set, stays until claimed */
		core_trace(c, EV_LOWER, (uint16_t)line, 0);
		if (p->held == HELD_LEVEL && !p->device) {
			p->held = 0;     /* a level raised during the claim fell before completion */
			core_emit_line(c, c->ticks, EV_WITHDRAW, (uint16_t)line, 0, line, NO_TICK);
		}
		break;
	case LINE_PULSE:
		gateway_request(c, r, (int)line, PEND_LINE, req);
		break;
	}
}

/* A device drives source `irq` to `level`. */
static void plic_device(struct core *c, void *ctl, uint32_t irq, int level)
{
	struct plic *r = ctl;
	if (irq < 1 || irq > (uint32_t)r->nsrc)
		return;
	struct plic_source *p = &r->src[irq];
	int was = p->line || p->device;
	p->device = (uint8_t)level;
	if (!was && level)
		gateway_request(c, r, (int)irq, PEND_DEVICE, NO_TICK);
}

/* A request pending on source `line` is held off by a mask: disabled for context 0, priority
 * at or below its threshold (priority 0 included), or MEIP masked by the hart. A claimed
 * source is not masked: its gateway holds the request until completion. */
static int plic_masked(struct core *c, void *ctl, uint32_t line)
{
	struct plic *r = ctl;
	struct plic_source *p = &r->src[line];
	if (p->claimed)
		return 0;
	return !r->enabled[0][line] || p->prio <= r->threshold[0] || hart_masks(c, MIP_MEIP);
}

static const struct line_ops plic_line_ops = {
	.line = plic_line,
	.device = plic_device,
	.masked = plic_masked,
};

/* ---- registers ------------------------------------------------------------------------------ */

static uint32_t read32(struct core *c, struct plic *r, uint32_t off)
{
	if (off < PLIC_PENDING) {
		uint32_t s = off / 4;
		return s >= 1 && s <= (uint32_t)r->nsrc ? r->src[s].prio : 0;
	}
	if (off < PLIC_PENDING + 0x80) {
		uint32_t v = 0, first = (off - PLIC_PENDING) * 8;
		for (uint32_t b = 0; b < 32; b++)
			if (first + b >= 1 && first + b <= (uint32_t)r->nsrc &&
			    r->src[first + b].pending)
				v |= 1u << b;
		return v;
	}
	if (off >= PLIC_ENABLE && off < PLIC_ENABLE + PLIC_ENABLE_STRIDE * (uint32_t)r->nctx) {
		uint32_t ctx = (off - PLIC_ENABLE) / PLIC_ENABLE_STRIDE;
		uint32_t first = ((off - PLIC_ENABLE) % PLIC_ENABLE_STRIDE) * 8, v = 0;
		for (uint32_t b = 0; b < 32; b++)
			if (first + b >= 1 && first + b <= (uint32_t)r->nsrc &&
			    r->enabled[ctx][first + b])
				v |= 1u << b;
		return v;
	}
	if (off >= PLIC_CONTEXT && off < PLIC_CONTEXT + PLIC_CONTEXT_STRIDE * (uint32_t)r->nctx) {
		uint32_t ctx = (off - PLIC_CONTEXT) / PLIC_CONTEXT_STRIDE;
		switch ((off - PLIC_CONTEXT) % PLIC_CONTEXT_STRIDE) {
		case 0: return r->threshold[ctx];
		case 4: return claim(c, r, (int)ctx);
		}
	}
	core_guest_error(c, r->d->base + off);
	return 0;
}

static void write32(struct core *c, struct plic *r, uint32_t off, uint32_t v)
{
	if (off < PLIC_PENDING) {
		uint32_t s = off / 4;
		if (s >= 1 && s <= (uint32_t)r->nsrc) {
			r->src[s].prio = (uint8_t)(v & r->prio_mask);
			if (v & ~r->prio_mask)   /* WARL: the bits above prio_bits are dropped */
				det_prio(c, s, 0, (uint32_t)(r->d->base + off), v, v & r->prio_mask);
		} else
			core_guest_error(c, r->d->base + off);
		update(c, r);
		return;
	}
	if (off >= PLIC_ENABLE && off < PLIC_ENABLE + PLIC_ENABLE_STRIDE * (uint32_t)r->nctx) {
		uint32_t ctx = (off - PLIC_ENABLE) / PLIC_ENABLE_STRIDE;
		uint32_t first = ((off - PLIC_ENABLE) % PLIC_ENABLE_STRIDE) * 8;
		for (uint32_t b = 0; b < 32; b++)
			if (first + b >= 1 && first + b <= (uint32_t)r->nsrc) {
				uint32_t s = first + b;
				r->enabled[ctx][s] = (uint8_t)(v >> b & 1);
				r->en_bits[ctx][s / 64] = (r->en_bits[ctx][s / 64] &
							    ~(1ull << (s % 64))) |
							   (uint64_t)(v >> b & 1) << (s % 64);
			}
		update(c, r);
		return;
	}
	if (off >= PLIC_CONTEXT && off < PLIC_CONTEXT + PLIC_CONTEXT_STRIDE * (uint32_t)r->nctx) {
		uint32_t ctx = (off - PLIC_CONTEXT) / PLIC_CONTEXT_STRIDE;
		switch ((off - PLIC_CONTEXT) % PLIC_CONTEXT_STRIDE) {
		case 0:
			r->threshold[ctx] = v & r->prio_mask;
			update(c, r);
			return;
		case 4:
			complete(c, r, (int)ctx, v);
			return;
		}
	}
	/* the pending array is read-only to software; the rest is reserved */
	core_guest_error(c, r->d->base + off);
}

/* The PLIC has 32-bit registers only: other accesses are guest errors. */
static uint64_t plic_read(struct device *d, uint32_t off, unsigned size)
{
	if (size != 4 || (off & 3)) {
		core_guest_error(d->core, d->base + off);
		return 0;
	}
	return read32(d->core, d->state, off);
}

static void plic_write(struct device *d, uint32_t off, unsigned size, uint64_t value)
{
	if (size != 4 || (off & 3)) {
		core_guest_error(d->core, d->base + off);
		return;
	}
	write32(d->core, d->state, off, (uint32_t)value);
	core_device_written(d->core);
}

/* ---- set-up and inspection ------------------------------------------------------------------ */

static int plic_init(struct device *d, const struct dev_opt *opts, int nopts)
{
	static const char *const known[] = {"num_sources", "prio_bits", "contexts", NULL};
	uint64_t nsrc = dev_opt(opts, nopts, "num_sources", 0);
	uint64_t bits = dev_opt(opts, nopts, "prio_bits", 3);
	uint64_t nctx = dev_opt(opts, nopts, "contexts", 2);
	if (!dev_opts_known(opts, nopts, known) || nsrc < 1 || nsrc > PLIC_MAX_SOURCES ||
	    bits < 1 || bits > 8 || nctx < 1 || nctx > PLIC_MAX_CONTEXTS)
		return -2;
	struct plic *r = calloc(1, sizeof(*r));
	if (!r)
		return -4;
	d->state = r;
	r->d = d;
	r->nsrc = (int)nsrc;
	r->nwords = (r->nsrc + 64) / 64;
	r->nctx = (int)nctx;
	r->prio_mask = (1u << bits) - 1;
	d->size = (PLIC_CONTEXT + PLIC_CONTEXT_STRIDE * (uint32_t)nctx + 0xFFF) & ~0xFFFu;
	if (core_add_lines(d->core, 1, (uint32_t)nsrc, 0, 1, &plic_line_ops, r))
		return -4;
	return 0;
}

static void plic_free(struct device *d)
{
	core_remove_lines(d->core, d->state);
}

/* Snapshots: the state as it is, but for the instance's own device pointer. */
static void plic_save(struct device *d, struct snap_w *w)
{
	snap_put(w, d->state, sizeof(struct plic));
}

static int plic_restore(struct device *d, struct snap_r *r)
{
	struct plic *p = d->state;
	struct device *me = p->d;
	if (snap_get(r, p, sizeof(*p)))
		return -1;
	p->d = me;
	return 0;
}

const struct device_model dev_plic = {
	.kind = "plic",
	.init = plic_init,
	.read = plic_read,
	.write = plic_write,
	.free = plic_free,
	.save = plic_save,
	.restore = plic_restore,
};

int plic_state(struct core *c, int dev, int ctx, uint8_t *prio, uint8_t *pending,
	       uint8_t *enabled, uint8_t *claimed, uint8_t *level, int n)
{
	struct device *d = dev_get(c, dev, &dev_plic);
	if (!d)
		return -1;
	struct plic *r = d->state;
	for (int s = 0; s < n && s <= r->nsrc; s++) {
		prio[s] = r->src[s].prio;
		pending[s] = r->src[s].pending;
		enabled[s] = ctx >= 0 && ctx < r->nctx ? r->enabled[ctx][s] : 0;
		claimed[s] = r->src[s].claimed;
		level[s] = (uint8_t)(r->src[s].line | r->src[s].device << 1);
	}
	return 0;
}

uint32_t plic_threshold(struct core *c, int dev, int ctx)
{
	struct device *d = dev_get(c, dev, &dev_plic);
	if (!d)
		return 0;
	struct plic *r = d->state;
	return ctx >= 0 && ctx < r->nctx ? r->threshold[ctx] : 0;
}

/* Mistake detectors (docs/mistakes.md): firmware mistakes recognised as a run goes, in every
 * run, each kept as one record per kind and line (struct mistake, api.h) that Python reads in
 * bulk (core_mistakes) and words with the image's symbols (Machine.mistakes).
 *
 * What each sees, and from where:
 *   LEVEL_STUCK   the event stream (core_emit -> det_observe): EV_SERVED of a line, then its
 *                 level re-pending it (EV_PEND, PEND_LEVEL / PEND_DEVICE with no request
 *                 behind it: the input still high at the return, Cortex-M, or at the
 *                 completion, RISC-V), then EV_SERVICE of the same line with no other handler
 *                 started between: one re-entry. DET_REENTRIES in a row make the record.
 *   BASEPRI_ZERO  one-address code hooks on the image's MSR BASEPRI instructions
 *                 (armv7m/basepri.c -> det_mask_write) and EV_SERVICE: a write of 0 while
 *                 BASEPRI is 0 opens a bracket at that nesting depth; an interrupt taken over
 *                 that depth inside it, then another write of 0 at another MSR site at the
 *                 same depth closes it as the mistake; any write of non-zero closes it as
 *                 fine. The ordinary unmask (non-zero, then 0) never opens one.
 *   PRIO_BITS     the controllers' priority writes (NVIC IPR/SHPR and BASEPRI as the NVIC
 *                 reads it, PLIC priorities) that lose bits (det_prio).
 *   STACK_END     each exception frame stacked on MSP (Cortex-M) or the stack pointer at each
 *                 handler table dispatch (RISC-V, where no hardware frame is stacked; arch
 *                 reg_sp): in the window from 1 KiB below
 *                 the stack's end to DET_STACK_MARGIN above it (lower is taken as another
 *                 stack, an RTOS task's in .bss); then each deeper one updates the record.
 *   NO_VECTOR     an NVIC enable (ISER) of a line whose vector is one of the image's default
 *                 handlers (det_enabled; the addresses come from Python by symbol name).
 *   EMPTY_SLOT    the handler table dispatch (core.c on_dispatch -> det_dispatch) finding the
 *                 slot of the line being served empty.
 * Nothing here changes the run: detectors only observe (the trace is the same with them).
 */
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "core.h"
#include "snapshot.h"

#define DET_LINES 1024           /* lines followed: the NVIC's 496, the PLIC's 1023 sources */
#define DET_MAX_HOOKS 64         /* MSR BASEPRI sites watched */
#define DET_BELOW 1024u          /* bytes below the stack's end still judged (STACK_END) */

struct detect {
	/* STACK_END: fire for lo <= sp < lo + span (unsigned: one compare; core.h) */
	struct det_window win;
	/* configuration (from Python) */
	uint64_t stack_end;
	uint64_t defaults[4];
	int ndefaults;
	/* active handlers, from EV_SERVICE / EV_SERVED: (num << 16) | line, outermost first */
	uint32_t depth;
	uint32_t active[DET_MAX_ACTIVE];
	/* LEVEL_STUCK */
	uint32_t last_served;    /* the line of the last EV_SERVED, NO_LINE once a handler started */
	uint8_t repend[DET_LINES];
	uint32_t run[DET_LINES];
	uint64_t run_start[DET_LINES];
	uint32_t slot[DET_LINES];   /* the table slot each line's last dispatch found */
	/* BASEPRI_ZERO: the open bracket */
	int open, taken;
	uint32_t open_pc, open_depth, taken_num, taken_line;
	uint64_t open_tick, taken_tick;
	/* the records */
	int nrec, found;
	struct mistake rec[DET_MAX_RECORDS];
	/* not state (a snapshot keeps what is above): the code hooks of this engine */
	int nhooks;
	uc_hook hooks[DET_MAX_HOOKS];
};

/* Snapshots (snapshot.c): the detectors' state, the configuration included (the same image). */
void det_save(struct core *c, struct snap_w *w)
{
	snap_put(w, c->det, offsetof(struct detect, nhooks));
}

int det_restore(struct core *c, struct snap_r *r)
{
	return snap_get(r, c->det, offsetof(struct detect, nhooks));
}

int det_code_hook(struct core *c, uint64_t addr, void *callback)
{
	struct detect *d = c->det;
	if (d->nhooks == DET_MAX_HOOKS)
		return -2;
	if (uc_hook_add(c->uc, &d->hooks[d->nhooks], UC_HOOK_CODE, callback, c, addr, addr))
		return -2;
	d->nhooks++;
	return 0;
}

int det_init(struct core *c)
{
	c->det = calloc(1, sizeof(*c->det));
	if (!c->det)
		return -1;
	c->det->last_served = NO_LINE;
	return 0;
}

void det_free(struct core *c)
{
	if (!c->det)
		return;
	for (int i = 0; i < c->det->nhooks; i++)
		uc_hook_del(c->uc, c->det->hooks[i]);
	free(c->det);
	c->det = NULL;
}

/* The record of `kind` about `line`, made (with tick `now`) if it is new; NULL when full. */
static struct mistake *record(struct detect *d, uint32_t kind, uint32_t line, uint64_t now)
{
	for (int i = 0; i < d->nrec; i++)
		if (d->rec[i].kind == kind && d->rec[i].line == line)
			return &d->rec[i];
	d->found++;
	if (d->nrec == DET_MAX_RECORDS)
		return NULL;
	struct mistake *m = &d->rec[d->nrec++];
	memset(m, 0, sizeof(*m));
	m->kind = kind;
	m->line = line;
	m->tick = m->last = now;
	return m;
}

/* ---- the event stream ----------------------------------------------------------------------- */

static void on_service(struct core *c, struct detect *d, const struct event *e)
{
	uint32_t line = e->line;
	if (d->open && !d->taken && d->depth == d->open_depth) {
		d->taken = 1;                /* an interrupt inside the BASEPRI-0 bracket */
		d->taken_num = e->num;
		d->taken_line = line;
		d->taken_tick = e->tick;
	}
	if (line < DET_LINES) {
		if (d->last_served == line && d->repend[line]) {
			if (d->run[line]++ == 0)
				d->run_start[line] = e->tick;
			if (d->run[line] >= DET_REENTRIES) {
				struct mistake *m = record(d, MISTAKE_LEVEL_STUCK, line,
							   d->run_start[line]);
				if (m) {
					if (d->run[line] == DET_REENTRIES)
						m->count++;
					m->last = e->tick;
					m->addr = d->slot[line];
					if (d->run[line] > m->value)
						m->value = d->run[line];
				}
			}
		} else {
			d->run[line] = 0;
		}
		d->repend[line] = 0;
	}
	d->last_served = NO_LINE;
	if (d->depth < DET_MAX_ACTIVE)
		d->active[d->depth] = (uint32_t)e->num << 16 | (line & 0xFFFFu);
	d->depth++;
}

static void on_served(struct detect *d, const struct event *e)
{
	uint32_t me = (uint32_t)e->num << 16 | (e->line & 0xFFFFu);
	d->last_served = e->line;
	if (!d->depth)
		return;
	if (d->depth > DET_MAX_ACTIVE || d->active[d->depth - 1] == me) {
		d->depth--;          /* the innermost returned (the usual case), or one not kept */
		return;
	}
	/* the handler served: the innermost one with this number (RISC-V returns the claims of
	 * one trap together, in their own order), else the innermost */
	uint32_t n = d->depth;
	for (uint32_t i = n; i-- > 0;)
		if (d->active[i] == me) {
			memmove(&d->active[i], &d->active[i + 1], (n - 1 - i) * sizeof(uint32_t));
			break;
		}
	d->depth--;
}

void det_observe(struct core *c, const struct event *e)
{
	struct detect *d = c->det;
	switch (e->kind) {
	case EV_PEND:            /* by a level still high (det_wants): at its handler's end? */
		if (e->line < DET_LINES)
			d->repend[e->line] = d->last_served == e->line ||
				(d->depth && d->depth <= DET_MAX_ACTIVE &&
				 (d->active[d->depth - 1] & 0xFFFFu) == e->line);
		break;
	case EV_SERVICE:
		on_service(c, d, e);
		break;
	case EV_SERVED:
		on_served(d, e);
		break;
	default:
		break;
	}
}

/* ---- what the models and the core report directly ------------------------------------------ */

void det_stack(struct core *c, uint64_t sp)
{
	struct detect *d = c->det;
	if (sp - d->win.lo >= d->win.span)
		return;
	d->win.span = sp - d->win.lo;         /* from now on only a deeper one */
	struct mistake *m = NULL;
	for (int i = 0; i < d->nrec && !m; i++)
		if (d->rec[i].kind == MISTAKE_STACK_END)
			m = &d->rec[i];          /* one record: the deepest */
	uint32_t n = d->depth < DET_MAX_ACTIVE ? d->depth : DET_MAX_ACTIVE;
	uint32_t inner = n ? d->active[n - 1] & 0xFFFFu : DET_NO_LINE;
	if (!m && !(m = record(d, MISTAKE_STACK_END, NO_LINE, c->ticks)))
		return;
	m->line = inner == DET_NO_LINE ? NO_LINE : inner;
	m->count++;
	m->last = c->ticks;
	m->addr = (uint32_t)sp;
	m->addr2 = (uint32_t)d->stack_end;
	m->depth = d->depth;
	m->nactive = n;
	memcpy(m->active, d->active, sizeof(m->active));
}

void det_dispatch(struct core *c, uint32_t line, uint32_t idx, uint32_t table, uint32_t slot,
		  uint64_t sp)
{
	struct detect *d = c->det;
	det_stack_check(c, sp);
	if (line < DET_LINES)
		d->slot[line] = slot;
	if (slot || line == NO_LINE)
		return;
	struct mistake *m = record(d, MISTAKE_EMPTY_SLOT, line, c->ticks);
	if (m) {
		m->count++;
		m->last = c->ticks;
		m->addr2 = table;
		m->value = idx;
	}
}

int det_wants_vectors(struct core *c)
{
	return c->det->ndefaults > 0;
}

void det_enabled(struct core *c, uint32_t line, uint64_t vector)
{
	struct detect *d = c->det;
	for (int i = 0; i < d->ndefaults; i++)
		if ((vector & ~1ull) == d->defaults[i]) {
			struct mistake *m = record(d, MISTAKE_NO_VECTOR, line, c->ticks);
			if (m) {
				m->count++;
				m->last = c->ticks;
				m->addr = (uint32_t)vector;
			}
			return;
		}
}

void det_prio(struct core *c, uint32_t line, uint32_t reg, uint32_t addr, uint32_t written,
	      uint32_t kept)
{
	struct mistake *m = record(c->det, MISTAKE_PRIO_BITS, line, c->ticks);
	if (!m || m->count)
		return;              /* the first such write of the line is the evidence */
	m->count = 1;
	m->depth = reg;
	m->addr = addr;
	m->value = written;
	m->value2 = kept;
}

void det_mask_write(struct core *c, uint32_t pc, uint32_t old, uint32_t value)
{
	struct detect *d = c->det;
	int here = d->open && d->open_depth == d->depth;
	if (value) {
		if (here)
			d->open = 0;         /* masked for real: whatever came before was fine */
		return;
	}
	if (here && pc == d->open_pc) {
		d->taken = 0;            /* the same site again (a loop): the bracket starts anew */
		d->open_tick = c->ticks;
		return;
	}
	if (here) {                      /* 0 again at another site: the bracket closes */
		d->open = 0;
		if (!d->taken)
			return;
		struct mistake *m = record(d, MISTAKE_BASEPRI_ZERO, d->taken_line, d->open_tick);
		if (m) {
			if (!m->count++) {
				m->addr = d->open_pc;
				m->addr2 = pc;
				m->value = d->taken_num;
				m->tick2 = d->taken_tick;
			}
			m->last = c->ticks;
		}
		return;
	}
	if (old == 0 && !d->open) {
		d->open = 1;
		d->taken = 0;
		d->open_pc = pc;
		d->open_depth = d->depth;
		d->open_tick = c->ticks;
	}
}

/* ---- api.h --------------------------------------------------------------------------------- */

int core_mistakes(struct core *c, struct mistake *out, int max)
{
	struct detect *d = c->det;
	int n = d->nrec < max ? d->nrec : max;
	if (n > 0)
		memcpy(out, d->rec, (size_t)n * sizeof(*out));
	return d->found;
}

void core_set_stack_end(struct core *c, uint64_t end)
{
	struct detect *d = c->det;
	d->stack_end = end;
	d->win.lo = end > DET_BELOW ? end - DET_BELOW : 0;
	d->win.span = end ? end + DET_STACK_MARGIN - d->win.lo : 0;
}

void core_set_default_handlers(struct core *c, const uint64_t *addrs, int n)
{
	struct detect *d = c->det;
	d->ndefaults = 0;
	for (int i = 0; i < n && i < 4; i++)
		if (addrs[i])
			d->defaults[d->ndefaults++] = addrs[i] & ~1ull;
}

uint32_t core_det_handler(struct core *c, uint32_t line)
{
	return line < DET_LINES ? c->det->slot[line] : 0;
}

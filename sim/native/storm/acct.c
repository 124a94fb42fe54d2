/* Outcome accounting: an observer of the event stream (core_emit calls acct_observe for
 * every event about a line; nothing else calls in here).
 *
 * Each request is followed to exactly one outcome: handled, unhandled (the table slot was
 * empty when dispatched), coalesced (merged into a pending request), cleared (the firmware
 * cleared the pending state), lowered (a level request withdrawn before it was taken, where the
 * controller forgets it), or, at the end, still pending / in its handler (the report asks the
 * controller, core_line_masked, whether a pending one is masked).
 *
 * What each event means to it:
 *   EV_REQUEST (arg not LINE_LOWER)      a request on `line`
 *   EV_PEND, EV_HOLD with a request tick the request at `req` holds the pending state
 *   EV_COALESCE with a request tick      merged into the pending one
 *   EV_UNPEND                            the firmware cleared it
 *   EV_WITHDRAW                          a level request withdrawn (lowered)
 *   EV_SERVICE                           the pending request's handler starts at e->tick
 *   EV_DISPATCH                          the handler looked up the table: handled / unhandled
 *   EV_SERVED                            the handler returned
 */
#include <stdlib.h>
#include <string.h>

#include "../api.h"
#include "../core.h"
#include "storm.h"

static inline uint32_t hist_bucket(uint64_t v)
{
	if (v < 256)
		return (uint32_t)v;
	int msb = 63 - __builtin_clzll(v);       /* >= 8 */
	uint32_t sub = (uint32_t)((v >> (msb - 6)) & 63);
	return 256 + (uint32_t)(msb - 8) * 64 + sub;
}

uint64_t core_storm_bucket_low(uint32_t b)
{
	if (b < 256)
		return b;
	uint32_t msb = (b - 256) / 64 + 8, sub = (b - 256) % 64;
	return (1ull << msb) | ((uint64_t)sub << (msb - 6));
}

static void hist_add(struct storm *st, uint32_t line, int which, uint64_t v)
{
	uint32_t b = hist_bucket(v);
	if (b >= HIST_BUCKETS)
		b = HIST_BUCKETS - 1;
	st->hist[((size_t)line * 2 + (size_t)which) * HIST_BUCKETS + b]++;
}

/* Ticks from the request in service on `line` to `now`, into histogram `which` (0 entry,
 * 1 return) and its exact maximum. */
static void record_latency(struct storm *st, uint32_t line, int which, uint64_t now,
			   uint64_t *max)
{
	uint64_t lat = now - st->acct[line].svc_req;
	hist_add(st, line, which, lat);
	if (lat > *max)
		*max = lat;
}

/* The handler of the line starts at `now` (how: 0 from thread mode, 1 preempting, 2
 * tail-chained): the pending request, if a request set it, is now in service. */
static void service(struct storm *st, uint32_t line, int how, uint64_t now)
{
	struct line_acct *a = &st->acct[line];
	a->entries++;
	if (how == 1)
		a->preempting++;
	else if (how == 2)
		a->tailchained++;
	a->svc_req = a->pend_req;
	a->svc_dispatched = 0;
	a->pend_req = NO_TICK;
	if (a->svc_req != NO_TICK)
		record_latency(st, line, 0, now, &a->max_entry_latency);
}

static void dispatched(struct line_acct *a, int handled)
{
	if (a->svc_req == NO_TICK || a->svc_dispatched)
		return;
	a->svc_dispatched = 1;
	if (handled)
		a->handled++;
	else
		a->unhandled++;
}

static void served(struct storm *st, uint32_t line, uint64_t now)
{
	struct line_acct *a = &st->acct[line];
	if (a->svc_req == NO_TICK)
		return;
	record_latency(st, line, 1, now, &a->max_return_latency);
	if (!a->svc_dispatched)
		a->handled++;      /* a handler ran and returned without the table: serviced */
	a->svc_req = NO_TICK;
}

/* The pending state went away without its handler running. */
static void withdrawn(struct line_acct *a, int by_firmware)
{
	if (a->pend_req == NO_TICK)
		return;
	if (by_firmware)
		a->cleared++;
	else
		a->lowered++;
	a->pend_req = NO_TICK;
}

void acct_observe(struct core *c, const struct event *e)
{
	struct storm *st = c->storm;
	if (e->line >= st->nlines)
		return;   /* a special line (NMI, MSIP): not a storm line */
	struct line_acct *a = &st->acct[e->line];
	switch (e->kind) {
	case EV_REQUEST:
		if (e->arg != LINE_LOWER)
			a->requests++;
		break;
	case EV_PEND: case EV_HOLD:
		if (e->req != NO_TICK)
			a->pend_req = e->req;
		break;
	case EV_COALESCE:
		if (e->req != NO_TICK)
			a->coalesced++;
		break;
	case EV_UNPEND:
		withdrawn(a, 1);
		break;
	case EV_WITHDRAW:
		withdrawn(a, 0);
		break;
	case EV_SERVICE:
		service(st, e->line, (int)e->arg, e->tick);
		break;
	case EV_DISPATCH:
		dispatched(a, e->arg != 0);
		break;
	case EV_SERVED:
		served(st, e->line, e->tick);
		break;
	default:
		break;
	}
}

int core_storm_lines(struct core *c, struct line_acct *out, uint32_t n)
{
	struct storm *st = c->storm;
	if (!st)
		return -1;
	memcpy(out, st->acct, (n < st->nlines ? n : st->nlines) * sizeof(*out));
	return 0;
}

int core_storm_hist(struct core *c, uint32_t line, int which, uint64_t *out)
{
	struct storm *st = c->storm;
	if (!st || line >= st->nlines)
		return -1;
	memcpy(out, st->hist + ((size_t)line * 2 + (size_t)which) * HIST_BUCKETS,
	       HIST_BUCKETS * sizeof(uint64_t));
	return 0;
}

void core_storm_reset(struct core *c)
{
	struct storm *st = c->storm;
	if (!st)
		return;
	for (uint32_t i = 0; i < st->nlines; i++) {
		struct line_acct *a = &st->acct[i];
		memset(a, 0, sizeof(*a));
		a->pend_req = NO_TICK;
		a->svc_req = NO_TICK;
	}
	memset(st->hist, 0, (size_t)st->nlines * 2 * HIST_BUCKETS * sizeof(uint64_t));
}

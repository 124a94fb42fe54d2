/* Storm sources, in the native core.
 *
 * Sources generate line requests lazily: each keeps its next request tick, and the core's
 * service() asks for due requests at block boundaries, so a storm of any length needs memory
 * for its sources only. All randomness comes from xoshiro256** seeded per source (the seeds are
 * derived from the scenario's seed in Python), and the Poisson source draws its exponential
 * gaps with a logarithm built from IEEE-754 basic operations only (compiled without FMA
 * contraction), so the same seed gives the same requests, bit for bit, on any machine.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../api.h"
#include "../core.h"
#include "storm.h"

/* ---- random numbers: xoshiro256** (Blackman and Vigna) ---------------------------------- */

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t rng_next(uint64_t s[4])
{
	uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

static void rng_seed(uint64_t s[4], uint64_t seed)
{
	for (int i = 0; i < 4; i++) {   /* splitmix64 expands one seed into the state */
		uint64_t z = (seed += 0x9E3779B97F4A7C15ull);
		z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
		z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
		s[i] = z ^ (z >> 31);
	}
}

/* uniform in (0, 1]: 53 random bits */
static double rng_unit(uint64_t s[4])
{
	return ((rng_next(s) >> 11) + 1) * (1.0 / 9007199254740992.0);
}

/* uniform integer in [0, n) without modulo bias (Lemire's method, exact) */
static uint64_t rng_below(uint64_t s[4], uint64_t n)
{
	if (n <= 1)
		return 0;
	uint64_t threshold = (0 - n) % n;
	for (;;) {
		uint64_t r = rng_next(s);
		if (r >= threshold)
			return r % n;
	}
}

/* Natural logarithm from basic operations only: x = m * 2^e with m in [sqrt(1/2), sqrt(2)),
 * ln m = 2 atanh(s), s = (m - 1) / (m + 1), |s| < 0.172; the series to s^23 is below 1 ulp. */
static double det_log(double x)
{
	int e;
	double m = frexp(x, &e);   /* exact */
	if (m < 0.70710678118654752440) {
		m *= 2.0;
		e -= 1;
	}
	double s = (m - 1.0) / (m + 1.0), s2 = s * s, term = s, sum = 0.0;
	for (int k = 1; k <= 23; k += 2) {
		sum = sum + term / (double)k;
		term = term * s2;
	}
	return 2.0 * sum + (double)e * 0.69314718055994530942;
}


/* ---- sources ------------------------------------------------------------------------------ */

static uint64_t source_first(struct source *s)
{
	const struct storm_spec *p = &s->spec;
	switch (p->kind) {
	case SRC_ONCE:
		return p->start;
	case SRC_PERIODIC:
		s->base = p->start + p->phase;
		return s->base;
	case SRC_POISSON:
		return p->start;   /* the first gap is drawn by source_advance from start */
	case SRC_BURST:
		s->base = p->start;
		s->in_burst = p->burst;
		return p->burst ? p->start : UINT64_MAX;
	case SRC_REPLAY:
		return p->nreplay ? s->replay[0] : UINT64_MAX;
	}
	return UINT64_MAX;
}

static uint64_t jittered(struct source *s, uint64_t t)
{
	uint64_t j = s->spec.jitter;
	if (!j)
		return t;
	uint64_t d = rng_below(s->rng, 2 * j + 1);
	return t + d >= j ? t + d - j : 0;
}

/* Moves `s` to its next request, after the one at s->next was made. */
static void source_advance(struct source *s)
{
	const struct storm_spec *p = &s->spec;
	uint64_t next = UINT64_MAX;
	switch (p->kind) {
	case SRC_ONCE:
		break;
	case SRC_PERIODIC:
		s->base += p->period;
		next = jittered(s, s->base);
		if (next <= s->next)
			next = s->next + 1;    /* jitter never reorders or merges a source's requests */
		break;
	case SRC_POISSON: {
		/* exponential gap in ticks with mean 1/rate: -ln(U) / rate, at least one tick */
		double gap = -det_log(rng_unit(s->rng)) / p->rate_per_tick;
		uint64_t g = gap < 1.0 ? 1 : gap > 1e18 ? (uint64_t)1e18 : (uint64_t)gap;
		next = s->next + g;
		break;
	}
	case SRC_BURST:
		if (--s->in_burst) {
			next = s->next + p->spacing;
		} else {
			s->base = s->next + p->gap;
			s->in_burst = p->burst;
			next = s->base;
		}
		break;
	case SRC_REPLAY:
		if (++s->replay_i < p->nreplay)
			next = s->replay[s->replay_i];
		break;
	}
	if (p->stop && next >= p->stop)
		next = UINT64_MAX;
	s->next = next;
}

static uint32_t source_line(struct source *s)
{
	const struct storm_spec *p = &s->spec;
	if (p->nlines == 1)
		return s->lines[0];
	uint64_t r = rng_below(s->rng, s->cumw[p->nlines - 1]);
	for (uint32_t i = 0; i < p->nlines; i++)
		if (r < s->cumw[i])
			return s->lines[i];
	return s->lines[p->nlines - 1];
}

int core_add_source(struct core *c, const struct storm_spec *spec, const uint32_t *lines,
		    const uint64_t *weights, const uint64_t *replay)
{
	struct storm *st = c->storm;
	if (!st || st->n == MAX_SOURCES)
		return SOURCE_ERR_FULL;
	if (!spec->nlines || spec->nlines > MAX_TARGETS)
		return SOURCE_ERR_LINES;
	if (spec->kind == SRC_REPLAY && spec->nreplay > STORM_MAX_REPLAY)
		return SOURCE_ERR_REPLAY;
	struct source *s = &st->src[st->n];
	memset(s, 0, sizeof(*s));
	s->spec = *spec;
	uint64_t sum = 0;
	for (uint32_t i = 0; i < spec->nlines; i++) {
		if (lines[i] >= st->nlines)
			return SOURCE_ERR_LINES;
		s->lines[i] = lines[i];
		sum += weights ? weights[i] : 1;
		s->cumw[i] = sum;
	}
	if (!sum)
		return SOURCE_ERR_WEIGHTS;
	if (spec->kind == SRC_REPLAY && spec->nreplay) {
		s->replay = malloc(spec->nreplay * sizeof(uint64_t));
		if (!s->replay)
			return SOURCE_ERR_FULL;
		memcpy(s->replay, replay, spec->nreplay * sizeof(uint64_t));
	}
	if (spec->kind == SRC_POISSON && !(spec->rate_per_tick > 0))
		return SOURCE_ERR_RATE;
	if (spec->kind == SRC_PERIODIC && !spec->period)
		return SOURCE_ERR_RATE;
	rng_seed(s->rng, spec->seed);
	s->next = source_first(s);
	if (spec->kind == SRC_POISSON) {   /* the first arrival is one gap after start */
		s->next = spec->start;
		source_advance(s);
	}
	if (spec->stop && s->next >= spec->stop)
		s->next = UINT64_MAX;
	st->n++;
	core_update_deadline(c);
	return 0;
}

uint64_t storm_next_tick(struct core *c)
{
	struct storm *st = c->storm;
	uint64_t t = UINT64_MAX;
	if (!st)
		return t;
	for (int i = 0; i < st->n; i++)
		if (st->src[i].next < t)
			t = st->src[i].next;
	return t;
}

int storm_may_request(struct core *c, uint32_t line)
{
	struct storm *st = c->storm;
	for (int i = 0; st && i < st->n; i++)
		for (uint32_t k = 0; st->src[i].next != UINT64_MAX && k < st->src[i].spec.nlines; k++)
			if (st->src[i].lines[k] == line)
				return 1;
	return 0;
}

/* Makes the earliest due source request (ties: the source added first). */
void storm_deliver_one(struct core *c)
{
	struct storm *st = c->storm;
	int best = -1;
	uint64_t t = UINT64_MAX;
	for (int i = 0; i < st->n; i++)
		if (st->src[i].next < t) {
			t = st->src[i].next;
			best = i;
		}
	if (best < 0)
		return;
	struct source *s = &st->src[best];
	uint32_t line = source_line(s);
	uint32_t kind = s->spec.trigger == LINE_RAISE ? LINE_RAISE : LINE_PULSE;
	core_request(c, t, line, kind);
	if (kind == LINE_RAISE && s->spec.hold)
		core_schedule(c, t + s->spec.hold, line, LINE_LOWER);
	source_advance(s);
}

int storm_init(struct core *c, uint32_t nlines)
{
	struct storm *st = calloc(1, sizeof(*st));
	if (!st)
		return -1;
	st->nlines = nlines;
	st->acct = calloc(nlines, sizeof(*st->acct));
	st->hist = calloc((size_t)nlines * 2 * HIST_BUCKETS, sizeof(uint64_t));
	if (!st->acct || !st->hist) {
		free(st->acct);
		free(st->hist);
		free(st);
		return -1;
	}
	for (uint32_t i = 0; i < nlines; i++) {
		st->acct[i].pend_req = NO_TICK;
		st->acct[i].svc_req = NO_TICK;
	}
	c->storm = st;
	return 0;
}

void storm_free(struct core *c)
{
	struct storm *st = c->storm;
	if (!st)
		return;
	for (int i = 0; i < st->n; i++)
		free(st->src[i].replay);
	free(st->acct);
	free(st->hist);
	free(st);
}

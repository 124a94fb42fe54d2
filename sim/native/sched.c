/* Scheduled line events (core_schedule, from Python): a binary min-heap on (tick, seq), so that
 * events at one tick keep the order they were scheduled in. At most CORE_SCHED_MAX wait. */
#include <stdlib.h>

#include "core.h"

static int ev_less(const struct sched_ev *a, const struct sched_ev *b)
{
	return a->tick < b->tick || (a->tick == b->tick && a->seq < b->seq);
}

int core_schedule(struct core *c, uint64_t tick, uint32_t line, uint32_t kind)
{
	if (c->heap_len >= CORE_SCHED_MAX)
		return -1;
	if (c->heap_len == c->heap_cap) {
		size_t cap = c->heap_cap ? 2 * c->heap_cap : 1024;
		struct sched_ev *p = realloc(c->heap, cap * sizeof(*p));
		if (!p)
			return -1;
		c->heap = p;
		c->heap_cap = cap;
	}
	size_t i = c->heap_len++;
	struct sched_ev e = {tick < c->ticks ? c->ticks : tick, c->heap_seq++, line, kind};
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!ev_less(&e, &c->heap[parent]))
			break;
		c->heap[i] = c->heap[parent];
		i = parent;
	}
	c->heap[i] = e;
	if (e.tick < c->due)
		c->due = e.tick;
	if (e.tick < c->deadline)
		c->deadline = e.tick;
	return 0;
}

int core_schedule_many(struct core *c, const uint64_t *ticks, const uint32_t *lines,
		       const uint32_t *kinds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (core_schedule(c, ticks[i], lines[i], kinds[i]))
			return -1;
	return 0;
}

struct sched_ev core_heap_pop(struct core *c)
{
	struct sched_ev top = c->heap[0];
	struct sched_ev last = c->heap[--c->heap_len];
	size_t i = 0;
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		const struct sched_ev *best = &last;
		if (l < c->heap_len && ev_less(&c->heap[l], best)) {
			m = l;
			best = &c->heap[l];
		}
		if (r < c->heap_len && ev_less(&c->heap[r], best))
			m = r;
		if (m == i)
			break;
		c->heap[i] = c->heap[m];
		i = m;
	}
	if (c->heap_len)
		c->heap[i] = last;
	return top;
}

/* Interrupt controllers' inputs (arch.h, struct line_set): the line events of the lines each
 * controller registered with core_add_lines(), and board devices' interrupt outputs, each
 * handed to the controller that owns it; core_line_masked() asks that controller. */
#include "core.h"

#include "api.h"

int core_add_lines(struct core *c, uint32_t first, uint32_t count, uint32_t special,
		   int devices, const struct line_ops *ops, void *ctl)
{
	if (c->nline_sets == CORE_MAX_LINE_SETS)
		return -1;
	c->lines[c->nline_sets++] = (struct line_set){first, count, special, devices, ops, ctl};
	return 0;
}

void core_remove_lines(struct core *c, void *ctl)
{
	int n = 0;
	for (int i = 0; i < c->nline_sets; i++)
		if (c->lines[i].ctl != ctl)
			c->lines[n++] = c->lines[i];
	c->nline_sets = n;
}

static struct line_set *line_set_of(struct core *c, uint32_t line)
{
	for (int i = 0; i < c->nline_sets; i++) {
		struct line_set *s = &c->lines[i];
		if (line - s->first < s->count || (s->special && line == s->special))
			return s;
	}
	return NULL;
}

void core_request(struct core *c, uint64_t tick, uint32_t line, uint32_t kind)
{
	/* the request is recorded at the tick it was made; what it caused, when sampled */
	core_emit_line(c, tick, EV_REQUEST, (uint16_t)line, kind, line, tick);
	struct line_set *s = line_set_of(c, line);
	if (s)
		s->ops->line(c, s->ctl, line, kind, tick);
}

void core_lower_line(struct core *c, uint32_t line)
{
	for (int i = 0; i < c->nline_sets; i++) {
		struct line_set *s = &c->lines[i];
		if (line - s->first < s->count) {
			s->ops->line(c, s->ctl, line, LINE_LOWER, c->ticks);
			return;
		}
	}
}

void core_irq(struct core *c, int irq, int level)
{
	for (int i = 0; i < c->nline_sets; i++)
		if (c->lines[i].devices) {
			c->lines[i].ops->device(c, c->lines[i].ctl, (uint32_t)irq, level);
			return;
		}
}

int core_line_masked(struct core *c, uint32_t line)
{
	struct line_set *s = line_set_of(c, line);
	return s ? s->ops->masked(c, s->ctl, line) : -1;
}

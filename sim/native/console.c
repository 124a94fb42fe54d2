/* The console: what the firmware writes (semihosting, UARTs), kept until Python takes it, and at
 * most console_limit bytes over the core's life: the write that would pass the limit stops the
 * run with STOP_CONSOLE_FULL and is dropped, as is everything after it. */
#include <stdlib.h>
#include <string.h>

#include "core.h"

void core_console_putc(struct core *c, char ch)
{
	if (c->console_total >= c->console_limit) {
		core_stop(c, STOP_CONSOLE_FULL);  /* (outside a run: the next run's first write) */
		return;
	}
	c->console_total++;
	if (c->console_len == c->console_cap) {
		size_t cap = c->console_cap ? 2 * c->console_cap : 4096;
		char *p = realloc(c->console, cap);
		if (!p)
			return;
		c->console = p;
		c->console_cap = cap;
	}
	c->console[c->console_len++] = ch;
}

size_t core_console_take(struct core *c, char *out, size_t max)
{
	size_t n = c->console_len < max ? c->console_len : max;
	memcpy(out, c->console, n);
	memmove(c->console, c->console + n, c->console_len - n);
	c->console_len -= n;
	return n;
}

size_t core_console_len(struct core *c)
{
	return c->console_len;
}

void core_set_console_limit(struct core *c, uint64_t bytes)
{
	c->console_limit = bytes;
}

uint64_t core_console_total(struct core *c)
{
	return c->console_total;
}

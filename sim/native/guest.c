/* Guest errors: what the firmware did that the model rejects (a write to a read-only
 * register, a bad semihosting pointer, a path outside the semihosting root). Each is counted
 * and recorded in the trace (EV_GUEST_ERROR); the last one given a note keeps it, for Python
 * to log on sim.guest (Machine._drain). Execution goes on: strict mode is Python's. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "core.h"

void core_guest_error(struct core *c, uint64_t addr)
{
	c->guest_errors++;
	core_trace(c, EV_GUEST_ERROR, 0, (uint32_t)addr);
}

void core_guest_note(struct core *c, uint64_t addr, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->guest_note, sizeof(c->guest_note), fmt, ap);
	va_end(ap);
	core_guest_error(c, addr);
}

size_t core_guest_note_take(struct core *c, char *out, size_t max)
{
	size_t n = strnlen(c->guest_note, sizeof(c->guest_note));
	if (n > max)
		n = max;
	memcpy(out, c->guest_note, n);
	c->guest_note[0] = 0;
	return n;
}

uint64_t core_guest_errors(struct core *c)
{
	return c->guest_errors;
}

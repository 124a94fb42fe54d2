/* The stuck rule (docs/semantics.md, "Stuck"), the core's part: a block that is one branch to
 * itself (the architecture's self_loop decides, once per translation block) is marked
 * BLOCK_START_LOOP, so the block hook's fast path never looks at it; when such a block starts,
 * core_on_loop asks the architecture (its stuck op) whether any interrupt can still be taken,
 * telling it whether any line event, storm request or device timer is still to come. */
#include "core.h"

#include "api.h"

int core_line_may_come(struct core *c, uint32_t line)
{
	for (size_t i = 0; i < c->heap_len; i++)
		if (c->heap[i].line == line)
			return 1;
	return storm_may_request(c, line);
}

/* The block [addr, addr + size) branches to itself: stops the run (STOP_STUCK) when nothing
 * can ever interrupt it (docs/semantics.md, "Stuck"). The verdict "leavable" holds until the
 * next service(), where anything that could change it happens, so a loop that waits for an
 * interrupt pays one comparison per iteration. */
int core_on_loop(struct core *c, uint64_t addr, uint32_t size)
{
	if (c->loop_ok == addr || !c->arch->stuck)
		return 0;
	int quiet = !c->heap_len && storm_next_tick(c) == UINT64_MAX &&
		    core_devices_deadline(c) == UINT64_MAX;
	if (!c->arch->stuck(c, quiet)) {
		c->loop_ok = addr;
		return 0;
	}
	c->loop_start = addr;
	c->loop_end = addr + size;
	core_stop(c, STOP_STUCK);
	return 1;
}

/* Storm sources and accounting (storm/sources.c, storm/acct.c): their shared state. */
#ifndef SIM_NATIVE_STORM_STORM_H_
#define SIM_NATIVE_STORM_STORM_H_

#include <stddef.h>
#include <stdint.h>

#include "../api.h"

#define MAX_SOURCES STORM_MAX_SOURCES
#define MAX_TARGETS STORM_MAX_TARGETS

struct source {
	struct storm_spec spec;
	uint32_t lines[MAX_TARGETS];
	uint64_t cumw[MAX_TARGETS];
	uint64_t *replay;
	uint64_t rng[4];
	uint64_t next;          /* tick of the next request, UINT64_MAX when done */
	uint64_t base;          /* periodic: the unjittered tick of `next`; burst: start of burst */
	uint32_t in_burst;      /* requests left in the current burst */
	size_t replay_i;
};

struct storm {
	struct source src[MAX_SOURCES];
	int n;
	/* accounting, per line */
	uint32_t nlines;
	struct line_acct *acct;
	uint64_t *hist;          /* nlines * 2 * HIST_BUCKETS, entry latency then return latency */
};


#endif /* SIM_NATIVE_STORM_STORM_H_ */

/* Snapshots (api.h core_snapshot / core_restore): the whole state of a core between runs, as
 * an in-memory blob, restored into the same core or another core of the same image and board.
 *
 * What a snapshot holds, in this order (each part written by the one that owns it):
 *   header        magic, the architecture's name, the CPU context size, the memory map (bases
 *                 and sizes), the devices (kinds and bases), the storm's line count: checked
 *                 before anything is restored (SNAP_ERR_ARCH, SNAP_ERR_LAYOUT)
 *   the core      time (ticks, due, deadline, the run budget's fields), the stuck detection
 *                 and signal-poll fields, the run state (exit code, a pending stop, a lockup,
 *                 fault and loop detail), guest errors and the last note, handler-mode time,
 *                 the console's byte count, and the heap of scheduled line events
 *   CPU           Unicorn's CPU context (uc_context_save: every register, the M-profile
 *                 banked stack pointers and masks, the CSRs) and the architecture's own
 *                 model (arch_ops save: NVIC + SCB + SysTick; the hart's trap stack)
 *   memory        every RAM/flash region the core maps (core_map), as its host pages: a page
 *                 that is all zeros is not stored; and the executed-page marks of tlb.c
 *   devices       each device's state (dev/dev.c dev_save: its model's save op, or its plain
 *                 state), deep-copied where it holds a queue
 *   storm         sources (their RNG state, next tick, burst position, replay ticks) and the
 *                 accounting (per-line counters and histograms), when a storm is set up
 *   semihosting   the open handles (host files as dup'ed descriptors the snapshot owns), the
 *                 console input not read yet, errno and the heap block
 *   detectors     the mistake detectors' state and records (detect.c)
 * Not in it: the trace records and console bytes not yet taken (Machine drains both before
 * it snapshots; Python keeps its own copies of what it drained), the configuration every
 * core of the same image and board shares (watched addresses, line sets, options), and the
 * decoded-block cache (cleared: it only caches what the code says).
 *
 * Restoring puts memory back, then the CPU context, and flushes Unicorn's translated blocks
 * and its TLB (uc_ctl_flush_tb, uc_ctl_flush_tlb): code may differ from what was translated,
 * and TLB entries carry the executed marks restored with the memory.
 *
 * Unicorn's CPU context across engines. A uc_context is a copy of QEMU's CPU state, and that
 * state holds a few pointers of its own engine (Arm: the MPU region arrays pmsav7/pmsav8/sau,
 * whose contents uc_arm_context_restore then copies through them; env->uc). Restored into
 * another engine as is, the target would keep the source's pointers. So a restore merges:
 * the target's own context, saved first, keeps the words that hold such pointers, the
 * snapshot gives the rest. Which words those are is found once per (arch, mode, CPU model) by
 * comparing the contexts of two engines just opened, both open at once: everything else in
 * them is the reset state, the same in both; only the engines' own pointers differ
 * (ctx_pointer_mask). A pointer that is NULL after reset and set later would escape this;
 * QEMU's Arm and RISC-V CPU state before Unicorn's context end has none (the MPU arrays are
 * allocated at realize, env->uc at init).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "core.h"
#include "dev/dev.h"
#include "snapshot.h"
#include "storm/storm.h"

#define SNAP_MAGIC 0x31504E5351524955ull   /* "UIRQSNP1" */
#define PAGE 4096u
#define MAX_FDS (SH_MAX_FILES + 1)

struct snapshot {
	uint8_t *data;
	size_t len;
	int fds[MAX_FDS];        /* host descriptors it owns (semihosting files), -1 none */
	int nfds;
};

/* ---- the blob ------------------------------------------------------------------------------- */

void snap_put(struct snap_w *w, const void *src, size_t n)
{
	if (w->err || !n)
		return;
	if (w->len + n > w->cap) {
		size_t cap = w->cap ? w->cap : 1 << 16;
		while (cap < w->len + n)
			cap *= 2;
		uint8_t *p = realloc(w->p, cap);
		if (!p) {
			w->err = 1;
			return;
		}
		w->p = p;
		w->cap = cap;
	}
	memcpy(w->p + w->len, src, n);
	w->len += n;
}

const void *snap_take(struct snap_r *r, size_t n)
{
	if (r->err || n > r->len - r->pos) {
		r->err = 1;
		return NULL;
	}
	const void *p = r->p + r->pos;
	r->pos += n;
	return p;
}

int snap_get(struct snap_r *r, void *dst, size_t n)
{
	const void *p = snap_take(r, n);
	if (!p)
		return -1;
	memcpy(dst, p, n);
	return 0;
}

int snap_own_fd(struct snap_w *w, int fd)
{
	if (w->s->nfds == MAX_FDS) {
		w->err = 1;
		return -1;
	}
	w->s->fds[w->s->nfds++] = fd;
	return 0;
}

/* ---- the core's own fields ---------------------------------------------------------------- */

/* Every field of struct core that is state, not configuration or a resource. */
#define CORE_FIELDS(X) \
	X(ticks) X(deadline) X(due) X(stop_tick) X(start_noted) X(handler_since) X(attn) \
	X(heap_seq) X(console_total) X(locked_up) X(exit_code) X(ending) X(pending_stop) \
	X(until) X(fault_pc) X(fault_addr) X(fault_cause) X(loop_start) X(loop_end) X(loop_ok) \
	X(wait_pc) X(mem_fault_addr) X(mem_fault_seen) X(pc_redirected) X(drain_asap) \
	X(guest_errors) X(guest_note) X(handler_ticks)

static void save_core(struct core *c, struct snap_w *w)
{
#define PUT(f) snap_put(w, &c->f, sizeof(c->f));
	CORE_FIELDS(PUT)
#undef PUT
	snap_put_u64(w, c->heap_len);
	snap_put(w, c->heap, c->heap_len * sizeof(*c->heap));
}

static int restore_core(struct core *c, struct snap_r *r)
{
#define GET(f) snap_get(r, &c->f, sizeof(c->f));
	CORE_FIELDS(GET)
#undef GET
	uint64_t n = snap_get_u64(r);
	if (r->err || n > CORE_SCHED_MAX)
		return SNAP_ERR_CORRUPT;
	if (n > c->heap_cap) {
		struct sched_ev *p = realloc(c->heap, n * sizeof(*p));
		if (!p)
			return SNAP_ERR_NOMEM;
		c->heap = p;
		c->heap_cap = n;
	}
	c->heap_len = n;
	if (snap_get(r, c->heap, n * sizeof(*c->heap)))
		return SNAP_ERR_CORRUPT;
	c->trace_len = 0;        /* records not taken belong to the time before the restore */
	c->console_len = 0;
	c->stop = STOP_NONE;
	return 0;
}

/* ---- the CPU context ------------------------------------------------------------------------ */

struct ptr_mask {
	int arch, mode, model;
	size_t size;
	uint8_t *mask;           /* 1: the byte belongs to a word holding an engine pointer */
};

static struct ptr_mask masks[8];   /* one per engine kind: RV32, Cortex-M0/M3/M4/M7/M33 */
static int nmasks;

static int engine_kind(uc_engine *uc, int *arch, int *mode, int *model)
{
	return uc_ctl_get_arch(uc, arch) || uc_ctl_get_mode(uc, mode) ||
	       uc_ctl_get_cpu_model(uc, model) ? -1 : 0;
}

/* The contexts of two engines of the kind given, open at the same time (so that none of their
 * allocations can be at the same address), into a and b: 0, or -1. */
static int fresh_contexts(int arch, int mode, int model, uint8_t *a, uint8_t *b, size_t size)
{
	uc_engine *u[2] = {NULL, NULL};
	uint8_t *out[2] = {a, b};
	int ok = 1;
	for (int i = 0; i < 2 && ok; i++)
		ok = uc_open((uc_arch)arch, (uc_mode)mode, &u[i]) == UC_ERR_OK &&
		     uc_ctl_set_cpu_model(u[i], model) == UC_ERR_OK && uc_context_size(u[i]) == size;
	for (int i = 0; i < 2 && ok; i++) {
		uc_context *x;
		ok = uc_context_alloc(u[i], &x) == UC_ERR_OK;
		if (ok) {
			ok = uc_context_save(u[i], x) == UC_ERR_OK;
			memcpy(out[i], x, size);
			uc_context_free(x);
		}
	}
	for (int i = 0; i < 2; i++)
		if (u[i])
			uc_close(u[i]);
	return ok ? 0 : -1;
}

/* The words of a CPU context of engine uc that hold pointers of their engine (see the file
 * comment); NULL when they cannot be found. */
static const uint8_t *ctx_pointer_mask(uc_engine *uc, size_t size)
{
	int arch, mode, model;
	if (engine_kind(uc, &arch, &mode, &model))
		return NULL;
	for (int i = 0; i < nmasks; i++)
		if (masks[i].arch == arch && masks[i].mode == mode && masks[i].model == model &&
		    masks[i].size == size)
			return masks[i].mask;
	if (nmasks == (int)(sizeof(masks) / sizeof(masks[0])))
		return NULL;
	uint8_t *a = malloc(size), *b = malloc(size), *m = calloc(1, size);
	const uint8_t *found = NULL;
	if (a && b && m && !fresh_contexts(arch, mode, model, a, b, size)) {
		for (size_t w = 0; w < size; w += 8) {
			size_t n = size - w < 8 ? size - w : 8;
			if (memcmp(a + w, b + w, n))
				memset(m + w, 1, n);
		}
		masks[nmasks++] = (struct ptr_mask){arch, mode, model, size, m};
		found = m;
		m = NULL;
	}
	free(a);
	free(b);
	free(m);
	return found;
}

static int save_cpu(struct core *c, struct snap_w *w)
{
	uc_context *x;
	size_t size = uc_context_size(c->uc);
	if (uc_context_alloc(c->uc, &x) != UC_ERR_OK)
		return SNAP_ERR_NOMEM;
	int r = uc_context_save(c->uc, x) == UC_ERR_OK ? 0 : SNAP_ERR_ENGINE;
	if (!r)
		snap_put(w, x, size);
	uc_context_free(x);
	if (!r && c->arch->save)
		c->arch->save(c, w);
	return r;
}

static int restore_cpu(struct core *c, struct snap_r *r, size_t size)
{
	const uint8_t *saved = snap_take(r, size), *mask = ctx_pointer_mask(c->uc, size);
	if (!saved)
		return SNAP_ERR_CORRUPT;
	if (!mask)
		return SNAP_ERR_ENGINE;
	uc_context *x;
	if (uc_context_alloc(c->uc, &x) != UC_ERR_OK)
		return SNAP_ERR_NOMEM;
	int err = SNAP_ERR_ENGINE;
	if (uc_context_save(c->uc, x) == UC_ERR_OK) {   /* the target's own pointers */
		uint8_t *own = (uint8_t *)x;
		for (size_t i = 0; i < size; i++)
			if (!mask[i])
				own[i] = saved[i];
		if (uc_context_restore(c->uc, x) == UC_ERR_OK)
			err = 0;
	}
	uc_context_free(x);
	if (!err && c->arch->restore && c->arch->restore(c, r))
		err = SNAP_ERR_CORRUPT;
	return err;
}

/* ---- memory ------------------------------------------------------------------------------- */

/* Without swap, a page of the core's anonymous memory that is not resident was never written:
 * it reads as zero, and need not be looked at. */
static int no_swap(void)
{
	static int known = -1;
	if (known < 0) {
		struct sysinfo si;
		known = sysinfo(&si) == 0 && si.totalswap == 0;
	}
	return known;
}

static int page_zero(const uint8_t *p, size_t n)
{
	static const uint8_t zeros[PAGE];
	return memcmp(p, zeros, n) == 0;
}

/* Pages of region r that may hold data: resident[i] set (all set when that is unknown). */
static unsigned char *resident_pages(const struct region *r, size_t npages)
{
	unsigned char *v = malloc(npages ? npages : 1);
	if (v && (!no_swap() || mincore(r->host, r->size, v)))
		memset(v, 1, npages);
	return v;
}

static void save_memory(struct core *c, struct snap_w *w)
{
	for (int i = 0; i < c->nregions && !w->err; i++) {
		const struct region *r = &c->regions[i];
		size_t npages = (r->size + PAGE - 1) / PAGE;
		unsigned char *res = resident_pages(r, npages);
		if (!res) {
			w->err = 1;
			return;
		}
		/* the list of stored pages, then their bytes */
		size_t at = w->len;
		uint64_t stored = 0;
		snap_put_u64(w, 0);
		for (size_t p = 0; p < npages; p++) {
			size_t n = r->size - p * PAGE < PAGE ? r->size - p * PAGE : PAGE;
			if ((res[p] & 1) && !page_zero(r->host + p * PAGE, n)) {
				uint64_t idx = p;
				snap_put(w, &idx, 8);
				snap_put(w, r->host + p * PAGE, n);
				stored++;
			}
		}
		free(res);
		if (!w->err)
			memcpy(w->p + at, &stored, 8);
		snap_put(w, r->executed, core_tlb_marks(r) * sizeof(uint64_t));
	}
}

static int restore_memory(struct core *c, struct snap_r *r)
{
	for (int i = 0; i < c->nregions; i++) {
		struct region *g = &c->regions[i];
		size_t npages = (g->size + PAGE - 1) / PAGE;
		uint64_t stored = snap_get_u64(r);
		if (r->err || stored > npages)
			return SNAP_ERR_CORRUPT;
		unsigned char *res = resident_pages(g, npages), *keep = calloc(1, npages);
		if (!res || !keep) {
			free(res);
			free(keep);
			return SNAP_ERR_NOMEM;
		}
		int err = 0;
		for (uint64_t k = 0; k < stored && !err; k++) {
			uint64_t p = snap_get_u64(r);
			size_t n = p < npages && g->size - p * PAGE < PAGE ? g->size - p * PAGE : PAGE;
			const void *src = p < npages ? snap_take(r, n) : NULL;
			if (!src) {
				err = SNAP_ERR_CORRUPT;
				break;
			}
			memcpy(g->host + p * PAGE, src, n);
			keep[p] = 1;
		}
		/* pages the snapshot holds as zeros: clear those that are not */
		for (size_t p = 0; p < npages && !err; p++) {
			size_t n = g->size - p * PAGE < PAGE ? g->size - p * PAGE : PAGE;
			if (!keep[p] && (res[p] & 1) && !page_zero(g->host + p * PAGE, n))
				memset(g->host + p * PAGE, 0, n);
		}
		free(res);
		free(keep);
		if (err || snap_get(r, g->executed, core_tlb_marks(g) * sizeof(uint64_t)))
			return err ? err : SNAP_ERR_CORRUPT;
	}
	return 0;
}

/* ---- the storm -------------------------------------------------------------------------------- */

static void save_storm(struct core *c, struct snap_w *w)
{
	struct storm *st = c->storm;
	if (!st)
		return;
	snap_put(w, st->src, sizeof(st->src));
	snap_put(w, &st->n, sizeof(st->n));
	for (int i = 0; i < st->n; i++)   /* (the condition restore_storm reads them under) */
		if (st->src[i].spec.kind == SRC_REPLAY && st->src[i].spec.nreplay)
			snap_put(w, st->src[i].replay, st->src[i].spec.nreplay * sizeof(uint64_t));
	snap_put(w, st->acct, st->nlines * sizeof(*st->acct));
	snap_put(w, st->hist, (size_t)st->nlines * 2 * HIST_BUCKETS * sizeof(uint64_t));
}

static int restore_storm(struct core *c, struct snap_r *r, uint64_t nlines)
{
	if (c->storm && (!nlines || c->storm->nlines != nlines)) {
		storm_free(c);
		c->storm = NULL;
	}
	if (!nlines)
		return 0;
	if (!c->storm && storm_init(c, (uint32_t)nlines))
		return SNAP_ERR_NOMEM;
	struct storm *st = c->storm;
	for (int i = 0; i < st->n; i++)
		free(st->src[i].replay);
	st->n = 0;
	int n;
	if (snap_get(r, st->src, sizeof(st->src)) || snap_get(r, &n, sizeof(n)) || n < 0 ||
	    n > MAX_SOURCES)
		return SNAP_ERR_CORRUPT;
	for (int i = 0; i < n; i++) {
		struct source *s = &st->src[i];
		s->replay = NULL;
		size_t bytes = s->spec.nreplay * sizeof(uint64_t);
		if (s->spec.kind != SRC_REPLAY || !s->spec.nreplay)
			continue;
		const void *p = snap_take(r, bytes);
		if (!p || !(s->replay = malloc(bytes)))
			return p ? SNAP_ERR_NOMEM : SNAP_ERR_CORRUPT;
		memcpy(s->replay, p, bytes);
		st->n = i + 1;
	}
	st->n = n;
	if (snap_get(r, st->acct, st->nlines * sizeof(*st->acct)) ||
	    snap_get(r, st->hist, (size_t)st->nlines * 2 * HIST_BUCKETS * sizeof(uint64_t)))
		return SNAP_ERR_CORRUPT;
	return 0;
}

/* ---- header: what must match -------------------------------------------------------------- */

static void save_header(struct core *c, struct snap_w *w)
{
	snap_put_u64(w, SNAP_MAGIC);
	char name[16] = {0};
	strncpy(name, c->arch ? c->arch->name : "", sizeof(name) - 1);
	snap_put(w, name, sizeof(name));
	snap_put_u64(w, uc_context_size(c->uc));
	snap_put_u64(w, (uint64_t)c->nregions);
	for (int i = 0; i < c->nregions; i++) {
		snap_put_u64(w, c->regions[i].base);
		snap_put_u64(w, c->regions[i].size);
	}
	snap_put_u64(w, (uint64_t)c->ndevs);
	for (int i = 0; i < c->ndevs; i++) {
		char kind[24] = {0};
		strncpy(kind, c->devs[i]->model->kind, sizeof(kind) - 1);
		snap_put(w, kind, sizeof(kind));
		snap_put_u64(w, c->devs[i]->base);
	}
	snap_put_u64(w, c->storm ? c->storm->nlines : 0);
}

/* Reads and checks the header: 0 or an enum snapshot_error; *ctx_size, *nlines. */
static int check_header(struct core *c, struct snap_r *r, size_t *ctx_size, uint64_t *nlines)
{
	if (snap_get_u64(r) != SNAP_MAGIC)
		return SNAP_ERR_CORRUPT;
	const char *name = snap_take(r, 16);
	if (!name || !c->arch || strncmp(name, c->arch->name, 15))
		return SNAP_ERR_ARCH;
	*ctx_size = snap_get_u64(r);
	if (*ctx_size != uc_context_size(c->uc))
		return SNAP_ERR_ARCH;
	if (snap_get_u64(r) != (uint64_t)c->nregions)
		return SNAP_ERR_LAYOUT;
	for (int i = 0; i < c->nregions; i++)
		if (snap_get_u64(r) != c->regions[i].base || snap_get_u64(r) != c->regions[i].size)
			return SNAP_ERR_LAYOUT;
	if (snap_get_u64(r) != (uint64_t)c->ndevs)
		return SNAP_ERR_LAYOUT;
	for (int i = 0; i < c->ndevs; i++) {
		const char *kind = snap_take(r, 24);
		if (!kind || strncmp(kind, c->devs[i]->model->kind, 23) ||
		    snap_get_u64(r) != c->devs[i]->base)
			return SNAP_ERR_LAYOUT;
	}
	*nlines = snap_get_u64(r);
	if (r->err)
		return SNAP_ERR_CORRUPT;
	if (*nlines && *nlines > UINT32_MAX)
		return SNAP_ERR_LAYOUT;
	return 0;
}

/* ---- public API (api.h) ------------------------------------------------------------------------ */

struct snapshot *core_snapshot(struct core *c)
{
	struct snapshot *s = calloc(1, sizeof(*s));
	if (!s || !c->arch) {
		free(s);
		return NULL;
	}
	struct snap_w w = {.s = s};
	save_header(c, &w);
	save_core(c, &w);
	if (save_cpu(c, &w))
		w.err = 1;
	save_memory(c, &w);
	for (int i = 0; i < c->ndevs; i++)
		dev_save(c->devs[i], &w);
	save_storm(c, &w);
	core_semihost_save(c, &w);
	det_save(c, &w);
	s->data = w.p;
	s->len = w.len;
	if (w.err) {
		core_snapshot_free(s);
		return NULL;
	}
	return s;
}

int core_restore(struct core *c, const struct snapshot *s)
{
	struct snap_r r = {s->data, s->len, 0, 0};
	size_t ctx_size;
	uint64_t nlines;
	int err = check_header(c, &r, &ctx_size, &nlines);
	if (err)
		return err;
	if ((err = restore_core(c, &r)))
		return err;
	if ((err = restore_cpu(c, &r, ctx_size)))
		return err;
	if ((err = restore_memory(c, &r)))   /* (the TLB is flushed below) */
		return err;
	for (int i = 0; i < c->ndevs; i++)
		if (dev_restore(c->devs[i], &r))
			return SNAP_ERR_CORRUPT;
	if ((err = restore_storm(c, &r, nlines)))
		return err;
	if (core_semihost_restore(c, &r))
		return r.err ? SNAP_ERR_CORRUPT : SNAP_ERR_NOMEM;
	if (det_restore(c, &r))
		return SNAP_ERR_CORRUPT;
	if (r.pos != r.len)
		return SNAP_ERR_CORRUPT;
	core_forget_blocks(c);
	uc_ctl_flush_tb(c->uc);
	uc_ctl_flush_tlb(c->uc);
	return 0;
}

void core_snapshot_free(struct snapshot *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->nfds; i++)
		close(s->fds[i]);
	free(s->data);
	free(s);
}

size_t core_snapshot_size(const struct snapshot *s)
{
	return s->len;
}

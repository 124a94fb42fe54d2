/* The fast store path: Unicorn 2.1.4's virtual TLB, filled by the core.
 *
 * In its default mode (UC_TLB_CPU) Unicorn 2.1.4 gives every RAM page an executable TLB entry,
 * and every store to a page whose entry is executable takes QEMU's not-dirty / self-modifying-
 * code slow path: a guest store costs 20-30 ns where a load costs about 1 (FIELD_NOTES). In
 * UC_TLB_VIRTUAL mode the TLB is filled by a UC_HOOK_TLB_FILL hook; this one maps each page to
 * itself and grants
 *   - on a page code was never fetched from: the region's read and write permissions, no
 *     execute: stores take the fast path;
 *   - on a page code was fetched from (once is enough, for good): the region's permissions
 *     with execute, so a store there still invalidates the translations of that page
 *     (self-modifying code, code copied to RAM and run: both keep working).
 * A fetch from a page whose entry lacks execute misses the TLB and comes here as a fetch: the
 * page is marked executed and refilled with execute. The region permissions (the board file's
 * perms) still bound everything: Unicorn checks them, and reports unmapped and protected
 * accesses, on the slow path before it fills the TLB, and an entry never grants more than the
 * region does. Pages outside RAM (device registers, unmapped space) get every permission: the
 * physical map then decides, as in Unicorn's default mode, and unmapped or protected accesses
 * fail with the same UC_ERR_* as before. (Refusing a permission here makes Unicorn raise
 * UC_ERR_EXCEPTION instead: seen when QEMU's M-profile code probes the fetch permission of the
 * 0xFFFFFC00 page while raising INVSTATE. That is the "spurious UC_ERR_EXCEPTION" an earlier
 * probe saw at the end of emu_start in this mode.)
 *
 * Marks are kept per TLB_GRAIN bytes (the smallest target page, Arm's 1 KiB; a RISC-V fill
 * asks for 4 KiB pages, marked at their first grain).
 */
#include <stdlib.h>

#include "core.h"

#define TLB_GRAIN_BITS 10

static struct region *region_at(struct core *c, uint64_t addr)
{
	for (int i = 0; i < c->nregions; i++) {
		struct region *r = &c->regions[i];
		if (addr - r->base < r->size)
			return r;
	}
	return NULL;
}

static bool hook_tlb_fill(uc_engine *uc, uint64_t vaddr, uc_mem_type type, uc_tlb_entry *e,
			  void *ud)
{
	struct core *c = ud;
	(void)uc;
	e->paddr = vaddr;
	struct region *r = region_at(c, vaddr);
	if (!r) {
		e->perms = UC_PROT_ALL;
		return true;
	}
	uint64_t g = (vaddr - r->base) >> TLB_GRAIN_BITS;
	uint64_t *w = &r->executed[g >> 6], bit = 1ull << (g & 63);
	if (type == UC_MEM_FETCH)
		*w |= bit;
	e->perms = r->perms & ((*w & bit) ? UC_PROT_ALL : (UC_PROT_READ | UC_PROT_WRITE));
	return true;
}

/* Bytes [addr, addr + len) were written from outside the guest (Machine.mem_write): Unicorn
 * 2.1.4's uc_mem_write keeps the translations of code there, so drop them, but only where code
 * may have been translated: a page with no executed mark never held a translation (every
 * fetch from RAM comes through the fill hook, which marks it). Checked per 4 KiB, the largest
 * target page (a RISC-V fill marks its page's first grain). Outside RAM, always. The marks
 * matter because uc_ctl_remove_cache itself looks the range's pages up as fetches: called on
 * a data page it would make that page executable, and every store to it slow, for good (the
 * demo's storm set-up writes its variables this way: 3 slow stores per interrupt on virt). */
#define CODE_PAGE_BITS 12

static int maybe_code(struct core *c, uint64_t addr, uint64_t len)
{
	uint64_t first = addr >> CODE_PAGE_BITS, last = (addr + len - 1) >> CODE_PAGE_BITS;
	for (uint64_t p = first; p <= last; p++) {
		uint64_t a = p << CODE_PAGE_BITS;
		struct region *r = region_at(c, a);
		if (!r || a + (1u << CODE_PAGE_BITS) > r->base + r->size)
			return 1;
		for (uint64_t g = (a - r->base) >> TLB_GRAIN_BITS,
			      n = 1u << (CODE_PAGE_BITS - TLB_GRAIN_BITS); n--; g++)
			if (r->executed[g >> 6] & 1ull << (g & 63))
				return 1;
	}
	return 0;
}

void core_code_written(struct core *c, uint64_t addr, uint64_t len)
{
	if (len && maybe_code(c, addr, len))
		uc_ctl_remove_cache(c->uc, addr, addr + len);
}

int core_code_page(struct core *c, uint64_t addr)
{
	return maybe_code(c, addr, 1);
}

/* The executed-page marks of a RAM region about to be mapped; 0 or -1. */
int core_tlb_region(struct region *r)
{
	uint64_t grains = (r->size + (1u << TLB_GRAIN_BITS) - 1) >> TLB_GRAIN_BITS;
	r->executed = calloc((grains + 63) / 64, sizeof(uint64_t));
	return r->executed ? 0 : -1;
}

size_t core_tlb_marks(const struct region *r)
{
	uint64_t grains = (r->size + (1u << TLB_GRAIN_BITS) - 1) >> TLB_GRAIN_BITS;
	return (grains + 63) / 64;
}

/* Puts the engine in virtual-TLB mode with the fill hook above; 0 or -1. */
int core_tlb_init(struct core *c)
{
	if (uc_ctl_tlb_mode(c->uc, UC_TLB_VIRTUAL) != UC_ERR_OK)
		return -1;
	return uc_hook_add(c->uc, &c->h_tlb, UC_HOOK_TLB_FILL, (void *)hook_tlb_fill, c, 1, 0) ==
	       UC_ERR_OK ? 0 : -1;
}

/* For bench/storm.py: the same fast-store set-up on a bare engine with no core (every page
 * read+write until code is fetched from it), to show the ceiling of a Unicorn with fast stores
 * and no hooks. One mark per grain of the 32-bit address space (512 KiB), shared by all bare
 * engines of the process. */
static uint64_t *bench_executed;

static bool hook_tlb_fill_bare(uc_engine *uc, uint64_t vaddr, uc_mem_type type,
			       uc_tlb_entry *e, void *ud)
{
	(void)uc, (void)ud;
	uint64_t g = (vaddr & 0xFFFFFFFFu) >> TLB_GRAIN_BITS, bit = 1ull << (g & 63);
	if (type == UC_MEM_FETCH)
		bench_executed[g >> 6] |= bit;
	e->paddr = vaddr;
	e->perms = (bench_executed[g >> 6] & bit) ? UC_PROT_ALL : UC_PROT_READ | UC_PROT_WRITE;
	return true;
}

int core_bench_fast_stores(uintptr_t uc)
{
	uc_hook h;
	if (!bench_executed &&
	    !(bench_executed = calloc((1ull << (32 - TLB_GRAIN_BITS)) / 64, sizeof(uint64_t))))
		return -1;
	if (uc_ctl_tlb_mode((uc_engine *)uc, UC_TLB_VIRTUAL) != UC_ERR_OK)
		return -1;
	return uc_hook_add((uc_engine *)uc, &h, UC_HOOK_TLB_FILL, (void *)hook_tlb_fill_bare, NULL,
			   1, 0) == UC_ERR_OK ? 0 : -1;
}

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
 * region does. Pages outside RAM (MMIO) get read and write: Unicorn refuses fetches from them
 * before asking.
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

/* The executed-page marks of a RAM region about to be mapped; 0 or -1. */
int core_tlb_region(struct region *r)
{
	uint64_t grains = (r->size + (1u << TLB_GRAIN_BITS) - 1) >> TLB_GRAIN_BITS;
	r->executed = calloc((grains + 63) / 64, sizeof(uint64_t));
	return r->executed ? 0 : -1;
}

/* Puts the engine in virtual-TLB mode with the fill hook above; 0 or -1. */
int core_tlb_init(struct core *c)
{
	if (uc_ctl_tlb_mode(c->uc, UC_TLB_VIRTUAL) != UC_ERR_OK)
		return -1;
	return uc_hook_add(c->uc, &c->h_tlb, UC_HOOK_TLB_FILL, (void *)hook_tlb_fill, c, 1, 0) ==
	       UC_ERR_OK ? 0 : -1;
}

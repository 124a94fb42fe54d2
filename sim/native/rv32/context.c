/* The trap entry's CSR writes through a saved Unicorn CPU context (uc_context), which avoids
 * a TLB flush that the same writes through the API cost; and the probe that finds the CSRs in
 * the context, which Unicorn keeps opaque. docs/riscv.md measures what this saves and says how
 * the probe checks itself.
 */
#include <stdlib.h>
#include <string.h>

#include "rv32.h"

/* The trap entry's CSR writes: mstatus <- nv (old: its value now), mepc, mcause, mtval, as
 * writes through the API would store them, minus one cost. Unicorn 2.1.4 (QEMU 5.0's
 * write_mstatus) flushes the whole TLB whenever a write changes MPP, although MPP affects
 * translation only while MPRV is set (data accesses then use MPP's privilege; the TLB is
 * tagged by the current privilege otherwise). Every trap taken from M-mode changes MPP from U
 * (where mret leaves it) to M, so that flush, and the refills after it, cost about a third of
 * an interrupt's host time. When MPRV is clear before and after, the values go straight into
 * the CPU state through a saved context (a copy of about 1 KB each way, cheaper than four CSR
 * writes through the API), `saved` when the caller already saved it: exactly what the CSR
 * writes store, minus the flush (the fields that also go into SD, FS and XS, do not change
 * here). Otherwise, or when the probe at set-up did not find the CSRs in the context, the
 * ordinary writes. */
void hart_trap_csrs(struct core *c, struct hart_context *x, int saved, uint32_t old, uint32_t nv,
		    uint32_t epc, uint32_t cause, uint32_t tval)
{
	if (x->ok && !((old | nv) & MSTATUS_MPRV) && !((old ^ nv) & ~MSTATUS_TRAP_BITS) &&
	    (saved || uc_context_save(c->uc, x->ctx) == UC_ERR_OK)) {
		uint8_t *b = (uint8_t *)x->ctx;
		memcpy(b + x->off[CX_MSTATUS], &nv, 4);
		memcpy(b + x->off[CX_MEPC], &epc, 4);
		memcpy(b + x->off[CX_MCAUSE], &cause, 4);
		memcpy(b + x->off[CX_MTVAL], &tval, 4);
		if (uc_context_restore(c->uc, x->ctx) == UC_ERR_OK)
			return;
	}
	hart_set_reg(c, UC_RISCV_REG_MSTATUS, nv);
	hart_set_reg(c, UC_RISCV_REG_MEPC, epc);
	hart_set_reg(c, UC_RISCV_REG_MCAUSE, cause);
	hart_set_reg(c, UC_RISCV_REG_MTVAL, tval);
}

int hart_context_save(struct core *c, struct hart_context *x)
{
	return x->ok && uc_context_save(c->uc, x->ctx) == UC_ERR_OK;
}

uint32_t hart_context_csr(const struct hart_context *x, int field)
{
	uint32_t v;
	memcpy(&v, (const uint8_t *)x->ctx + x->off[field], 4);
	return v;
}

/* Finds CSR `regid` in a saved CPU context (uc_context is opaque: its header and the CPU
 * state layout are Unicorn's), by writing two distinct legal values through the API and
 * looking for the one word that holds each; then checks that a value put there reads back
 * through the API. Returns the byte offset from the start of the context, or -1. Runs in
 * M-mode at set-up; puts the CSR's value back. */
static long probe_field(struct core *c, struct hart_context *x, int regid, uint32_t w1,
			uint32_t w2, uint8_t *first, size_t size)
{
	long found = -1;
	uint32_t orig = hart_reg(c, regid), v1, v2;
	hart_set_reg(c, regid, w1);
	v1 = hart_reg(c, regid);
	if (uc_context_save(c->uc, x->ctx) != UC_ERR_OK)
		goto out;
	memcpy(first, x->ctx, size);
	hart_set_reg(c, regid, w2);
	v2 = hart_reg(c, regid);
	if (v1 == v2 || uc_context_save(c->uc, x->ctx) != UC_ERR_OK)
		goto out;
	for (size_t off = 0; off + 4 <= size; off += 4) {
		uint32_t a, b;
		memcpy(&a, first + off, 4);
		memcpy(&b, (uint8_t *)x->ctx + off, 4);
		if (a == v1 && b == v2) {
			if (found >= 0) {   /* not unique: do not guess */
				found = -1;
				goto out;
			}
			found = (long)off;
		}
	}
	if (found < 0)
		goto out;
	/* v2 is in the CPU now; put v1 in through the context and read it back */
	memcpy((uint8_t *)x->ctx + found, &v1, 4);
	if (uc_context_restore(c->uc, x->ctx) != UC_ERR_OK || hart_reg(c, regid) != v1)
		found = -1;
out:
	hart_set_reg(c, regid, orig);
	return found;
}

static void probe_offsets(struct core *c, struct hart_context *x)
{
	size_t size = uc_context_size(c->uc);
	x->ok = 0;
	if (!x->ctx || size < 8 || size > (1u << 20))
		return;
	uint8_t *first = malloc(size);
	if (!first)
		return;
	static const struct { int id; uint32_t w1, w2; } f[CX_N] = {
		[CX_MSTATUS] = { UC_RISCV_REG_MSTATUS, MSTATUS_MPIE | 1u << MSTATUS_MPP_SHIFT | 1u << 5,
				 MSTATUS_MIE | 3u << MSTATUS_MPP_SHIFT | 1u << 8 },
		[CX_MEPC] = { UC_RISCV_REG_MEPC, 0x80001234u, 0x80004568u },
		[CX_MCAUSE] = { UC_RISCV_REG_MCAUSE, 0x8000000bu, 0x00000005u },
		[CX_MTVAL] = { UC_RISCV_REG_MTVAL, 0x13572468u, 0x2468ace0u },
		[CX_MTVEC] = { UC_RISCV_REG_MTVEC, 0x80000101u, 0x80000200u },
	};
	x->ok = 1;
	for (int i = 0; i < CX_N; i++) {
		x->off[i] = probe_field(c, x, f[i].id, f[i].w1, f[i].w2, first, size);
		if (x->off[i] < 0)
			x->ok = 0;
	}
	free(first);
}

void hart_context_init(struct core *c, struct hart_context *x)
{
	x->ctx = NULL;
	if (uc_context_alloc(c->uc, &x->ctx) != UC_ERR_OK)
		x->ctx = NULL;
	probe_offsets(c, x);
}

void hart_context_free(struct core *c, struct hart_context *x)
{
	(void)c;
	if (x->ctx) {
		uc_context_free(x->ctx);
		x->ctx = NULL;
	}
	x->ok = 0;
}

/* Exception entry and return through one saved Unicorn CPU context (uc_context), instead of
 * a register API call per register; and the probe that finds the fields in the context,
 * which Unicorn keeps opaque (the same method as rv32/context.c).
 *
 * Why: an interrupt taken and returned made ~25 uc_reg_read/uc_reg_write calls; each costs
 * 90-160 host instructions in Unicorn 2.1.4 (a switch over every register id, and for
 * CONTROL, xPSR and the masks QEMU's MSR/MRS helpers), together about 30% of an interrupt's
 * host instructions at one request per 80 instructions. A context save or restore is one copy
 * of the CPU state (4.4 KB on Arm). None of these calls flushes the TLB on Cortex-M (measured:
 * no tlb_flush during a storm; QEMU tags its M-profile TLB by MMU index, so handler/thread
 * and nPRIV changes need none), and a restore is a plain copy: no flush, no TB cache change,
 * and no rebuild of QEMU's cached hflags, which is why one API write follows it (APSR_NZCV,
 * whose write rebuilds them). docs/architecture.md ("Speed") has the numbers.
 *
 * What goes through the context: r0-r3, r12, LR, SP (the current R13), IPSR, ITSTATE, Q.
 * What stays on the API: the PC (its write also makes Unicorn leave the current translation
 * block, which a change of PC from a block hook needs), NZCV (rebuilding the hflags), and
 * everything the fast path does not cover (exc.c: stack switches between MSP and PSP, FP
 * frames, ARMv8-M), which keeps the register writes it always made.
 */
#include <stdlib.h>
#include <string.h>

#include "armv7m.h"

/* QEMU's M-profile xPSR fields as the CPU state keeps them (target/arm/cpu.h xpsr_read):
 * condexec_bits = IT[7:0], QF = Q, v7m.exception = IPSR. The probe checks each. */
static uint32_t condexec_of(uint32_t xpsr)
{
	return ((xpsr >> 25) & 3u) | ((xpsr >> 8) & 0xFCu);
}

static void put(struct v7m_context *x, int f, uint32_t v)
{
	memcpy((uint8_t *)x->ctx + x->off[f], &v, 4);
}

static uint32_t get(const struct v7m_context *x, int f)
{
	uint32_t v;
	memcpy(&v, (const uint8_t *)x->ctx + x->off[f], 4);
	return v;
}

int v7m_cx_save(struct core *c)
{
	struct v7m_context *x = &arm(c)->cx;
	return x->on && uc_context_save(c->uc, x->ctx) == UC_ERR_OK;
}

uint32_t v7m_cx_get(struct core *c, int f)
{
	return get(&arm(c)->cx, f);
}

/* The registers the fast entry reads: r0-r3, r12, LR, SP, in that order. */
void v7m_cx_frame_regs(struct core *c, uint32_t v[7])
{
	static const int f[7] = {MX_R0, MX_R1, MX_R2, MX_R3, MX_R12, MX_LR, MX_SP};
	for (int i = 0; i < 7; i++)
		v[i] = v7m_cx_get(c, f[i]);
}

/* Entry after v7m_cx_save: SP = frame, LR = EXC_RETURN, IPSR = e, ITSTATE = 0 (Q and NZCV
 * unchanged), then the hflags and PC. Only when R13 does not change stack (from handler mode
 * or a thread on MSP): then the IPSR write of the API would not switch R13 either. */
int v7m_cx_enter(struct core *c, uint32_t frame, uint32_t exc_return, int e, uint32_t xpsr,
		 uint32_t handler)
{
	struct v7m_context *x = &arm(c)->cx;
	put(x, MX_SP, frame);
	put(x, MX_LR, exc_return);
	put(x, MX_EXC, (uint32_t)e);
	put(x, MX_CONDEXEC, 0);
	if (x->raw >= 0) {   /* as the API's xPSR write stores it */
		uint32_t whole = (xpsr & 0xF8000000u) | XPSR_T | (uint32_t)e;
		memcpy((uint8_t *)x->ctx + x->raw, &whole, 4);
	}
	if (uc_context_restore(c->uc, x->ctx) != UC_ERR_OK)
		return -1;
	uint32_t nzcv = xpsr & 0xF0000000u;
	uc_reg_write(c->uc, UC_ARM_REG_APSR_NZCV, &nzcv);   /* rebuilds the hflags */
	uc_reg_write(c->uc, UC_ARM_REG_PC, &handler);
	return 0;
}

/* PopStack after v7m_cx_save, to the stack R13 is on now and stays on (MSP: a return to
 * handler mode or to a thread on MSP): r0-r3, r12, LR from the frame w, SP = new_sp, IPSR,
 * ITSTATE and Q from the stacked xPSR w[7]. `fpca` is called between the restore and the
 * hflags rebuild (CONTROL.FPCA = 0 on an FP core). NZCV and the PC follow. */
int v7m_cx_return(struct core *c, const uint32_t w[8], uint32_t new_sp, void (*fpca)(struct core *))
{
	struct v7m_context *x = &arm(c)->cx;
	static const int f[6] = {MX_R0, MX_R1, MX_R2, MX_R3, MX_R12, MX_LR};
	for (int i = 0; i < 6; i++)
		put(x, f[i], w[i]);
	put(x, MX_SP, new_sp);
	put(x, MX_EXC, w[7] & 0x1FFu);
	put(x, MX_CONDEXEC, condexec_of(w[7]));
	put(x, MX_QF, (w[7] >> 27) & 1u);
	if (x->raw >= 0) {
		uint32_t whole = (w[7] & ~XPSR_ALIGN) | XPSR_T;
		memcpy((uint8_t *)x->ctx + x->raw, &whole, 4);
	}
	if (uc_context_restore(c->uc, x->ctx) != UC_ERR_OK)
		return -1;
	if (fpca)
		fpca(c);
	uint32_t nzcv = w[7] & 0xF0000000u, pc = w[6] | 1u;
	uc_reg_write(c->uc, UC_ARM_REG_APSR_NZCV, &nzcv);   /* rebuilds the hflags */
	uc_reg_write(c->uc, UC_ARM_REG_PC, &pc);           /* EPSR.T = 1 with it */
	return 0;
}

/* ---- the probe ------------------------------------------------------------------------------ */

struct probe {
	int reg;               /* written and read through the API */
	uint32_t w1, w2;       /* two values to write */
	uint32_t e1, e2;       /* what the field then holds */
	uint32_t check;        /* the bits of the API read that must come back */
	int xpsr;              /* an xPSR write: it also stores the value whole in one word */
};

/* Finds the one word of the context that changes, from e1 to e2, when `reg` goes from w1 to
 * w2 through the API; then puts e1 there, restores, and checks that the API reads w1 back.
 * Returns the byte offset, or -1 (none, or more than one word changed: do not guess). An
 * xPSR write also keeps the value as written in one word (from w1 to w2: *raw, which must be
 * the same word for every probe). */
static long probe_field(struct core *c, uc_context *ctx, uint8_t *first, size_t size,
			const struct probe *p, long *raw)
{
	long found = -1;
	uint32_t back;
	uc_reg_write(c->uc, p->reg, &p->w1);
	if (uc_context_save(c->uc, ctx) != UC_ERR_OK)
		return -1;
	memcpy(first, ctx, size);
	uc_reg_write(c->uc, p->reg, &p->w2);
	if (uc_context_save(c->uc, ctx) != UC_ERR_OK)
		return -1;
	for (size_t off = 0; off + 4 <= size; off += 4) {
		uint32_t a, b;
		memcpy(&a, first + off, 4);
		memcpy(&b, (uint8_t *)ctx + off, 4);
		if (a == b)
			continue;
		if (p->xpsr && a == p->w1 && b == p->w2 && (*raw < 0 || *raw == (long)off)) {
			*raw = (long)off;
			continue;
		}
		if (found >= 0 || a != p->e1 || b != p->e2)
			return -1;
		found = (long)off;
	}
	if (found < 0)
		return -1;
	memcpy((uint8_t *)ctx + found, &p->e1, 4);
	if (uc_context_restore(c->uc, ctx) != UC_ERR_OK)
		return -1;
	uc_reg_read(c->uc, p->reg, &back);
	return ((back ^ p->w1) & p->check) ? -1 : found;
}

/* At set-up, in privileged thread mode on MSP (after reset values, before any code runs): finds
 * every field, then puts the whole CPU state back as it was. */
static void probe_offsets(struct core *c, struct v7m_context *x)
{
	size_t size = uc_context_size(c->uc);
	x->ok = 0;
	if (size < 64 || size > (1u << 20))
		return;
	uc_context *orig = NULL;
	uint8_t *first = malloc(size);
	if (!first || uc_context_alloc(c->uc, &orig) != UC_ERR_OK ||
	    uc_context_save(c->uc, orig) != UC_ERR_OK) {
		free(first);
		if (orig)
			uc_context_free(orig);
		return;
	}
	const uint32_t T = XPSR_T, it1 = (2u << 25) | (0x06u << 10), it2 = (1u << 25) | (0x0Bu << 10);
	const struct probe p[MX_N] = {
		[MX_R0] = {UC_ARM_REG_R0, 0x10203040u, 0x50607080u, 0x10203040u, 0x50607080u, ~0u},
		[MX_R1] = {UC_ARM_REG_R1, 0x11213141u, 0x51617181u, 0x11213141u, 0x51617181u, ~0u},
		[MX_R2] = {UC_ARM_REG_R2, 0x12223242u, 0x52627282u, 0x12223242u, 0x52627282u, ~0u},
		[MX_R3] = {UC_ARM_REG_R3, 0x13233343u, 0x53637383u, 0x13233343u, 0x53637383u, ~0u},
		[MX_R12] = {UC_ARM_REG_R12, 0x1C2C3C4Cu, 0x5C6C7C8Cu, 0x1C2C3C4Cu, 0x5C6C7C8Cu, ~0u},
		[MX_LR] = {UC_ARM_REG_LR, 0x1E2E3E4Fu, 0x5E6E7E8Du, 0x1E2E3E4Fu, 0x5E6E7E8Du, ~0u},
		[MX_SP] = {UC_ARM_REG_SP, 0x20001F00u, 0x20002E08u, 0x20001F00u, 0x20002E08u, ~0u},
		/* handler mode both times (IPSR 3, 5): R13 stays MSP */
		[MX_EXC] = {UC_ARM_REG_XPSR, T | 3u, T | 5u, 3u, 5u, 0x1FFu, 1},
		[MX_CONDEXEC] = {UC_ARM_REG_XPSR, T | it1, T | it2, condexec_of(it1), condexec_of(it2),
				 XPSR_IT_MASK, 1},
		[MX_QF] = {UC_ARM_REG_XPSR, T | (1u << 27), T, 1u, 0u, 1u << 27, 1},
	};
	x->ok = 1;
	x->raw = -1;
	for (int i = 0; i < MX_N && x->ok; i++) {
		x->off[i] = probe_field(c, x->ctx, first, size, &p[i], &x->raw);
		if (x->off[i] < 0)
			x->ok = 0;
	}
	if (uc_context_restore(c->uc, orig) != UC_ERR_OK)
		x->ok = 0;
	uc_context_free(orig);
	free(first);
}

void v7m_cx_init(struct core *c)
{
	struct v7m_context *x = &arm(c)->cx;
	x->ctx = NULL;
	x->ok = x->on = 0;
	if (uc_context_alloc(c->uc, &x->ctx) != UC_ERR_OK) {
		x->ctx = NULL;
		return;
	}
	probe_offsets(c, x);
	x->on = x->ok;
}

void v7m_cx_free(struct core *c)
{
	struct v7m_context *x = &arm(c)->cx;
	if (x->ctx)
		uc_context_free(x->ctx);
	x->ctx = NULL;
	x->ok = x->on = 0;
}

/* api.h: mode 0 turns the context path off (the register API everywhere, as a reference),
 * 1 on if the probe verified it, -1 only asks. Returns whether it is on. */
int armv7m_context_path(struct core *c, int mode)
{
	struct v7m_context *x = &arm(c)->cx;
	if (mode >= 0)
		x->on = mode && x->ok;
	return x->on;
}

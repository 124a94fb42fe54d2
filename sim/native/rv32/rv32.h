/* What the files of rv32/ share, internal to it: register access through Unicorn's API, the
 * mstatus fields a trap changes (Privileged Architecture 3.1.6.1), the saved CPU context
 * through which a trap's CSR writes go in (context.c), and the trap entry that the
 * exceptions Unicorn reports (exception.c) go to (hart.c).
 */
#ifndef SIM_NATIVE_RV32_RV32_H_
#define SIM_NATIVE_RV32_RV32_H_

#include <stdint.h>

#include <unicorn/unicorn.h>

#include "../core.h"

/* mstatus (3.1.6.1) */
#define MSTATUS_MIE (1u << 3)
#define MSTATUS_MPIE (1u << 7)
#define MSTATUS_MPP_SHIFT 11
#define MSTATUS_MPP (3u << MSTATUS_MPP_SHIFT)
#define MSTATUS_MPRV (1u << 17)
#define MSTATUS_TRAP_BITS (MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP)
#define PRV_U 0
#define PRV_M 3

/* mcause (3.1.15) */
#define MCAUSE_INTERRUPT (1u << 31)

/* Major opcode of the AMOs (and lr/sc) */
#define OPC_AMO 0x2Fu

static inline uint32_t hart_reg(struct core *c, int r)
{
	uint32_t v = 0;
	uc_reg_read(c->uc, r, &v);
	return v;
}

static inline void hart_set_reg(struct core *c, int r, uint32_t v)
{
	uc_reg_write(c->uc, r, &v);
}

/* Integer register x<n> (x0 reads 0). */
static inline uint32_t hart_xreg(struct core *c, uint32_t n)
{
	return n ? hart_reg(c, UC_RISCV_REG_X0 + (int)n) : 0;
}

/* CSRs the trap entry writes (or reads) in a saved CPU context */
enum { CX_MSTATUS, CX_MEPC, CX_MCAUSE, CX_MTVAL, CX_MTVEC, CX_N };

struct hart_context {
	uc_context *ctx;         /* NULL when Unicorn could not allocate one */
	long off[CX_N];          /* byte offsets of the CSRs in it (probe_offsets) */
	int ok;                  /* all found: trap CSRs may go through the context */
};

/* Allocates the context and finds the CSRs in it; the hart must be in M-mode. */
void hart_context_init(struct core *c, struct hart_context *x);
void hart_context_free(struct core *c, struct hart_context *x);
/* Saves the CPU into the context: 1 when it may be used (probed and saved), else 0. */
int hart_context_save(struct core *c, struct hart_context *x);
/* CSR `field` (CX_*) as the last hart_context_save found it. */
uint32_t hart_context_csr(const struct hart_context *x, int field);
/* The trap entry's writes of mstatus (old -> nv), mepc, mcause and mtval; `saved`: the caller
 * has just saved the context (hart_context_save returned 1). */
void hart_trap_csrs(struct core *c, struct hart_context *x, int saved, uint32_t old, uint32_t nv,
		    uint32_t epc, uint32_t cause, uint32_t tval);

/* ---- hart.c, exception.c ------------------------------------------------------------------ */

/* The instruction at addr: its length (2 or 4) and bits in *w, or -1 when not in memory. */
int hart_insn_at(struct core *c, uint64_t addr, uint32_t *w);
/* Takes trap `cause` (an mcause value) with return address `epc` and mtval `tval` (hart.c):
 * 0, or -1 when the run ends (no usable trap vector, a trap loop). */
int hart_trap_enter(struct core *c, uint32_t cause, uint32_t epc, uint32_t tval);
/* The architecture ops intr and fault (arch.h), in exception.c. */
void hart_intr(struct core *c, uint32_t intno);
int hart_fault(struct core *c, uc_err err, uint64_t pc);

#endif /* SIM_NATIVE_RV32_RV32_H_ */

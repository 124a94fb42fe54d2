/* What the files of rv32/ share, internal to it: register access through Unicorn's API, the
 * mstatus fields a trap changes (Privileged Architecture 3.1.6.1), the saved CPU context
 * through which a trap's CSR writes go in (context.c), the decoding of the instructions the
 * model must see (decode.c), and the trap entry that the exceptions Unicorn reports
 * (exception.c) go to (hart.c).
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

/* CSR numbers (table 2.5) */
#define CSR_MSTATUS 0x300
#define CSR_MIE 0x304
#define CSR_MIP 0x344

/* Instruction encodings */
#define INSN_MRET 0x30200073u
#define INSN_SRET 0x10200073u
#define OPC_SYSTEM 0x73u

/* What a block's last instruction asks of the model once it has retired (arch.h block_end):
 * BLOCK_END_MSTATUS / BLOCK_END_MIE, a CSR write to mstatus / mie that may set bits;
 * BLOCK_END_HART, an sret;
 * BLOCK_END_MRET, an mret; BLOCK_END_CLEAR, csrrc/csrrci on mstatus or mie;
 * BLOCK_END_CLEARI + uimm, `csrrci rd, mstatus, uimm` (known bits cleared). */
enum { BLOCK_END_HART = 1, BLOCK_END_MRET, BLOCK_END_CLEAR, BLOCK_END_MSTATUS, BLOCK_END_MIE,
       BLOCK_END_CLEARI = 32 };

enum site { SITE_NONE, SITE_CSR_WRITE, SITE_CSR_CLEAR, SITE_MIP_READ, SITE_MRET, SITE_SRET };

/* decode.c: the site an instruction is (SITE_*); a block's instruction count and block-end code
 * (arch.h block_info); a block that is one branch to itself (arch.h self_loop) */
int rv32_site_kind(uint32_t w);
uint32_t rv32_block_info(const uint8_t *p, uint32_t size, uint8_t *end);
int rv32_self_loop(const uint8_t *p, uint32_t size);

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

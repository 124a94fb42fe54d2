/* Synchronous exceptions of RISC-V hart 0 (Privileged Architecture 20211203: 3.1.15 mcause,
 * 3.1.16 mtval, 3.3.1 ecall and ebreak) as Unicorn 2.1.4 reports them, each taken through the
 * hart's trap entry (hart_trap_enter, rv32/hart.c); and the ebreak of a semihosting call
 * (RISC-V Semihosting specification 0.3), made through core_semihost (semihost.c).
 *
 * What Unicorn reports (measured; docs/riscv.md): ecall, illegal instructions and misaligned
 * AMOs reach UC_HOOK_INTR (hart_intr) with PC 4 bytes past the trapping instruction, whatever
 * its length; ebreak and access faults make emu_start fail (hart_fault) with PC at the
 * instruction. A fault is recorded (EV_FAULT, num = the exception code, arg = mtval) before
 * its trap; an ecall is not a fault.
 *
 * Choices where the specifications leave one (each also in docs/riscv.md):
 * - mtval: the instruction bits for illegal instructions, the address for access and
 *   misaligned faults, the PC for ebreak, 0 otherwise. Misaligned loads and stores are
 *   performed (the EEI may do so); misaligned AMOs trap, as store/AMO address misaligned (6)
 *   except lr.w, which is a load (4).
 * - ECALL, EBREAK and faulting instructions do not retire (no tick), except the ebreak of a
 *   semihosting call, which completes like any instruction.
 */
#include "../api.h"
#include "../core.h"
#include "rv32.h"

/* Exception codes (3.1.15, table 3.6) */
#define EXC_INSN_MISALIGNED 0
#define EXC_INSN_ACCESS 1
#define EXC_ILLEGAL 2
#define EXC_BREAKPOINT 3
#define EXC_LOAD_MISALIGNED 4
#define EXC_LOAD_ACCESS 5
#define EXC_STORE_MISALIGNED 6
#define EXC_STORE_ACCESS 7
#define EXC_ECALL_U 8            /* + privilege: 11 is ecall from M-mode */

/* Instruction encodings */
#define INSN_EBREAK 0x00100073u
#define INSN_C_EBREAK 0x9002u
#define SEMI_ENTRY 0x01f01013u   /* slli x0, x0, 0x1f  (semihosting spec, "Semihosting trap") */
#define SEMI_EXIT 0x40705013u    /* srai x0, x0, 7 */
#define AMO_LR 0x02u             /* funct5 of lr.w */

/* A synchronous exception at `epc`; faults (all but ecall) are traced as such first. */
static int take_exception(struct core *c, uint32_t code, uint32_t epc, uint32_t tval)
{
	if (code < EXC_ECALL_U || code > EXC_ECALL_U + 3)
		core_trace(c, EV_FAULT, (uint16_t)code, tval);
	return hart_trap_enter(c, code, epc, tval);
}

/* mtval and the exception code of a misaligned AMO at epc. */
static uint32_t amo_misaligned(struct core *c, uint32_t epc, uint32_t intno, uint32_t *tval)
{
	uint32_t w;
	if (hart_insn_at(c, epc, &w) != 4)
		return intno;
	*tval = hart_xreg(c, (w >> 15) & 31);
	if ((w & 0x7F) == OPC_AMO)
		return (w >> 27) == AMO_LR ? EXC_LOAD_MISALIGNED : EXC_STORE_MISALIGNED;
	return intno;
}

void hart_intr(struct core *c, uint32_t intno)
{
	/* Unicorn 2.1.4 reports PC 4 bytes past the trapping instruction, whatever its length. */
	uint32_t epc = hart_reg(c, UC_RISCV_REG_PC) - 4, tval = 0, w = 0, code = intno;
	core_charge_partial(c, epc);
	switch (intno) {
	case EXC_ECALL_U:
		code = EXC_ECALL_U + (hart_reg(c, UC_RISCV_REG_PRIV) & 3);
		break;
	case EXC_ILLEGAL:
		if (hart_insn_at(c, epc, &w) > 0)
			tval = w;
		break;
	case EXC_LOAD_MISALIGNED: case EXC_STORE_MISALIGNED:
		code = amo_misaligned(c, epc, intno, &tval);
		break;
	default:
		break;
	}
	take_exception(c, code, epc, tval);
}

/* The ebreak at pc, if it is a semihosting call (semihosting spec, "Semihosting trap": the
 * sequence slli x0, x0, 0x1f; ebreak; srai x0, x0, 7): made through core_semihost. 1 when it
 * was one, -1 when it ended the run, 0 when it is an ordinary ebreak. */
static int semihost(struct core *c, uint64_t pc)
{
	uint32_t pre, post, ret;
	uint32_t op = hart_reg(c, UC_RISCV_REG_A0), arg = hart_reg(c, UC_RISCV_REG_A1);
	if (pc < 4 || core_read32(c, pc - 4, &pre) || core_read32(c, pc + 4, &post) ||
	    pre != SEMI_ENTRY || post != SEMI_EXIT)
		return 0;
	c->ticks++;              /* the ebreak completes; srai then runs as the nop it is */
	int exit = core_semihost(c, op, arg, &ret);
	hart_set_reg(c, UC_RISCV_REG_A0, ret);
	hart_set_reg(c, UC_RISCV_REG_PC, (uint32_t)pc + 4);
	if (exit) {
		c->stop = STOP_EXIT;
		return -1;
	}
	return 1;
}

/* emu_start stopped with an error at `pc`, the instruction that did not complete. */
int hart_fault(struct core *c, uc_err err, uint64_t pc)
{
	uint64_t addr = c->mem_fault_seen ? c->mem_fault_addr : pc;
	uint32_t w = 0, code;
	int len = hart_insn_at(c, pc, &w);
	switch (err) {
	case UC_ERR_INSN_INVALID:
		if (len == 4 && w == INSN_EBREAK) {
			int s = semihost(c, pc);
			if (s)
				return s < 0 ? -1 : 0;
		}
		if ((len == 4 && w == INSN_EBREAK) || (len == 2 && w == INSN_C_EBREAK))
			return take_exception(c, EXC_BREAKPOINT, (uint32_t)pc, (uint32_t)pc);
		return take_exception(c, EXC_ILLEGAL, (uint32_t)pc, len > 0 ? w : 0);
	case UC_ERR_READ_UNMAPPED: case UC_ERR_READ_PROT:
		/* an AMO reads first; its access faults are store/AMO faults, lr.w's are loads */
		code = len == 4 && (w & 0x7F) == OPC_AMO && (w >> 27) != AMO_LR ? EXC_STORE_ACCESS
										  : EXC_LOAD_ACCESS;
		return take_exception(c, code, (uint32_t)pc, (uint32_t)addr);
	case UC_ERR_WRITE_UNMAPPED: case UC_ERR_WRITE_PROT:
		return take_exception(c, EXC_STORE_ACCESS, (uint32_t)pc, (uint32_t)addr);
	case UC_ERR_FETCH_UNMAPPED: case UC_ERR_FETCH_PROT:
		return take_exception(c, EXC_INSN_ACCESS, (uint32_t)pc, (uint32_t)pc);
	case UC_ERR_READ_UNALIGNED:
		return take_exception(c, EXC_LOAD_MISALIGNED, (uint32_t)pc, (uint32_t)addr);
	case UC_ERR_WRITE_UNALIGNED:
		return take_exception(c, EXC_STORE_MISALIGNED, (uint32_t)pc, (uint32_t)addr);
	case UC_ERR_FETCH_UNALIGNED:
		return take_exception(c, EXC_INSN_MISALIGNED, (uint32_t)pc, (uint32_t)pc);
	default:
		c->fault_pc = pc;
		c->fault_addr = addr;
		c->fault_cause = FAULT_EMULATOR;
		return -1;
	}
}

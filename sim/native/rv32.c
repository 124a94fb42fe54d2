/* RISC-V RV32 machine-mode traps, CLINT and PLIC: placeholder until the RISC-V model lands. */
#include "core.h"

void rv32_service(struct core *c, uint64_t pc) { (void)c, (void)pc; }
void rv32_intr(struct core *c, uint32_t intno) { (void)intno; core_stop(c, STOP_ERROR); }
int rv32_fault(struct core *c, uc_err err, uint64_t pc) { (void)c, (void)err, (void)pc; return -1; }
void rv32_line(struct core *c, uint32_t line, uint32_t kind) { (void)c, (void)line, (void)kind; }
uint64_t rv32_deadline(struct core *c) { (void)c; return UINT64_MAX; }
int rv32_wakeable(struct core *c) { (void)c; return 0; }
uint32_t rv32_count_insns(const uint8_t *p, uint32_t size)
{
	uint32_t n = 0;
	for (uint32_t off = 0; off < size; n++)
		off += (p[off] & 3) == 3 ? 4 : 2;
	return n;
}

/* Decoding for the hart model (hart.c): which instructions the model must see, how many
 * instructions a translation block holds and what its last one asks of the model (arch.h
 * block_info), and the `j .` of the stuck rule. Pure functions of the instruction bits. */
#include "rv32.h"

int rv32_site_kind(uint32_t w)
{
	if (w == INSN_MRET)
		return SITE_MRET;
	if (w == INSN_SRET)
		return SITE_SRET;
	if ((w & 0x7F) != OPC_SYSTEM)
		return SITE_NONE;
	uint32_t f3 = (w >> 12) & 7, csr = w >> 20, rd = (w >> 7) & 31, rs1 = (w >> 15) & 31;
	if (f3 == 0 || f3 == 4)
		return SITE_NONE;
	int writes = (f3 & 3) == 1 || rs1 != 0;   /* csrrw(i) always; csrrs/c(i) with a source */
	if ((csr == CSR_MSTATUS || csr == CSR_MIE) && writes)
		return (f3 & 3) == 3 ? SITE_CSR_CLEAR : SITE_CSR_WRITE;
	if (csr == CSR_MIP && rd != 0)
		return SITE_MIP_READ;
	return SITE_NONE;
}

/* The instruction count of the block p[0, size) and what its last instruction asks of the
 * model once it has retired: every CSR instruction, mret and sret ends a translation block, so
 * a CSR write to mstatus or mie, an mret or an sret can only be a block's last instruction. */
uint32_t rv32_block_info(const uint8_t *p, uint32_t size, uint8_t *end)
{
	uint32_t n = 0, off = 0, last = 0;
	while (off < size) {
		last = off;
		off += (p[off] & 3) == 3 ? 4 : 2;
		n++;
	}
	*end = BLOCK_END_NONE;
	if (n && (p[last] & 3) == 3 && last + 4 <= size) {
		uint32_t w = (uint32_t)(p[last] | p[last + 1] << 8 | p[last + 2] << 16) |
			     (uint32_t)p[last + 3] << 24;
		int k = rv32_site_kind(w);
		if (k == SITE_CSR_CLEAR && (w >> 20) == CSR_MSTATUS && ((w >> 12) & 7) == 7)
			*end = (uint8_t)(BLOCK_END_CLEARI + ((w >> 15) & 31));   /* csrrci: uimm */
		else
			*end = k == SITE_MRET ? BLOCK_END_MRET
			     : k == SITE_CSR_WRITE ? ((w >> 20) == CSR_MSTATUS ? BLOCK_END_MSTATUS
								 : BLOCK_END_MIE)
			     : k == SITE_SRET ? BLOCK_END_HART
			     : k == SITE_CSR_CLEAR ? BLOCK_END_CLEAR : BLOCK_END_NONE;
	}
	return n;
}

/* `j .`: jal x0, 0 (0x0000006F) or c.j 0 (0xA001) (unprivileged spec 2.5, 16.4). */
int rv32_self_loop(const uint8_t *p, uint32_t size)
{
	uint32_t w = (uint32_t)(p[0] | p[1] << 8);
	if (size == 2)
		return w == 0xA001;
	return size == 4 && (w | (uint32_t)(p[2] | p[3] << 8) << 16) == 0x0000006Fu;
}

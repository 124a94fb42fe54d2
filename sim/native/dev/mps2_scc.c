/* The MPS2 Serial Communication Controller (MPS2 TRM, Arm 100112, and the AN385 application
 * note, "SCC registers"), as QEMU 7.2's hw/misc/mps2-scc.c models it for mps2-an385, at
 * 0x4002F000: the FPGA's configuration registers and the SYS_CFG channel to the
 * motherboard's oscillators. No interrupt.
 *
 * Registers (offsets): 0x000 CFG_REG0 (remap), 0x004 CFG_REG1 (the MCC LEDs), 0x00C CFG_REG3
 * (the DIP switches: read as 0), 0x010 CFG_REG4 (board revision: 2), 0x0A0 CFGDATA_RTN, 0x0A4
 * CFGDATA_OUT, 0x0A8 CFGCTRL (START 31, WRITE 30, FUNCTION 25:20, DEVICE 11:0), 0x0AC CFGSTAT
 * (DONE 0, ERROR 1), 0x100 DLL (bits 31:24 writable; always locked), 0xFF8 AID (0x00200008),
 * 0xFFC ID (option `id`: 0x41043850, the AN385's, unless the board says; QEMU 7.2 gives the
 * AN386 0x41043860 and the AN500 0x41045000). Reset: CFGCTRL 0x100000, DLL 0xFFFF0001, the rest 0.
 *
 * The SYS_CFG channel: a CFGCTRL write with START does the transfer at once (CFGSTAT DONE):
 * function 1 (OSCCLK), devices 0-2 read or set the oscillators (reset 50 MHz, 24.576 MHz,
 * 25 MHz, QEMU's values for the MPS2); any other function or device sets ERROR too.
 *
 * Leaves out: what the registers control. CFG_REG0's remap bit reads as written and maps
 * nothing (QEMU does not wire it on the AN385 either); the LEDs of CFG_REG1 and the oscillator
 * settings change no clock. Other offsets, and writes to the read-only registers, are guest
 * errors.
 */
#include "dev.h"

#include <stdlib.h>

#define SCC_CFG0 0x000
#define SCC_CFG1 0x004
#define SCC_CFG3 0x00C
#define SCC_CFG4 0x010
#define SCC_CFGDATA_RTN 0x0A0
#define SCC_CFGDATA_OUT 0x0A4
#define SCC_CFGCTRL 0x0A8
#define SCC_CFGSTAT 0x0AC
#define SCC_DLL 0x100
#define SCC_AID 0xFF8
#define SCC_ID 0xFFC
#define CFGCTRL_START (1u << 31)
#define CFGCTRL_WRITE (1u << 30)
#define CFGCTRL_KEEP 0x43F00FFFu     /* WRITE, FUNCTION, DEVICE: what reads back */
#define CFGSTAT_DONE 1u
#define CFGSTAT_ERROR 2u
#define SCC_NOSC 3

static const uint32_t osc_reset[SCC_NOSC] = {50000000, 24576000, 25000000};

struct mps2_scc {
	uint32_t cfg0, cfg1, data_rtn, data_out, cfgctrl, cfgstat, dll;
	uint32_t osc[SCC_NOSC];
	uint32_t id;                 /* SCC_ID: the FPGA image (a board option) */
};

static uint32_t scc_read32(struct device *d, uint32_t off)
{
	struct mps2_scc *s = d->state;
	switch (off) {
	case SCC_CFG0: return s->cfg0;
	case SCC_CFG1: return s->cfg1;
	case SCC_CFG3: return 0;
	case SCC_CFG4: return 2;
	case SCC_CFGDATA_RTN: return s->data_rtn;
	case SCC_CFGDATA_OUT: return s->data_out;
	case SCC_CFGCTRL: return s->cfgctrl;
	case SCC_CFGSTAT: return s->cfgstat;
	case SCC_DLL: return s->dll;
	case SCC_AID: return 0x00200008u;
	case SCC_ID: return s->id;
	}
	core_guest_error(d->core, d->base + off);
	return 0;
}

static uint64_t scc_read(struct device *d, uint32_t off, unsigned size)
{
	return dev_word_read(scc_read32, d, off, size);
}

/* A SYS_CFG transfer (CFGCTRL with START). */
static void scc_transfer(struct mps2_scc *s)
{
	uint32_t function = (s->cfgctrl >> 20) & 0x3F, device = s->cfgctrl & 0xFFF;
	s->cfgstat = CFGSTAT_DONE;
	if (function != 1 || device >= SCC_NOSC)
		s->cfgstat |= CFGSTAT_ERROR;
	else if (s->cfgctrl & CFGCTRL_WRITE)
		s->osc[device] = s->data_out;
	else
		s->data_rtn = s->osc[device];
}

static void scc_write(struct device *d, uint32_t off, unsigned size, uint64_t value)
{
	struct mps2_scc *s = d->state;
	uint32_t v = (uint32_t)value;
	(void)size;
	switch (off) {
	case SCC_CFG0: s->cfg0 = v; return;
	case SCC_CFG1: s->cfg1 = v; return;
	case SCC_CFGDATA_OUT: s->data_out = v; return;
	case SCC_CFGCTRL:
		s->cfgstat = 0;
		s->cfgctrl = v & CFGCTRL_KEEP;
		if (v & CFGCTRL_START)
			scc_transfer(s);
		return;
	case SCC_DLL: s->dll = (s->dll & 0x00FFFFFFu) | (v & 0xFF000000u); return;
	}
	core_guest_error(d->core, d->base + off);
}

static int scc_init(struct device *d, const struct dev_opt *opts, int nopts)
{
	static const char *const known[] = {"id", NULL};
	if (!dev_opts_known(opts, nopts, known))
		return -2;
	struct mps2_scc *s = calloc(1, sizeof(*s));
	if (!s)
		return -4;
	s->cfgctrl = 0x100000;
	s->id = (uint32_t)dev_opt(opts, nopts, "id", 0x41043850u);
	s->dll = 0xFFFF0001u;
	for (int i = 0; i < SCC_NOSC; i++)
		s->osc[i] = osc_reset[i];
	d->state = s;
	d->size = 0x1000;
	return 0;
}

const struct device_model dev_mps2_scc = {
	.kind = "mps2-scc",
	.state_size = sizeof(struct mps2_scc),   /* plain data (snapshots) */
	.init = scc_init,
	.read = scc_read,
	.write = scc_write,
};

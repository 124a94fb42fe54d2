/* The nRF51's factory and user information pages (nRF51 Series Reference Manual v3.0,
 * chapters 7 FICR and 8 UICR), as QEMU 7.2 models them (hw/nvram/nrf51_nvm.c, one device there
 * with the NVMC): FICR at 0x10000000 and UICR at 0x10001000, 0x100 bytes each. Two board kinds
 * from this file, `nrf51-ficr` and `nrf51-uicr`; each maps 1 KiB (Unicorn's smallest Arm page):
 * the bytes past 0x100 read as zero and are guest errors (on QEMU nothing is mapped there).
 *
 * FICR reads QEMU's values, which are not a real part's: 0x010 CODEPAGESIZE 0x400, 0x014
 * CODESIZE 0x100 (pages: 256 KiB of flash), 0x020 0x2, 0x024-0x02C 0x2000, 0x060 0x3, 0x064
 * 0x12345678, 0x068 0x9ABCDEF1, every other word 0xFFFFFFFF; writes are guest errors.
 * UICR reads as erased flash (0xFFFFFFFF). QEMU lets the firmware write it while NVMC.CONFIG
 * enables writes; irqsim has no NVMC model (docs/devices.md), so a write is a guest error.
 */
#include "dev.h"

#define INFO_SIZE 0x100u

static uint32_t ficr_word(uint32_t off)
{
	switch (off) {
	case 0x010: return 0x400;        /* CODEPAGESIZE */
	case 0x014: return 0x100;        /* CODESIZE */
	case 0x020: return 0x2;
	case 0x024: case 0x028: case 0x02C: return 0x2000;
	case 0x060: return 0x3;
	case 0x064: return 0x12345678;
	case 0x068: return 0x9ABCDEF1;
	default: return 0xFFFFFFFFu;
	}
}

static uint32_t ficr_read32(struct device *d, uint32_t off)
{
	if (off >= INFO_SIZE) {
		core_guest_error(d->core, d->base + off);
		return 0;
	}
	return ficr_word(off);
}

static uint32_t uicr_read32(struct device *d, uint32_t off)
{
	if (off >= INFO_SIZE) {
		core_guest_error(d->core, d->base + off);
		return 0;
	}
	return 0xFFFFFFFFu;
}

static uint64_t ficr_read(struct device *d, uint32_t off, unsigned size)
{
	return dev_word_read(ficr_read32, d, off, size);
}

static uint64_t uicr_read(struct device *d, uint32_t off, unsigned size)
{
	return dev_word_read(uicr_read32, d, off, size);
}

static void info_write(struct device *d, uint32_t off, unsigned size, uint64_t value)
{
	(void)size, (void)value;
	core_guest_error(d->core, d->base + off);   /* read-only (FICR), or no NVMC (UICR) */
}

static int info_init(struct device *d, const struct dev_opt *opts, int nopts)
{
	static const char *const known[] = {NULL};
	if (!dev_opts_known(opts, nopts, known))
		return -2;
	d->size = 0x400;
	return 0;
}

const struct device_model dev_nrf51_ficr = {
	.kind = "nrf51-ficr",
	.init = info_init,
	.read = ficr_read,
	.write = info_write,
};

const struct device_model dev_nrf51_uicr = {
	.kind = "nrf51-uicr",
	.init = info_init,
	.read = uicr_read,
	.write = info_write,
};

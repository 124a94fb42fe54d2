/* The nRF51's POWER/CLOCK page (0x40000000) as QEMU 7.2 stubs it (hw/arm/nrf51_soc.c,
 * clock_ops): every register reads as 1 and writes are ignored, so firmware that starts the
 * high-frequency clock and polls EVENTS_HFCLKSTARTED (0x100) or EVENTS_LFCLKSTARTED (0x104)
 * goes on at once, as on QEMU. The clocks themselves are not modelled: the board's clock_hz is
 * HFCLK whatever is written. QEMU logs each access as unimplemented (-d unimp); irqsim does not
 * (start-up code polls it). No interrupt (POWER_CLOCK is IRQ 0 on the part; never raised).
 */
#include "dev.h"

static uint64_t clock_read(struct device *d, uint32_t off, unsigned size)
{
	(void)d, (void)off, (void)size;
	return 1;
}

static void clock_write(struct device *d, uint32_t off, unsigned size, uint64_t value)
{
	(void)d, (void)off, (void)size, (void)value;
}

static int clock_init(struct device *d, const struct dev_opt *opts, int nopts)
{
	static const char *const known[] = {NULL};
	if (!dev_opts_known(opts, nopts, known))
		return -2;
	d->size = 0x1000;
	return 0;
}

const struct device_model dev_nrf51_clock = {
	.kind = "nrf51-clock",
	.init = clock_init,
	.read = clock_read,
	.write = clock_write,
};

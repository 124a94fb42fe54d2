/* irqsim's acknowledge register (no real board has it): a handler writes its line number to
 * offset 0 to lower its level-triggered line, as a device would drop its request once
 * serviced. Storms with `hold = "ack"` use it; the bundled demo writes it when told where it
 * is (demo_ack_addr). A value that names none of the controller's lines is ignored; the
 * register reads as zero; other offsets are guest errors.
 */
#include "dev.h"

static uint64_t ack_read(struct device *d, uint32_t off, unsigned size)
{
	(void)size;
	if (off)
		core_guest_error(d->core, d->base + off);
	return 0;
}

static void ack_write(struct device *d, uint32_t off, unsigned size, uint64_t value)
{
	(void)size;
	if (off)
		core_guest_error(d->core, d->base + off);
	else if (value <= 0xFFFFFFFFu)
		core_lower_line(d->core, (uint32_t)value);
}

static int ack_init(struct device *d, const struct dev_opt *opts, int nopts)
{
	static const char *const known[] = {NULL};
	if (!dev_opts_known(opts, nopts, known))
		return -2;
	d->size = 0x1000;
	return 0;
}

const struct device_model dev_ack = {
	.kind = "ack",
	.init = ack_init,
	.read = ack_read,
	.write = ack_write,
};

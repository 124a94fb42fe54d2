/* irqsim's acknowledge register, a board device that no real board has (QEMU has nothing at
 * the address a board file gives it): a handler writes a line number to its first word to
 * lower that level-triggered line of the interrupt controller (a storm source with
 * hold = "ack"). The write is not a request: the controller records the lowering
 * (core_lower_line). Other values name no line of the controller (on virt: 0, or the table
 * index of a hart-local interrupt) and do nothing. Reads return 0; a write elsewhere in its
 * 4 KiB is a guest error.
 */
#include "dev.h"

#define ACK_SIZE 0x1000

static uint64_t ack_read(struct device *d, uint32_t off, unsigned size)
{
	(void)d, (void)off, (void)size;
	return 0;
}

static void ack_write(struct device *d, uint32_t off, unsigned size, uint64_t value)
{
	(void)size;
	if (off != 0)
		core_guest_error(d->core, d->base + off);
	else if (value <= UINT32_MAX)
		core_lower_line(d->core, (uint32_t)value);
}

static int ack_init(struct device *d, const struct dev_opt *opts, int nopts)
{
	static const char *const known[] = {NULL};
	if (!dev_opts_known(opts, nopts, known))
		return -2;
	d->size = ACK_SIZE;
	return 0;
}

const struct device_model dev_ack = {
	.kind = "ack",
	.init = ack_init,
	.read = ack_read,
	.write = ack_write,
};

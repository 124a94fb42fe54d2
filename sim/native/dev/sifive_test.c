/* The SiFive test finisher ("sifive,test0"), as QEMU's virt maps it at 0x100000
 * (hw/misc/sifive_test.c): a write-only register at offset 0 whose low halfword is a command
 * and whose high halfword an exit code. It has no interrupt output. The device tree of QEMU's
 * virt names it for syscon-poweroff (value 0x5555) and syscon-reboot (0x7777).
 *
 *   FINISHER_PASS  0x5555   the run ends: a firmware exit with code 0
 *   FINISHER_FAIL  0x3333   the run ends: a firmware exit with code value >> 16 (0..65535;
 *                           QEMU exits its process with that code, which the host truncates
 *                           to its low 8 bits)
 *   FINISHER_RESET 0x7777   QEMU resets the machine and runs the firmware again; here the run
 *                           ends with stop reason "reset" (STOP_RESET), and the caller decides
 *                           whether to start over (a new Machine): a model of the whole board's
 *                           reset state would be a second, untested copy of the set-up code
 *
 * An exit through it is the same as a semihosting exit (STOP_EXIT, EV_EXIT with the code): the
 * store retires first (core_exit, core.h). Choices where QEMU's device differs:
 * - Any other command, and writes at other offsets, are guest errors and change nothing (QEMU
 *   logs them as guest errors too).
 * - Byte accesses, which QEMU's device rejects (its valid access sizes are 2 and 4 bytes, so
 *   QEMU raises an access fault), are guest errors here; reads return 0, as on QEMU.
 */
#include "dev.h"

#define FINISHER_CMD 0x0         /* the only register */
#define FINISHER_SIZE 0x1000
#define FINISHER_FAIL 0x3333
#define FINISHER_PASS 0x5555
#define FINISHER_RESET 0x7777

static uint64_t finisher_read(struct device *d, uint32_t off, unsigned size)
{
	if (size < 2)
		core_guest_error(d->core, d->base + off);
	return 0;
}

static void finisher_write(struct device *d, uint32_t off, unsigned size, uint64_t value)
{
	uint32_t cmd = (uint32_t)value & 0xFFFF, code = (uint32_t)(value >> 16) & 0xFFFF;
	if (off != FINISHER_CMD || size < 2) {
		core_guest_error(d->core, d->base + off);
		return;
	}
	if (size == 2)
		code = 0;            /* a halfword store carries the command only */
	switch (cmd) {
	case FINISHER_PASS: core_exit(d->core, 0); return;
	case FINISHER_FAIL: core_exit(d->core, (int)code); return;
	case FINISHER_RESET: core_end_run(d->core, STOP_RESET); return;
	}
	core_guest_error(d->core, d->base + off);
}

static int finisher_init(struct device *d, const struct dev_opt *opts, int nopts)
{
	static const char *const known[] = {NULL};
	if (!dev_opts_known(opts, nopts, known))
		return -2;
	d->size = FINISHER_SIZE;
	return 0;
}

const struct device_model dev_sifive_test = {
	.kind = "sifive_test",
	.init = finisher_init,
	.read = finisher_read,
	.write = finisher_write,
};

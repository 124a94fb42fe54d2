/* ARM semihosting ("Semihosting for AArch32 and AArch64", version 2), for both architectures:
 * Cortex-M reaches it through BKPT 0xAB (armv7m/exc.c), RISC-V through the ebreak sequence of
 * the RISC-V Semihosting specification 0.3 (rv32/hart.c). Both hand the operation and its
 * parameter block to core_semihost(). Console output goes to the core's console buffer; time
 * is simulated time, so a run's output does not depend on the host.
 */
#include <stdint.h>

#include "api.h"
#include "core.h"

#define SYS_WRITEC 0x03
#define SYS_WRITE0 0x04
#define SYS_WRITE 0x05
#define SYS_CLOCK 0x10
#define SYS_TIME 0x11
#define SYS_ERRNO 0x13
#define SYS_EXIT 0x18
#define SYS_EXIT_EXTENDED 0x20
#define ADP_STOPPED_APPLICATION_EXIT 0x20026

/* Returns 1 when the call ends the run (exit), 0 otherwise; *ret is the value for r0/a0. */
int core_semihost(struct core *c, uint32_t op, uint32_t arg, uint32_t *ret)
{
	uint32_t w[3];
	uint8_t *p;
	*ret = 0;
	switch (op) {
	case SYS_WRITEC:
		if (!(p = core_host_ptr(c, arg, 1)))
			goto bad;
		core_console_putc(c, (char)*p);
		return 0;
	case SYS_WRITE0:
		for (uint32_t a = arg;; a++) {
			if (!(p = core_host_ptr(c, a, 1)))
				goto bad;
			if (!*p)
				return 0;
			core_console_putc(c, (char)*p);
		}
	case SYS_WRITE:
		if (core_read32(c, arg, &w[0]) || core_read32(c, arg + 4, &w[1]) ||
		    core_read32(c, arg + 8, &w[2]))
			goto bad;
		if (w[0] != 1 && w[0] != 2) {
			*ret = w[2];  /* nothing written to files: we have none */
			core_guest_error(c, arg);
			return 0;
		}
		if (!(p = core_host_ptr(c, w[1], w[2])))
			goto bad;
		for (uint32_t i = 0; i < w[2]; i++)
			core_console_putc(c, (char)p[i]);
		*ret = 0;  /* bytes NOT written */
		return 0;
	case SYS_CLOCK:  /* centiseconds of simulated time */
		*ret = (uint32_t)(c->ticks / (c->clock_hz / 100));
		return 0;
	case SYS_TIME:   /* seconds of simulated time since the run began: deterministic */
		*ret = (uint32_t)(c->ticks / c->clock_hz);
		return 0;
	case SYS_ERRNO:
		*ret = 0;
		return 0;
	case SYS_EXIT:   /* AArch32: the reason code is the argument itself */
		c->exit_code = arg == ADP_STOPPED_APPLICATION_EXIT ? 0 : 1;
		core_trace(c, EV_EXIT, 0, (uint32_t)c->exit_code);
		return 1;
	case SYS_EXIT_EXTENDED:
		if (core_read32(c, arg, &w[0]) || core_read32(c, arg + 4, &w[1]))
			goto bad;
		c->exit_code = w[0] == ADP_STOPPED_APPLICATION_EXIT ? (int)w[1] : 1;
		core_trace(c, EV_EXIT, 0, (uint32_t)c->exit_code);
		return 1;
	default:
		break;
	}
bad:
	/* An unsupported call or a bad pointer: the guest's mistake, logged, and -1 returned. */
	core_guest_error(c, arg);
	*ret = 0xFFFFFFFFu;
	return 0;
}


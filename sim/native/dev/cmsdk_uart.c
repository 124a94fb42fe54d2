/* The CMSDK APB UART (Arm Cortex-M System Design Kit TRM, DDI 0479, "APB UART"), as QEMU's
 * hw/char/cmsdk-apb-uart.c models the transmitter: bytes written to DATA with CTRL.TX_EN set go
 * to the console at once. Nothing is ever received, the transmitter is never full, and no
 * interrupt is modelled (QEMU wires TX/RX/overrun interrupts: not used by the firmware here).
 *
 * Registers (offsets): 0x00 DATA, 0x04 STATE, 0x08 CTRL, 0x0C INTSTATUS/INTCLEAR, 0x10 BAUDDIV.
 * A write to DATA with TX disabled is dropped and logged as a guest error (QEMU drops it too).
 */
#include "dev.h"

#include <stdlib.h>

#define UART_DATA 0x00
#define UART_STATE 0x04
#define UART_CTRL 0x08
#define UART_INTSTATUS 0x0C
#define UART_BAUDDIV 0x10
#define CTRL_TX_EN 0x01

struct cmsdk_uart {
	uint32_t ctrl, bauddiv;
};

static uint64_t uart_read(struct device *d, uint32_t off, unsigned size)
{
	struct cmsdk_uart *u = d->state;
	(void)size;
	switch (off) {
	case UART_DATA: return 0;          /* nothing received */
	case UART_STATE: return 0;         /* transmitter never full */
	case UART_CTRL: return u->ctrl;
	case UART_INTSTATUS: return 0;
	case UART_BAUDDIV: return u->bauddiv;
	}
	core_guest_error(d->core, d->base + off);
	return 0;
}

static void uart_write(struct device *d, uint32_t off, unsigned size, uint64_t value)
{
	struct cmsdk_uart *u = d->state;
	(void)size;
	switch (off) {
	case UART_DATA:
		if (u->ctrl & CTRL_TX_EN)
			core_console_putc(d->core, (char)value);
		else
			core_guest_error(d->core, d->base + off);
		return;
	case UART_STATE: case UART_INTSTATUS: return;   /* write-one-to-clear status bits */
	case UART_CTRL: u->ctrl = (uint32_t)value & 0x7F; return;
	case UART_BAUDDIV: u->bauddiv = (uint32_t)value & 0xFFFFF; return;
	}
	core_guest_error(d->core, d->base + off);
}

static int uart_init(struct device *d, const struct dev_opt *opts, int nopts)
{
	static const char *const known[] = {NULL};
	if (!dev_opts_known(opts, nopts, known))
		return -2;
	if (!(d->state = calloc(1, sizeof(struct cmsdk_uart))))
		return -4;
	d->size = 0x1000;
	return 0;
}

const struct device_model dev_cmsdk_uart = {
	.kind = "cmsdk-uart",
	.init = uart_init,
	.read = uart_read,
	.write = uart_write,
};

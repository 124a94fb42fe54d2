/* The NS16550A UART, as QEMU's virt maps it (byte registers, regshift 0): transmit goes to the
 * console. Follows the NS16550A data sheet, with QEMU's hw/char/serial.c where the data sheet
 * leaves room. Its interrupt output drives the controller input of the board entry's `irq`
 * (on virt, PLIC source 10) through core_irq().
 *
 * Choices where the data sheet leaves one (docs/riscv.md, "UART"):
 * - Nothing is ever received, and transmission is instantaneous: THR and the transmitter are
 *   always empty (LSR THRE and TEMT), and the only interrupt is THR empty (IER ETBEI).
 * - Writing THR raises the THR-empty interrupt again at once; reading IIR while it reports THR
 *   empty clears it; setting ETBEI with THR empty raises it (as on QEMU and the 16550A).
 * - MSR reads DCD, DSR and CTS set, as QEMU's serial does with a console attached; writes to
 *   LSR and MSR (factory test) are ignored, as QEMU does.
 */
#include <stdlib.h>

#include "dev.h"

/* Byte registers */
#define UART_RBR_THR 0           /* DLL when LCR.DLAB */
#define UART_IER 1               /* DLM when LCR.DLAB */
#define UART_IIR_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7
#define UART_SIZE 0x1000
#define IER_ETBEI 0x02           /* transmitter holding register empty interrupt enable */
#define IIR_NO_INT 0x01
#define IIR_THRI 0x02
#define IIR_FIFO 0xC0
#define FCR_FE 0x01
#define LCR_DLAB 0x80
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define MSR_DCD_DSR_CTS 0xB0     /* what QEMU's serial reports with a console attached */

struct uart {
	uint8_t ier, lcr, mcr, scr, dll, dlm, fcr, thr_ipending;
};

/* The interrupt output: THR empty with ETBEI set (no receiver, no line or modem status). */
static void update(struct device *d)
{
	struct uart *u = d->state;
	if (d->irq >= 0)
		core_irq(d->core, d->irq, (u->ier & IER_ETBEI) && u->thr_ipending);
}

static uint64_t uart_read(struct device *d, uint32_t off, unsigned size)
{
	struct uart *u = d->state;
	uint32_t v;
	(void)size;
	switch (off) {
	case UART_RBR_THR: return u->lcr & LCR_DLAB ? u->dll : 0;   /* nothing is ever received */
	case UART_IER: return u->lcr & LCR_DLAB ? u->dlm : u->ier;
	case UART_IIR_FCR:
		v = (u->fcr & FCR_FE) ? IIR_FIFO : 0;
		if ((u->ier & IER_ETBEI) && u->thr_ipending) {
			u->thr_ipending = 0;   /* reading IIR that reports THR empty clears it */
			update(d);
			return v | IIR_THRI;
		}
		return v | IIR_NO_INT;
	case UART_LCR: return u->lcr;
	case UART_MCR: return u->mcr;
	case UART_LSR: return LSR_THRE | LSR_TEMT;   /* transmission is instantaneous */
	case UART_MSR: return MSR_DCD_DSR_CTS;
	case UART_SCR: return u->scr;
	}
	core_guest_error(d->core, d->base + off);
	return 0;
}

static void write8(struct device *d, uint32_t off, uint8_t b)
{
	struct uart *u = d->state;
	uint8_t changed;
	switch (off) {
	case UART_RBR_THR:
		if (u->lcr & LCR_DLAB) {
			u->dll = b;
			return;
		}
		core_console_putc(d->core, (char)b);
		u->thr_ipending = 1;     /* sent at once: THR is empty again */
		update(d);
		return;
	case UART_IER:
		if (u->lcr & LCR_DLAB) {
			u->dlm = b;
			return;
		}
		changed = (u->ier ^ b) & 0x0F;
		u->ier = b & 0x0F;
		/* Setting ETBEI with THR empty raises the interrupt, as on QEMU and the 16550A. */
		if (changed & IER_ETBEI)
			u->thr_ipending = (u->ier & IER_ETBEI) ? 1 : 0;
		update(d);
		return;
	case UART_IIR_FCR: u->fcr = b & 0xC9; return;
	case UART_LCR: u->lcr = b; return;
	case UART_MCR: u->mcr = b & 0x1F; return;
	case UART_LSR: case UART_MSR: return;           /* factory test: ignored, as QEMU does */
	case UART_SCR: u->scr = b; return;
	}
	core_guest_error(d->core, d->base + off);
}

static void uart_write(struct device *d, uint32_t off, unsigned size, uint64_t value)
{
	(void)size;
	write8(d, off, (uint8_t)value);
	core_device_written(d->core);
}

static int uart_init(struct device *d, const struct dev_opt *opts, int nopts)
{
	static const char *const known[] = {NULL};
	if (!dev_opts_known(opts, nopts, known))
		return -2;
	struct uart *u = calloc(1, sizeof(*u));
	if (!u)
		return -4;
	d->state = u;
	d->size = UART_SIZE;
	return 0;
}

const struct device_model dev_ns16550a = {
	.kind = "ns16550a",
	.init = uart_init,
	.read = uart_read,
	.write = uart_write,
};

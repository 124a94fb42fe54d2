/* The CMSDK APB UART (Arm Cortex-M System Design Kit TRM, DDI 0479C, "APB UART"), as QEMU 7.2's
 * hw/char/cmsdk-apb-uart.c models it. mps2-an385 has five (QEMU hw/arm/mps2.c): UART0-4 at
 * 0x40004000, 0x40005000, 0x40006000, 0x40007000, 0x40009000, RX interrupts on IRQ 0, 2, 4, 18,
 * 20 and TX interrupts on the next line up (1, 3, 5, 19, 21). The board entry's `irq` is the RX
 * line, option `tx_irq` the TX line; option `console` (default 1) makes it the console: its
 * output goes to the console and Machine.console_input() feeds its receiver. A UART that is not
 * the console transmits into the void (QEMU's UART without a chardev).
 *
 * Registers (offsets): 0x00 DATA, 0x04 STATE (TXFULL 0, RXFULL 1, TXOVR 2, RXOVR 3; the
 * overrun bits write-one-to-clear), 0x08 CTRL (TX_EN 0, RX_EN 1, TX_INTEN 2, RX_INTEN 3,
 * TXO_INTEN 4, RXO_INTEN 5, HSTEST 6), 0x0C INTSTATUS/INTCLEAR (TX 0, RX 1, TXO 2, RXO 3;
 * write one to clear), 0x10 BAUDDIV, 0xFD0-0xFFC the ID registers (QEMU's values).
 *
 * Transmit: as QEMU, a byte written to DATA with TX_EN leaves at once; TXFULL is never seen
 * set, and the TXFULL 1 -> 0 transition sets INTSTATUS.TX (with TX_INTEN) at the write. A
 * write to DATA with TX disabled is dropped and logged as a guest error (QEMU keeps it stuck in
 * the buffer).
 * Receive: console input waits in a host-side queue (QEMU's chardev does the same: it offers a
 * byte only while RX_EN is set and RXFULL clear). A byte takes one character time on the wire,
 * 10 bits of BAUDDIV cycles (16 while BAUDDIV is below the TRM's minimum of 16), counted in
 * ticks from the moment the receiver can take it; it lands in DATA with RXFULL set and, with
 * RX_INTEN, INTSTATUS.RX. Reading DATA clears RXFULL, and the next byte starts.
 * Overruns never happen (transmit is instant, input waits), so the overrun interrupts (QEMU:
 * UART0-2's ORed onto IRQ 12) never rise and are not wired.
 * The interrupt outputs are levels: INTSTATUS.TX and INTSTATUS.RX, held until INTCLEAR.
 * Other offsets, and writes to the ID registers, are guest errors.
 */
#include "dev.h"

#include <stddef.h>
#include <stdlib.h>

#define UART_DATA 0x00
#define UART_STATE 0x04
#define UART_CTRL 0x08
#define UART_INTSTATUS 0x0C
#define UART_BAUDDIV 0x10
#define UART_PART 0x21    /* PID0: the APB UART */
#define STATE_RXFULL 0x02
#define STATE_OVERRUN 0x0C
#define CTRL_TX_EN 0x01
#define CTRL_RX_EN 0x02
#define CTRL_TX_INTEN 0x04
#define CTRL_RX_INTEN 0x08
#define INT_TX 0x01
#define INT_RX 0x02

struct cmsdk_uart {
	uint32_t ctrl, state, intstatus, bauddiv;
	uint8_t rxbuf;
	int tx_irq, console;
	uint32_t driven;         /* the INT_TX / INT_RX levels driven on the lines now */
	uint64_t rx_at;          /* the tick the next queued byte lands in DATA, or UINT64_MAX */
	struct inq in;           /* console input not yet received */
};

/* Drives the TX and RX lines to what INTSTATUS says, where they changed. */
static void uart_update(struct device *d)
{
	struct cmsdk_uart *u = d->state;
	uint32_t want = u->intstatus & (INT_TX | INT_RX), diff = want ^ u->driven;
	u->driven = want;
	if ((diff & INT_TX) && u->tx_irq >= 0)
		core_irq(d->core, u->tx_irq, !!(want & INT_TX));
	if ((diff & INT_RX) && d->irq >= 0)
		core_irq(d->core, d->irq, !!(want & INT_RX));
}

/* The next queued byte starts on the wire if the receiver can take it. */
static void rx_start(struct device *d)
{
	struct cmsdk_uart *u = d->state;
	if (u->rx_at != UINT64_MAX || inq_empty(&u->in) || !(u->ctrl & CTRL_RX_EN) ||
	    (u->state & STATE_RXFULL))
		return;
	uint64_t div = u->bauddiv < 16 ? 16 : u->bauddiv;
	u->rx_at = d->core->ticks + 10 * div;
	core_update_deadline(d->core);
}

static void uart_advance(struct device *d)
{
	struct cmsdk_uart *u = d->state;
	if (d->core->ticks < u->rx_at)
		return;
	u->rx_at = UINT64_MAX;
	if (!(u->ctrl & CTRL_RX_EN))   /* disabled while the byte was on the wire: it waits */
		return;
	u->rxbuf = inq_pop(&u->in);
	u->state |= STATE_RXFULL;
	if (u->ctrl & CTRL_RX_INTEN)
		u->intstatus |= INT_RX;
	uart_update(d);
}

static uint64_t uart_deadline(struct device *d)
{
	return ((struct cmsdk_uart *)d->state)->rx_at;
}

static uint32_t uart_read32(struct device *d, uint32_t off)
{
	struct cmsdk_uart *u = d->state;
	uart_advance(d);
	switch (off) {
	case UART_DATA:
		if (u->state & STATE_RXFULL) {
			u->state &= ~STATE_RXFULL;
			rx_start(d);
		}
		return u->rxbuf;
	case UART_STATE: return u->state;
	case UART_CTRL: return u->ctrl;
	case UART_INTSTATUS: return u->intstatus;
	case UART_BAUDDIV: return u->bauddiv;
	}
	if (off >= CMSDK_ID_FIRST && off <= CMSDK_ID_LAST)
		return cmsdk_id(off, UART_PART);
	core_guest_error(d->core, d->base + off);
	return 0;
}

static uint64_t uart_read(struct device *d, uint32_t off, unsigned size)
{
	return dev_word_read(uart_read32, d, off, size);
}

static void uart_write(struct device *d, uint32_t off, unsigned size, uint64_t value)
{
	struct cmsdk_uart *u = d->state;
	uint32_t v = (uint32_t)value;
	(void)size;
	uart_advance(d);
	switch (off) {
	case UART_DATA:
		if (!(u->ctrl & CTRL_TX_EN)) {
			core_guest_error(d->core, d->base + off);
			return;
		}
		if (u->console)
			core_console_putc(d->core, (char)v);
		if (u->ctrl & CTRL_TX_INTEN)   /* TXFULL went 1 -> 0 at once */
			u->intstatus |= INT_TX;
		break;
	case UART_STATE:
		u->state &= ~(v & STATE_OVERRUN);
		break;
	case UART_CTRL:
		u->ctrl = v & 0x7F;
		rx_start(d);
		break;
	case UART_INTSTATUS:
		u->intstatus &= ~(v & 0xF);
		break;
	case UART_BAUDDIV:
		u->bauddiv = v & 0xFFFFF;
		return;
	default:
		core_guest_error(d->core, d->base + off);
		return;
	}
	uart_update(d);
	core_device_written(d->core);
}

static long uart_input(struct device *d, const uint8_t *data, size_t n)
{
	struct cmsdk_uart *u = d->state;
	if (!u->console)
		return -1;
	long r = inq_push(&u->in, data, n);
	rx_start(d);
	return r;
}

static int uart_init(struct device *d, const struct dev_opt *opts, int nopts)
{
	static const char *const known[] = {"tx_irq", "console", NULL};
	if (!dev_opts_known(opts, nopts, known))
		return -2;
	struct cmsdk_uart *u = calloc(1, sizeof(*u));
	if (!u)
		return -4;
	u->tx_irq = (int)dev_opt(opts, nopts, "tx_irq", (uint64_t)-1);
	u->console = dev_opt(opts, nopts, "console", 1) != 0;
	u->rx_at = UINT64_MAX;
	d->untimed = !u->console;   /* only the console receives (console input) */
	d->state = u;
	d->size = 0x1000;
	return 0;
}

static void uart_free(struct device *d)
{
	inq_dev_free(d, offsetof(struct cmsdk_uart, in));
}

/* Snapshots: the registers as they are, then the queued console input (a deep copy). */
static void uart_save(struct device *d, struct snap_w *w)
{
	inq_dev_save(d, sizeof(struct cmsdk_uart), offsetof(struct cmsdk_uart, in), w);
}

static int uart_restore(struct device *d, struct snap_r *r)
{
	return inq_dev_restore(d, sizeof(struct cmsdk_uart), offsetof(struct cmsdk_uart, in), r);
}

const struct device_model dev_cmsdk_uart = {
	.kind = "cmsdk-uart",
	.init = uart_init,
	.read = uart_read,
	.write = uart_write,
	.deadline = uart_deadline,
	.advance = uart_advance,
	.input = uart_input,
	.free = uart_free,
	.save = uart_save,
	.restore = uart_restore,
};

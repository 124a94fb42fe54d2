/* The NS16550A UART, as QEMU's virt maps it (byte registers, regshift 0): transmit goes to the
 * console, receive takes console input from Python (core_console_input). Follows the NS16550A
 * data sheet, with QEMU's hw/char/serial.c where the data sheet leaves room. Its interrupt
 * output drives the controller input of the board entry's `irq` (on virt, PLIC source 10)
 * through core_irq().
 *
 * Interrupts, highest priority first, as the data sheet's IIR table and QEMU's
 * serial_update_irq order them: receiver line status (never: no line errors, below),
 * character timeout (0x0C) and received data available (0x04), both enabled by IER.ERBFI,
 * then THR empty (0x02, IER.ETBEI), then modem status (never: MSR does not change). IIR
 * reports the highest one; the output is high while any is.
 *
 * Choices where the data sheet leaves one (docs/riscv.md, "UART"):
 * - Transmission is instantaneous: THR and the transmitter are always empty (LSR THRE and
 *   TEMT). Writing THR raises the THR-empty interrupt again at once; reading IIR while it
 *   reports THR empty clears it; setting ETBEI with THR empty raises it (as on QEMU).
 * - Reception: bytes given as console input wait on the host side (at most UART_QUEUE_MAX)
 *   and arrive one per character time, the time the line takes for one frame (start, data,
 *   parity, stop bits at the rate DLL/DLM and QEMU virt's base rate 399193 give; 9600 baud
 *   while the divisor is 0, QEMU's reset timing), counted in ticks from clock_hz. A byte
 *   arrives into RBR (FIFOs off) or the 16-byte receive FIFO; when there is no room it waits
 *   until the firmware reads one (flow control, as QEMU's character back-ends wait), so an
 *   overrun never happens and LSR's error bits stay 0. RBR/FIFO empty reads 0.
 * - Received data available: LSR.DR is set while a byte is there; with FIFOs on, the
 *   interrupt needs the trigger level (FCR bits 7:6: 1, 4, 8, 14 bytes), and a FIFO holding
 *   bytes that nobody read for four character times reports the character timeout, as
 *   QEMU's serial does (its timer restarts at each arrival and each read that leaves bytes).
 *   Reading RBR clears the timeout indication.
 * - FCR: changing FE, or RFR, empties the receive FIFO (and RBR), as the data sheet says.
 * - MSR reads DCD, DSR and CTS set, as QEMU's serial does with a console attached; writes to
 *   LSR and MSR (factory test) are ignored, as QEMU does. Loopback (MCR bit 4) is not
 *   modelled.
 */
#include <stdlib.h>
#include <string.h>

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
#define IER_ERBFI 0x01           /* received data available interrupt enable */
#define IER_ETBEI 0x02           /* transmitter holding register empty interrupt enable */
#define IIR_NO_INT 0x01
#define IIR_THRI 0x02
#define IIR_RDI 0x04
#define IIR_CTI 0x0C
#define IIR_FIFO 0xC0
#define FCR_FE 0x01
#define FCR_RFR 0x02             /* receive FIFO reset (self-clearing) */
#define LCR_DLAB 0x80
#define LCR_PARITY 0x08
#define LCR_STOP2 0x04
#define LSR_DR 0x01
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define MSR_DCD_DSR_CTS 0xB0     /* what QEMU's serial reports with a console attached */
#define UART_FIFO_LEN 16
#define UART_QUEUE_MAX 65536     /* console input waiting on the host side */
#define UART_BAUDBASE 399193     /* QEMU virt's serial_mm_init: rate = this / divisor */
#define UART_RESET_BAUD 9600     /* QEMU's timing while the divisor is 0 */
#define UART_TIMEOUT_CHARS 4

struct uart {
	uint8_t ier, lcr, mcr, scr, dll, dlm, fcr, thr_ipending;
	uint8_t timeout_pending;         /* character timeout indication */
	uint8_t trigger;                 /* receive FIFO trigger level, bytes */
	uint8_t rx[UART_FIFO_LEN];       /* received bytes: RBR, or the FIFO */
	unsigned rx_head, rx_n;
	uint8_t *queue;                  /* console input not yet arrived */
	size_t q_head, q_len;
	uint64_t next_rx_tick;           /* arrival of the next byte; UINT64_MAX: none due */
	uint64_t timeout_tick;           /* character timeout; UINT64_MAX: none */
};

/* Ticks the line takes for one frame (the character time), at least 1. */
static uint64_t char_ticks(struct device *d)
{
	struct uart *u = d->state;
	uint32_t div = (uint32_t)u->dlm << 8 | u->dll;
	uint64_t bits = 1 + 5 + (u->lcr & 3) + (u->lcr & LCR_STOP2 ? 2 : 1) +
			(u->lcr & LCR_PARITY ? 1 : 0);
	uint64_t num = div ? bits * div : 10, den = div ? UART_BAUDBASE : UART_RESET_BAUD;
	uint64_t t = (num * d->core->clock_hz + den - 1) / den;
	return t ? t : 1;
}

static unsigned rx_cap(struct uart *u)
{
	return u->fcr & FCR_FE ? UART_FIFO_LEN : 1;
}

/* The interrupt IIR reports: the highest-priority one pending and enabled. */
static uint8_t iir_id(struct uart *u)
{
	if ((u->ier & IER_ERBFI) && u->timeout_pending)
		return IIR_CTI;
	if ((u->ier & IER_ERBFI) && u->rx_n && (!(u->fcr & FCR_FE) || u->rx_n >= u->trigger))
		return IIR_RDI;
	if ((u->ier & IER_ETBEI) && u->thr_ipending)
		return IIR_THRI;
	return IIR_NO_INT;
}

static void update(struct device *d)
{
	if (d->irq >= 0)
		core_irq(d->core, d->irq, iir_id(d->state) != IIR_NO_INT);
}

/* Room in the receiver again: the next waiting byte is on its way. */
static void rx_room(struct device *d)
{
	struct uart *u = d->state;
	if (u->q_len && u->next_rx_tick == UINT64_MAX)
		u->next_rx_tick = d->core->ticks + char_ticks(d);
}

static void rx_clear(struct device *d)
{
	struct uart *u = d->state;
	u->rx_n = 0;
	u->timeout_pending = 0;
	u->timeout_tick = UINT64_MAX;
	rx_room(d);
}

static uint8_t rbr_read(struct device *d)
{
	struct uart *u = d->state;
	if (!u->rx_n)
		return 0;
	uint8_t b = u->rx[u->rx_head];
	u->rx_head = (u->rx_head + 1) % UART_FIFO_LEN;
	u->rx_n--;
	u->timeout_pending = 0;
	u->timeout_tick = (u->fcr & FCR_FE) && u->rx_n
				  ? d->core->ticks + UART_TIMEOUT_CHARS * char_ticks(d)
				  : UINT64_MAX;
	rx_room(d);
	update(d);
	core_update_deadline(d->core);
	return b;
}

static uint64_t uart_read(struct device *d, uint32_t off, unsigned size)
{
	struct uart *u = d->state;
	uint8_t id;
	(void)size;
	switch (off) {
	case UART_RBR_THR: return u->lcr & LCR_DLAB ? u->dll : rbr_read(d);
	case UART_IER: return u->lcr & LCR_DLAB ? u->dlm : u->ier;
	case UART_IIR_FCR:
		id = iir_id(u);
		if (id == IIR_THRI) {
			u->thr_ipending = 0;   /* reading IIR that reports THR empty clears it */
			update(d);
		}
		return ((u->fcr & FCR_FE) ? IIR_FIFO : 0) | id;
	case UART_LCR: return u->lcr;
	case UART_MCR: return u->mcr;
	case UART_LSR: return LSR_THRE | LSR_TEMT | (u->rx_n ? LSR_DR : 0);
	case UART_MSR: return MSR_DCD_DSR_CTS;
	case UART_SCR: return u->scr;
	}
	core_guest_error(d->core, d->base + off);
	return 0;
}

static void fcr_write(struct device *d, uint8_t b)
{
	static const uint8_t levels[4] = {1, 4, 8, 14};
	struct uart *u = d->state;
	if ((b ^ u->fcr) & FCR_FE)
		b |= FCR_RFR;            /* FIFOs change mode: both are emptied */
	u->fcr = b & 0xC9;
	u->trigger = levels[b >> 6];
	if (b & FCR_RFR)
		rx_clear(d);
	update(d);
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
	case UART_IIR_FCR: fcr_write(d, b); return;
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

/* ---- receive: console input, arrivals, the character timeout ------------------------------ */

static long uart_input(struct device *d, const uint8_t *data, size_t n)
{
	struct uart *u = d->state;
	if (u->q_head && u->q_head + u->q_len + n > UART_QUEUE_MAX) {
		memmove(u->queue, u->queue + u->q_head, u->q_len);
		u->q_head = 0;
	}
	size_t room = UART_QUEUE_MAX - u->q_head - u->q_len;
	if (n > room)
		n = room;
	memcpy(u->queue + u->q_head + u->q_len, data, n);
	u->q_len += n;
	if (u->rx_n < rx_cap(u))
		rx_room(d);
	return (long)n;
}

static uint64_t uart_deadline(struct device *d)
{
	struct uart *u = d->state;
	return u->next_rx_tick < u->timeout_tick ? u->next_rx_tick : u->timeout_tick;
}

static void uart_advance(struct device *d)
{
	struct uart *u = d->state;
	uint64_t now = d->core->ticks;
	while (u->next_rx_tick <= now) {
		if (u->rx_n == rx_cap(u)) {
			u->next_rx_tick = UINT64_MAX;   /* waits until the firmware reads one */
			break;
		}
		u->rx[(u->rx_head + u->rx_n++) % UART_FIFO_LEN] = u->queue[u->q_head++];
		if (!--u->q_len)
			u->q_head = 0;
		if (u->fcr & FCR_FE)    /* the timeout restarts at each arrival */
			u->timeout_tick = u->next_rx_tick + UART_TIMEOUT_CHARS * char_ticks(d);
		u->next_rx_tick = u->q_len ? u->next_rx_tick + char_ticks(d) : UINT64_MAX;
	}
	if (u->timeout_tick <= now) {
		u->timeout_tick = UINT64_MAX;
		u->timeout_pending = u->rx_n != 0;
	}
	update(d);
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
	u->queue = malloc(UART_QUEUE_MAX);
	if (!u->queue)
		return -4;
	u->trigger = 1;
	u->next_rx_tick = u->timeout_tick = UINT64_MAX;
	return 0;
}

static void uart_free(struct device *d)
{
	struct uart *u = d->state;
	free(u->queue);
}

/* Snapshots: the registers and FIFO as they are, then the queued console input (a deep copy
 * into this instance's queue, which has room for UART_QUEUE_MAX bytes). */
static void uart_save(struct device *d, struct snap_w *w)
{
	struct uart *u = d->state;
	snap_put(w, u, sizeof(*u));
	snap_put(w, u->queue + u->q_head, u->q_len);
}

static int uart_restore(struct device *d, struct snap_r *r)
{
	struct uart *u = d->state, s;
	if (snap_get(r, &s, sizeof(s)) || s.q_len > UART_QUEUE_MAX)
		return -1;
	const void *q = snap_take(r, s.q_len);
	if (!q)
		return -1;
	s.queue = u->queue;
	memcpy(s.queue, q, s.q_len);
	s.q_head = 0;
	*u = s;
	return 0;
}

const struct device_model dev_ns16550a = {
	.kind = "ns16550a",
	.init = uart_init,
	.read = uart_read,
	.write = uart_write,
	.deadline = uart_deadline, .advance = uart_advance,   /* bytes arriving, the timeout */
	.input = uart_input,
	.free = uart_free,
	.save = uart_save,
	.restore = uart_restore,
};

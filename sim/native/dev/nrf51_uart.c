/* The nRF51 UART (nRF51 Series Reference Manual v3.0, chapter 29 "UART"), as QEMU 7.2 models
 * it (hw/char/nrf51_uart.c). The microbit (nRF51822) has one, at 0x40002000 on IRQ 2 (QEMU
 * hw/arm/nrf51_soc.c: the IRQ is bits [16:12] of the base): the console. Option `console`
 * (default 1) makes it the console: its output goes to the console and Machine.console_input()
 * feeds its receiver.
 *
 * Registers (offsets): tasks 0x000 STARTRX, 0x004 STOPRX, 0x008 STARTTX, 0x00C STOPTX, 0x01C
 * SUSPEND (a write of 1 runs one); events 0x100 CTS, 0x104 NCTS, 0x108 RXDRDY, 0x11C TXDRDY,
 * 0x124 ERROR, 0x144 RXTO; 0x300 INTEN, 0x304 INTENSET, 0x308 INTENCLR (all three read INTEN;
 * bits CTS 0, NCTS 1, RXDRDY 2, TXDRDY 7, ERROR 9, RXTO 17); 0x480 ERRORSRC (write one to
 * clear); 0x500 ENABLE (4 enables); 0x508-0x514 PSELRTS/TXD/CTS/RXD (reset 0xFFFFFFFF);
 * 0x518 RXD; 0x51C TXD; 0x524 BAUDRATE (reset 0x04000000, 250 kbaud); 0x56C CONFIG.
 *
 * As QEMU:
 * - Disabled (ENABLE != 4), every register reads as zero and only ENABLE takes writes.
 *   Writing ENABLE = 0 stops both directions and sets EVENTS_RXTO.
 * - Transmit: a byte written to TXD after STARTTX leaves at once and sets EVENTS_TXDRDY at
 *   that write (QEMU's chardev takes it synchronously); before STARTTX it is dropped.
 * - STOPRX and SUSPEND set EVENTS_RXTO at once; SUSPEND stops transmit too.
 * - The events are registers: a write stores the value (RXDRDY only takes 0), and the
 *   interrupt output is a level: some event set whose INTEN bit is set.
 * - Other offsets in the page (PSEL*, CONFIG, ...) read back what was written.
 * Receive: console input waits in a host-side queue while the receiver is stopped; after
 * STARTRX a byte lands every character time (10 bits at BAUDRATE, BAUDRATE * 16 MHz / 2^32
 * baud, in ticks of the board clock) in a 6-byte FIFO (QEMU's UART_FIFO_LENGTH), setting
 * EVENTS_RXDRDY; reading RXD takes the oldest byte, and sets EVENTS_RXDRDY again while more
 * are left. QEMU fills the FIFO as fast as its chardev offers bytes (host timing).
 * Not modelled: flow control (CTS/NCTS never come), parity and framing errors (ERROR never
 * comes: QEMU raises it on a break only).
 */
#include "dev.h"

#include <stddef.h>
#include <stdlib.h>

#define U_STARTRX 0x000
#define U_STOPRX 0x004
#define U_STARTTX 0x008
#define U_STOPTX 0x00C
#define U_SUSPEND 0x01C
#define U_RXDRDY 0x108
#define U_TXDRDY 0x11C
#define U_ERROR 0x124
#define U_RXTO 0x144
#define U_INTEN 0x300
#define U_INTENSET 0x304
#define U_INTENCLR 0x308
#define U_ERRORSRC 0x480
#define U_ENABLE 0x500
#define U_PSELRTS 0x508
#define U_PSELRXD 0x514
#define U_RXD 0x518
#define U_TXD 0x51C
#define U_BAUDRATE 0x524
#define NREG (0x1000 / 4)
#define FIFO_LEN 6
#define ENABLE_ON 4
#define INT_RXDRDY (1u << 2)
#define INT_TXDRDY (1u << 7)
#define INT_ERROR (1u << 9)
#define INT_RXTO (1u << 17)
#define BAUD_RESET 0x04000000u

struct nrf51_uart {
	uint32_t reg[NREG];      /* the register file by offset / 4 (events, INTEN, PSEL*, ...) */
	int enabled, rx_started, tx_started, console, driven;
	uint8_t fifo[FIFO_LEN];
	uint32_t fifo_pos, fifo_len;
	uint64_t rx_at;          /* the tick the next queued byte lands in the FIFO, or UINT64_MAX */
	struct inq in;           /* console input not yet received */
};

#define R(u, off) ((u)->reg[(off) / 4])

static void uart_update(struct device *d)
{
	struct nrf51_uart *u = d->state;
	uint32_t inten = R(u, U_INTEN);
	int level = (R(u, U_RXDRDY) && (inten & INT_RXDRDY)) ||
		    (R(u, U_TXDRDY) && (inten & INT_TXDRDY)) ||
		    (R(u, U_ERROR) && (inten & INT_ERROR)) || (R(u, U_RXTO) && (inten & INT_RXTO));
	if (level != u->driven) {
		u->driven = level;
		if (d->irq >= 0)
			core_irq(d->core, d->irq, level);
	}
}

/* Ticks per character on the wire: 10 bits at BAUDRATE * 16 MHz / 2^32 baud. */
static uint64_t char_ticks(struct device *d)
{
	struct nrf51_uart *u = d->state;
	uint64_t b = R(u, U_BAUDRATE) >> 12;
	if (!b)
		b = 1;
	/* 10 * clock_hz / (b * 2^12 * 16e6 / 2^32) = 10 * clock_hz * 2^20 / (b * 16e6) */
	uint64_t t = 10ull * d->core->clock_hz * (1ull << 20) / (b * 16000000ull);
	return t ? t : 1;
}

/* The next queued byte starts on the wire if the FIFO can take it. */
static void rx_start(struct device *d)
{
	struct nrf51_uart *u = d->state;
	if (u->rx_at != UINT64_MAX || inq_empty(&u->in) || !u->enabled || !u->rx_started ||
	    u->fifo_len == FIFO_LEN)
		return;
	u->rx_at = d->core->ticks + char_ticks(d);
	core_update_deadline(d->core);
}

static void uart_advance(struct device *d)
{
	struct nrf51_uart *u = d->state;
	if (d->core->ticks < u->rx_at)
		return;
	u->rx_at = UINT64_MAX;
	if (!u->enabled || !u->rx_started)   /* stopped while the byte was on the wire: it waits */
		return;
	u->fifo[(u->fifo_pos + u->fifo_len++) % FIFO_LEN] = inq_pop(&u->in);
	R(u, U_RXDRDY) = 1;
	uart_update(d);
	rx_start(d);
}

static uint64_t uart_deadline(struct device *d)
{
	return ((struct nrf51_uart *)d->state)->rx_at;
}

static uint32_t uart_read32(struct device *d, uint32_t off)
{
	struct nrf51_uart *u = d->state;
	uart_advance(d);
	if (!u->enabled)
		return 0;
	switch (off) {
	case U_RXD: {
		uint32_t r = u->fifo[u->fifo_pos];
		if (u->rx_started && u->fifo_len) {
			u->fifo_pos = (u->fifo_pos + 1) % FIFO_LEN;
			u->fifo_len--;
			if (u->fifo_len) {
				R(u, U_RXDRDY) = 1;
				uart_update(d);
			}
			rx_start(d);
		}
		return r;
	}
	case U_INTENSET: case U_INTENCLR:
		return R(u, U_INTEN);
	}
	return u->reg[off / 4];
}

static uint64_t uart_read(struct device *d, uint32_t off, unsigned size)
{
	return dev_word_read(uart_read32, d, off, size);
}

static void uart_write(struct device *d, uint32_t off, unsigned size, uint64_t value)
{
	struct nrf51_uart *u = d->state;
	uint32_t v = (uint32_t)(value << (8 * (off & 3)));   /* a narrower write: its word */
	(void)size;
	off &= ~3u;
	uart_advance(d);
	if (!u->enabled && off != U_ENABLE)
		return;
	switch (off) {
	case U_TXD:
		if (u->tx_started) {
			R(u, U_TXD) = v;      /* reads back as written, as QEMU */
			if (u->console)
				core_console_putc(d->core, (char)v);
			R(u, U_TXDRDY) = 1;
		}
		break;
	case U_INTEN: R(u, U_INTEN) = v; break;
	case U_INTENSET: R(u, U_INTEN) |= v; break;
	case U_INTENCLR: R(u, U_INTEN) &= ~v; break;
	case U_ERRORSRC: R(u, U_ERRORSRC) &= ~v; break;
	case U_RXD: break;
	case U_RXDRDY:
		if (v == 0)
			R(u, U_RXDRDY) = 0;
		break;
	case U_STARTTX:
		if (v == 1)
			u->tx_started = 1;
		break;
	case U_STARTRX:
		if (v == 1) {
			u->rx_started = 1;
			rx_start(d);
		}
		break;
	case U_ENABLE:
		if (v) {
			if (v == ENABLE_ON) {
				u->enabled = 1;
				rx_start(d);
			}
			break;
		}
		u->enabled = 0;       /* disabling stops both directions, as STOPTX + STOPRX */
		u->tx_started = u->rx_started = 0;
		R(u, U_RXTO) = 1;
		break;
	case U_SUSPEND: case U_STOPTX: case U_STOPRX:
		if (v == 1) {
			if (off != U_STOPRX)
				u->tx_started = 0;
			if (off != U_STOPTX) {
				u->rx_started = 0;
				R(u, U_RXTO) = 1;
			}
		}
		break;
	default:                      /* the events, PSEL*, BAUDRATE, CONFIG, ...: stored */
		u->reg[off / 4] = v;
		break;
	}
	uart_update(d);
	core_device_written(d->core);
}

static long uart_input(struct device *d, const uint8_t *data, size_t n)
{
	struct nrf51_uart *u = d->state;
	if (!u->console)
		return -1;
	long r = inq_push(&u->in, data, n);
	rx_start(d);
	return r;
}

static int uart_init(struct device *d, const struct dev_opt *opts, int nopts)
{
	static const char *const known[] = {"console", NULL};
	if (!dev_opts_known(opts, nopts, known))
		return -2;
	struct nrf51_uart *u = calloc(1, sizeof(*u));
	if (!u)
		return -4;
	u->console = dev_opt(opts, nopts, "console", 1) != 0;
	u->rx_at = UINT64_MAX;
	for (uint32_t off = U_PSELRTS; off <= U_PSELRXD; off += 4)
		R(u, off) = 0xFFFFFFFFu;
	R(u, U_BAUDRATE) = BAUD_RESET;
	d->untimed = !u->console;   /* only the console receives (console input) */
	d->state = u;
	d->size = 0x1000;
	return 0;
}

static void uart_free(struct device *d)
{
	inq_dev_free(d, offsetof(struct nrf51_uart, in));
}

/* Snapshots: the registers as they are, then the queued console input (a deep copy). */
static void uart_save(struct device *d, struct snap_w *w)
{
	inq_dev_save(d, sizeof(struct nrf51_uart), offsetof(struct nrf51_uart, in), w);
}

static int uart_restore(struct device *d, struct snap_r *r)
{
	return inq_dev_restore(d, sizeof(struct nrf51_uart), offsetof(struct nrf51_uart, in), r);
}

const struct device_model dev_nrf51_uart = {
	.kind = "nrf51-uart",
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

/* Console on the nRF51 UART of the micro:bit (nRF51 Series Reference Manual v3.0, chapter 29
 * "UART"; QEMU hw/char/nrf51_uart.c): enabled, TXD on the micro:bit's USB serial pin, 115200
 * baud, transmit started; each byte waits for EVENTS_TXDRDY. */
#include <stdint.h>

#include "console.h"

#define UART0_BASE       0x40002000u
#define UART_REG(off)    (*(volatile uint32_t *)(UART0_BASE + (off)))
#define UART_STARTTX     UART_REG(0x008)
#define UART_TXDRDY      UART_REG(0x11C)
#define UART_ENABLE      UART_REG(0x500)
#define UART_PSELTXD     UART_REG(0x50C)
#define UART_TXD         UART_REG(0x51C)
#define UART_BAUDRATE    UART_REG(0x524)
#define ENABLE_UART      4u
#define MICROBIT_TX_PIN  24u
#define BAUD_115200      0x01D7E000u

void console_init(void)
{
	UART_ENABLE = ENABLE_UART;
	UART_PSELTXD = MICROBIT_TX_PIN;
	UART_BAUDRATE = BAUD_115200;
	UART_STARTTX = 1;
}

void console_putc(char c)
{
	UART_TXDRDY = 0;
	UART_TXD = (uint8_t)c;
	while (!UART_TXDRDY) {
	}
}

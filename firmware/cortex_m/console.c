/* Console on a CMSDK APB UART (Arm CMSDK TRM, "UART"): UART0 of mps2-an385, or the board's
 * console UART the build names (-DCONSOLE_UART_BASE, sim/demo.py). */
#include <stdint.h>

#include "console.h"

#ifndef CONSOLE_UART_BASE
#define CONSOLE_UART_BASE 0x40004000u
#endif
#define UART0_BASE     CONSOLE_UART_BASE
#define UART_DATA      (*(volatile uint32_t *)(UART0_BASE + 0x00))
#define UART_STATE     (*(volatile uint32_t *)(UART0_BASE + 0x04))
#define UART_CTRL      (*(volatile uint32_t *)(UART0_BASE + 0x08))
#define UART_BAUDDIV   (*(volatile uint32_t *)(UART0_BASE + 0x10))
#define STATE_TX_FULL  (1u << 0)
#define CTRL_TX_EN     (1u << 0)

void console_init(void)
{
	UART_BAUDDIV = 16;
	UART_CTRL = CTRL_TX_EN;
}

void console_putc(char c)
{
	while (UART_STATE & STATE_TX_FULL) {
	}
	UART_DATA = (uint8_t)c;
}

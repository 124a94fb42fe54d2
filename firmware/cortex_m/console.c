/* Console on the CMSDK APB UART0 of mps2-an385 (Arm CMSDK TRM, "UART"). */
#include <stdint.h>

#include "console.h"

#define UART0_BASE     0x40004000u
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

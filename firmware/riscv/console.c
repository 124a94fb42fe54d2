/* Console on the NS16550A UART of QEMU's virt board (0x10000000, byte registers). */
#include <stdint.h>

#include "console.h"
#include "riscv.h"

void console_init(void)
{
	UART_LCR = UART_LCR_DLAB;    /* divisor 1: the fastest rate; QEMU and irqsim ignore it */
	UART_DLL = 1;
	UART_DLM = 0;
	UART_LCR = UART_LCR_8N1;
	UART_FCR = 0x07;             /* FIFOs on and cleared */
	UART_IER = 0;
}

void console_putc(char c)
{
	while (!(UART_LSR & UART_LSR_THRE)) {
	}
	UART_THR = (uint8_t)c;
}

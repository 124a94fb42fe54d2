/* The board's console UART, and small formatting helpers over it (console_common.c). */
#ifndef FIRMWARE_CONSOLE_H_
#define FIRMWARE_CONSOLE_H_

#include <stdint.h>

void console_init(void);
void console_putc(char c);
void console_puts(const char *s);
void console_putu(uint32_t v);

#endif /* FIRMWARE_CONSOLE_H_ */

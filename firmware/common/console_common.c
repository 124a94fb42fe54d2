#include "console.h"

void console_puts(const char *s)
{
	while (*s)
		console_putc(*s++);
}

void console_putu(uint32_t v)
{
	char buf[11];
	int i = 0;
	do {
		buf[i++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (i)
		console_putc(buf[--i]);
}

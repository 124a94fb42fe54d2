/* The guest-side test log's printer (testlog.h). */
#include "testlog.h"

#include "semihost.h"

void log_print(const volatile uint32_t *buf, uint32_t n)
{
	static const char hex[] = "0123456789abcdef";
	char line[12];
	for (uint32_t i = 0; i < n; i++) {
		for (int d = 0; d < 8; d++)
			line[d] = hex[(buf[i] >> (28 - 4 * d)) & 15];
		line[8] = '\n';
		line[9] = 0;
		semihost_write0(line);
	}
}

/* What guest-side test images (nvic_tests.c, dev_tests.c) share: each keeps its log of words
 * in `log_buf` / `log_n`, which Python reads by symbol, and prints it at the end with
 * log_print() through semihosting, one word a line in hex, so that QEMU's run of the same
 * image can be compared with irqsim's. */
#ifndef TESTS_CORTEX_M_FW_TESTLOG_H_
#define TESTS_CORTEX_M_FW_TESTLOG_H_

#include <stdint.h>

/* Prints buf[0..n-1], one 8-digit hex word a line. */
void log_print(const volatile uint32_t *buf, uint32_t n);

#endif /* TESTS_CORTEX_M_FW_TESTLOG_H_ */

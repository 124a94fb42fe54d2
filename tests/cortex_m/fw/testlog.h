/* What guest-side test images (nvic_tests.c, dev_tests.c) share: each keeps its log of words
 * in `log_buf` / `log_n`, which Python reads by symbol, and prints it at the end with
 * log_print() through semihosting, one word a line in hex, so that QEMU's run of the same
 * image can be compared with irqsim's. */
#ifndef TESTS_CORTEX_M_FW_TESTLOG_H_
#define TESTS_CORTEX_M_FW_TESTLOG_H_

#include <stdint.h>

#ifndef TEST_ID
#define TEST_ID 0xFFFFFFFFu   /* none: Python patches `test_id`, or a build fixes it (-DTEST_ID) */
#endif

/* Defines, in the image's own file (so that its code is what it was with its own copy),
 * `test_id` (which test function runs), the log `log_buf` / `log_n` that Python reads by
 * symbol, and rec(v), which appends to it (dropped once full). */
#define TESTLOG_DEFINE()                                                          \
	__attribute__((used)) const volatile uint32_t test_id = TEST_ID;          \
	volatile uint32_t log_buf[64];                                            \
	volatile uint32_t log_n;                                                  \
	static void rec(uint32_t v)                                               \
	{                                                                         \
		if (log_n < 64)                                                   \
			log_buf[log_n++] = v;                                     \
	}

/* main() of a test image: runs tests[test_id] (99 for an id out of range), logs 0xEE and prints
 * the log for comparison with QEMU's run; returns the test's result. */
#define TESTLOG_MAIN(tests)                                                       \
	int main(void)                                                            \
	{                                                                         \
		if (test_id >= sizeof(tests) / sizeof(tests[0]))                  \
			return 99;                                                \
		int r = tests[test_id]();                                         \
		rec(0xEE);                                                        \
		log_print(log_buf, log_n);                                        \
		return r;                                                         \
	}

/* Prints buf[0..n-1], one 8-digit hex word a line. */
void log_print(const volatile uint32_t *buf, uint32_t n);

#endif /* TESTS_CORTEX_M_FW_TESTLOG_H_ */

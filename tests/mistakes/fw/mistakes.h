/* tests/mistakes: what both test images share. Python writes the settings before boot (they
 * live in .data, which the start-up code copies from the image) and reads `handled`. */
#ifndef TESTS_MISTAKES_FW_MISTAKES_H_
#define TESTS_MISTAKES_FW_MISTAKES_H_

#include <stdint.h>

#include "handler_table.h"

#define SETTING __attribute__((section(".data")))
extern volatile uint32_t mode;       /* MODE_* */
extern volatile uint32_t correct;    /* 1: the correct variant of the same firmware */
extern volatile uint32_t ack_addr;   /* irqsim's acknowledge register (Machine.ack_register) */
extern volatile uint32_t handled[16];
extern volatile uint32_t loops;

enum { MODE_LEVEL = 1, MODE_BASEPRI = 2, MODE_PRIO = 3, MODE_STACK = 4, MODE_EMPTY = 5 };
#define LEVEL_LINE 5
#define PRIO_LINE 4
#define EMPTY_LINE 9

#endif /* TESTS_MISTAKES_FW_MISTAKES_H_ */

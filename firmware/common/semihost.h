/* Semihosting calls (Arm "Semihosting for AArch32 and AArch64", also used by RISC-V).
 * On Cortex-M the trap is `bkpt 0xab`; on RISC-V the sequence `slli x0,x0,0x1f; ebreak;
 * srai x0,x0,7`. Both irqsim and QEMU (-semihosting) implement these calls. */
#ifndef FIRMWARE_SEMIHOST_H_
#define FIRMWARE_SEMIHOST_H_

#include <stdint.h>

/* Operation numbers (the specification's table 6-1); sim/native/semihost.c includes this file
 * for them too: one definition on both sides. */
#define SYS_OPEN            0x01
#define SYS_CLOSE           0x02
#define SYS_WRITEC          0x03
#define SYS_WRITE0          0x04
#define SYS_WRITE           0x05
#define SYS_READ            0x06
#define SYS_READC           0x07
#define SYS_ISERROR         0x08
#define SYS_ISTTY           0x09
#define SYS_SEEK            0x0A
#define SYS_FLEN            0x0C
#define SYS_TMPNAM          0x0D
#define SYS_REMOVE          0x0E
#define SYS_RENAME          0x0F
#define SYS_CLOCK           0x10
#define SYS_TIME            0x11
#define SYS_SYSTEM          0x12
#define SYS_ERRNO           0x13
#define SYS_GET_CMDLINE     0x15
#define SYS_HEAPINFO        0x16
#define SYS_EXIT            0x18
#define SYS_EXIT_EXTENDED   0x20
#define SYS_ELAPSED         0x30
#define SYS_TICKFREQ        0x31
#define ADP_STOPPED_APPLICATION_EXIT 0x20026

uintptr_t semihost_call(uintptr_t op, uintptr_t arg);
void semihost_write0(const char *s);
/* Ends the run with `code` as the exit status (SYS_EXIT_EXTENDED). Does not return. */
__attribute__((noreturn)) void semihost_exit(int code);

#endif /* FIRMWARE_SEMIHOST_H_ */

/* Semihosting calls (Arm "Semihosting for AArch32 and AArch64", also used by RISC-V).
 * On Cortex-M the trap is `bkpt 0xab`; on RISC-V the sequence `slli x0,x0,0x1f; ebreak;
 * srai x0,x0,7`. Both irqsim and QEMU (-semihosting) implement these calls. */
#ifndef FIRMWARE_SEMIHOST_H_
#define FIRMWARE_SEMIHOST_H_

#include <stdint.h>

#define SYS_WRITEC          0x03
#define SYS_WRITE0          0x04
#define SYS_WRITE           0x05
#define SYS_CLOCK           0x10
#define SYS_TIME            0x11
#define SYS_EXIT            0x18
#define SYS_EXIT_EXTENDED   0x20
#define ADP_STOPPED_APPLICATION_EXIT 0x20026

uintptr_t semihost_call(uintptr_t op, uintptr_t arg);
void semihost_write0(const char *s);
/* Ends the run with `code` as the exit status (SYS_EXIT_EXTENDED). Does not return. */
__attribute__((noreturn)) void semihost_exit(int code);

#endif /* FIRMWARE_SEMIHOST_H_ */

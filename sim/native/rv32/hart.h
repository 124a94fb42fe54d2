/* RISC-V hart 0 in machine mode (rv32/hart.c): what the board's interrupt controllers, which
 * are devices (dev/plic.c, dev/clint.c), may ask of it. They drive its interrupt inputs and
 * tell it about claims and completions; they never write its state.
 */
#ifndef SIM_NATIVE_RV32_HART_H_
#define SIM_NATIVE_RV32_HART_H_

#include <stdint.h>

#include "../core.h"

/* Interrupt codes and mip/mie bits (privileged spec 3.1.9) */
#define IRQ_MSI 3
#define IRQ_MTI 7
#define IRQ_MEI 11
#define MIP_MSIP (1u << IRQ_MSI)
#define MIP_MTIP (1u << IRQ_MTI)
#define MIP_MEIP (1u << IRQ_MEI)
#define MIP_MACHINE (MIP_MSIP | MIP_MTIP | MIP_MEIP)

/* Drives the hart's interrupt input `bit` (MIP_MSIP, MIP_MTIP or MIP_MEIP) to `level`. */
void hart_input(struct core *c, uint32_t bit, int level);
/* The PLIC gave source `s` to a claim by this hart; `req` is the tick of the line request
 * behind it (NO_TICK for a device or a level still high). Binds the request to the running
 * trap for the accounting. */
void hart_claimed(struct core *c, uint32_t s, uint64_t req);
/* The hart completed source `s`: its request returns at the trap's mret. */
void hart_completed(struct core *c, uint32_t s);
/* Whether the hart holds off interrupt input `bit` now: clear in mie, or MIE clear in M-mode. */
int hart_masks(struct core *c, uint32_t bit);

#endif /* SIM_NATIVE_RV32_HART_H_ */

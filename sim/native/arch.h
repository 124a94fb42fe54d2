/* The architecture interface of the native core: what core.c asks of a CPU model, and the
 * only way it reaches one. An architecture (armv7m/, rv32/) fills a `struct arch_ops` and
 * installs it with core_set_arch() when Python initialises it; core.c names no function of
 * either and tests no architecture.
 *
 * When core.c calls what (all at block boundaries or where emulation stopped; see core.h):
 *   block_info   a translation block is seen for the first time: its instruction count and
 *                what its last instruction asks of the model once it retires (block_end)
 *   block_end    that last instruction retired (only for a non-zero `end` from block_info)
 *   service      a block boundary with work due (a deadline reached, need_check or
 *                recheck_masked set): advance the model's own timers and arbitrate; may move
 *                PC (then set c->pc_redirected) or stop the core
 *   intr         Unicorn's UC_HOOK_INTR (an exception the CPU raised)
 *   fault        emu_start returned an error at pc: take the architectural fault (0) or give
 *                up (-1: the core stops with c->stop, or STOP_ERROR)
 *   resume       emu_start returned cleanly: finish an instruction the model stopped at (1)
 *   run_start    emulation starts (again): Python may have changed registers
 *   deadline     the tick of the model's next own event (a timer), UINT64_MAX for none
 *   wakeable     an idle wait (WFI) ended emu_start: whether an interrupt can wake the core now
 *   current_line the controller line whose handler runs now, -1 for none (accounting)
 *   device_written  a device register write may have changed an interrupt input; `in_api`
 *                set when Python made it
 *   stop_after_access  a device access from the guest ends the run (core_end_run): stop
 *                emulation so that the accessing instruction retires and PC is past it (resume
 *                finishes it); NULL: the run stops with PC at the instruction, not retired
 *   release      core_free: give back engine resources (may be NULL)
 *   self_loop    a new block [p, p + size): 1 when it is one instruction branching
 *                unconditionally to itself (`b .`, `j .`), which only an interrupt can leave
 *                (may be NULL: never)
 *   stuck        the core runs such a loop: 1 when no interrupt can ever be taken, given the
 *                model's state and whether any line event, storm request or device timer is
 *                still to come (`quiet` = 0) or none (`quiet` = 1); 0 when one still could
 *                (docs/semantics.md, "Stuck"; may be NULL: never stuck)
 *   save         a snapshot is taken (snapshot.c): write the model's state (not its
 *                configuration, not the CPU registers: Unicorn's context holds those)
 *   restore      read it back, as save wrote it, into this core's model: 0, or -1 (a short
 *                or foreign snapshot)
 */
#ifndef SIM_NATIVE_ARCH_H_
#define SIM_NATIVE_ARCH_H_

#include <stdint.h>

#include <unicorn/unicorn.h>

struct core;
struct snap_w;
struct snap_r;

/* The last instruction of a block, when the model must act once it has retired: values are
 * the architecture's own (RISC-V's are in rv32/hart.c); 0 means nothing. */
#define BLOCK_END_NONE 0

struct arch_ops {
	const char *name;
	uint32_t (*block_info)(const uint8_t *p, uint32_t size, uint8_t *end);
	void (*block_end)(struct core *c, int end);
	void (*service)(struct core *c, uint64_t pc);
	void (*intr)(struct core *c, uint32_t intno);
	int (*fault)(struct core *c, uc_err err, uint64_t pc);
	int (*resume)(struct core *c);
	void (*run_start)(struct core *c);
	uint64_t (*deadline)(struct core *c);
	int (*wakeable)(struct core *c);
	int (*current_line)(struct core *c);
	void (*device_written)(struct core *c);
	void (*stop_after_access)(struct core *c);
	void (*release)(struct core *c);
	int (*self_loop)(const uint8_t *p, uint32_t size);
	int (*stuck)(struct core *c, int quiet);
	void (*save)(struct core *c, struct snap_w *w);
	int (*restore)(struct core *c, struct snap_r *r);
	int reg_pc;              /* Unicorn register ids: PC, and the first two argument registers */
	int reg_arg0, reg_arg1;
	uint64_t pc_bits;        /* ORed into the PC emulation starts at (1: Thumb) */
	int reg_sp;              /* SP, which the stack detector (detect.c) reads at each handler
				  * table dispatch; 0: not read (the model reports the exception
				  * frames it stacks: Cortex-M) */
};

/* Installs architecture `ops` with its state; 0, or -1 if one is installed already. */
int core_set_arch(struct core *c, const struct arch_ops *ops, void *state);

/* An interrupt controller's inputs: the line events of lines [first, first + count) (plus the
 * special lines it names) and the interrupt outputs of board devices. A controller registers
 * them with core_add_lines(); core_request() and core_irq() find it there. */
struct line_ops {
	/* a line event made at tick `req` (<= now), already recorded as EV_REQUEST */
	void (*line)(struct core *c, void *ctl, uint32_t line, uint32_t kind, uint64_t req);
	/* a device drives input `irq` to `level` */
	void (*device)(struct core *c, void *ctl, uint32_t irq, int level);
	/* a request pending on `line` is held off by a mask now (1) or would be taken (0) */
	int (*masked)(struct core *c, void *ctl, uint32_t line);
};

#define CORE_MAX_LINE_SETS 4

struct line_set {
	uint32_t first, count;   /* lines [first, first + count) */
	uint32_t special;        /* one more line outside the range (LINE_NMI, ...), or 0 */
	int devices;             /* device interrupt outputs go to this controller */
	const struct line_ops *ops;
	void *ctl;
};

/* 0, or -1 when the table is full. `devices`: this controller takes devices' irq outputs. */
int core_add_lines(struct core *c, uint32_t first, uint32_t count, uint32_t special,
		   int devices, const struct line_ops *ops, void *ctl);
/* Removes the line sets of controller `ctl` (a controller device's free(): its state goes). */
void core_remove_lines(struct core *c, void *ctl);

#endif /* SIM_NATIVE_ARCH_H_ */

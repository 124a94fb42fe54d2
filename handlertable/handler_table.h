/*
 * handler_table.h - a lock-free table of interrupt/event handlers.
 *
 * C11 port of the semantics of the Rust crate `handler_table` (ArceOS):
 * `len` slots, each empty (0) or holding one `handler_t`. Registering fills an
 * empty slot, unregistering empties a slot and hands back its handler, handling
 * calls the handler of a slot if there is one. Every operation is a single
 * atomic operation on one slot: no locks, no retry loops, no heap, so all are
 * wait-free and callable from interrupt handlers. (On LL/SC cores, Cortex-M3
 * and RV32A, the compiler's strong compare-exchange and exchange retry a
 * store-conditional that failed spuriously, e.g. because an exception was
 * taken in between; that retry is bounded by interrupt activity, not by other
 * table users.) A table can live in a `static` (HANDLER_TABLE_DEFINE).
 *
 * Memory order (where we differ from the crate): a register publishes with
 * release semantics, so whatever the registering context wrote before
 * registering (the handler's data) is visible to a context that later sees the
 * handler in `handler_table_handle` or gets it back from
 * `handler_table_unregister`. The crate uses Acquire on the compare-exchange,
 * which orders nothing before the store. Build with
 * -DHANDLER_TABLE_CRATE_ORDERING to get the crate's orderings instead; that
 * exists only for the ThreadSanitizer demonstration in
 * tests/handlertable/tsan_stress.c.
 *
 * Targets: any C11 compiler where pointer-sized atomics are lock-free
 * (Cortex-M3/M4/M7/M33, RV32 with the A extension, host x86-64/AArch64). On
 * ARMv6-M (Cortex-M0/M0+), which has no LDREX/STREX, each operation runs with
 * PRIMASK set instead; that is correct on single-core ARMv6-M parts only.
 *
 * The table itself only contains handler pointers: it does not own them, and
 * handlers are plain code that is never freed.
 */
#ifndef HANDLERTABLE_HANDLER_TABLE_H_
#define HANDLERTABLE_HANDLER_TABLE_H_

#ifndef __ASSEMBLER__

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** An event handler: no arguments, no result. NULL means "no handler". */
typedef void (*handler_t)(void);

/*
 * One slot holds 0 (empty) or a handler_t converted to uintptr_t.
 * ARMv6-M has no atomic read-modify-write instructions and clang does not
 * inline atomics for it (it emits __atomic_* library calls that zig's
 * compiler_rt does not provide for v6m), so there the slot is a plain volatile
 * word and handler_table.c guards each access by masking interrupts.
 */
#if defined(ATOMIC_POINTER_LOCK_FREE) && ATOMIC_POINTER_LOCK_FREE == 2
typedef _Atomic uintptr_t handler_table_slot_t;
#elif defined(__ARM_ARCH_6M__)
#define HANDLER_TABLE_PRIMASK_ATOMICS 1
typedef volatile uintptr_t handler_table_slot_t;
#else
#error "handler_table needs always-lock-free pointer-sized atomics (or ARMv6-M); use a core with atomics, e.g. RV32 with +a"
#endif

/**
 * A handler table: `len` slots stored elsewhere (a static array for firmware,
 * a host allocation for the Python binding). Treat the members as private and
 * use the functions below.
 */
struct handler_table {
    size_t len;
    handler_table_slot_t *slots;
};

/**
 * HANDLER_TABLE_DEFINE(name, n) - define `struct handler_table name` with `n`
 * (> 0) empty slots in static storage. Static storage starts zeroed, which for
 * the slots means "empty" (C11 7.17.2.1: zero-initialised atomics are valid).
 * Use at file scope (`name` then has external linkage; declare it elsewhere
 * as `extern struct handler_table name;`) or inside a function.
 *
 *     HANDLER_TABLE_DEFINE(irq_table, 32);
 *     handler_table_register(&irq_table, 5, uart_isr);
 */
#define HANDLER_TABLE_DEFINE(name, n)                                          \
    _Static_assert((n) > 0, "HANDLER_TABLE_DEFINE: a table needs at least one slot"); \
    static handler_table_slot_t name##_slots_[(n)];                            \
    struct handler_table name = { (n), name##_slots_ }

/**
 * HANDLER_TABLE_INIT(slots) - initializer for a `struct handler_table` over an
 * existing array of handler_table_slot_t with static storage duration:
 *
 *     static handler_table_slot_t my_slots[8];
 *     struct handler_table my_table = HANDLER_TABLE_INIT(my_slots);
 */
#define HANDLER_TABLE_INIT(slots)                                              \
    { sizeof(slots) / sizeof((slots)[0]), (slots) }

/**
 * handler_table_register - install `fn` in slot `idx` if that slot is empty.
 *
 * Returns true if `fn` was installed: `idx < len`, `fn != NULL` and the slot
 * was empty. Returns false otherwise and leaves the table unchanged; it never
 * replaces an installed handler.
 *
 * Release: everything the caller wrote before this call is visible to any
 * context that then obtains `fn` from handler_table_handle or
 * handler_table_unregister.
 *
 * Context: thread or ISR. Wait-free: one compare-exchange, no retry.
 */
bool handler_table_register(struct handler_table *t, size_t idx, handler_t fn);

/**
 * handler_table_unregister - empty slot `idx` and return what it held.
 *
 * Returns the handler that was installed, or NULL if `idx >= len` or the slot
 * was empty. Exactly one of several concurrent callers gets a given handler.
 * A handler_table_handle that already loaded the handler may still be calling
 * it after this returns.
 *
 * Acquire/release: the caller sees what the registering context wrote before
 * registering the returned handler, and what this caller wrote before the call
 * is visible to whoever registers into the slot next.
 *
 * Context: thread or ISR. Wait-free: one atomic exchange.
 */
handler_t handler_table_unregister(struct handler_table *t, size_t idx);

/**
 * handler_table_handle - call the handler in slot `idx`, if any.
 *
 * Returns false if `idx >= len` or the slot is empty; otherwise calls the
 * handler once and returns true. The handler runs in the caller's context.
 *
 * Acquire: the handler sees everything its registering context wrote before
 * registering it.
 *
 * Context: thread or ISR. Wait-free apart from the handler itself: one atomic
 * load and one call.
 */
bool handler_table_handle(struct handler_table *t, size_t idx);

/**
 * handler_table_len - the number of slots of `t`.
 *
 * Context: thread or ISR. Wait-free: reads a field that never changes.
 */
size_t handler_table_len(const struct handler_table *t);

#endif /* !__ASSEMBLER__ */

#endif /* HANDLERTABLE_HANDLER_TABLE_H_ */

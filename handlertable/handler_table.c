/*
 * handler_table.c - lock-free handler table, see handler_table.h.
 *
 * Every operation touches one slot with one atomic operation. The memory order
 * is part of each helper's name (mimalloc style) and is never a parameter.
 *
 * Who synchronizes with whom:
 *   register (release) -> handle (acquire):     the handler sees its data.
 *   register (release) -> unregister (acquire): the unregistering context sees
 *                                               the data of the handler it gets.
 *   unregister (release) -> register (acquire): the next owner of the slot sees
 *                                               what the previous one did
 *                                               before giving the slot up.
 * With -DHANDLER_TABLE_CRATE_ORDERING the compare-exchange and the exchange
 * are Acquire only, as in the Rust crate, and none of these edges exist (the
 * ThreadSanitizer test shows the resulting data races).
 */
#include "handler_table.h"

_Static_assert(sizeof(handler_t) <= sizeof(uintptr_t),
               "a handler_t must fit in a uintptr_t slot");

#if defined(HANDLER_TABLE_PRIMASK_ATOMICS)

/*
 * ARMv6-M: no exclusive monitor, so each access runs with interrupts masked.
 * The core is in-order and single-issue, so an exception handler observes the
 * interrupted code's accesses in program order (ARM AN321, Cortex-M memory
 * barriers, section 3); the "memory" clobbers keep the compiler from moving
 * accesses across the helpers, which is all acquire and release need here.
 * Not valid on multi-core ARMv6-M parts (e.g. RP2040): PRIMASK is per core.
 * HANDLER_TABLE_CRATE_ORDERING has no effect here.
 */
static inline uint32_t ht_irq_save_disable(void)
{
    uint32_t primask;
    __asm__ volatile("mrs %0, primask\n\tcpsid i" : "=r"(primask) : : "memory");
    return primask;
}

static inline void ht_irq_restore(uint32_t primask)
{
    __asm__ volatile("msr primask, %0" : : "r"(primask) : "memory");
}

/* Compare-exchange, acquire+release on success (interrupts masked). */
static inline bool ht_cas_acq_rel(handler_table_slot_t *slot, uintptr_t expected,
                                  uintptr_t desired)
{
    uint32_t primask = ht_irq_save_disable();
    bool ok = (*slot == expected);
    if (ok) {
        *slot = desired;
    }
    ht_irq_restore(primask);
    return ok;
}

/* Exchange, acquire+release (interrupts masked). */
static inline uintptr_t ht_swap_acq_rel(handler_table_slot_t *slot, uintptr_t desired)
{
    uint32_t primask = ht_irq_save_disable();
    uintptr_t old = *slot;
    *slot = desired;
    ht_irq_restore(primask);
    return old;
}

/* Load, acquire: an aligned word load is single-copy atomic on ARMv6-M. */
static inline uintptr_t ht_load_acquire(handler_table_slot_t *slot)
{
    uintptr_t v = *slot;
    __asm__ volatile("" : : : "memory");
    return v;
}

#else /* C11 atomics */

/* Load, acquire. */
static inline uintptr_t ht_load_acquire(handler_table_slot_t *slot)
{
    return atomic_load_explicit(slot, memory_order_acquire);
}

#if !defined(HANDLER_TABLE_CRATE_ORDERING)

/* Compare-exchange, acq_rel on success, relaxed on failure (a failed register
 * reads nothing it needs ordered). */
static inline bool ht_cas_acq_rel(handler_table_slot_t *slot, uintptr_t expected,
                                  uintptr_t desired)
{
    return atomic_compare_exchange_strong_explicit(slot, &expected, desired,
                                                   memory_order_acq_rel,
                                                   memory_order_relaxed);
}

/* Exchange, acq_rel. */
static inline uintptr_t ht_swap_acq_rel(handler_table_slot_t *slot, uintptr_t desired)
{
    return atomic_exchange_explicit(slot, desired, memory_order_acq_rel);
}

#else /* HANDLER_TABLE_CRATE_ORDERING */
/* The crate's orderings, kept only to demonstrate their data race under
 * ThreadSanitizer (tests/handlertable/tsan_stress.c). */

/* Compare-exchange, acquire on success, relaxed on failure: releases nothing. */
static inline bool ht_cas_acquire(handler_table_slot_t *slot, uintptr_t expected,
                                  uintptr_t desired)
{
    return atomic_compare_exchange_strong_explicit(slot, &expected, desired,
                                                   memory_order_acquire,
                                                   memory_order_relaxed);
}

/* Exchange, acquire: releases nothing. */
static inline uintptr_t ht_swap_acquire(handler_table_slot_t *slot, uintptr_t desired)
{
    return atomic_exchange_explicit(slot, desired, memory_order_acquire);
}

#endif /* HANDLER_TABLE_CRATE_ORDERING */

#endif /* HANDLER_TABLE_PRIMASK_ATOMICS */

bool handler_table_register(struct handler_table *t, size_t idx, handler_t fn)
{
    if (idx >= t->len || fn == NULL) {
        return false;
    }
#if defined(HANDLER_TABLE_CRATE_ORDERING) && !defined(HANDLER_TABLE_PRIMASK_ATOMICS)
    return ht_cas_acquire(&t->slots[idx], 0, (uintptr_t)fn);
#else
    /* Release: publishes everything written before this call (the handler's
     * data) to the acquire in handler_table_handle / handler_table_unregister
     * that reads `fn`. Acquire: waits for the release of the
     * handler_table_unregister that emptied the slot, so the new owner sees
     * what the previous owner did before giving the slot up. */
    return ht_cas_acq_rel(&t->slots[idx], 0, (uintptr_t)fn);
#endif
}

handler_t handler_table_unregister(struct handler_table *t, size_t idx)
{
    if (idx >= t->len) {
        return NULL;
    }
#if defined(HANDLER_TABLE_CRATE_ORDERING) && !defined(HANDLER_TABLE_PRIMASK_ATOMICS)
    uintptr_t old = ht_swap_acquire(&t->slots[idx], 0);
#else
    /* Acquire: waits for the release in the handler_table_register that
     * installed `old`, so the caller may use the handler and its data.
     * Release: publishes everything written before this call to the next
     * handler_table_register that finds the slot empty. */
    uintptr_t old = ht_swap_acq_rel(&t->slots[idx], 0);
#endif
    return (handler_t)old;
}

bool handler_table_handle(struct handler_table *t, size_t idx)
{
    if (idx >= t->len) {
        return false;
    }
    /* Acquire: waits for the release in the handler_table_register that
     * installed the handler, so the handler sees the data written before it
     * was registered. */
    uintptr_t v = ht_load_acquire(&t->slots[idx]);
    if (v == 0) {
        return false;
    }
    ((handler_t)v)();
    return true;
}

size_t handler_table_len(const struct handler_table *t)
{
    return t->len;
}

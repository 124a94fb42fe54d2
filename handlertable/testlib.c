/*
 * testlib.c - host-only helpers for tests/handlertable, compiled into the cffi
 * extension next to handler_table.c. Not part of the firmware table: firmware
 * builds compile handler_table.c only.
 *
 *  - four counting handlers ht_test_handler0..3, each bumping its own counter;
 *  - a gate handler that blocks until another thread opens the gate, used to
 *    show that the GIL is released while C runs a handler;
 *  - a pthread hammer that races register/unregister/handle in C.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#include "handler_table.h"

#define HT_TEST_NHANDLERS 4u

/* Counters only count; nothing is published through them: relaxed. */
static _Atomic unsigned long ht_test_counts[HT_TEST_NHANDLERS];

void ht_test_handler0(void) { atomic_fetch_add_explicit(&ht_test_counts[0], 1, memory_order_relaxed); }
void ht_test_handler1(void) { atomic_fetch_add_explicit(&ht_test_counts[1], 1, memory_order_relaxed); }
void ht_test_handler2(void) { atomic_fetch_add_explicit(&ht_test_counts[2], 1, memory_order_relaxed); }
void ht_test_handler3(void) { atomic_fetch_add_explicit(&ht_test_counts[3], 1, memory_order_relaxed); }

static const handler_t ht_test_handlers[HT_TEST_NHANDLERS] = {
    ht_test_handler0, ht_test_handler1, ht_test_handler2, ht_test_handler3,
};

unsigned long ht_test_count(unsigned k)
{
    return k < HT_TEST_NHANDLERS ? atomic_load(&ht_test_counts[k]) : 0;
}

void ht_test_reset_counts(void)
{
    for (unsigned k = 0; k < HT_TEST_NHANDLERS; k++) {
        atomic_store(&ht_test_counts[k], 0);
    }
}

/* ---- gate ---------------------------------------------------------------- */

static atomic_int ht_gate_entered, ht_gate_open, ht_gate_timed_out;

/* Bounded so that a broken build (GIL held across the call) fails the test
 * instead of hanging it: with the GIL held nobody can open the gate. */
#define HT_GATE_SPINS 20000000ul

void ht_test_gate_reset(void)
{
    atomic_store(&ht_gate_entered, 0);
    atomic_store(&ht_gate_open, 0);
    atomic_store(&ht_gate_timed_out, 0);
}

void ht_test_gate_handler(void)
{
    atomic_store(&ht_gate_entered, 1);
    for (unsigned long i = 0; i < HT_GATE_SPINS; i++) {
        if (atomic_load(&ht_gate_open)) {
            return;
        }
        sched_yield();
    }
    atomic_store(&ht_gate_timed_out, 1);
}

void ht_test_gate_open(void) { atomic_store(&ht_gate_open, 1); }
int ht_test_gate_entered(void) { return atomic_load(&ht_gate_entered); }
int ht_test_gate_timed_out(void) { return atomic_load(&ht_gate_timed_out); }

/* ---- native hammer --------------------------------------------------------- */

#define HT_HAMMER_MAX_THREADS 16u
#define HT_HAMMER_MAX_SLOTS 8u

struct ht_hammer_thread {
    struct handler_table *table;
    size_t nslots;
    unsigned long iters;
    uint64_t rng;
    atomic_uint *start;
    unsigned nthreads;
    /* [slot][handler]: successful registers / unregisters that returned it */
    unsigned long reg_ok[HT_HAMMER_MAX_SLOTS][HT_TEST_NHANDLERS];
    unsigned long unreg_got[HT_HAMMER_MAX_SLOTS][HT_TEST_NHANDLERS];
    unsigned long unreg_unknown;
    unsigned long handled;
};

static uint64_t ht_xorshift(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

static void ht_hammer_count_unregistered(struct ht_hammer_thread *w, size_t slot, handler_t h)
{
    if (h == NULL) {
        return;
    }
    for (unsigned k = 0; k < HT_TEST_NHANDLERS; k++) {
        if (h == ht_test_handlers[k]) {
            w->unreg_got[slot][k]++;
            return;
        }
    }
    w->unreg_unknown++;
}

static void *ht_hammer_main(void *arg)
{
    struct ht_hammer_thread *w = arg;
    /* start all threads together so that they overlap */
    atomic_fetch_add(w->start, 1);
    while (atomic_load(w->start) < w->nthreads) {
        sched_yield();
    }
    for (unsigned long i = 0; i < w->iters; i++) {
        uint64_t r = ht_xorshift(&w->rng);
        size_t slot = (size_t)(r % w->nslots);
        unsigned k = (unsigned)((r >> 16) % HT_TEST_NHANDLERS);
        switch ((r >> 32) % 3) {
        case 0:
            if (handler_table_register(w->table, slot, ht_test_handlers[k])) {
                w->reg_ok[slot][k]++;
            }
            break;
        case 1:
            ht_hammer_count_unregistered(w, slot, handler_table_unregister(w->table, slot));
            break;
        default:
            if (handler_table_handle(w->table, slot)) {
                w->handled++;
            }
            break;
        }
    }
    return NULL;
}

/*
 * Race `nthreads` pthreads, each doing `iters` random operations on the first
 * `nslots` slots of `t` with ht_test_handler0..3, then empty every slot.
 * Outputs, summed over threads (the final emptying counts as unregisters):
 *   reg_ok[slot * 4 + k]     successful registers of handler k on slot
 *   unreg_got[slot * 4 + k]  unregisters that returned handler k from slot
 *   counts[0]                handle() calls that returned true
 *   counts[1]                unregisters that returned an unknown pointer
 * Returns 0, or -1 if the arguments are out of range or a thread failed.
 */
int ht_test_native_hammer(struct handler_table *t, size_t nslots, unsigned nthreads,
                          unsigned long iters, unsigned long seed,
                          unsigned long *reg_ok, unsigned long *unreg_got,
                          unsigned long *counts)
{
    if (nthreads == 0 || nthreads > HT_HAMMER_MAX_THREADS || nslots == 0 ||
        nslots > HT_HAMMER_MAX_SLOTS || nslots > handler_table_len(t)) {
        return -1;
    }
    struct ht_hammer_thread *w = calloc(nthreads, sizeof(*w));
    pthread_t tid[HT_HAMMER_MAX_THREADS];
    atomic_uint start = 0;
    int rc = 0;
    unsigned started = 0;
    if (w == NULL) {
        return -1;
    }
    for (unsigned i = 0; i < nthreads; i++) {
        w[i].table = t;
        w[i].nslots = nslots;
        w[i].iters = iters;
        w[i].rng = ((uint64_t)seed * 0x9E3779B97F4A7C15ull) ^ (0xD1B54A32D192ED03ull * (i + 1));
        if (w[i].rng == 0) {
            w[i].rng = 1;
        }
        w[i].start = &start;
        w[i].nthreads = nthreads;
    }
    for (; started < nthreads; started++) {
        if (pthread_create(&tid[started], NULL, ht_hammer_main, &w[started]) != 0) {
            rc = -1;
            /* let the threads already started run: they wait for `nthreads` */
            atomic_fetch_add(&start, nthreads);
            break;
        }
    }
    for (unsigned i = 0; i < started; i++) {
        pthread_join(tid[i], NULL);
    }
    for (size_t s = 0; s < nslots; s++) {
        ht_hammer_count_unregistered(&w[0], s, handler_table_unregister(t, s));
    }
    counts[0] = counts[1] = 0;
    for (size_t s = 0; s < nslots; s++) {
        for (unsigned k = 0; k < HT_TEST_NHANDLERS; k++) {
            reg_ok[s * HT_TEST_NHANDLERS + k] = 0;
            unreg_got[s * HT_TEST_NHANDLERS + k] = 0;
            for (unsigned i = 0; i < nthreads; i++) {
                reg_ok[s * HT_TEST_NHANDLERS + k] += w[i].reg_ok[s][k];
                unreg_got[s * HT_TEST_NHANDLERS + k] += w[i].unreg_got[s][k];
            }
        }
    }
    for (unsigned i = 0; i < nthreads; i++) {
        counts[0] += w[i].handled;
        counts[1] += w[i].unreg_unknown;
    }
    free(w);
    return rc;
}

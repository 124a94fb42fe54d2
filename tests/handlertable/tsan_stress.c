/*
 * tsan_stress.c - show under ThreadSanitizer that the handler table's
 * orderings make plain (non-atomic) data safe to hand over, and that the Rust
 * crate's orderings (-DHANDLER_TABLE_CRATE_ORDERING) do not.
 *
 * Build (tests/handlertable/test_handler_table_tsan.py does this):
 *   gcc -fsanitize=thread -O1 -g -pthread -std=c11 [-DHANDLER_TABLE_CRATE_ORDERING] \
 *       -I handlertable tests/handlertable/tsan_stress.c handlertable/handler_table.c
 * Run:  ./a.out publish|handoff [rounds]
 *
 * Two threads pass plain variables back and forth, using only the table to
 * synchronize. Every round each variable is written by one thread and read by
 * the other, so a missing happens-before edge is a data race that TSan reports
 * on the first round, whatever the timing (TSan checks happens-before, not
 * actual overlap).
 *
 * publish  - register -> handle: the producer writes `payload`, registers
 *            `ping`; the consumer's handle() runs ping, which reads it
 *            (register release -> handle acquire). The consumer answers the
 *            same way through slot 1 with `pong` and `reply`.
 * handoff  - register <-> unregister: A and B take turns. A writes `a_to_b`
 *            and passes the turn by registering into slot 1, which B takes
 *            with unregister (register release -> unregister acquire). B reads
 *            it, writes `b_to_a` and passes the turn back by unregistering
 *            slot 0, which A's register then finds empty (unregister release
 *            -> register acquire), and A reads `b_to_a`.
 *
 * Exit status: 0 if every round saw the values it expected, 1 on a wrong
 * value, 2 on bad arguments, 3 if a spin gave up (a thread never saw its
 * turn), 4 if thread creation failed. TSan's own exit code (TSAN_OPTIONS
 * exitcode=66) replaces 0 when it reported a race.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handler_table.h"

#define SPIN_LIMIT 100000000ul

HANDLER_TABLE_DEFINE(table, 2);

static unsigned long rounds = 200;

/* Plain data: protected only by the orderings of the table. */
static unsigned long payload;
static unsigned long reply;
static unsigned long seen_payload;
static unsigned long seen_reply;
static unsigned long a_to_b; /* written by A, read by B */
static unsigned long b_to_a; /* written by B, read by A */

static void fail(int code, const char *what)
{
    fprintf(stderr, "tsan_stress: %s\n", what);
    exit(code);
}

static void spin_pause(unsigned long *spins)
{
    if (++*spins > SPIN_LIMIT) {
        fail(3, "gave up waiting for the other thread");
    }
    sched_yield();
}

/* ---- publish ------------------------------------------------------------- */

static void ping(void)
{
    seen_payload = payload; /* read: written by the producer before register */
    reply = seen_payload + 1000; /* write: read by the producer in pong */
}

static void pong(void)
{
    seen_reply = reply; /* read: written by the consumer before register */
}

static void *publish_producer(void *arg)
{
    (void)arg;
    for (unsigned long r = 1; r <= rounds; r++) {
        unsigned long spins = 0;
        payload = r;
        if (!handler_table_register(&table, 0, ping)) {
            fail(1, "producer: slot 0 not empty");
        }
        while (!handler_table_handle(&table, 1)) {
            spin_pause(&spins);
        }
        if (seen_reply != r + 1000) {
            fail(1, "producer: wrong reply");
        }
        if (handler_table_unregister(&table, 1) != pong) {
            fail(1, "producer: slot 1 did not hold pong");
        }
    }
    return NULL;
}

static void *publish_consumer(void *arg)
{
    (void)arg;
    for (unsigned long r = 1; r <= rounds; r++) {
        unsigned long spins = 0;
        while (!handler_table_handle(&table, 0)) {
            spin_pause(&spins);
        }
        if (seen_payload != r) {
            fail(1, "consumer: wrong payload");
        }
        if (handler_table_unregister(&table, 0) != ping) {
            fail(1, "consumer: slot 0 did not hold ping");
        }
        if (!handler_table_register(&table, 1, pong)) {
            fail(1, "consumer: slot 1 not empty");
        }
    }
    return NULL;
}

/* ---- handoff ------------------------------------------------------------- */

static void token(void) {}

static void *handoff_a(void *arg)
{
    (void)arg;
    for (unsigned long r = 1; r <= rounds; r++) {
        unsigned long spins = 0;
        /* Wait for B to empty slot 0: its turn is over. */
        while (!handler_table_register(&table, 0, token)) {
            spin_pause(&spins);
        }
        if (b_to_a != r - 1) {
            fail(1, "A: wrong b_to_a");
        }
        a_to_b = r;
        /* Give B its turn. */
        if (!handler_table_register(&table, 1, token)) {
            fail(1, "A: slot 1 not empty");
        }
    }
    return NULL;
}

static void *handoff_b(void *arg)
{
    (void)arg;
    for (unsigned long r = 1; r <= rounds; r++) {
        unsigned long spins = 0;
        /* Wait for A to fill slot 1: B's turn. */
        while (handler_table_unregister(&table, 1) == NULL) {
            spin_pause(&spins);
        }
        if (a_to_b != r) {
            fail(1, "B: wrong a_to_b");
        }
        b_to_a = r;
        /* Give A its turn. */
        if (handler_table_unregister(&table, 0) != token) {
            fail(1, "B: slot 0 did not hold the token");
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    void *(*first)(void *);
    void *(*second)(void *);
    pthread_t t1, t2;

    if (argc < 2) {
        fail(2, "usage: tsan_stress publish|handoff [rounds]");
    }
    if (argc > 2) {
        rounds = strtoul(argv[2], NULL, 10);
    }
    if (strcmp(argv[1], "publish") == 0) {
        first = publish_producer;
        second = publish_consumer;
    } else if (strcmp(argv[1], "handoff") == 0) {
        first = handoff_a;
        second = handoff_b;
    } else {
        fail(2, "unknown mode");
    }
    if (pthread_create(&t1, NULL, first, NULL) != 0 ||
        pthread_create(&t2, NULL, second, NULL) != 0) {
        fail(4, "pthread_create failed");
    }
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    printf("%s: %lu rounds ok\n", argv[1], rounds);
    return 0;
}

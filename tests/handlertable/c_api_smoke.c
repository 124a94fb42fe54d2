/*
 * c_api_smoke.c - the crate's README example against the C API, with tables
 * made by HANDLER_TABLE_DEFINE (file and block scope) and HANDLER_TABLE_INIT.
 * Built with the host compiler by test_handler_table_c_build.py; exits 0 if
 * every check holds, otherwise prints the failed check and exits 1.
 */
#include <stdio.h>
#include <stdlib.h>

#include "handler_table.h"

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            exit(1);                                                           \
        }                                                                      \
    } while (0)

HANDLER_TABLE_DEFINE(file_table, 8);

static handler_table_slot_t init_slots[3];
static struct handler_table init_table = HANDLER_TABLE_INIT(init_slots);

static int calls0, calls1;
static void event0(void) { calls0++; }
static void event1(void) { calls1++; }

static void readme(struct handler_table *t)
{
    calls0 = calls1 = 0;
    CHECK(handler_table_register(t, 0, event0));
    CHECK(handler_table_register(t, 1, event1));
    CHECK(handler_table_handle(t, 0));
    CHECK(calls0 == 1);
    CHECK(!handler_table_handle(t, 2)); /* unregistered */
    CHECK(handler_table_unregister(t, 2) == NULL);
    handler_t func = handler_table_unregister(t, 1); /* retrieve the handler */
    CHECK(func == event1);
    func();
    CHECK(calls1 == 1);
    CHECK(!handler_table_handle(t, 1)); /* unregistered */
    CHECK(calls1 == 1);
    CHECK(handler_table_unregister(t, 0) == event0);
}

static void edges(struct handler_table *t)
{
    size_t n = handler_table_len(t);
    calls0 = calls1 = 0;
    CHECK(!handler_table_register(t, 0, NULL));
    CHECK(!handler_table_register(t, n, event0));
    CHECK(!handler_table_register(t, (size_t)-1, event0));
    CHECK(!handler_table_handle(t, n));
    CHECK(handler_table_unregister(t, n) == NULL);
    CHECK(handler_table_register(t, n - 1, event0));
    CHECK(!handler_table_register(t, n - 1, event1)); /* occupied */
    CHECK(handler_table_handle(t, n - 1));
    CHECK(calls0 == 1 && calls1 == 0);
    CHECK(handler_table_unregister(t, n - 1) == event0);
    CHECK(handler_table_unregister(t, n - 1) == NULL);
}

int main(void)
{
    HANDLER_TABLE_DEFINE(block_table, 4);

    CHECK(handler_table_len(&file_table) == 8);
    CHECK(handler_table_len(&block_table) == 4);
    CHECK(handler_table_len(&init_table) == 3);
    for (size_t i = 0; i < 8; i++) {
        CHECK(!handler_table_handle(&file_table, i)); /* starts empty */
    }
    readme(&file_table);
    readme(&block_table);
    readme(&init_table);
    edges(&file_table);
    edges(&block_table);
    edges(&init_table);
    puts("c_api_smoke: ok");
    return 0;
}

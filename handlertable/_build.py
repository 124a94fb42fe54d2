"""cffi build script (API mode) for the host handler table.

setup.py lists it as ``cffi_modules=["handlertable/_build.py:ffibuilder"]``. To build
the extension in place for a local test run::

    python handlertable/_build.py     # -> handlertable/_handlertable_cffi*.so

The cdef is kept narrow: an opaque ``struct handler_table``, the four operations,
host-only create/free, and the test handlers from ``testlib.c``. No ``_Atomic``
appears in it. cffi releases the GIL around every call declared here, so a C
handler runs without the GIL; Python handlers are ``ffi.callback`` objects, which
re-acquire it.
"""

import os
from pathlib import Path

import cffi

HERE = Path(__file__).resolve().parent
MODULE_NAME = "handlertable._handlertable_cffi"

TESTLIB_DECLS = """
/* testlib.c */
void ht_test_handler0(void);
void ht_test_handler1(void);
void ht_test_handler2(void);
void ht_test_handler3(void);
unsigned long ht_test_count(unsigned k);
void ht_test_reset_counts(void);
void ht_test_gate_reset(void);
void ht_test_gate_handler(void);
void ht_test_gate_open(void);
int ht_test_gate_entered(void);
int ht_test_gate_timed_out(void);
int ht_test_native_hammer(struct handler_table *t, size_t nslots, unsigned nthreads,
                          unsigned long iters, unsigned long seed,
                          unsigned long *reg_ok, unsigned long *unreg_got,
                          unsigned long *counts);
"""

CDEF = """
typedef void (*handler_t)(void);
struct handler_table;

bool handler_table_register(struct handler_table *t, size_t idx, handler_t fn);
handler_t handler_table_unregister(struct handler_table *t, size_t idx);
bool handler_table_handle(struct handler_table *t, size_t idx);
size_t handler_table_len(const struct handler_table *t);

/* host only: allocate / free a table of n empty slots (NULL if out of memory) */
struct handler_table *handler_table_host_new(size_t n);
void handler_table_host_free(struct handler_table *t);

""" + TESTLIB_DECLS

# Host-only allocation lives here, not in handler_table.c, which stays free of
# the heap for firmware.
PREAMBLE = r"""
#include <stdlib.h>
#include "handler_table.h"

struct handler_table *handler_table_host_new(size_t n)
{
    struct handler_table *t = malloc(sizeof(*t));
    handler_table_slot_t *slots = malloc((n ? n : 1) * sizeof(*slots));
    if (t == NULL || slots == NULL) {
        free(t);
        free(slots);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        atomic_init(&slots[i], 0);
    }
    t->len = n;
    t->slots = slots;
    return t;
}

void handler_table_host_free(struct handler_table *t)
{
    if (t != NULL) {
        free((void *)t->slots);
        free(t);
    }
}

""" + TESTLIB_DECLS


def _rel(path: Path) -> str:
    """`path` relative to the current directory when it is inside it.

    setuptools runs cffi_modules from the project root, and distutils turns an
    absolute source path into an object file path mirroring the whole absolute
    path under the build directory, so relative paths are preferred.
    """
    try:
        return str(path.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def make_ffibuilder() -> cffi.FFI:
    ffi = cffi.FFI()
    ffi.cdef(CDEF)
    ffi.set_source(
        MODULE_NAME,
        PREAMBLE,
        sources=[_rel(HERE / "handler_table.c"), _rel(HERE / "testlib.c")],
        include_dirs=[_rel(HERE)],
        extra_compile_args=["-std=c11", "-O2", "-pthread"],
        extra_link_args=["-pthread"],
    )
    return ffi


ffibuilder = make_ffibuilder()


if __name__ == "__main__":
    # Build in place: the generated .c, the objects and the .so land under the repo
    # root, the .so as handlertable/_handlertable_cffi*.so (all git-ignored).
    os.chdir(HERE.parent)
    make_ffibuilder().compile(tmpdir=".", verbose=True)

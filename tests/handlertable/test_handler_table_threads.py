"""Concurrent register/unregister/handle: invariants that hold only if each op is atomic.

No global order of operations is available from Python threads, so the checks are
counting and pairing rules that any linearizable table satisfies:

* per slot, successful registers = unregisters that returned a handler + final occupant;
* the handlers unregistered from a slot are exactly the ones registered there, each
  given back once (every registration installs a distinct object);
* handle() returns True exactly when one handler ran, and that handler had been
  installed in that slot.
"""

import random
import sys
import threading
from collections import Counter

import pytest

from handlertable import HandlerTable, ffi, lib

N_THREADS = 6
N_SLOTS = 3
OPS_PER_THREAD = 3000
C_KINDS = 3  # ht_test_handler0..2 are used; ht_test_handler3 never is

_local = threading.local()


class Tagged:
    """A Python handler with a unique identity; logs itself on the calling thread."""

    __slots__ = ("slot", "tag")

    def __init__(self, slot, tag):
        self.slot = slot
        self.tag = tag

    def __call__(self):
        _local.log.append(self)


class Worker:
    def __init__(self, table, wid, start):
        self.table = table
        self.wid = wid
        self.start = start
        self.rng = random.Random(1000 + wid)
        self.registers = []  # (slot, handler, ok)
        self.unregisters = []  # (slot, handler or None)
        self.handles = []  # (slot, ok, handlers that ran)
        self.error = None

    def run(self):
        try:
            self._run()
        except BaseException as exc:  # reported by the test, not lost in the thread
            self.error = exc

    def _run(self):
        _local.log = log = []
        c_base = [ffi.addressof(lib, f"ht_test_handler{k}") for k in range(C_KINDS)]
        self.start.wait()
        t = self.table
        for n in range(OPS_PER_THREAD):
            slot = self.rng.randrange(N_SLOTS)
            op = self.rng.random()
            if op < 0.35:
                if self.rng.random() < 0.5:
                    h = Tagged(slot, (self.wid, n))
                else:
                    # a fresh cdata object per registration, so identities stay unique
                    h = ffi.cast("handler_t", c_base[self.rng.randrange(C_KINDS)])
                self.registers.append((slot, h, t.register(slot, h)))
            elif op < 0.65:
                self.unregisters.append((slot, t.unregister(slot)))
            else:
                before = len(log)
                ok = t.handle(slot)
                self.handles.append((slot, ok, log[before:]))


@pytest.fixture(scope="module")
def hammer():
    """Run the workers once; the tests below check different rules on the result."""
    lib.ht_test_reset_counts()
    table = HandlerTable(N_SLOTS)
    start = threading.Barrier(N_THREADS)
    workers = [Worker(table, w, start) for w in range(N_THREADS)]
    threads = [threading.Thread(target=w.run) for w in workers]
    old_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # interleave the Python bookkeeping finely too
    try:
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    finally:
        sys.setswitchinterval(old_interval)
    for w in workers:
        if w.error is not None:
            raise w.error
    final = {s: table.unregister(s) for s in range(N_SLOTS)}
    c_counts = [lib.ht_test_count(k) for k in range(4)]
    lib.ht_test_reset_counts()
    return workers, final, c_counts


def _per_slot(workers, final):
    regs = {s: [] for s in range(N_SLOTS)}
    failed = {s: [] for s in range(N_SLOTS)}
    unregs = {s: [] for s in range(N_SLOTS)}
    for w in workers:
        for slot, h, ok in w.registers:
            (regs if ok else failed)[slot].append(h)
        for slot, h in w.unregisters:
            if h is not None:
                unregs[slot].append(h)
    return regs, failed, unregs


def test_hammer_exercised_every_outcome(hammer):
    workers, final, _ = hammer
    regs, failed, unregs = _per_slot(workers, final)
    assert all(regs[s] and failed[s] and unregs[s] for s in range(N_SLOTS))
    handles = [ok for w in workers for _, ok, _ in w.handles]
    assert any(handles) and not all(handles)


def test_registers_minus_unregisters_is_final_occupancy(hammer):
    workers, final, _ = hammer
    regs, _, unregs = _per_slot(workers, final)
    for s in range(N_SLOTS):
        occupied = 1 if final[s] is not None else 0
        assert len(regs[s]) - len(unregs[s]) == occupied, f"slot {s}"


def test_each_installed_handler_is_unregistered_exactly_once(hammer):
    workers, final, _ = hammer
    regs, _, unregs = _per_slot(workers, final)
    for s in range(N_SLOTS):
        installed = Counter(map(id, regs[s]))
        assert max(installed.values()) == 1, "registration objects must be distinct"
        given_back = Counter(map(id, unregs[s] + ([final[s]] if final[s] is not None else [])))
        assert given_back == installed, f"slot {s}: unregister/register pairing is not a bijection"


def test_failed_register_handler_is_never_returned_or_run(hammer):
    workers, final, _ = hammer
    regs, failed, unregs = _per_slot(workers, final)
    returned = {id(h) for s in range(N_SLOTS) for h in unregs[s]} | {id(h) for h in final.values()}
    ran = {id(h) for w in workers for _, _, hs in w.handles for h in hs}
    for s in range(N_SLOTS):
        for h in failed[s]:
            assert id(h) not in returned
            assert id(h) not in ran


def test_handle_true_means_exactly_one_installed_handler_ran(hammer):
    workers, final, c_counts = hammer
    regs, _, _ = _per_slot(workers, final)
    installed = {s: {id(h) for h in regs[s]} for s in range(N_SLOTS)}
    c_calls_expected = 0
    for w in workers:
        for slot, ok, ran in w.handles:
            assert len(ran) <= 1
            if not ok:
                assert ran == []
            elif ran:
                assert ran[0].slot == slot and id(ran[0]) in installed[slot]
            else:
                c_calls_expected += 1  # True without a Python handler: a C handler ran
    assert sum(c_counts) == c_calls_expected
    c_installed = {int(ffi.cast("uintptr_t", h)) for s in regs for h in regs[s] if isinstance(h, ffi.CData)}
    for k, count in enumerate(c_counts):
        addr = int(ffi.cast("uintptr_t", ffi.addressof(lib, f"ht_test_handler{k}")))
        if count:
            assert addr in c_installed, f"ht_test_handler{k} ran but was never installed"
    assert c_counts[3] == 0


def test_native_threads_keep_register_unregister_pairing():
    # pthreads racing in C, without the GIL or any Python bookkeeping in the way.
    n_slots, n_threads, iters = 3, 4, 200_000
    table = HandlerTable(4)
    reg_ok = ffi.new("unsigned long[]", n_slots * 4)
    unreg_got = ffi.new("unsigned long[]", n_slots * 4)
    counts = ffi.new("unsigned long[]", 2)
    lib.ht_test_reset_counts()
    rc = lib.ht_test_native_hammer(table.c_table, n_slots, n_threads, iters, 7, reg_ok, unreg_got, counts)
    assert rc == 0
    assert counts[1] == 0, "unregister returned a pointer nobody registered"
    for s in range(n_slots):
        for k in range(4):
            i = s * 4 + k
            assert reg_ok[i] == unreg_got[i], f"slot {s} handler {k}"
    assert sum(reg_ok[i] for i in range(n_slots * 4)) > 0
    # every handle() that returned true ran exactly one handler
    assert counts[0] == sum(lib.ht_test_count(k) for k in range(4))
    assert counts[0] > 0
    lib.ht_test_reset_counts()

"""Code the firmware writes and then runs, and code it rewrites in place, behave as on hardware
with the fast store path (sim/native/tlb.c): a page code was fetched from stays executable, so
a guest store there still invalidates its translations, and a page first written and then run
becomes executable at its first fetch."""

import struct

import pytest

import sim

# (board, RAM for the functions, a function `return K` for K = 1 and 2, a copier `*r0 = r1`)
ARM = ("mps2-an385", 0x20100000,
       lambda k: struct.pack("<HH", 0x2000 | k, 0x4770),          # movs r0, #k; bx lr
       struct.pack("<HH", 0x6001, 0x4770))                         # str r1, [r0]; bx lr
RV = ("virt", 0x80100000,
      lambda k: struct.pack("<HH", 0x4501 | (k << 2), 0x8082),     # c.li a0, k; c.jr ra
      struct.pack("<II", 0x00B52023, 0x00008067))                  # sw a1, 0(a0); ret


@pytest.fixture(params=[ARM, RV], ids=["mps2-an385", "virt"])
def target(request):
    board, ram, ret_k, copier = request.param
    m = sim.Machine.demo(board)
    m.run(ticks=50_000)
    m.mem_write(ram + 0x800, copier)      # its own 1 KiB grain, away from the function
    return m, ram, ret_k


def _guest_store(m, ram, addr, word: bytes):
    m.call(ram + 0x800, addr, int.from_bytes(word, "little"))


def test_code_rewritten_in_place_by_a_guest_store_runs_anew(target):
    m, ram, ret_k = target
    m.mem_write(ram, ret_k(1))
    assert m.call(ram) == 1                   # translated and run: the page is executable
    _guest_store(m, ram, ram, ret_k(2))       # a store into that page
    assert m.call(ram) == 2


def test_code_written_by_the_guest_into_fresh_ram_runs(target):
    m, ram, ret_k = target
    fresh = ram + 0x4000                      # never fetched from: stores take the fast path
    _guest_store(m, ram, fresh + 0x100, b"\0\0\0\0")   # the page is written before any code
    _guest_store(m, ram, fresh, ret_k(1))
    assert m.call(fresh) == 1
    _guest_store(m, ram, fresh, ret_k(2))
    assert m.call(fresh) == 2


def test_code_rewritten_through_the_api_runs_anew(target):
    """Machine.mem_write drops the translations of what it overwrites (Unicorn's own
    uc_mem_write does not)."""
    m, ram, ret_k = target
    m.mem_write(ram, ret_k(1))
    assert m.call(ram) == 1
    m.mem_write(ram, ret_k(2))
    assert m.call(ram) == 2


@pytest.mark.parametrize("board", ["mps2-an385", "virt"])
def test_writing_data_through_the_api_keeps_its_page_off_the_code_path(board):
    """Machine.mem_write to a page no code ran from leaves it a data page, whose stores take
    Unicorn's fast path (dropping translations there, as uc_ctl_remove_cache does, looks the
    page up as a fetch and would make it executable for good)."""
    from sim.native import lib
    m = sim.Machine.demo(board)
    m.run(ticks=50_000)
    var = m.symbols["thread_progress"]
    assert not lib.core_code_page(m._core, var.address)
    var.write("<I", 7)
    m.run(ticks=50_000)
    assert not lib.core_code_page(m._core, var.address)
    assert lib.core_code_page(m._core, m.symbols["handler_table_handle"].address)

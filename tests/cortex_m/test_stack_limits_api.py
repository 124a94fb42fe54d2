"""Nvic.stack_limits (ARMv8-M): MSPLIM and PSPLIM as the firmware set them, read from the
engine's CPU context (Unicorn's register API has neither), and what explain says of them."""

import struct

import sim

CODE = 0x38100000          # SSRAM2/3 (Secure alias) on mps2-an505, unused by the demo


def _set_limits(m, msplim, psplim):
    # msr msplim, r0 ; msr psplim, r1 ; bx lr  (T1 MSR: SYSm 0x0A, 0x0B)
    m.mem_write(CODE, struct.pack("<HHHHH", 0xF380, 0x880A, 0xF381, 0x880B, 0x4770))
    m.call(CODE, msplim, psplim)


def test_stack_limits_read_back_what_msr_wrote_on_the_m33():
    m = sim.Machine.demo("mps2-an505")
    m.run(ticks=10_000)
    assert m.nvic.stack_limits() == {"msplim": 0, "psplim": 0}
    _set_limits(m, 0x38000100, 0x38000208)
    assert m.nvic.stack_limits() == {"msplim": 0x38000100, "psplim": 0x38000208}


def test_cores_without_stack_limits_have_none():
    for board in ("mps2-an385", "microbit", "mps2-an386"):
        assert sim.Machine.demo(board).nvic.stack_limits() is None, board


def test_explain_gives_the_limit_and_the_margin_on_the_m33():
    from sim.explain import explain
    steps = explain(board="mps2-an505")
    entry = next(s for s in steps if s.kind == "entry")
    sp = entry.facts["sp"]
    assert f"MSPLIM is 0x00000000: the frame is {sp:,} bytes above it" in entry.text

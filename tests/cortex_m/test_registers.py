"""Machine.regs per Cortex-M core: the FP registers on the cores whose FP context irqsim
models (M4F: s0-s31, M7: d0-d15; both fpscr), no BASEPRI/FAULTMASK on ARMv6-M, and what
set_reg takes (ARMv7-M ARM A2.5.1: d<n> is s<2n+1>:s<2n>)."""

import struct

import pytest

import sim
from sim.errors import ArgumentError

CORE = ("r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11", "r12", "sp",
        "lr", "pc", "xpsr", "msp", "psp", "control", "primask")
SINGLE = tuple(f"s{i}" for i in range(32))
DOUBLE = tuple(f"d{i}" for i in range(16))
MASKS = ("basepri", "faultmask")


@pytest.mark.parametrize("board, fp", [("mps2-an385", ()), ("mps2-an386", SINGLE + ("fpscr",)),
                                       ("mps2-an500", DOUBLE + ("fpscr",)),
                                       ("mps2-an505", ()), ("microbit", None)])
def test_regs_hold_what_the_core_has(board, fp):
    m = sim.Machine.demo(board)
    names = tuple(m.regs)
    assert names == m.reg_names
    if fp is None:                                   # ARMv6-M: PRIMASK is the only mask
        assert names == CORE and not set(MASKS) & set(names)
    else:
        assert names == CORE + MASKS + fp
    m.close()


def test_fp_registers_in_regs_are_the_engine_values_after_fp_work():
    m = sim.Machine.demo("mps2-an386")
    m.run(until="demo_fp_work")
    acc = m.symbols["demo_fp_acc"].read("<f")
    for _ in range(7):                               # to after vadd.f32 s0, s0, s2
        m.step()
    regs = m.regs
    assert regs["s0"] == int.from_bytes(struct.pack("<f", acc * 0.5 + 1.0), "little")
    assert regs["s2"] == 0x3F800000                  # 1.0f
    assert m.function_at(m.pc).startswith("demo_fp_work+")   # the vstr, not yet run
    assert regs["fpscr"] == m.reg("fpscr")
    m.close()


def test_a_double_register_is_two_single_ones_and_takes_64_bits():
    m = sim.Machine.demo("mps2-an500")
    m.set_reg("d1", 0x400921FB54442D18)              # pi
    assert m.regs["d1"] == 0x400921FB54442D18
    assert (m.reg("s3"), m.reg("s2")) == (0x400921FB, 0x54442D18)
    with pytest.raises(ArgumentError, match="s2"):
        m.set_reg("s2", 1 << 32)                     # an s register is 32 bits
    m.close()


def test_call_restores_the_fp_registers():
    m = sim.Machine.demo("mps2-an386")
    m.run(until="demo_fp_work")
    before = m.regs
    m.call("demo_fp_work")                           # writes s0 and s2 (and sets FPCA)
    after = m.regs
    assert after.pop("control") == before.pop("control") | 4     # CONTROL is not restored
    assert after == before
    m.close()

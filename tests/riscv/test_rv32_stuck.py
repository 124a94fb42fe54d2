"""The stuck rule on RV32 (docs/semantics.md, "Stuck"): `j .` that nothing can leave ends the
run at once, named by its function; in an exception's trap handler it is a fault loop with
mcause and mtval; a loop the CLINT's timer leaves runs on. Images from
tests/cortex_m/fw/stuck_tests.c (one source for both architectures)."""

from pathlib import Path

import pytest

import sim
from sim import toolchain

from rv_helpers import COMMON, RISCV

STUCK_FW = Path(__file__).resolve().parents[1] / "cortex_m" / "fw" / "stuck_tests.c"


@pytest.fixture(scope="module")
def stuck_rv():
    def build(test):
        return toolchain.build_image(
            "rv32imac", f"stuck-rv-{test}", [RISCV / "start.S", COMMON / "semihost.c",
                                             STUCK_FW],
            linker_script=RISCV / "link.ld", include_dirs=[RISCV], defines=[f"TEST={test}"])
    return build


def test_j_dot_with_mie_clear_is_stuck_at_once(stuck_rv):
    m = sim.Machine.load(stuck_rv(1), board="virt")
    stop = m.run(ticks=10_000_000)
    assert stop.reason == "stuck" and stop.ticks < 2_000 and stop.exit_status == 1
    assert stop.function.startswith("assert_failed+")
    assert "mstatus.MIE clear" in stop.detail and stop.fault is None
    assert m.console == "stuck test\n"


def test_j_dot_in_an_exception_handler_is_a_fault_loop_with_mcause_and_mtval(stuck_rv):
    m = sim.Machine.load(stuck_rv(2), board="virt")
    stop = m.run(ticks=10_000_000)
    assert stop.reason == "stuck" and stop.function == "fault_loop+0x0"
    f = stop.fault
    assert f["mcause"] == 5 and f["mtval"] == 0x40000000
    assert f["function"].startswith("main+")
    assert stop.detail.startswith("fault loop: the trap handler spins")
    assert "load access fault" in stop.detail and "mtval 0x40000000" in stop.detail


def test_a_loop_the_clint_timer_leaves_is_not_stuck(stuck_rv):
    stop = sim.Machine.load(stuck_rv(3), board="virt").run(ticks=10_000_000)
    assert stop.reason == "exit" and stop.exit_code == 5

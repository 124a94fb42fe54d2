"""The same images on QEMU's mps2-an385 and on irqsim: the consoles must agree; the M3 suite
also on the Cortex-M4F (mps2-an386) and Cortex-M7 (mps2-an500) machines, where its Cortex-M3
code runs unchanged and must print the same as QEMU 7.2 there.

Skipped where qemu-system-arm is not installed (it is optional: `apt install qemu-system-arm`).
"""

import shutil
import subprocess

import pytest

import sim

QEMU = shutil.which("qemu-system-arm")
pytestmark = pytest.mark.skipif(QEMU is None, reason="qemu-system-arm is not installed")

# timing-free tests: their logs do not depend on how fast time passes
COMPARABLE = ["frame", "psp", "align", "preempt", "same_priority", "subpriority", "self_pend",
              "primask", "basepri", "faultmask", "nmi", "svc_pendsv", "busfault", "vtor",
              "registers", "pend_then_enable"]


def qemu_console(elf, board="mps2-an385"):
    r = subprocess.run([QEMU, "-M", board, "-nographic", "-semihosting", "-monitor",
                        "none", "-serial", "stdio", "-kernel", str(elf)],
                       capture_output=True, text=True, timeout=60)
    return r.stdout + r.stderr, r.returncode


@pytest.mark.parametrize("board", ["mps2-an385", "mps2-an386", "mps2-an500"])
def test_demo_console_matches_qemu(board):
    """The demo (on the M4F and M7 it uses the FPU in the thread and in line 5's handler)."""
    from sim.demo import demo_image

    elf = demo_image(board)
    m = sim.Machine.load(elf, board=board)
    stop = m.run(ticks=10_000_000)
    out, rc = qemu_console(elf, board)
    assert out == m.console
    assert rc == stop.exit_code == 0


@pytest.mark.parametrize("board", ["mps2-an385", "mps2-an386", "mps2-an500"])
@pytest.mark.parametrize("name", COMPARABLE)
def test_guest_test_log_matches_qemu(name, board, nvic_build):
    elf = nvic_build(name)
    m = sim.Machine.load(elf, board=board)
    m.run(ticks=1_000_000)
    out, rc = qemu_console(elf, board)
    assert out == m.console, f"{name}: QEMU and irqsim disagree"
    assert len(out.splitlines()) >= 2

"""The ARMv6-M images on QEMU 7.2's microbit and on irqsim's: the consoles must agree line for
line (the demo, the M3 suite's tests that apply to ARMv6-M, the ARMv6-M suite).

Skipped where qemu-system-arm is not installed (it is optional: `apt install qemu-system-arm`).
Left out, with the reason (docs/semantics.md, "Cortex-M0"): `vtor` (QEMU 7.2's M0 has a
working VTOR, a Cortex-M0 has none), `lockup` (both lock up; QEMU ends with its register dump,
irqsim with FirmwareError), `systick` (QEMU's SysTick runs on host time there: a sixth tick
may come before the test stops it; test_qemu_microbit_has_a_working_systick checks it runs),
and the Python-driven tests (`idle_loop`, `wfi`).
"""

import shutil
import subprocess

import pytest

import sim

from v6m_helpers import NVIC_TESTS as TESTS, V6M_TESTS, build_v6m

QEMU = shutil.which("qemu-system-arm")
pytestmark = pytest.mark.skipif(QEMU is None, reason="qemu-system-arm is not installed")

M3_SUITE = ["frame", "psp", "align", "preempt", "same_priority", "self_pend", "primask", "nmi",
            "svc_pendsv", "busfault", "registers", "pend_then_enable"]
V6M_SUITE = V6M_TESTS


def qemu_console(elf):
    r = subprocess.run([QEMU, "-M", "microbit", "-nographic", "-semihosting", "-monitor",
                        "none", "-serial", "stdio", "-kernel", str(elf)],
                       capture_output=True, text=True, timeout=60)
    return r.stdout + r.stderr, r.returncode


def irqsim_console(elf):
    m = sim.Machine.load(elf, board="microbit")
    stop = m.run(ticks=2_000_000)
    return m.console, stop


def test_demo_console_matches_qemu_microbit():
    from sim.demo import demo_image

    elf = demo_image("microbit")
    out, stop = irqsim_console(elf)
    qout, rc = qemu_console(elf)
    assert qout == out
    assert rc == stop.exit_code == 0


def assert_same(elf, name):
    out, stop = irqsim_console(elf)
    qout, rc = qemu_console(elf)
    assert qout == out, f"{name}: QEMU and irqsim disagree"
    assert rc == stop.exit_code == 0 and len(out.splitlines()) >= 2


@pytest.mark.parametrize("name", M3_SUITE)
def test_m3_suite_on_cortex_m0_matches_qemu(name):
    assert_same(build_v6m(f"nvic-test-v6m-{name}", "nvic_tests.c",
                          [f"TEST_ID={TESTS.index(name)}u"]), name)


@pytest.mark.parametrize("name", V6M_SUITE)
def test_v6m_suite_matches_qemu(name):
    assert_same(build_v6m(f"v6m-test-{name}", "v6m_tests.c",
                          [f"TEST_ID={V6M_TESTS.index(name)}u"]), name)


def test_qemu_microbit_has_a_working_systick():
    """QEMU 7.2's microbit has SysTick (its armv7m container always does), counting the CPU
    clock with CLKSOURCE = 1: the reason board microbit has systick = true."""
    elf = build_v6m("nvic-test-v6m-systick", "nvic_tests.c",
                    [f"TEST_ID={TESTS.index('systick')}u"])
    qout, rc = qemu_console(elf)
    lines = qout.split()
    assert rc == 0 and lines[-1] == "000000ee" and lines.count("0000003f") >= 5

"""The mps2-an385 devices (sim/native/dev/), checked from inside the guest (fw/dev_tests.c),
and the same images on QEMU 7.2's mps2-an385 where qemu-system-arm is installed: the logs
must agree.

Each test names the behaviour it checks (CMSDK TRM DDI 0479C, or QEMU where the TRM is silent;
docs/devices.md).
"""

import shutil
import subprocess

import pytest

from conftest import DEV_TESTS

ENTER = lambda n: 0x100 | n  # noqa: E731
DONE = 0xEE
QEMU = shutil.which("qemu-system-arm")


def qemu_log(elf, extra=()):
    """QEMU's console for `elf`, with -icount shift=0 (deterministic virtual time)."""
    r = subprocess.run([QEMU, "-M", "mps2-an385", "-nographic", "-semihosting", "-monitor",
                        "none", "-serial", "stdio", "-icount", "shift=0", *extra,
                        "-kernel", str(elf)], capture_output=True, text=True, timeout=60)
    return r.stdout + r.stderr, r.returncode


def log_text(log):
    return "".join(f"{v:08x}\n" for v in log)


def _timer_log(irq):
    isr = [ENTER(irq), 1, 0]
    return [0, 0, 0, 0, 3000, 9] + isr * 3 + [0x5705, 3, DONE]


@pytest.mark.parametrize("name,irq", [("timer0", 8), ("timer1", 9)])
def test_timer_interrupts_every_reload_plus_one_and_intclear_drops_it(dev_guest, name, irq):
    g = dev_guest(name)
    assert g.run(ticks=100_000).reason == "exit"
    assert g.log == _timer_log(irq)
    pends = [e.tick for e in g.kinds("pend") if e.num == 16 + irq]
    # the first 1 -> 0 transition 3000 cycles after EN, then every RELOAD + 1 = 3001
    assert len(pends) == 3
    assert [b - a for a, b in zip(pends, pends[1:])] == [3001, 3001]
    assert not g.kinds("guest-error")


def test_timer_with_reload_0_interrupts_once_and_stays_at_0(dev_guest):
    g = dev_guest("timer_oneshot")
    assert g.run(ticks=100_000).reason == "exit"
    assert g.log == [ENTER(8), 1, 0, 0, 0, 1, 0, DONE]


def test_timer_id_registers_and_silent_wrap_without_irqen(dev_guest):
    g = dev_guest("timer_regs")
    assert g.run(ticks=100_000).reason == "exit"
    ids = [0x04, 0, 0, 0, 0x22, 0xB8, 0x1B, 0, 0x0D, 0xF0, 0x05, 0xB1]
    assert g.log == ids + [0, 77, 100, 0, DONE]


@pytest.mark.skipif(QEMU is None, reason="qemu-system-arm is not installed")
@pytest.mark.parametrize("name", DEV_TESTS)
def test_device_log_matches_qemu(name, dev_build):
    import sim
    elf = dev_build(name)
    m = sim.Machine.load(elf)
    stop = m.run(ticks=2_000_000)
    out, rc = qemu_log(elf)
    assert out == m.console, f"{name}: QEMU and irqsim disagree"
    assert rc == stop.exit_code == 0
    assert out.endswith("000000ee\n")

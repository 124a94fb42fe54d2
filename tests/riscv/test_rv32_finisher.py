"""The SiFive test finisher of virt (sim/native/dev/sifive_test.c, QEMU hw/misc/sifive_test.c):
pass and fail end the run as a firmware exit with an exit code, reset ends it with reason
"reset". The firmware (tests/riscv/fw/finisher.c) runs on irqsim and, where it is installed,
on qemu-system-riscv32 -M virt with the same console."""

import pytest

from rv_helpers import build_console_fw, needs_qemu, run_qemu
from sim import Machine
from sim.machine import Stop

TEST = 0x00100000
PASS, FAIL, RESET = 0x5555, 0x3333, 0x7777


def image(value):
    return build_console_fw(f"finisher-{value:x}", "finisher.c", defines=[f"FINISH={value:#x}"])


def exits(m):
    return [(e.kind, e.arg) for e in m.events if e.kind == "exit"]


def test_pass_ends_the_run_with_exit_code_0():
    m = Machine.load(image(PASS), "virt")
    stop = m.run(ticks=1_000_000)
    assert (stop.reason, stop.exit_code) == ("exit", 0)
    assert m.console == "finisher test\n"
    assert exits(m) == [("exit", 0)]


@pytest.mark.parametrize("code", [3, 0x1234, 0])
def test_fail_exit_code_is_the_high_halfword(code):
    m = Machine.load(image(FAIL | code << 16), "virt")
    stop = m.run(ticks=1_000_000)
    assert (stop.reason, stop.exit_code) == ("exit", code)
    assert exits(m) == [("exit", code)]


def test_reset_stops_with_reason_reset_and_no_exit():
    m = Machine.load(image(RESET), "virt")
    stop = m.run(ticks=1_000_000)
    assert (stop.reason, stop.exit_code) == ("reset", None)
    assert m.console == "finisher test\n"
    assert exits(m) == []


def test_the_store_retires_and_a_second_run_goes_on_after_it():
    m = Machine.load(image(FAIL | 5 << 16), "virt")
    stop = m.run(ticks=1_000_000)
    assert stop.pc == m.symbols["finisher_after"].address
    assert [e.tick for e in m.events if e.kind == "exit"] == [stop.ticks]
    again = m.run(ticks=1_000_000)       # the store is not made again
    assert (again.reason, again.exit_code) == ("exit", 99)   # main's return, semihosting
    assert m.console == "finisher test\nafter the finisher\n"


def test_a_write_from_python_ends_the_next_run_at_once():
    m = Machine.load(image(PASS), "virt")
    m.run(until="main", ticks=100_000)
    at = m.ticks
    m.mmio_write(TEST, FAIL | 9 << 16)
    assert exits(m) == [("exit", 9)]
    stop = m.run(ticks=1_000_000)
    assert (stop.reason, stop.exit_code, stop.ticks) == ("exit", 9, at)


@pytest.mark.parametrize("addr,value,size", [(TEST, 0x1234, 4), (TEST + 4, PASS, 4),
                                             (TEST, PASS, 1)])
def test_other_commands_offsets_and_byte_stores_are_guest_errors(addr, value, size):
    m = Machine.load(image(PASS), "virt")
    m.mmio_write(addr, value, size)
    assert [e.kind for e in m.events] == ["guest-error"]
    stop = m.run(ticks=1_000_000)        # the run is not ended by them
    assert (stop.reason, stop.exit_code) == ("exit", 0)
    assert m.console == "finisher test\n"


def test_halfword_pass_and_reads_as_zero():
    m = Machine.load(image(PASS), "virt")
    assert m.mmio_read(TEST) == 0 and m.events == []
    m.mmio_write(TEST, PASS, 2)
    assert m.run(ticks=10).reason == "exit"


@needs_qemu
@pytest.mark.parametrize("value,code", [(PASS, 0), (FAIL | 3 << 16, 3), (FAIL | 0x1234 << 16,
                                                                          0x34)])
def test_qemu_exits_with_the_same_code_and_console(value, code):
    proc = run_qemu(image(value))
    assert proc.returncode == code, proc.stderr   # QEMU's process: the code's low 8 bits
    assert proc.stdout.decode().replace("\r", "") == "finisher test\n"


@needs_qemu
def test_qemu_resets_where_irqsim_stops_with_reason_reset():
    """QEMU resets the machine and boots again; irqsim ends the run with the console up to the
    reset, which is what QEMU printed before it."""
    proc = run_qemu(image(RESET))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.decode().replace("\r", "") == "finisher test\nboot after reset\n"
    m = Machine.load(image(RESET), "virt")
    assert m.run(ticks=1_000_000).reason == "reset"
    assert proc.stdout.decode().replace("\r", "").startswith(m.console)


def test_a_reset_from_python_ends_the_next_run_and_the_first_request_stands():
    m = Machine.load(image(PASS), "virt")
    m.mmio_write(TEST, RESET)
    m.mmio_write(TEST, FAIL | 4 << 16)               # the run is ended already
    assert exits(m) == []
    assert m.run(ticks=1_000_000) == Stop("reset", 0, m.entry, None)   # nothing ran
    stop = m.run(ticks=1_000_000)                    # then the firmware runs as usual
    assert (stop.reason, stop.exit_code) == ("exit", 0)

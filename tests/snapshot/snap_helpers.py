"""Helpers and fixtures of the snapshot tests (conftest.py registers the fixtures; the test
file imports the helpers from here, a module name of its own): images that keep timers in flight (the guest device and NVIC tests of
tests/cortex_m/fw, the RTC test of tests/riscv/fw), and the check every test makes: the run on
from a restored snapshot is the run on from the moment it was taken, bit for bit."""

import hashlib
import struct
from pathlib import Path

import pytest

import sim
from sim import toolchain

TESTS = Path(__file__).resolve().parent.parent
CM, RV = toolchain.firmware_dir() / "cortex_m", toolchain.firmware_dir() / "riscv"
COMMON = toolchain.firmware_dir() / "common"


@pytest.fixture(scope="session")
def cm_image():
    """An image of the Cortex-M guest tests: `source` under tests/cortex_m/fw."""
    def build(source):
        fw = TESTS / "cortex_m" / "fw"
        return toolchain.build_image(
            "cortex-m3", f"snap-{Path(source).stem}",
            [CM / "startup.c", fw / source, fw / "testlog.c", COMMON / "semihost.c"],
            linker_script=CM / "link.ld", include_dirs=[CM, fw])
    return build


@pytest.fixture(scope="session")
def rtc_image():
    fw = TESTS / "riscv" / "fw"
    return toolchain.build_image(
        "rv32imac", "snap-rtc", [RV / "start.S", RV / "console.c", COMMON / "semihost.c",
                                 COMMON / "console_common.c", fw / "rtc.c"],
        linker_script=RV / "link.ld", include_dirs=[RV])


def guest_test(image, names_source, name):
    """A machine of `image` set to run its test function t_<name> (the test_id variable)."""
    src = (TESTS / "cortex_m" / "fw" / names_source).read_text()
    table = src[src.index("tests[])(void) = {"):]
    names = [w[2:] for w in table[:table.index("};")].replace(",", " ").split()
             if w.startswith("t_")]
    m = sim.Machine.load(image, "mps2-an385")
    m.mem_write(m.symbols["test_id"].address, struct.pack("<I", names.index(name)))
    return m


def observe(m, since: int):
    """Everything a run shows: the events after index `since`, the console, registers, the
    accounting and histograms of a storm, nesting, and a digest of RAM."""
    ram = next(r for r in m.board.memory if "w" in r.perms and r.base != m.board.memory[0].base)
    out = {"ticks": m.ticks, "events": m.events[since:], "console": m.console,
           "regs": m.regs, "nesting": m.nesting(),
           "ram": hashlib.sha256(m.mem_read(ram.base, min(ram.size, 1 << 20))).hexdigest()}
    try:
        out["acct"] = m.line_accounting()
        out["hist"] = [m.latency_histogram(n, w) for n in range(m.num_lines)
                       for w in ("entry", "return")]
    except sim.ConfigError:
        pass                 # no storm on this machine
    return out


def run_on_twice(m, at: int, to: int, fork: bool = False):
    """Runs `m` to tick `at`, snapshots, runs to `to` and observes; then restores (or forks)
    and runs to `to` again: the two observations, and the snapshot."""
    if at > m.ticks:
        m.run(ticks=at - m.ticks)
    snap, since = m.snapshot(), len(m.events)
    first = {"stop": m.run(ticks=to - m.ticks), **observe(m, since)}
    if fork:
        other = m.fork()
        assert other.ticks == m.ticks      # a fork is of now: put it back to the snapshot
        other.restore(snap)
        m.close()
        m = other
    else:
        m.restore(snap)
    assert m.ticks == snap.ticks and len(m.events) == since
    second = {"stop": m.run(ticks=to - m.ticks), **observe(m, since)}
    return first, second, snap, m

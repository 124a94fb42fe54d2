"""Helpers and fixtures for the RISC-V `virt` tests: test firmware built from tests/riscv/fw
with the pinned cross compiler, machines booted to main, QEMU runs. Test files import the
helpers from here (a module name of its own: `from conftest import` would find whichever
conftest.py was imported first); conftest.py registers the fixtures."""

from __future__ import annotations

import os
import select
import shutil
import struct
import subprocess
import time
from pathlib import Path

import pytest

from sim import Machine, toolchain

FW = Path(__file__).resolve().parent / "fw"
RISCV = toolchain.firmware_dir() / "riscv"
COMMON = toolchain.firmware_dir() / "common"

TRAP_REC = struct.Struct("<6I")
FIELDS = ("mcause", "mepc", "mtval", "mstatus", "mip", "extra")

MSTATUS_MIE = 1 << 3
MSTATUS_MPIE = 1 << 7
MSTATUS_MPP = 3 << 11
MIP_MSIP, MIP_MTIP, MIP_MEIP = 1 << 3, 1 << 7, 1 << 11
INT = 1 << 31
MSI, MTI, MEI = INT | 3, INT | 7, INT | 11
CLINT, PLIC, UART = 0x02000000, 0x0C000000, 0x10000000


def build_rv(name, *sources):
    """Builds a test image from start.S, semihosting and `sources` (under tests/riscv/fw)."""
    return toolchain.build_image(
        "rv32imac", name, [RISCV / "start.S", COMMON / "semihost.c", *(FW / s for s in sources)],
        linker_script=RISCV / "link.ld", include_dirs=[RISCV])


def build_console_fw(name, *sources, defines=()):
    """Builds a test image that prints on the UART (console.c) from `sources` under
    tests/riscv/fw, with start.S and semihosting, for irqsim and QEMU alike."""
    return toolchain.build_image(
        "rv32imac", name, [RISCV / "start.S", RISCV / "console.c", COMMON / "semihost.c",
                           COMMON / "console_common.c", *(FW / s for s in sources)],
        linker_script=RISCV / "link.ld", include_dirs=[RISCV], defines=defines)


QEMU = shutil.which("qemu-system-riscv32")
needs_qemu = pytest.mark.skipif(not QEMU, reason="qemu-system-riscv32 is not on PATH (apt "
                                "install qemu-system-misc to compare with QEMU)")


def run_qemu(image, *, timeout=60, stdin=None, extra=()) -> subprocess.CompletedProcess:
    """`image` on qemu-system-riscv32 -M virt -bios none, the console on stdout (bytes in:
    `stdin`), semihosting on."""
    return subprocess.run([QEMU, "-M", "virt", "-bios", "none", "-nographic", "-semihosting",
                           *extra, "-kernel", str(image)], input=stdin, capture_output=True,
                          timeout=timeout)


def run_qemu_dialogue(image, dialogue, *, timeout=30) -> tuple[int, str]:
    """`image` on QEMU; for each (prompt, reply) of `dialogue`, waits until the console has
    printed `prompt`, then types `reply`. Returns the exit status and the whole console."""
    proc = subprocess.Popen([QEMU, "-M", "virt", "-bios", "none", "-nographic", "-semihosting",
                             "-kernel", str(image)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, end, todo = b"", time.monotonic() + timeout, list(dialogue)
    try:
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"QEMU: no {todo[:1]} within {timeout} s; got {out!r}")
            if todo and todo[0][0].encode() in out:
                proc.stdin.write(todo.pop(0)[1].encode())
                proc.stdin.flush()
                continue
            ready, _, _ = select.select([proc.stdout], [], [], min(left, 0.5))
            if ready:
                chunk = os.read(proc.stdout.fileno(), 4096)
                if not chunk:
                    break
                out += chunk
        return proc.wait(timeout=max(1, end - time.monotonic())), out.decode("latin-1")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def run_dialogue(m, dialogue, *, chunk=20_000, max_ticks=50_000_000):
    """The same on irqsim: runs `m` in chunks; after each prompt, sends the reply as console
    input. Returns the Stop of the last run."""
    todo = list(dialogue)
    while m.ticks < max_ticks:
        if todo and todo[0][0] in m.console:
            m.console_input(todo.pop(0)[1])
        stop = m.run(ticks=chunk)
        if stop.reason != "ticks" and not (stop.reason == "idle" and todo):
            return stop       # (idle: waiting in wfi for the input that comes next)
    raise AssertionError(f"no exit within {max_ticks} ticks; console {m.console!r}")


@pytest.fixture(scope="session")
def rvtest_image():
    return build_rv("rvtest", "rvtest.c")


@pytest.fixture(scope="session")
def noisr_image():
    return build_rv("rvtest-noisr", "noisr.c")


@pytest.fixture(scope="session")
def demo_image():
    from sim.demo import demo_image as build
    return build("virt")


@pytest.fixture
def rv(rvtest_image):
    """The test firmware, booted to main (stack, .bss, vectored mtvec set up), trace empty."""
    m = Machine.load(rvtest_image, "virt")
    stop = m.run(until="main", ticks=100_000)
    assert stop.reason == "until"
    m.take_events()
    return m


def traps(m) -> list[dict]:
    """The trap log of the test firmware: what each handler saw on entry."""
    n = m.symbols["log_n"].read()
    base = m.symbols["trap_log"].address
    out = []
    for i in range(min(n, 64)):
        vals = TRAP_REC.unpack(m.mem_read(base + i * TRAP_REC.size, TRAP_REC.size))
        out.append(dict(zip(FIELDS, vals)))
    return out


def claims(m) -> list[int]:
    n = m.symbols["claim_n"].read()
    base = m.symbols["claims"].address
    return list(struct.unpack(f"<{min(n, 64)}I", m.mem_read(base, 4 * min(n, 64))))


def addr(m, name) -> int:
    return m.symbols[name].address


def kinds(events, *wanted):
    return [(e.kind, e.num, e.arg) for e in events if e.kind in wanted]

"""Fixtures for the RISC-V `virt` tests: test firmware built from tests/riscv/fw with the
pinned cross compiler, and machines booted to main."""

from __future__ import annotations

import shutil
import struct
import subprocess
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

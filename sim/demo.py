"""The bundled demo firmware: sources per board, built on first use with the pinned compiler."""

from __future__ import annotations

from pathlib import Path

from . import toolchain
from .boards import get_board
from .errors import ConfigError


def _sources(arch: str) -> tuple[list[Path], Path, list[Path]]:
    fw = toolchain.firmware_dir()
    common = [fw / "common" / n for n in ("semihost.c", "console_common.c", "demo.c")]
    table = toolchain.handlertable_dir() / "handler_table.c"
    if arch == "armv7m":
        d = fw / "cortex_m"
        return [d / "startup.c", d / "console.c", d / "demo_main.c", *common, table], \
            d / "link.ld", [d]
    d = fw / "riscv"
    return [d / "start.S", d / "console.c", d / "demo_main.c", *common, table], \
        d / "link.ld", [d]


def demo_image(board="mps2-an385") -> Path:
    """Builds (or finds up to date) the demo image for `board` and returns its path."""
    b = get_board(board)
    if not b.firmware_target:
        raise ConfigError(f"board {b.name} has no bundled demo firmware (no firmware_target)")
    sources, ld, incs = _sources(b.arch)
    return toolchain.build_image(b.firmware_target, f"demo-{b.name}", sources, linker_script=ld,
                                 include_dirs=incs)


def build_all() -> list[Path]:
    """What `irqsim build` builds: the demo image of every bundled board that has one."""
    out = [demo_image("mps2-an385")]
    if (toolchain.firmware_dir() / "riscv" / "demo_main.c").exists():
        out.append(demo_image("virt"))
    return out

"""Boards as data: memory map, core, interrupt controller and devices, read from TOML.

`get_board("mps2-an385")` reads a bundled board; `get_board("path/to/board.toml")` reads a
user's, which follows the same schema (see the bundled files in sim/boards/).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from . import arch as arch_mod
from .errors import ConfigError

BOARD_DIR = Path(__file__).resolve().parent / "boards"


@dataclass(frozen=True)
class Region:
    name: str
    base: int
    size: int
    perms: str


@dataclass(frozen=True)
class Board:
    name: str
    arch: str
    cpu: str
    firmware_target: str
    clock_hz: int
    controller: dict
    memory: tuple[Region, ...]
    devices: tuple[dict, ...] = field(default=())
    path: Path | None = None

    @property
    def adapter(self) -> arch_mod.Arch:
        """The adapter of the board's architecture (sim.arch)."""
        return arch_mod.get(self.arch)

    @property
    def num_lines(self) -> int:
        """Lines 0..num_lines-1 as the core numbers them; the first that exists is
        `adapter.first_line` (RISC-V has no PLIC source 0)."""
        return self.adapter.num_lines(self.controller)

    def region_of(self, addr: int, size: int = 1) -> Region | None:
        for r in self.memory:
            if r.base <= addr and addr + size <= r.base + r.size:
                return r
        return None


def board_names() -> list[str]:
    return sorted(p.stem for p in BOARD_DIR.glob("*.toml"))


def get_board(name_or_path) -> Board:
    if isinstance(name_or_path, Board):
        return name_or_path
    s = str(name_or_path)
    path = Path(s) if s.endswith(".toml") else BOARD_DIR / f"{s}.toml"
    if not path.exists():
        if s.endswith(".toml"):
            raise ConfigError(f"board file {s} does not exist")
        raise ConfigError(f"unknown board {s!r}: known boards are {', '.join(board_names())} "
                          "(or give the path of a board .toml file)")
    try:
        data = tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"board file {path}: not valid TOML ({e})") from None
    return _parse(data, path)


def _parse(d: dict, path: Path) -> Board:
    def need(key, typ, where=d, ctx=""):
        if key not in where:
            raise ConfigError(f"board file {path}: missing key {ctx}{key!r}")
        if not isinstance(where[key], typ):
            raise ConfigError(f"board file {path}: {ctx}{key!r} must be a {typ.__name__}")
        return where[key]

    arch = need("arch", str)
    if arch not in arch_mod.names():
        raise ConfigError(f"board file {path}: arch {arch!r} is not one of "
                          f"{', '.join(arch_mod.names())}")
    regions = []
    for i, m in enumerate(need("memory", list)):
        ctx = f"memory[{i}]."
        r = Region(need("name", str, m, ctx), need("base", int, m, ctx), need("size", int, m, ctx),
                   m.get("perms", "rwx"))
        if r.size <= 0 or r.size % 4096 or r.base % 4096:
            raise ConfigError(f"board file {path}: {ctx}base and size must be multiples of 4096")
        regions.append(r)
    ctrl = need("controller", dict)
    arch_mod.get(arch).check_controller(lambda key, typ: need(key, typ, ctrl, "controller."),
                                        path)
    return Board(name=need("name", str), arch=arch, cpu=d.get("cpu", ""),
                 firmware_target=d.get("firmware_target", ""), clock_hz=d.get("clock_hz", 1_000_000),
                 controller=ctrl, memory=tuple(regions), devices=tuple(d.get("devices", ())),
                 path=path)

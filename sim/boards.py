"""Boards as data: memory map, core, interrupt controller and devices, read from TOML.

`get_board("mps2-an385")` reads a bundled board; `get_board("path/to/board.toml")` reads a
user's, which follows the same schema (see the bundled files in sim/boards/). A board file
may start from another with `extends = "mps2-an385"` and give only what differs (tables such
as [controller] merge key by key), as mps2-an385-qemu does. `summary` is its line in
`irqsim boards`; `prio_variant` names a board like it with all 8 priority bits, which the
priority warning suggests (sim/arch/armv7m.py).
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
    prio_variant: str = ""      # a board like this one with all 8 priority bits, if any
    summary: str = ""           # one line for `irqsim boards`: what it is, when to pick it

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
    return _parse(_read(path), path)


def _read(path: Path, seen=()) -> dict:
    """The board file's data; with `extends = "other"` (a bundled board's name, or a .toml
    path beside this one), the other board's data with this file's keys over it (tables such
    as [controller] merged key by key, everything else replaced)."""
    try:
        data = tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"board file {path}: not valid TOML ({e})") from None
    parent = data.pop("extends", None)
    if parent is None:
        return data
    ppath = (path.parent / parent if str(parent).endswith(".toml")
             else BOARD_DIR / f"{parent}.toml")
    if not isinstance(parent, str) or not ppath.exists() or ppath in seen:
        raise ConfigError(f"board file {path}: extends = {parent!r} names no board file "
                          "(or a board that extends this one)")
    base = _read(ppath, seen + (path,))
    for key, value in data.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            base[key] = {**base[key], **value}
        else:
            base[key] = value
    return base


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
                 path=path, prio_variant=d.get("prio_variant", ""), summary=d.get("summary", ""))

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
from .checks import is_int
from .errors import ConfigError
from .native import lib

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
    firmware_map: str = ""      # the memory map the bundled firmware links for ("": the arch's
                                # first, link.ld); sim/demo.py

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


BOARD_KEYS = {"name", "arch", "cpu", "firmware_target", "firmware_map", "clock_hz", "controller",
              "memory", "devices", "prio_variant", "summary"}
MEMORY_KEYS = {"name", "base", "size", "perms"}
CLOCK_HZ_MIN, CLOCK_HZ_MAX = lib.CORE_CLOCK_HZ_MIN, lib.CORE_CLOCK_HZ_MAX
ADDRESS_END = 1 << 32            # both architectures have a 32-bit address space


def read_toml(path: Path, what: str) -> dict:
    """A TOML file's table; ConfigError naming `what` and the file for anything that is no
    readable TOML (a folder, no permission, bad UTF-8, nesting too deep for the parser)."""
    try:
        return tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"{what} {path} does not exist") from None
    except IsADirectoryError:
        raise ConfigError(f"{what} {path} is a folder; give the path of a .toml file") from None
    except OSError as e:
        raise ConfigError(f"{what} {path}: cannot read it ({e.strerror})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"{what} {path}: not valid TOML ({e})") from None
    except RecursionError:
        raise ConfigError(f"{what} {path}: not valid TOML (nested too deeply)") from None


def get_board(name_or_path) -> Board:
    if isinstance(name_or_path, Board):
        return name_or_path
    if not isinstance(name_or_path, (str, Path)):
        raise ConfigError(f"a board is a name or the path of a .toml file (got {name_or_path!r})")
    s = str(name_or_path)
    path = Path(s) if s.endswith(".toml") else BOARD_DIR / f"{s}.toml"
    if not s.endswith(".toml") and not path.is_file():
        raise ConfigError(f"unknown board {s!r}: known boards are {', '.join(board_names())} "
                          "(or give the path of a board .toml file)")
    return _parse(_read(path), path)


def _read(path: Path, seen=()) -> dict:
    """The board file's data; with `extends = "other"` (a bundled board's name, or a .toml
    path beside this one), the other board's data with this file's keys over it (tables such
    as [controller] merged key by key, everything else replaced)."""
    data = read_toml(path, "board file")
    parent = data.pop("extends", None)
    if parent is None:
        return data
    ppath = (path.parent / parent if str(parent).endswith(".toml")
             else BOARD_DIR / f"{parent}.toml") if isinstance(parent, str) else None
    if ppath is None or not ppath.is_file() or ppath in seen:
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
    def bad(msg):
        return ConfigError(f"board file {path}: {msg}")

    def need(key, typ, where=d, ctx=""):
        if key not in where:
            raise bad(f"missing key {ctx}{key!r}")
        if not isinstance(where[key], typ) or (typ is int and isinstance(where[key], bool)):
            raise bad(f"{ctx}{key!r} must be a {typ.__name__} (got {where[key]!r})")
        return where[key]

    def unknown(table, allowed, ctx):
        extra = sorted(set(table) - allowed)
        if extra:
            raise bad(f"unknown key {ctx}{extra[0]!r}; allowed: {', '.join(sorted(allowed))}")

    unknown(d, BOARD_KEYS, "")
    name = need("name", str)
    arch = need("arch", str)
    if arch not in arch_mod.names():
        raise bad(f"arch {arch!r} is not one of {', '.join(arch_mod.names())}")
    adapter = arch_mod.get(arch)
    for key in ("cpu", "firmware_target", "firmware_map"):
        if key in d:
            need(key, str)
    cpu = d.get("cpu", adapter.cpus[0] if adapter.cpus else "")
    if adapter.cpus and cpu not in adapter.cpus:
        raise bad(f"cpu {cpu!r} is not a core the {arch} model has; one of "
                  f"{', '.join(adapter.cpus)}")
    clock = d.get("clock_hz", 1_000_000)
    if not is_int(clock) or not CLOCK_HZ_MIN <= clock <= CLOCK_HZ_MAX:
        raise bad(f"clock_hz must be an integer {CLOCK_HZ_MIN}..{CLOCK_HZ_MAX} (ticks per "
                  f"simulated second; got {clock!r})")
    regions = []
    memory = need("memory", list)
    if not memory:
        raise bad("memory needs at least one [[memory]] region")
    for i, m in enumerate(memory):
        ctx = f"memory[{i}]."
        if not isinstance(m, dict):
            raise bad(f"memory[{i}] must be a table")
        unknown(m, MEMORY_KEYS, ctx)
        perms = m.get("perms", "rwx")
        if not isinstance(perms, str) or not perms or set(perms) - set("rwx") \
                or len(set(perms)) != len(perms):
            raise bad(f"{ctx}perms must be letters of \"rwx\", each once (got {perms!r})")
        r = Region(need("name", str, m, ctx), need("base", int, m, ctx), need("size", int, m, ctx),
                   perms)
        if r.size <= 0 or r.size % 4096 or r.base % 4096 or r.base < 0:
            raise bad(f"{ctx}base and size must be multiples of 4096, base >= 0 and size > 0 "
                      f"(got base {r.base:#x}, size {r.size:#x})")
        if r.base + r.size > ADDRESS_END:
            raise bad(f"{ctx}{r.name} at {r.base:#x}..{r.base + r.size:#x} passes the end of the "
                      "32-bit address space")
        for q in regions:
            if r.base < q.base + q.size and q.base < r.base + r.size:
                raise bad(f"{ctx}{r.name} at {r.base:#x}..{r.base + r.size:#x} overlaps memory "
                          f"{q.name} at {q.base:#x}..{q.base + q.size:#x}")
        for base, size, what in adapter.reserved:
            if r.base < base + size and base < r.base + r.size:
                raise bad(f"{ctx}{r.name} at {r.base:#x}..{r.base + r.size:#x} overlaps {what} at "
                          f"{base:#x}..{base + size:#x}, which the core maps itself")
        regions.append(r)
    ctrl = need("controller", dict)
    unknown(ctrl, adapter.controller_keys, "controller.")
    adapter.check_controller(ctrl, lambda key, typ: need(key, typ, ctrl, "controller."), bad)
    adapter.check_core(cpu, ctrl, bad)
    devices = d.get("devices", [])
    if not isinstance(devices, list) or not all(isinstance(e, dict) for e in devices):
        raise bad("devices must be [[devices]] tables")
    for i, e in enumerate(devices):
        ctx = f"devices[{i}]."
        need("kind", str, e, ctx)
        base = need("base", int, e, ctx)
        if not 0 <= base < ADDRESS_END:
            raise bad(f"{ctx}base must be an address 0..{ADDRESS_END - 1:#x} (got {base:#x})")
        for k, v in e.items():
            if k == "irq" and isinstance(v, str) and v in adapter.named_lines:
                continue                      # an input by name, such as "nmi"
            hi = (1 << 31) - 1 if k == "irq" else (1 << 64) - 1   # an irq is a C int
            if k not in ("kind", "base") and (not is_int(v) or not 0 <= v <= hi):
                raise bad(f"{ctx}{k} must be an integer 0..{hi}"
                          + (f" or one of {', '.join(map(repr, adapter.named_lines))}"
                             if k == "irq" and adapter.named_lines else "") + f" (got {v!r})")
    for key in ("prio_variant", "summary"):
        if key in d:
            need(key, str)
    return Board(name=name, arch=arch, cpu=cpu,
                 firmware_target=d.get("firmware_target", ""), clock_hz=clock,
                 controller=ctrl, memory=tuple(regions), devices=tuple(devices), path=path,
                 prio_variant=d.get("prio_variant", ""), summary=d.get("summary", ""),
                 firmware_map=d.get("firmware_map", ""))


def board_with(name_or_path, overrides: dict) -> Board:
    """The board `name_or_path` with `overrides` ({"controller.prio_bits": 4, "clock_hz": ...},
    dotted keys into the board file's tables) set over its data, validated like a board file."""
    base = get_board(name_or_path)
    data = _read(base.path)
    for key, value in overrides.items():
        *tables, last = key.split(".")
        where = data
        for t in tables:
            if not isinstance(where.get(t), dict):
                raise ConfigError(f"board {base.name}: {key}: {t!r} is no table of the board")
            inner = dict(where[t])
            where[t] = inner
            where = inner
        where[last] = value
    return _parse(data, base.path)

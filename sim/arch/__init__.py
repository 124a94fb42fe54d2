"""The architectures, one adapter each: what Machine, storms, exports and the sweep ask instead of
testing an architecture's name.

    a = sim.arch.get("armv7m")            # or sim.arch.for_board(board), board.adapter
    a.first_line, a.regs, a.exception_name(21)

sim/arch/armv7m.py holds the Cortex-M adapter and the NVIC view (m.nvic); sim/arch/rv32.py the
RISC-V adapter and the PLIC, CLINT and hart views (m.plic, m.clint, m.hart). The interface is
sim/arch/base.py.
"""

from __future__ import annotations

from ..errors import ConfigError
from ..native import lib
from . import armv7m, rv32
from .base import Arch

_ADAPTERS: dict[str, Arch] = {a.name: a for a in (armv7m.ADAPTER, rv32.ADAPTER)}


def names() -> tuple[str, ...]:
    """The architecture names a board file may give."""
    return tuple(_ADAPTERS)


def get(name: str) -> Arch:
    """The adapter of architecture `name` ("armv7m", "rv32")."""
    try:
        return _ADAPTERS[name]
    except (KeyError, TypeError):
        raise ConfigError(f"unknown arch {name!r}: use one of {', '.join(_ADAPTERS)}") from None


def for_board(board) -> Arch:
    """The adapter of a Board's architecture."""
    return get(board.arch)


def attach_empty_block_hook(uc) -> None:
    """Adds a native block hook that does nothing to the bare engine `uc` (a unicorn.Uc): the
    floor of any block-hook time base, for bench/storm.py."""
    if lib.core_bench_empty_block_hook(uc._uch.value):
        raise ConfigError("cannot add a block hook to this engine")


def attach_fast_stores(uc) -> None:
    """Gives the bare engine `uc` (a unicorn.Uc) the fast store path that every Machine has
    (sim/native/tlb.c): for bench/storm.py's bare_fast_mips row."""
    if lib.core_bench_fast_stores(uc._uch.value):
        raise ConfigError("cannot set the fast store path up on this engine")


def attach_trap_path(uc, vector: int, cause: int, page: int, claim: int, rounds: int) -> None:
    """Makes the bare RISC-V engine `uc` take trap `cause` at `vector` each time the handler's
    mret returns there, as irqsim's trap entry does, with the 4 KiB page at `page` an MMIO
    page that reads `claim`, and stop after `rounds` traps (sim/native/rv32/ceiling.c):
    bench/storm.py's engine ceiling."""
    if lib.rv32_bench_trap_path(uc._uch.value, vector, cause, page, claim, rounds):
        raise ConfigError("cannot set the trap path up on this engine")


def trap_path_rounds() -> int:
    """Interrupts taken on the engine of the last attach_trap_path."""
    return lib.rv32_bench_trap_rounds()


__all__ = ["Arch", "attach_empty_block_hook", "attach_fast_stores", "attach_trap_path", "for_board",
           "get", "names", "trap_path_rounds"]

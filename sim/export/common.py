"""What the exporters share: their arguments' checks, the names of trace numbers, and the
reordering of records into tick order."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from typing import Iterable

from .. import arch as arch_mod
from ..errors import ConfigError


def check(arch, num_lines=None, clock_hz=None) -> arch_mod.Arch:
    """The adapter of `arch`, once the arguments are checked."""
    adapter = arch_mod.get(arch)
    if num_lines is not None and (not isinstance(num_lines, int) or num_lines < 1
                                  or num_lines > 0xFFFF):
        raise ConfigError(f"num_lines must be an integer in 1..65535, not {num_lines!r}")
    if clock_hz is not None:
        check_clock(clock_hz)
    return adapter


def check_clock(clock_hz):
    if not isinstance(clock_hz, int) or isinstance(clock_hz, bool) or clock_hz <= 0:
        raise ConfigError(f"clock_hz must be a positive integer (ticks per simulated second), "
                          f"not {clock_hz!r}; a board's is in its file (clock_hz)")


def exception_name(arch: str, num: int) -> str:
    """Display name of what an entry/preempt/return record's `num` means: armv7m "IRQ5" for
    exception 21, "SysTick" for 15; rv32 "MEI" for code 11 (or a local pend's 0x8000 | 11),
    "illegal instruction" for 256 + 2."""
    return arch_mod.get(arch).exception_name(num)


REORDER_TICKS = 4096


def in_tick_order(events: Iterable, window: int = REORDER_TICKS):
    """The events sorted by tick, in bounded memory: each is held until the stream has moved
    `window` ticks past it (records of one tick keep their order).

    The core records some events at the tick they happened rather than the tick they were
    noticed: a line request at the tick it was made, though the core samples it at the next
    block boundary (or after an exception entry's stacking cycles); a RISC-V timer pend at
    the tick mtime reached mtimecmp. Such a record comes after records of later ticks, by at
    most one translation block (Unicorn caps a block at 512 instructions) plus an exception
    entry, well inside the default window. A record later than the window (a request
    scheduled for a tick long past) comes out as soon as it is read: the consumer sees its tick
    go back."""
    buf: list = []
    top = None                      # the highest tick read so far
    for e in events:
        t = e[0]
        if top is None or t >= top:
            top = t
            buf.append(e)
            if buf[0][0] < top - 2 * window:
                cut = bisect_left(buf, top - window, key=_tick)
                yield from buf[:cut]
                del buf[:cut]
        else:
            buf.insert(bisect_right(buf, t, key=_tick), e)
    yield from buf


def _tick(e):
    return e[0]

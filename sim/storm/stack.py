"""The stack a storm's handlers use: the stack below the initial SP painted with a pattern
before the run, and the deepest word written found afterwards (the high-water mark)."""

from __future__ import annotations


def initial_sp(m):
    """The stack pointer the firmware starts with: Cortex-M loads it from the vector table at
    reset; RISC-V start-up code sets it from the linker script's stack symbol."""
    return m.initial_sp


PAINT = 0xA5
PAINT_DEPTH = 64 * 1024


def paint_stack(m, sp):
    """Fills the stack below SP with a pattern (at most 64 KiB, not below the image's data), so
    the deepest write shows afterwards as the high-water mark."""
    lo = sp - PAINT_DEPTH
    for name in ("__bss_end", "_end", "__heap_start"):
        if name in m.symbols:
            lo = max(lo, m.symbols[name].address)
            break
    lo = (lo + 3) & ~3
    hi = sp - 64           # leave the words the running code may be using
    if hi <= lo or m.board.region_of(lo, hi - lo) is None:
        return None
    m.mem_write(lo, bytes([PAINT]) * (hi - lo))
    return lo, hi


def stack_high_water(m, paint, sp0):
    if paint is None:
        return None
    lo, hi = paint
    data = m.mem_read(lo, hi - lo)
    untouched = len(data) - len(data.lstrip(bytes([PAINT])))
    deepest = lo + untouched
    return sp0 - deepest if untouched < len(data) else 64

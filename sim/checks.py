"""Argument checks shared by the API (Machine), the board and scenario readers and the CLI: one
message shape, "WHAT must be ALLOWED (got VALUE)", raised as the caller's error class."""

from __future__ import annotations

import math

from .errors import ArgumentError

U64_MAX = (1 << 64) - 1
U32_MAX = (1 << 32) - 1


def is_int(v) -> bool:
    """An integer that is not a bool (TOML and JSON give bools where a number was meant)."""
    return isinstance(v, int) and not isinstance(v, bool)


def check_int(what: str, v, lo: int = 0, hi: int = U64_MAX, *, error=ArgumentError) -> int:
    """v as an int in lo..hi, else `error` naming `what` and the range."""
    if not is_int(v):
        raise error(f"{what} must be an integer in {lo}..{hi} (got {v!r})")
    if not lo <= v <= hi:
        raise error(f"{what} must be in {lo}..{hi} (got {v})")
    return v


def check_number(what: str, v, lo: float = 0.0, hi: float = math.inf, *, lo_open=False,
                 error=ArgumentError) -> float:
    """v as a finite float in [lo, hi] (or (lo, hi] with lo_open), else `error`."""
    if not (is_int(v) or isinstance(v, float)) or not math.isfinite(v):
        raise error(f"{what} must be a finite number (got {v!r})")
    if v < lo or (lo_open and v == lo) or v > hi:
        bound = f"> {lo}" if lo_open else f">= {lo}"
        raise error(f"{what} must be {bound}" + (f" and <= {hi}" if hi != math.inf else "")
                    + f" (got {v})")
    return float(v)

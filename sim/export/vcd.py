"""VCD (IEEE 1364-2005 clause 18) for GTKWave: signals and time as in sim/export's docstring."""

from __future__ import annotations

from fractions import Fraction
from typing import Iterable

from .atomic import atomic_output
from .common import check, check_clock
from .signals import SignalChanges


def vcd_timescale(clock_hz: int) -> tuple[str, int | None]:
    """(timescale, units per tick) for a VCD of a clock_hz run; units per tick is None when no
    1/10/100 unit divides the tick period exactly (then the timescale is "1 fs" and times are
    rounded down to the femtosecond)."""
    check_clock(clock_hz)
    period = Fraction(1, clock_hz)
    for exp, unit in ((0, "s"), (-3, "ms"), (-6, "us"), (-9, "ns"), (-12, "ps"), (-15, "fs")):
        for mag in (100, 10, 1):
            per = period / (mag * Fraction(10) ** exp)
            if per.denominator == 1:
                return f"{mag} {unit}", int(per)
    return "1 fs", None


def vcd_signal_names(arch: str, num_lines: int) -> list[str]:
    """The VCD variables write_vcd declares, in declaration order."""
    return [name for name, _, _, _ in check(arch, num_lines).vcd_vars(num_lines)]



class _VcdVar:
    __slots__ = ("ident", "size", "value", "bits")

    def __init__(self, ident, size, value):
        self.ident, self.size, self.value = ident, size, value
        self.bits = (f"0{ident}", f"1{ident}") if size == 1 else None

    def fmt(self, value):
        if self.bits:
            return self.bits[value]
        return f"b{value & ((1 << self.size) - 1):b} {self.ident}"


def _vcd_ident(i):
    """The i-th identifier code: printable ASCII 33..126, base 94 (IEEE 1364-2005 18.2.1)."""
    out = ""
    while True:
        i, r = divmod(i, 94)
        out += chr(33 + r)
        if not i:
            return out
        i -= 1


def write_vcd(events: Iterable, path, *, arch: str, num_lines: int, clock_hz: int) -> int:
    """A value-change dump (IEEE 1364-2005 clause 18) of lines, pending and active state,
    execution priority and nesting depth (signals and time as in the module docstring), for
    GTKWave. Returns the number of events read."""
    adapter = check(arch, num_lines, clock_hz)
    timescale, per_tick = vcd_timescale(clock_hz)
    if per_tick is None:
        def vtime(tick):
            return tick * 10 ** 15 // clock_hz
        rule = f"time = tick * 10**15 // {clock_hz} fs"
    else:
        def vtime(tick):
            return tick * per_tick
        rule = f"time = tick * {per_tick} (x {timescale})"
    decls = adapter.vcd_vars(num_lines)
    var = {}
    for i, (name, typ, size, init) in enumerate(decls):
        var[name] = _VcdVar(_vcd_ident(i), size, init)

    with atomic_output(path) as f:
        f.write(f"$version irqsim $end\n"
                f"$comment irqsim trace, arch {arch}, clock {clock_hz} Hz: one tick (retired "
                f"instruction) = 1/{clock_hz} s; {rule} $end\n"
                f"$timescale {timescale} $end\n"
                "$scope module irqsim $end\n")
        for (name, typ, size, _), v in zip(decls, var.values()):
            f.write(f"$var {typ} {size} {v.ident} {name} $end\n")
        f.write("$upscope $end\n$enddefinitions $end\n")

        out: list[str] = []      # text not yet written
        changes = SignalChanges(events, adapter, num_lines)
        first = True             # the first batch: every signal's initial value
        for t, batch in changes:
            if first:
                first = False
                out.append("#0\n$dumpvars\n")
                out.extend(var[name].fmt(val) + "\n" for name, val in batch)
                out.append("$end\n")
                continue
            out.append(f"#{vtime(t)}\n")
            out.append("\n".join(var[name].fmt(val) for name, val in batch))
            out.append("\n")
            if len(out) > 3000:
                f.write("".join(out))
                out.clear()
        out.append(f"#{vtime(changes.end)}\n")
        f.write("".join(out))
    return changes.records

"""VCD (IEEE 1364-2005 clause 18) for GTKWave: signals and time as in sim/export's docstring."""

from __future__ import annotations

from fractions import Fraction
from typing import Iterable

from ..codes import LINE_KINDS
from .atomic import atomic_output
from .common import check, check_clock, in_tick_order


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

        # what each record's num selects (module docstring): line, pending, in-progress vars
        line_of, pend_of, trap_of, taken_clears, claim_of = adapter.vcd_targets(var, num_lines)
        bias = adapter.exec_priority_bias
        raise_, lower, pulse = LINE_KINDS["raise"], LINE_KINDS["lower"], LINE_KINDS["pulse"]

        exec_var, depth_var = var["exec_priority"], var["depth"]
        level: dict = {}         # line variable -> level from raise/lower (pulses return to it)
        falls: dict = {}         # line variables pulsed at tick `cur`, in pulse order (a dict, not
                                 # a set: a set of objects iterates in address order, which made
                                 # the order of a timestamp's changes differ from run to run):
                                 # they fall at cur + 1
        stack: list[int] = []    # exceptions (causes) in progress, innermost last
        changes: dict = {}       # variable -> value at tick `cur`: last one wins
        cur = 0
        out: list[str] = []      # text not yet written
        dumped = False           # the initial values ($dumpvars at #0) are out

        def flush(t):
            nonlocal dumped
            if not dumped:
                dumped = True
                if t == 0:       # the changes at tick 0 are the initial values
                    for v, val in changes.items():
                        v.value = val
                    changes.clear()
                out.append("#0\n$dumpvars\n")
                out.extend(v.fmt(v.value) + "\n" for v in var.values())
                out.append("$end\n")
            lines = [v.fmt(val) for v, val in changes.items() if val != v.value]
            if lines:
                for v, val in changes.items():
                    v.value = val
                out.append(f"#{vtime(t)}\n")
                out.append("\n".join(lines))
                out.append("\n")
                if len(out) > 3000:
                    f.write("".join(out))
                    out.clear()
            changes.clear()

        def leave(e):
            """Exception e stops being in progress (return, or left by a tail-chain)."""
            for i in range(len(stack) - 1, -1, -1):
                if stack[i] == e:
                    del stack[i]
                    break
            v = trap_of.get(e)
            if v is not None and e not in stack:
                changes[v] = 0

        def enter(e):
            stack.append(e)
            v = trap_of.get(e)
            if v is not None:
                changes[v] = 1
            v = taken_clears.get(e)
            if v is not None:
                changes[v] = 0

        n = 0
        for n, (tick, kind, num, arg) in enumerate(in_tick_order(events), 1):
            if tick > cur:
                if changes or not dumped:
                    flush(cur)
                if falls:
                    changes.update({v: level.get(v, 0) for v in falls})
                    falls.clear()
                    if tick > cur + 1:
                        flush(cur + 1)
                    # else: the falls stay in `changes`, and events at cur + 1 override them
                cur = tick
            if kind == "request":
                v = line_of.get(num)
                if v is None:
                    continue
                if arg == raise_:
                    level[v] = 1
                    changes[v] = 1
                elif arg == lower:
                    level[v] = 0
                    changes[v] = 0
                elif arg == pulse:              # high for one tick
                    changes[v] = 1
                    falls[v] = None
            elif kind == "lower":
                v = line_of.get(num)
                if v is not None:
                    level[v] = 0
                    changes[v] = 0
            elif kind == "pend":
                v = pend_of.get(num)
                if v is not None:
                    changes[v] = 1
            elif kind == "unpend":              # the firmware cleared the pending state
                v = pend_of.get(num)
                if v is not None:
                    changes[v] = 0
            elif kind in ("entry", "preempt"):
                enter(num)
                changes[depth_var] = len(stack)
            elif kind == "tail-chain":
                leave(arg)
                enter(num)
                changes[depth_var] = len(stack)
            elif kind == "return":
                leave(num)
                changes[depth_var] = len(stack)
            elif kind == "exec-priority":
                changes[exec_var] = arg - bias
            elif kind == "claim":
                v = claim_of.get(num)           # num 0: nothing to claim (none on Cortex-M)
                if v is not None:
                    changes[pend_of[num]] = 0
                    changes[v] = 1
            elif kind == "complete":
                v = claim_of.get(num)
                if v is not None:
                    changes[v] = 0
        flush(cur)
        end = cur + 1
        if falls:
            changes.update({v: level.get(v, 0) for v in falls})
            flush(cur + 1)
            end = cur + 2
        out.append(f"#{vtime(end)}\n")
        f.write("".join(out))
    return n

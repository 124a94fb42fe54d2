"""The signals of a trace, as values that change at ticks: the state machine the VCD writer
and the trace viewer (sim/view/) share. Signals and their meaning are in sim/export's docstring
(line<n>, pending<n>, active<n>, the system exceptions' and RISC-V causes' signals,
exec_priority, depth); the adapter declares them (`vcd_vars`) and says which record number
drives which (`vcd_targets`)."""

from __future__ import annotations

from typing import Iterable, Iterator

from ..codes import LINE_KINDS
from .common import in_tick_order


class SignalChanges:
    """Iterating yields (tick, [(name, value), ...]) per timestamp at which some signal took a
    new value, in tick order; the first item is (0, every signal's value at tick 0) in
    declaration order. Afterwards `records` is the number of events read and `end` the tick
    just past the last change (a pulse's fall included)."""

    def __init__(self, events: Iterable, adapter, num_lines: int):
        self.events, self.adapter, self.num_lines = events, adapter, num_lines
        self.decls = adapter.vcd_vars(num_lines)
        self.records = 0
        self.end = 0

    def __iter__(self) -> Iterator[tuple[int, list]]:
        value = {name: init for name, _, _, init in self.decls}
        names = {name: name for name in value}
        line_of, pend_of, trap_of, taken_clears, claim_of = \
            self.adapter.vcd_targets(names, self.num_lines)
        bias = self.adapter.exec_priority_bias
        raise_, lower, pulse = LINE_KINDS["raise"], LINE_KINDS["lower"], LINE_KINDS["pulse"]
        level: dict = {}         # line signal -> level from raise/lower (pulses return to it)
        falls: dict = {}         # line signals pulsed at tick `cur`, in pulse order (a dict,
                                 # not a set: the order of a timestamp's changes is the order
                                 # they were made): they fall at cur + 1
        stack: list[int] = []    # exceptions (causes) in progress, innermost last
        changes: dict = {}       # signal -> value at tick `cur`: last one wins
        cur = 0
        dumped = False           # the initial values are out

        def flush(t):
            nonlocal dumped
            out = []
            if not dumped:
                dumped = True
                if t == 0:       # the changes at tick 0 are the initial values
                    value.update(changes)
                    changes.clear()
                out.append((0, list(value.items())))
            new = [(v, val) for v, val in changes.items() if val != value[v]]
            if new:
                value.update(changes)
                out.append((t, new))
            changes.clear()
            return out

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
        for n, (tick, kind, num, arg) in enumerate(in_tick_order(self.events), 1):
            if tick > cur:
                if changes or not dumped:
                    yield from flush(cur)
                if falls:
                    changes.update({v: level.get(v, 0) for v in falls})
                    falls.clear()
                    if tick > cur + 1:
                        yield from flush(cur + 1)
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
                changes["depth"] = len(stack)
            elif kind == "tail-chain":
                leave(arg)
                enter(num)
                changes["depth"] = len(stack)
            elif kind == "return":
                leave(num)
                changes["depth"] = len(stack)
            elif kind == "exec-priority":
                changes["exec_priority"] = arg - bias
            elif kind == "claim":
                v = claim_of.get(num)           # num 0: nothing to claim (none on Cortex-M)
                if v is not None:
                    changes[pend_of[num]] = 0
                    changes[v] = 1
            elif kind == "complete":
                v = claim_of.get(num)
                if v is not None:
                    changes[v] = 0
        self.records = n
        yield from flush(cur)
        self.end = cur + 1
        if falls:
            changes.update({v: level.get(v, 0) for v in falls})
            yield from flush(cur + 1)
            self.end = cur + 2

"""The Machine's interrupt lines (the native side is sched.c and lines.c): requests on the
controller's inputs, now or at a tick, one at a time or in bulk, and what the controller says
of them (held off or not, how deeply it nested)."""

from __future__ import annotations

from ..checks import U64_MAX, check_int, is_int
from ..codes import LINE_KINDS
from ..errors import ArgumentError, ConfigError
from . import ffi, lib


class Lines:
    """Mixed into sim.machine.Machine."""

    def _check_line(self, line, what="IRQ"):
        """The core's number of `line`: an int in range, or a name the adapter knows."""
        lo = self.adapter.first_line
        named = self.adapter.named_lines.get(line) if isinstance(line, str) else None
        if named is not None:
            return named
        names = "".join(f", or {n!r}" for n in self.adapter.named_lines)
        if not is_int(line):
            raise ArgumentError(f"{what} {line!r} is not a line: give an integer "
                                f"{lo}..{self.num_lines - 1}{names}")
        if not lo <= line < self.num_lines:
            raise ArgumentError(f"{what} {line} is out of range for board {self.board.name}: "
                                f"lines are {lo}..{self.num_lines - 1}{names}")
        return line

    def _line(self, line, kind, at):
        line = self._check_line(line)
        tick = self.ticks if at is None else check_int("at (a tick)", at, 0, U64_MAX - 1)
        if lib.core_schedule(self._core, tick, line, LINE_KINDS[kind]):
            raise ConfigError(f"cannot schedule more than {lib.CORE_SCHED_MAX} line events "
                              "ahead: run the machine past some of them first")

    def raise_irq(self, line, at=None):
        """Drives line high (level request) now or at tick `at`."""
        self._line(line, "raise", at)

    def lower_irq(self, line, at=None):
        self._line(line, "lower", at)

    def pulse_irq(self, line, at=None):
        """One edge request on line, now or at tick `at`."""
        self._line(line, "pulse", at)

    def schedule(self, ticks, lines, kinds):
        """Bulk scheduling: parallel sequences of ticks, lines and kinds ("pulse", ...)."""
        try:
            ticks, lines, kinds = list(ticks), list(lines), list(kinds)
        except TypeError:
            raise ArgumentError("schedule: ticks, lines and kinds must be sequences") from None
        n = len(ticks)
        if not (len(lines) == len(kinds) == n):
            raise ArgumentError("schedule: ticks, lines and kinds must have the same length")
        for t in ticks:
            check_int("schedule: a tick", t, 0, U64_MAX - 1)
        lines = [self._check_line(x, "schedule: line") for x in lines]
        codes = {**LINE_KINDS, **{v: v for v in LINE_KINDS.values()}}
        for x in kinds:
            if isinstance(x, bool) or not isinstance(x, (str, int)) or x not in codes:
                raise ArgumentError(f"schedule: kind {x!r} is not one of "
                                    f"{', '.join(LINE_KINDS)}")
        if lib.CORE_SCHED_MAX < n:
            raise ConfigError(f"schedule: {n} events; at most {lib.CORE_SCHED_MAX} wait at once")
        t = ffi.new("uint64_t[]", ticks or [0])
        ln = ffi.new("uint32_t[]", lines or [0])
        k = ffi.new("uint32_t[]", [codes[x] for x in kinds] or [0])
        if lib.core_schedule_many(self._core, t, ln, k, n):
            raise ConfigError(f"cannot schedule more than {lib.CORE_SCHED_MAX} line events "
                              "ahead: run the machine past some of them first")

    # ---- what the interrupt controller, whichever the board has, says of its lines --------

    def line_masked(self, line: int) -> bool:
        """A pending request on `line` is held off now (disabled, masked, below threshold), as
        the controller of the line decides it (core_line_masked)."""
        r = lib.core_line_masked(self._core, line)
        if r < 0:
            raise ConfigError(f"line {line} is no input of board {self.board.name}'s controller")
        return bool(r)

    def nesting(self) -> dict:
        """Maximum nesting depth, preemptions, tail-chains (Cortex-M), traps taken."""
        return self.adapter.nesting(self)

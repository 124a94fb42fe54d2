"""The Machine's storm API (sim/storm builds on it; the native side is storm/sources.c and
storm/acct.c): request sources in the core, and the accounting that follows every request to
exactly one outcome, read in bulk (per-line rows, latency histograms, thread and handler ticks)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from ..checks import U32_MAX, U64_MAX, check_int, check_number
from ..codes import HIST_BUCKETS, LATENCY_KINDS, LINE_KINDS, NO_TICK, SOURCE_KINDS
from ..errors import ArgumentError, ConfigError
from . import ffi, lib

_SOURCE_ERRORS = {
    lib.SOURCE_ERR_FULL: f"more than {lib.STORM_MAX_SOURCES} sources on one machine",
    lib.SOURCE_ERR_LINES: f"a source needs 1..{lib.STORM_MAX_TARGETS} lines, each a line of the "
                          "board",
    lib.SOURCE_ERR_WEIGHTS: "the weights are all zero",
    lib.SOURCE_ERR_RATE: "a poisson rate must be > 0 and a periodic period >= 1 tick",
    lib.SOURCE_ERR_REPLAY: f"a replay source holds at most {lib.STORM_MAX_REPLAY} ticks"}


@dataclass(frozen=True)
class LineAccount:
    """What a storm's accounting knows about one line (struct line_acct, sim/native/api.h):
    how its requests ended so far, its handler's entries and latencies, and the requests that
    hold its pending state or its running handler now."""
    line: int
    requests: int
    handled: int            # a handler ran from the table (or returned, without the table)
    unhandled: int          # the table slot was empty when the handler dispatched
    coalesced: int          # arrived while the same interrupt was already pending: merged
    cleared: int            # the firmware cleared the pending state
    lowered: int            # a level request withdrawn where the controller forgets it
    entries: int            # handler entries for the line's requests ...
    preempting: int         # ... of which over another handler
    tail_chained: int       # ... of which at another's return
    max_entry_latency: int  # ticks from a request to its handler's first instruction
    max_return_latency: int  # ticks from a request to its handler's return
    pending_since: int | None     # tick of the request holding the pending state, if any
    in_service_since: int | None  # tick of the request whose handler is running, if any
    dispatched: bool              # that handler has reached the table dispatch


class ThreadTicks(NamedTuple):
    """Ticks spent in thread mode and in handlers (traps) since reset."""
    thread: int
    handler: int


def latency_bucket_low(bucket: int) -> int:
    """The lowest latency (ticks) counted in histogram bucket `bucket` of
    Machine.latency_histogram: exact below 256 ticks, then 64 buckets per octave."""
    return lib.core_storm_bucket_low(bucket)


class Storms:
    """Mixed into sim.machine.Machine."""

    def start_accounting(self):
        """Sets up storm sources and outcome accounting on every line (sim/native/storm/):
        from now on each request made by a source added with add_source is followed to exactly
        one outcome. Call once, before add_source."""
        if self._accounting:
            raise ConfigError("storm accounting is already started; reset_accounting() clears "
                              "its counts")
        if lib.storm_init(self._core, self.num_lines):
            raise MemoryError("cannot allocate the storm accounting")
        self._accounting = True

    def _need_accounting(self, what):
        if not self._accounting:
            raise ConfigError(f"{what}: no storm accounting on this machine; call "
                              "start_accounting() first (sim.storm.prepare_machine does)")

    def add_source(self, kind: str, lines, *, weights=None, trigger: str = "pulse",
                   hold: int = 0, start: int = 0, stop: int = 0, period: int = 0,
                   phase: int = 0, jitter: int = 0, rate_hz: float = 0.0, count: int = 0,
                   spacing: int = 0, gap: int = 0, ticks=(), seed: int = 0):
        """Adds a request source to the core, which makes its requests as the run reaches
        them. `kind` is once (at `start`), periodic (start + phase + k * period, +-jitter),
        poisson (`rate_hz` requests per simulated second), burst (`count` requests `spacing`
        apart, the next burst `gap` after the last) or replay (at `ticks`, ascending); none
        at or after `stop` (0: never stops). Each request goes to one of `lines`, chosen by
        `weights` (relative, default equal) with the randomness seeded by `seed`. `trigger`
        "pulse" is an edge; "level" holds the line high for `hold` ticks, or with hold 0
        until the handler acknowledges it (ack_register)."""
        self._need_accounting("add_source")
        if kind not in SOURCE_KINDS or trigger not in ("pulse", "level"):
            raise ArgumentError(f"add_source: kind must be one of {', '.join(SOURCE_KINDS)} and "
                                f"trigger pulse or level (got {kind!r}, {trigger!r})")
        try:
            lines, ticks = list(lines), list(ticks)
            weights = None if weights is None else list(weights)
        except TypeError:
            raise ArgumentError("add_source: lines, weights and ticks must be sequences") from None
        if not 1 <= len(lines) <= lib.STORM_MAX_TARGETS:
            raise ArgumentError(f"add_source: {len(lines)} lines; a source has 1.."
                                f"{lib.STORM_MAX_TARGETS}")
        lines = [self._check_line(x, "add_source: line") for x in lines]
        for name, v in (("hold", hold), ("start", start), ("stop", stop), ("period", period),
                        ("phase", phase), ("jitter", jitter), ("spacing", spacing), ("gap", gap),
                        ("seed", seed)):
            check_int(f"add_source: {name}", v, 0, U64_MAX)
        check_int("add_source: count", count, 0, U32_MAX)
        check_number("add_source: rate_hz", rate_hz)
        for t in ticks:
            check_int("add_source: a replay tick", t, 0, U64_MAX)
        if weights is not None:
            if len(weights) != len(lines):
                raise ArgumentError("add_source: one weight per line")
            for w in weights:
                check_number("add_source: a weight", w)
        spec = ffi.new("struct storm_spec *")
        spec.kind = SOURCE_KINDS[kind]
        spec.trigger = LINE_KINDS["raise" if trigger == "level" else "pulse"]
        spec.start, spec.stop = start, stop
        spec.period, spec.phase, spec.jitter = period, phase, jitter
        spec.rate_per_tick = rate_hz / self.board.clock_hz
        spec.burst, spec.spacing, spec.gap = count, spacing, gap
        spec.hold = hold
        spec.seed = seed
        spec.nlines = len(lines)
        spec.nreplay = len(ticks)
        # integer weights: the weights scaled to 2^32 in total, rounded (deterministic)
        w = weights or [1] * len(lines)
        total = float(sum(w)) or 1.0
        r = lib.core_add_source(self._core, spec, ffi.new("uint32_t[]", list(lines)),
                                ffi.new("uint64_t[]", [max(0, round(x / total * (1 << 32)))
                                                       for x in w]),
                                ffi.new("uint64_t[]", list(ticks) or [0]))
        if r:
            raise ConfigError("add_source: " + _SOURCE_ERRORS.get(r, f"refused (code {r})"))

    def line_accounting(self) -> list[LineAccount]:
        """The storm accounting of every line, 0..num_lines-1, as it stands now."""
        self._need_accounting("line_accounting")
        n = self.num_lines
        acct = ffi.new("struct line_acct[]", n)
        lib.core_storm_lines(self._core, acct, n)

        def tick(t):
            return None if t == NO_TICK else t
        return [LineAccount(line, a.requests, a.handled, a.unhandled, a.coalesced, a.cleared,
                            a.lowered, a.entries, a.preempting, a.tailchained,
                            a.max_entry_latency, a.max_return_latency, tick(a.pend_req),
                            tick(a.svc_req), bool(a.svc_dispatched))
                for line, a in enumerate(acct)]

    def latency_histogram(self, line: int, which: str = "entry") -> list[int]:
        """Counts of the latencies of `line`'s requests by bucket (see latency_bucket_low):
        `which` is "entry" (to the handler's first instruction) or "return" (to its return)."""
        self._need_accounting("latency_histogram")
        out = ffi.new("uint64_t[]", HIST_BUCKETS)
        if lib.core_storm_hist(self._core, line, LATENCY_KINDS[which], out):
            raise ConfigError(f"latency_histogram: line {line} is out of range for board "
                              f"{self.board.name} (0..{self.num_lines - 1})")
        return list(out)

    def reset_accounting(self):
        """Clears the storm accounting's counts and histograms (the sources go on)."""
        lib.core_storm_reset(self._core)

    def thread_ticks(self) -> ThreadTicks:
        """Ticks in thread mode and in handlers since reset (a handler still running counts
        up to now)."""
        th, hd = ffi.new("uint64_t *"), ffi.new("uint64_t *")
        lib.core_thread_ticks(self._core, th, hd)
        return ThreadTicks(th[0], hd[0])

    def ack_register(self) -> int:
        """The address of irqsim's acknowledge register, a device of the board file
        (`[[devices]]` kind "ack"): a handler stores its line there to lower a level request
        held until acknowledged (a storm source's hold = "ack")."""
        for d in self.board.devices:
            if d.get("kind") == "ack":
                return d["base"]
        raise ConfigError(f"board {self.board.name} has no acknowledge register, which a "
                          "source with hold = \"ack\" needs: add a [[devices]] entry with "
                          "kind = \"ack\" and a free base address")

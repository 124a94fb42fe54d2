"""What tests read naturally on a Machine: run until the console says something or PC reaches
a function, inject a request and check it was handled in time, a line's latencies, "nothing
lost" over a storm, and the failure context (stop, last events with symbols, console tail).

Machine inherits TestKit (sim/machine.py); the pytest plugin (sim/pytest_plugin.py) puts
failure_report() into the report of a failing test. Every failed expectation raises
ExpectationFailed, an AssertionError, whose message carries that context. Handled and lost are
the storm accounting's outcomes (sim/native/storm/acct.c; docs/storms.md): expect_handled and
latencies start the accounting on a machine that has none.
"""

from __future__ import annotations

from typing import NamedTuple

from .checks import U64_MAX, check_int, is_int
from .codes import LINE_KIND_NAMES
from .errors import ArgumentError, ConfigError, ExpectationFailed

RUN_TICKS_DEFAULT = 10_000_000   # run_until_console / run_until without `ticks`
CONSOLE_STEP = 20_000            # ticks between looks at the console (run_until_console)
EVENTS_SHOWN = 20                # events in failure_report
CONSOLE_LINES_SHOWN = 12         # console lines in failure_report


class Handled(NamedTuple):
    """One request that expect_handled made and saw handled."""
    line: int
    request_tick: int      # when the request was made
    handled_tick: int      # the tick the run stopped at, just after its table dispatch
    latency: int | None    # ticks from the request to the handler's first instruction


class Latencies(NamedTuple):
    """A line's request latencies so far (Machine.latencies), in ticks: p50/p90/p99 are the
    lowest latency of their histogram bucket (exact below 256 ticks, then 64 buckets per
    octave: within 1.6 %); `max` is exact. None each when no request has been served."""
    line: int
    which: str             # "entry" (to the handler's first instruction) or "return"
    count: int
    p50: int | None
    p90: int | None
    p99: int | None
    max: int | None


class TestKit:
    """Mixed into Machine; uses only its public API (and its own Python-side records)."""

    __test__ = False       # not a pytest test class, whatever its name

    # ---- running to something -------------------------------------------------------

    def run_until_console(self, text: str, ticks: int = RUN_TICKS_DEFAULT) -> str:
        """Runs until `text` appears in the console output after the previous match (as
        pytest-embedded's `expect`: each call searches from where the last one matched) and
        returns the whole console so far. Looks every CONSOLE_STEP ticks, so the run stops at
        most that many ticks after the text; the trace and timing do not depend on it.
        ExpectationFailed if the run ends first or `ticks` pass."""
        if not isinstance(text, str) or not text:
            raise ArgumentError(f"run_until_console: text must be a non-empty string "
                                f"(got {text!r})")
        check_int("run_until_console: ticks", ticks, 1, U64_MAX - self.ticks)
        cursor = getattr(self, "_console_cursor", 0)
        end = self.ticks + ticks
        stop = None
        while True:
            out = self.console
            at = out.find(text, cursor)
            if at >= 0:
                self._console_cursor = at + len(text)
                return out
            if stop is not None and stop.reason != "ticks" or self.ticks >= end:
                break
            stop = self.run(ticks=min(CONSOLE_STEP, end - self.ticks))
        why = (f"the run ended first: {stop.detail}" if stop is not None and
               stop.reason != "ticks" else f"{ticks:,} ticks passed")
        self._fail(f"run_until_console: {text!r} did not appear on the console: {why}")

    def run_until(self, target, ticks: int = RUN_TICKS_DEFAULT):
        """Runs until PC reaches `target` (a function name or an address) and returns the
        Stop; ExpectationFailed if the run ends another way first."""
        if not (is_int(target) or isinstance(target, str)):
            raise ArgumentError(f"run_until: target must be a symbol name or an address "
                                f"(got {target!r})")
        stop = self.run(ticks=ticks, until=target)
        if stop.reason != "until":
            name = target if isinstance(target, str) else self.where(target, "address")
            self._fail(f"run_until: never reached {name}: {stop.detail}")
        return stop

    # ---- requests and their outcomes ---------------------------------------------------

    def expect_handled(self, line, within: int = 100_000) -> Handled:
        """Pulses `line` now and runs until its handler has dispatched from the handler table
        (or, for firmware without the table, returned); the run stops there, at the first
        instruction of the handler the table called (run on to see what it did). The request must be handled within
        `within` ticks, else ExpectationFailed says how it ended (unhandled: an empty table
        slot; pending or masked; in its handler; coalesced). Returns the Handled request with
        its entry latency (None when other requests of the line were served in the window, so
        that the histogram cannot tell them apart)."""
        line = self._account_line(line, "expect_handled")
        check_int("expect_handled: within", within, 1, U64_MAX - self.ticks)
        before = self.line_accounting()[line]
        hist = self.latency_histogram(line)
        t0 = self.ticks
        self.pulse_irq(line)
        end = t0 + within
        a = before
        while self.ticks < end:
            stop = self.run(ticks=end - self.ticks, stop_on=("dispatch", "return"))
            a = self.line_accounting()[line]
            if a.handled > before.handled or a.unhandled > before.unhandled:
                break
            if stop.reason != "event":
                break
        if a.handled <= before.handled:
            from .storm.report import line_outcomes
            row = line_outcomes(self, a)
            why = ", ".join(f"{k} {row[k] - getattr(before, k, 0)}" for k in
                            ("unhandled", "coalesced") if row[k] > getattr(before, k, 0))
            why = why or ", ".join(k for k in ("pending", "masked") if row[k]) or \
                ", ".join(k for k, v in row["dropped_by"].items() if v) or "no outcome yet"
            self._fail(f"expect_handled: the request on {self.adapter.line_name(line)} at tick "
                       f"{t0:,} was not handled within {within:,} ticks (now tick "
                       f"{self.ticks:,}): {why}")
        new = [n - o for n, o in zip(self.latency_histogram(line), hist)]
        latency = None
        if sum(new) == 1:
            latency = (a.max_entry_latency if a.max_entry_latency > before.max_entry_latency
                       else _bucket_low(next(b for b, n in enumerate(new) if n)))
        return Handled(line, t0, self.ticks, latency)

    def latencies(self, line, which: str = "entry") -> Latencies:
        """The latencies of `line`'s requests served so far (storm accounting: every request,
        from sources and from raise_irq/pulse_irq, since the accounting started)."""
        if not self._accounting:
            raise ConfigError("latencies: no storm accounting on this machine; call "
                              "start_accounting() before the requests (expect_handled starts "
                              "it)")
        line = self._account_line(line, "latencies")
        if which not in ("entry", "return"):
            raise ArgumentError(f"latencies: which must be 'entry' or 'return' (got {which!r})")
        from .storm.report import percentiles
        h = self.latency_histogram(line, which)
        a = self.line_accounting()[line]
        n = sum(h)
        mx = a.max_entry_latency if which == "entry" else a.max_return_latency
        p = percentiles(h, n)
        return Latencies(line, which, n, p["p50"], p["p90"], p["p99"], mx if n else None)

    def assert_no_lost_requests(self, lines=None) -> dict:
        """Every request so far (on `lines`, default all) was handled: none unhandled,
        coalesced, dropped, still pending or masked. Returns {line: requests} of the lines
        checked; ExpectationFailed names each line that lost some, with its counts."""
        if not self._accounting:
            raise ConfigError("assert_no_lost_requests: no storm accounting on this machine; "
                              "call start_accounting() before the requests")
        from .storm.report import OUTCOMES, line_outcomes
        want = None if lines is None else {self._account_line(x, "assert_no_lost_requests")
                                           for x in lines}
        bad, seen = [], {}
        for a in self.line_accounting():
            if not a.requests or (want is not None and a.line not in want):
                continue
            seen[a.line] = a.requests
            row = line_outcomes(self, a)
            if row["handled"] != a.requests:
                lost = ", ".join(f"{row[k]} {k}" for k in OUTCOMES[1:] if row[k])
                by = ", ".join(f"{k} {v}" for k, v in row["dropped_by"].items() if v)
                bad.append(f"{self.adapter.line_name(a.line)}: {a.requests} requests, "
                           f"{row['handled']} handled, {lost}" + (f" ({by})" if by else ""))
        if bad:
            self._fail("assert_no_lost_requests: requests lost at tick "
                       f"{self.ticks:,}: " + "; ".join(bad))
        return seen

    def _account_line(self, line, what) -> int:
        if not self._accounting:
            self.start_accounting()
        n = self._check_line(line, f"{what}: line")
        if not 0 <= n < self.num_lines:
            raise ArgumentError(f"{what}: line {line!r} has no storm accounting (lines "
                                f"{self.adapter.first_line}..{self.num_lines - 1})")
        return n

    # ---- what a failure report shows ---------------------------------------------------

    def describe_event(self, e) -> str:
        """One trace event for a person: names for exceptions and lines, functions for code
        addresses (Machine.function_at)."""
        a, k = self.adapter, e.kind
        fn = self.function_at
        if k in ("entry", "preempt", "tail-chain", "return"):
            text = f"{k} {a.exception_name(e.num)}"
            if k == "entry":
                text += f" from {fn(e.arg) or hex(e.arg)}"
            elif k == "preempt":
                text += f" over {a.exception_name(e.arg)}"
            elif k == "return":
                text += f" to {a.exception_name(e.arg) if e.arg else 'thread'}"
        elif k in ("request", "lower"):
            text = f"{k} {a.line_name(e.num)} ({LINE_KIND_NAMES.get(e.arg, e.arg)})"
        elif k in ("pend", "coalesce", "unpend"):
            text = f"{k} {a.coalesced(e.num)[0]}"
        elif k in ("dispatch", "table"):
            what = ("handler" if e.arg else "empty slot") if k == "dispatch" else \
                ("register" if e.arg else "unregister")
            text = f"{k} [{e.num}] {what}"
        elif k == "fault":
            text = f"fault {a.fault_name(e.num)} at {e.arg:#010x}"
        elif k in ("claim", "complete"):
            text = f"{k} {a.line_name(e.num) if e.num else 'nothing'} (context {e.arg})"
        elif k == "exec-priority":
            text = f"exec-priority {e.arg - a.exec_priority_bias}"
        elif k == "guest-error":
            text = f"guest-error {self.where(e.arg, 'address')}"
        else:
            text = f"{k} {e.num} ({e.arg:#x})"
        return f"@{e.tick:,} {text}"

    def recent_events(self, n: int = EVENTS_SHOWN) -> list[str]:
        """The last `n` trace events (at most 20 are kept), described (describe_event)."""
        return [self.describe_event(e) for e in list(self._recent)[-n:]]

    def failure_report(self) -> str:
        """What a failing test shows about this machine: the last stop, where PC is, the last
        events and the console tail. Works after close() too (from what was drained)."""
        if not self.closed:
            self._drain()
        stop = self.last_stop
        lines = [f"{self.image.name} on {self.board.name}"]
        if stop is not None:
            lines.append(f"stop: {stop.reason}: {stop.detail}")
        else:
            lines.append("stop: no run has returned yet")
        if not self.closed:
            lines.append(f"now: tick {self.ticks:,}, {self.where(self.pc)}")
        ev = self.recent_events()
        lines.append(f"last {len(ev)} events:" if ev else
                     "last events: none" + ("" if self._trace_on else " (the trace is off)"))
        lines += [f"  {x}" for x in ev]
        tail = self._console.decode("latin-1").splitlines()[-CONSOLE_LINES_SHOWN:]
        lines.append(f"console (last {len(tail)} lines):" if tail else "console: empty")
        lines += [f"  | {x}" for x in tail]
        return "\n".join(lines)

    def _fail(self, message):
        raise ExpectationFailed(f"{message}\n{self.failure_report()}")


def _bucket_low(b: int) -> int:
    from .machine import latency_bucket_low
    return latency_bucket_low(b)

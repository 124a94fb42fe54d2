"""The narrated window of a page: the run that made the trace, made again, stopping where
`irqsim explain` stops (sim/explain/run.py), to narrate each request of a window with explain's
own narrators and to read the registers and the stack there.

The trace does not hold registers, but a run is bit-for-bit deterministic: the same image,
board, scenario and seed give the same records. So the machine is prepared as the storm
prepared it (sim/storm/run.py: the scenario's image, [demo] settings and sources, the stack
painted) and run from reset; every record it makes is compared with the file's, and the first
that differs is an error saying to give the storm's options. The window starts at the first
request at or after `at` where nothing is in progress (so the narrators, which read the trace
from the window's start, see every trap open), and follows `requests` requests (each with its
pend, arbitration, entry, dispatch, return and latency steps). The moments that carry
registers and the 8 words at SP: each moment explain stops at (a request's pend boundary, the
boundary where its handler is taken, right after its entry, its dispatch and its return) and
right after every other exception entry, tail-chain and return in the window. Their count is
bounded by the window; nothing outside it is kept.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError
from ..explain import armv7m as n_armv7m
from ..explain import rv32 as n_rv32
from ..explain.common import read_table_call, table_calls
from ..explain.mcores import FPCCR_LSPACT, frame_names
from ..explain.run import CHUNK, Followed, Moment, reach_tick, walk
from ..storm.run import prepare_machine
from ..storm.stack import initial_sp, paint_stack
from .tracefile import KIND_CODES

DEFAULT_REQUESTS = 64            # requests narrated in one page
MAX_REQUESTS = 2000
STACK_WORDS = 8
RV32_CSRS = ("mstatus", "mie", "mip", "mtvec", "mcause", "mepc", "mtval")
TRAP_KINDS = ("entry", "preempt", "tail-chain", "return")
MISMATCH = ("give the options the storm ran with (ELF, --board, --scenario, --seed, --rate, "
            "--ticks), or --no-run for the timeline alone")


class _Checked:
    """The walk's trace sink: compares every record with the file's (and keeps none)."""

    def __init__(self, trace):
        self.expected = trace.raw()
        self.trace = trace
        self.n = 0
        self.bad = None

    def __call__(self, raw: bytes):
        k = len(raw) // 16
        want = self.expected[self.n * 16:(self.n + k) * 16]
        if self.bad is None and raw[:len(want)] != want:
            got = np.frombuffer(raw[:len(want)], np.uint8).reshape(-1, 16)
            exp = np.frombuffer(want, np.uint8).reshape(-1, 16)
            self.bad = self.n + int(np.flatnonzero((got != exp).any(axis=1))[0])
            self.got = raw[(self.bad - self.n) * 16:(self.bad - self.n + 1) * 16]
        self.n += k

    def check(self):
        if self.bad is not None:
            from ..trace import decode
            got = decode(self.got)[0]
            raise ConfigError(f"{self.trace.path}: record {self.bad + 1} "
                              f"({self.trace.event(self.bad)}) differs from the run made again "
                              f"({got}): the trace was not made by this run; {MISMATCH}")


def window_start(trace, at: int) -> int | None:
    """The index of the first request at or after tick `at` with no trap in progress."""
    r = trace.records
    step = np.zeros(len(r), np.int64)
    step[np.isin(r["kind"], [KIND_CODES["entry"], KIND_CODES["preempt"]])] = 1
    step[r["kind"] == KIND_CODES["return"]] = -1
    before = np.cumsum(step) - step
    ok = np.flatnonzero((r["kind"] == KIND_CODES["request"]) & (r["tick"] >= at) & (before <= 0))
    return int(ok[0]) if len(ok) else None


class Capture:
    """steps: [(record index, Step)] in order; states: [{"index", "tick", "where", "regs",
    "stack"}] in order; lo, hi: the window's records [lo, hi)."""

    def __init__(self, trace, sc, board, *, at: int = 0, requests: int = DEFAULT_REQUESTS):
        self.board = board
        narrator = {"armv7m": n_armv7m.Narrator, "rv32": n_rv32.Narrator}[board.arch](board)
        lo = window_start(trace, at)
        self.steps, self.states = [], []
        if lo is None:
            self.lo = self.hi = len(trace)
            return
        followed, events = self._follow(trace, narrator, lo, requests)
        self.lo, self.hi = lo, lo + len(events)
        moments = [mo for k, f in enumerate(followed) for mo in narrator.moments(k, f, events)]
        moments += [Moment(i, ("table", i), record=i) for i in table_calls(followed, events)]
        taken = {mo.record for mo in moments if mo.record is not None}
        span_end = max(f.end or f.request for f in followed)
        moments += [Moment(i, ("trap", i), record=i) for i in range(span_end + 1)
                    if events[i].kind in TRAP_KINDS and i not in taken]
        moments.sort(key=lambda mo: mo.index)

        m = prepare_machine(sc, trace=True)
        try:
            self._walk(m, trace, narrator, followed, events, moments, lo)
        finally:
            m.close()

    def _walk(self, m, trace, narrator, followed, events, moments, lo):
        paint_stack(m, initial_sp(m))              # as run_storm does before its run
        sink = _Checked(trace)
        m.set_trace_sink(sink)
        regs_at: list = []

        def snapshot(mo, mm):
            regs_at.append((mo, self._registers(mm, _frame(mo, mm, events, narrator))))
            if mo.name[0] == "table":
                return read_table_call(mm)
            if mo.name[0] == "trap":
                return {}
            return narrator.snapshot(mo.name[1], mm)

        def reach(mm, mo, evs, snap):
            _reach(mm, sink, lo, mo, evs, snap)
        walk(moments, m, events, snapshot, reach)
        sink.check()
        states = {mo.name: mo.state for mo in moments}
        placed = narrator.placed_steps(followed, events, states, m)
        self.steps = [(lo + min(int(pos), len(events) - 1), s) for pos, s in placed]
        seen = set()
        for mo, regs in regs_at:
            if mo.record is not None:
                rec, where = mo.record, f"right after the {events[mo.record].kind} record"
            else:
                rec = int(mo.index)
                where = (f"at the block boundary of tick {mo.tick:,}, "
                         + ("after the pend" if mo.name[1] == "pend"
                            else "before the exception is taken"))
            if (rec, where) not in seen:         # two requests' moments at one record: once
                seen.add((rec, where))
                self.states.append({"index": lo + max(0, rec), "tick": regs.pop("tick"),
                                    "where": where, **regs})

    @staticmethod
    def _follow(trace, narrator, lo, requests):
        """The first `requests` requests from record lo, followed to their end: the window of
        records that holds them (grown until each is served or the trace ends)."""
        n = len(trace)
        r = trace.records
        req = np.flatnonzero(r["kind"][lo:] == KIND_CODES["request"])[:requests] + lo
        extra = 256
        while True:
            hi = min(n, int(req[-1]) + extra)
            events = trace.events(lo, hi)
            followed = [Followed(events[i - lo].num, int(i - lo)) for i in req]
            for f in followed:
                narrator.follow(f, events)
            if all(f.done for f in followed) or hi == n:
                return followed, events
            extra *= 4

    def _registers(self, m, frame=None) -> dict:
        """Registers and the words at SP; `frame`: the names of the exception frame's words
        there (right after a Cortex-M entry), kept in the state when it is not the basic
        8-word one (the page names the words from them)."""
        # a register wider than 32 bits (the Cortex-M7's d0-d15) as a hex string: JSON numbers
        # lose bits above 2**53 in the page's JavaScript
        regs = {n: v if v >> 32 == 0 else f"{v:#018x}" for n, v in m.regs.items()}
        if self.board.arch == "rv32":
            regs.update({c: m.csr(c) for c in RV32_CSRS})
        sp = regs["sp"]
        words = []
        extra = {}
        if frame is not None and len(frame) != STACK_WORDS:
            extra = {"frame_names": list(frame),
                     "fp_lazy": bool(m.nvic.fp()["fpccr"] & FPCCR_LSPACT)}
        for i in range(len(frame) if frame else STACK_WORDS):
            try:
                words.append(int.from_bytes(m.mem_read(sp + 4 * i, 4), "little"))
            except Exception:                  # past the end of RAM: no word there
                break
        return {"tick": m.ticks, "regs": regs, "stack": words, "sp": sp,
                "function": m.symbols.at(regs["pc"]), **extra}


def _frame(mo, m, events, narrator):
    """The names of the exception frame's words at SP when moment `mo` is right after a
    Cortex-M entry (basic or extended: sim/explain/mcores.py), else None."""
    if mo.record is None or not hasattr(narrator, "fp_core") or \
            events[mo.record].kind not in n_armv7m.ENTRY_KINDS:
        return None
    return frame_names(m.reg("lr"), narrator.fp_core)


def _reach(m, sink, lo, mo, events, snapshot):
    """Runs m to moment `mo` (record indices relative to the window's start lo)."""
    if mo.record is None:
        return reach_tick(m, mo, snapshot, sink.check)
    want = events[mo.record]
    target = lo + mo.record
    if sink.n > target:             # passed already (a boundary moment stopped beyond it)
        mo.state = None
        return
    while sink.n <= target:
        stop = m.run(ticks=max(0, want.tick - m.ticks) + CHUNK, stop_on=(want.kind,))
        sink.check()
        if stop.reason not in ("event", "ticks"):
            break
    if sink.n <= target:
        raise ConfigError(f"{sink.trace.path}: the run made again did not stop right after "
                          f"record {target + 1} ({want}); {MISMATCH}")
    mo.state = snapshot(mo, m)


__all__ = ["Capture", "DEFAULT_REQUESTS", "MAX_REQUESTS", "window_start"]

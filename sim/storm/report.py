"""A storm's report: per line and in total, how every request ended, its latencies, the nesting,
the thread's progress and the stack's peak; as a table (format) or a dict (to_dict, --json)."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from ..codes import HIST_BUCKETS
from ..demo import thread_progress
from ..errors import SimError
from ..machine import latency_bucket_low
from .stack import stack_high_water

OUTCOMES = ("handled", "unhandled", "coalesced", "pending", "masked", "dropped")


def percentiles(hist, total):
    """p50, p90 and p99 of a latency histogram of `total` counts (Machine.latency_histogram),
    each the lowest latency of its bucket; None each for an empty one."""
    if not total:
        return {"p50": None, "p90": None, "p99": None}
    out = {}
    for name, q in (("p50", 0.50), ("p90", 0.90), ("p99", 0.99)):
        rank = max(1, math.ceil(q * total))
        acc = 0
        for b, n in enumerate(hist):
            acc += n
            if acc >= rank:
                out[name] = latency_bucket_low(b)
                break
    return out


def line_outcomes(m, a) -> dict:
    """How the requests of one line (`a`, a Machine.line_accounting row) ended so far, as the
    report's columns: requests, each of OUTCOMES, and dropped_by (cleared, lowered,
    in-handler). A request still pending is masked or pending as the controller decides now."""
    pending = masked = 0
    if a.pending_since is not None:
        if m.line_masked(a.line):
            masked = 1
        else:
            pending = 1
    in_handler = 1 if (a.in_service_since is not None and not a.dispatched) else 0
    dropped = {"cleared": a.cleared, "lowered": a.lowered, "in-handler": in_handler}
    return {"requests": a.requests, "handled": a.handled, "unhandled": a.unhandled,
            "coalesced": a.coalesced, "pending": pending, "masked": masked,
            "dropped": sum(dropped.values()), "dropped_by": dropped}


def build_report(m, sc, stop, paint, sp0, baseline):
    """The report of machine `m` after running `sc`. `paint`: the painted stack range (or None),
    `baseline`: what measure_baseline measured without requests (or None)."""
    board = m.board
    lines, hist_total = {}, [[0] * HIST_BUCKETS, [0] * HIST_BUCKETS]
    totals = {k: 0 for k in ("requests", *OUTCOMES, "preempting", "tail_chained", "entries")}
    drop_totals = {"cleared": 0, "lowered": 0, "in-handler": 0}
    max_lat = [0, 0]
    for a in m.line_accounting():
        line = a.line
        if not a.requests:
            continue       # lines only the firmware pended (self-tests, timers) make no requests
        row = line_outcomes(m, a)
        dropped = row["dropped_by"]
        row.update(entries=a.entries, preempting=a.preempting, tail_chained=a.tail_chained)
        for which, (kind, key) in enumerate((("entry", "latency_entry"),
                                             ("return", "latency_return"))):
            h = m.latency_histogram(line, kind)
            count = sum(h)
            for b, v in enumerate(h):
                if v:
                    hist_total[which][b] += v
            mx = a.max_entry_latency if which == 0 else a.max_return_latency
            max_lat[which] = max(max_lat[which], mx)
            row[key] = {**percentiles(h, count), "max": mx if count else None, "count": count}
        accounted = sum(row[k] for k in OUTCOMES)
        if accounted != a.requests:
            raise SimError(f"outcome accounting does not add up on line {line}: {a.requests} "
                           f"requests but {accounted} outcomes ({row}); this is a bug in irqsim, "
                           "please report it with the scenario")
        lines[line] = row
        for k in totals:
            totals[k] += row[k] if k in row else 0
        for k, v in dropped.items():
            drop_totals[k] += v
    totals["dropped_by"] = drop_totals
    for which, key in ((0, "latency_entry"), (1, "latency_return")):
        count = sum(hist_total[which])
        totals[key] = {**percentiles(hist_total[which], count),
                       "max": max_lat[which] if count else None, "count": count}
    assert sum(totals[k] for k in OUTCOMES) == totals["requests"]
    th, hd = m.thread_ticks()
    seconds = m.ticks / board.clock_hz
    progress = {"thread_ticks": th, "handler_ticks": hd,
                "thread_share": th / m.ticks if m.ticks else 1.0,
                "thread_ips": th / seconds if seconds else 0.0}
    base_loops = baseline["loops"] if baseline else None
    loops = thread_progress(m)
    if base_loops is not None and loops is not None:
        progress["loops"] = loops
        progress["loops_baseline"] = base_loops
        progress["relative"] = loops / base_loops if base_loops else None
    else:
        progress["relative"] = progress["thread_share"]
    peak = stack_high_water(m, paint, sp0)
    stack = {"peak_bytes": peak, "initial_sp": sp0}
    if baseline and baseline["stack_peak"] is not None and peak is not None:
        # the thread's own peak, measured without interrupts; what handlers add on top of it
        stack["thread_alone_bytes"] = baseline["stack_peak"]
        stack["handlers_add_bytes"] = max(0, peak - baseline["stack_peak"])
    nest = m.nesting()
    return Report(
        board=board.name, image=str(m.image), seed=sc.seed, ticks=m.ticks,
        clock_hz=board.clock_hz, stop=stop.reason,
        offered_rate_hz=sc.offered_rate_hz(board.clock_hz),
        lines=lines, totals=totals, progress=progress, nesting=nest,
        stack=stack, stop_detail=None if stop.reason == "ticks" else stop.detail,
        mistakes=[x.to_dict() for x in m.mistakes()],
    )


@dataclass
class Report:
    board: str
    image: str
    seed: int
    ticks: int
    clock_hz: int
    stop: str
    offered_rate_hz: float
    lines: dict
    totals: dict
    progress: dict
    nesting: dict
    stack: dict
    stop_detail: str | None = None   # why the run ended before its ticks (stuck, exit, idle)
    mistakes: list = dataclasses.field(default_factory=list)  # sim.mistakes.Mistake as dicts

    @property
    def exit_status(self) -> int:
        """`irqsim storm`'s exit status: 1 when the firmware ended stuck or idle, else 0."""
        return 1 if self.stop in ("stuck", "idle") else 0

    def to_dict(self):
        d = dataclasses.asdict(self)
        d["lines"] = {str(k): v for k, v in self.lines.items()}
        if self.stop_detail is None:
            del d["stop_detail"]       # a run that went its length: nothing to say
        if not self.mistakes:
            del d["mistakes"]          # no detector fired: nothing to say
        return d

    def format(self) -> str:
        t = self.totals
        secs = self.ticks / self.clock_hz
        out = [f"irqsim storm on {self.board}: {self.ticks:,} ticks ({secs * 1e3:.1f} ms simulated), "
               f"seed {self.seed}, {t['requests']:,} requests "
               f"({self.offered_rate_hz:,.0f}/s offered)", ""]
        hdr = (f"{'line':>5} {'requests':>9} {'handled':>8} {'unhandl':>8} {'coalesc':>8} "
               f"{'pending':>8} {'masked':>7} {'dropped':>8} {'lat p50':>8} {'p90':>6} {'p99':>6} "
               f"{'max':>7} {'ret p99':>8} {'preempt':>8} {'tailch':>7}")
        out.append(hdr)
        out.append("-" * len(hdr))

        def row(name, r):
            le, lr = r["latency_entry"], r["latency_return"]
            f = lambda v: "-" if v is None else f"{v:,}"  # noqa: E731
            return (f"{name:>5} {r['requests']:>9,} {r['handled']:>8,} {r['unhandled']:>8,} "
                    f"{r['coalesced']:>8,} {r['pending']:>8,} {r['masked']:>7,} {r['dropped']:>8,} "
                    f"{f(le['p50']):>8} {f(le['p90']):>6} {f(le['p99']):>6} {f(le['max']):>7} "
                    f"{f(lr['p99']):>8} {r['preempting']:>8,} {r['tail_chained']:>7,}")
        for line, r in sorted(self.lines.items()):
            out.append(row(str(line), r))
        out.append("-" * len(hdr))
        out.append(row("all", t))
        out.append("")
        out.append("latency in ticks from request to the handler's first instruction (lat) and "
                   "to its return (ret)")
        p = self.progress
        rel = p.get("relative")
        out.append(f"thread progress: {p['thread_share'] * 100:.1f}% of ticks in thread mode"
                   + (f"; main loop at {rel * 100:.1f}% of its no-interrupt pace"
                      if rel is not None and "loops" in p else ""))
        if self.nesting:
            n = self.nesting
            out.append(f"nesting: max depth {n.get('max_depth', '-')}, "
                       f"{n.get('preemptions', 0):,} preemptions, "
                       f"{n.get('tail_chains', 0):,} tail-chains")
            if "fp_extended_frames" in n:       # a core with an FPU (docs/semantics.md)
                out.append(f"FP context: {n['fp_extended_frames']:,} extended frames, "
                           f"{n['fp_lazy_saves']:,} lazy preservations, "
                           f"{n['fp_eager_saves']:,} eager saves; {n['fp_ticks']:,} ticks")
        st = self.stack
        if st.get("peak_bytes") is not None:
            extra = (f" (the thread alone: {st['thread_alone_bytes']}; handlers add "
                     f"{st['handlers_add_bytes']})" if "handlers_add_bytes" in st else "")
            out.append(f"stack: peak {st['peak_bytes']} bytes below the initial SP{extra}")
        if t["dropped"]:
            why = ", ".join(f"{k} {v}" for k, v in t["dropped_by"].items() if v)
            out.append(f"dropped: {why}")
        if self.stop_detail:
            out.append(f"stopped early: {self.stop_detail}")
        if self.mistakes:
            out.append(f"mistakes ({len(self.mistakes)}; docs/mistakes.md):")
            out.extend(f"  {x['text']}" for x in self.mistakes)
        return "\n".join(out)

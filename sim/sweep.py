"""Livelock sweep: the same scenario over a range of offered rates, one process per point.

At each point the scenario's Poisson sources are scaled to the offered rate (their relative
weights kept; other sources unchanged), the storm runs, and the point records the handled rate,
the coalesced and dropped share, the p99 latency and the thread's progress against its pace
without interrupts. On the demo firmware the points show the receive-livelock knee (Mogul and
Ramakrishnan, "Eliminating Receive Livelock in an Interrupt-Driven Kernel", 1997): past the
rate at which handlers consume the core, thread progress falls to zero while the handled rate
flattens.
"""

from __future__ import annotations

import copy
import math
import os
from concurrent.futures import ProcessPoolExecutor

from .errors import ConfigError
from .storm import DEMO_IMAGE, Scenario, default_scenario, run_storm


def default_sweep_scenario(board: str = "mps2-an385") -> Scenario:
    """The demo under Poisson requests on its registered lines, handlers doing real work."""
    from .boards import get_board

    base = get_board(board).adapter.first_line
    sc = default_scenario(board)
    sc.sources = [s for s in sc.sources if s.kind == "poisson"][:1]
    sc.sources[0].lines = [base + n for n in (0, 1, 2, 4)]
    sc.sources[0].weights = None
    sc.demo = {"handler_work": {base + n: 100 for n in (0, 1, 2, 4)}}
    sc.ticks = 2_000_000
    sc.origin = "default sweep"
    return sc


def log_rates(lo: float, hi: float, points: int) -> list[float]:
    if not (0 < lo < hi) or points < 2:
        raise ConfigError("sweep rates: need 0 < from < to and at least 2 points")
    r = math.log(hi / lo)
    return [lo * math.exp(r * i / (points - 1)) for i in range(points)]


def scaled(sc: Scenario, rate: float) -> Scenario:
    """A copy of `sc` whose Poisson sources offer `rate` requests/s in total, in proportion."""
    pois = [s for s in sc.sources if s.kind == "poisson"]
    if not pois:
        raise ConfigError(f"{sc.origin}: the rate applies to Poisson sources, and this scenario "
                          "has none")
    out = copy.deepcopy(sc)
    total = sum(s.rate_hz for s in pois)
    for s in out.sources:
        if s.kind == "poisson":
            s.rate_hz = s.rate_hz * rate / total
    return out


def run_point(args) -> dict:
    sc, rate = args
    point = scaled(sc, rate)
    point.export = {}
    rep = run_storm(point)
    t = rep.totals
    secs = rep.ticks / rep.clock_hz
    req = t["requests"] or 1
    return {
        "rate_hz": rate,
        "requests": t["requests"], "handled": t["handled"], "unhandled": t["unhandled"],
        "coalesced": t["coalesced"], "dropped": t["dropped"], "pending": t["pending"],
        "masked": t["masked"],
        "handled_rate_hz": t["handled"] / secs if secs else 0.0,
        "coalesced_dropped_share": (t["coalesced"] + t["dropped"]) / req,
        "p99_latency_ticks": t["latency_entry"]["p99"],
        "thread_progress": rep.progress.get("relative") or 0.0,
    }


def run_sweep(sc: Scenario, rates, *, jobs: int | None = None, progress=None) -> list[dict]:
    """Runs every point, in parallel over `jobs` processes (default: every core)."""
    from .boards import get_board
    from .demo import demo_image

    if sc.image == DEMO_IMAGE:
        demo_image(get_board(sc.board))    # build once, before the workers start
    jobs = jobs or os.cpu_count() or 1
    work = [(sc, r) for r in rates]
    points = []
    if jobs == 1:
        for i, w in enumerate(work):
            points.append(run_point(w))
            if progress:
                progress(i + 1, len(work))
        return points
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for i, p in enumerate(pool.map(run_point, work)):
            points.append(p)
            if progress:
                progress(i + 1, len(work))
    return points

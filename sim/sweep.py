"""Livelock sweep: the same scenario over a range of offered rates (a one-key sim.study).

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

from .errors import ConfigError
from .storm import Scenario, default_scenario


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


def run_sweep(sc: Scenario, rates, *, jobs: int | None = None, progress=None) -> list[dict]:
    """Runs every rate once (the scenario's seed), over `jobs` local processes (joblib; default
    every core): a one-key study (sim.study) with one seed. `progress(done, total)` per run."""
    from .study.study import Study

    return Study(sc, {"rate": list(rates)}, 1).run(jobs=jobs, progress=progress)

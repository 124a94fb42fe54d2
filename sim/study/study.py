"""A study: a scenario over a grid of key values, each point replicated over seeds, run on an
engine (sim.study.engine), folded into running statistics per point (sim.study.stats).

Rows stream: each run's row goes to the sinks (the per-run CSV / JSON writers) as it arrives and
is then dropped; a point keeps only its running sums. Memory stays flat in the number of runs.
"""

from __future__ import annotations

import contextlib
import re

from . import engine, grid
from .stats import LEVEL, PointStats, Running

RUNS_PER_TASK = 20
_RATE_KEY = re.compile(r"^(rate|source\[\d+\]\.rate_hz)$")


class Study:
    def __init__(self, sc, vary: dict, seeds: int = 1, *, level: float = LEVEL):
        self.base, self.vary, self.seeds, self.level = sc, dict(vary), seeds, level
        self.keys = list(vary)
        self.settings = grid.grid(vary) if vary else [{}]
        self.scenarios = [grid.point_scenario(sc, s) for s in self.settings]
        self.seed_list = grid.replicate_seeds(sc.seed, seeds)
        self.lines = sorted({ln for p in self.scenarios for s in p.sources for ln in s.lines})
        self.metrics = engine.metric_names(self.lines)

    @property
    def total_runs(self) -> int:
        return len(self.settings) * self.seeds

    def run_columns(self) -> list[str]:
        return ["point", *self.keys, "run", "replicate", "seed", *self.metrics]

    def _tasks(self):
        runs = list(enumerate(self.seed_list))
        for i, sc in enumerate(self.scenarios):
            for part in engine.chunks(runs, RUNS_PER_TASK):
                yield sc, [(i * self.seeds + r, seed) for r, seed in part]

    def _point_of(self, i, stats: PointStats) -> dict:
        setting, sc = self.settings[i], self.scenarios[i]
        rate = setting["rate"] if "rate" in setting else grid.poisson_rate(sc)
        return {"point": i, **setting, "rate_hz": rate, **stats.summary(self.level)}

    def run(self, *, jobs=None, dask=None, sinks=(), progress=None) -> list[dict]:
        """Runs every run; returns the points (key values, rate_hz, runs, then per metric its
        mean, _lo and _hi). Each run's row goes to every sink(row) in run order."""
        prebuild(self.scenarios)
        stats = [PointStats(self.metrics) for _ in self.scenarios]
        done = 0
        results = engine.execute(self._tasks(), jobs=jobs, dask=dask)
        with contextlib.closing(results):       # an exception here stops the workers now
            for rows in results:
                self._fold(rows, stats, sinks)
                done += len(rows)
                if progress:
                    progress(done, self.total_runs)
        return [self._point_of(i, s) for i, s in enumerate(stats)]

    def _fold(self, rows, stats, sinks):
        for row in rows:
            i, rep = divmod(row["run"], self.seeds)
            row = {"point": i, **self.settings[i], "replicate": rep, **row}
            stats[i].add(row)
            for sink in sinks:
                sink(row)

    def x_is_rate(self) -> bool:
        return bool(self.keys) and bool(_RATE_KEY.match(self.keys[0]))


def prebuild(scenarios) -> None:
    """Builds the demo images once, before the workers start (each would otherwise race)."""
    from ..boards import get_board
    from ..demo import demo_image
    from ..storm import DEMO_IMAGE

    seen = set()
    for sc in scenarios:
        b = get_board(sc.board)
        if sc.image == DEMO_IMAGE and b.name not in seen:
            seen.add(b.name)
            demo_image(b)


def knees(study: Study, points: list[dict]) -> list[dict]:
    """Per group of the keys after the first (one group if there is one key): the knee
    (sim.plot.find_knee) of the mean curve, and the band of knees the 95% intervals allow: the
    knee found with every point's thread progress at its lower bound (the earliest) and at its
    upper bound (the latest; None when that curve never starves). Only when the first key is
    a rate."""
    from ..plot import find_knee

    if not study.x_is_rate():
        return []
    out = []
    for label, pts in groups(study, points):
        def at(bound):
            return [{**p, "thread_progress": p.get(f"thread_progress{bound}")
                     if p.get(f"thread_progress{bound}") is not None else p["thread_progress"]}
                    for p in pts]
        out.append({"group": label, "knee_rate_hz": find_knee(pts),
                    "knee_lo_rate_hz": find_knee(at("_lo")),
                    "knee_hi_rate_hz": find_knee(at("_hi"))})
    return out


def groups(study: Study, points: list[dict]):
    """(label, points) per combination of the keys after the first, in grid order."""
    rest = study.keys[1:]
    out: dict = {}
    for p in points:
        label = ", ".join(f"{k}={p[k]}" for k in rest)
        out.setdefault(label, []).append(p)
    return list(out.items())


def compare(sc_a, sc_b, seeds: int, *, jobs=None, dask=None, level=LEVEL, progress=None):
    """Runs A and B on the same seeds (A's), pairs the runs by seed and tests each metric's
    difference B - A (paired t). Returns {"a": point, "b": point, "diff": {metric: ...}}."""
    a, b = Study(sc_a, {}, seeds, level=level), Study(sc_b, {}, seeds, level=level)
    b.seed_list = a.seed_list
    lines = sorted(set(a.lines) | set(b.lines))
    metrics = engine.metric_names(lines)
    prebuild(a.scenarios + b.scenarios)
    sa, sb = PointStats(metrics), PointStats(metrics)
    diffs = {k: Running() for k in metrics}
    tasks = []
    for part in engine.chunks(list(enumerate(a.seed_list)), RUNS_PER_TASK):
        tasks += [(a.scenarios[0], part), (b.scenarios[0], part)]
    results = engine.execute(iter(tasks), jobs=jobs, dask=dask)
    done = 0
    with contextlib.closing(results):
        for rows_a in results:
            rows_b = next(results)
            for ra, rb in zip(rows_a, rows_b):
                sa.add(ra)
                sb.add(rb)
                for k in metrics:
                    if ra.get(k) is not None and rb.get(k) is not None:
                        diffs[k].add(rb[k] - ra[k])
            done += len(rows_a)
            if progress:
                progress(done, seeds)
    diff = {}
    for k in metrics:
        mean, lo, hi, p = diffs[k].paired_test(level)
        diff[k] = {"diff": mean, "lo": lo, "hi": hi, "p": p, "pairs": diffs[k].n,
                   "significant": p is not None and p < 1 - level}
    return {"seeds": seeds, "level": level, "a": sa.summary(level), "b": sb.summary(level),
            "diff": diff}

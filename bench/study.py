"""A study at scale: how long a grid of points x seeds takes on this machine, and whether its
memory stays flat in the number of runs.

    python bench/study.py                       # 50 points x 200 seeds x 1M ticks: 10,000 runs
    python bench/study.py --seeds 20            # the same grid, a tenth of the runs
    python bench/study.py --points 10 --seeds 10 --ticks 200000     # a quick look

The grid is the default sweep scenario (the demo under Poisson requests on four lines, handlers
doing 100 iterations) with `rate` log-spaced from 2 kHz to 1.5 MHz, every point over `--seeds`
replicates, on joblib's local processes (`--jobs`, default every core). Every run's row streams
to a CSV in a temporary folder, as `irqsim sweep --runs-csv` does. Printed (and written to
bench/results/study.json): runs, wall time, runs per second, and the peak resident memory of
the parent and of parent plus workers, sampled every 0.2 s (psutil, which dask.distributed
brings; without it, the parent's own peak from getrusage).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sim.study import output  # noqa: E402
from sim.study.study import Study  # noqa: E402
from sim.sweep import default_sweep_scenario, log_rates  # noqa: E402


class PeakRss(threading.Thread):
    """Samples the resident memory of this process and all its descendants."""

    def __init__(self):
        super().__init__(daemon=True)
        self.parent = self.tree = 0
        self.done = threading.Event()

    def run(self):
        try:
            import psutil
        except ImportError:
            return
        me = psutil.Process()
        while not self.done.wait(0.2):
            try:
                own = me.memory_info().rss
                kids = sum(c.memory_info().rss for c in me.children(recursive=True))
            except psutil.Error:
                continue
            self.parent = max(self.parent, own)
            self.tree = max(self.tree, own + kids)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=50)
    ap.add_argument("--seeds", type=int, default=200)
    ap.add_argument("--ticks", type=int, default=1_000_000)
    ap.add_argument("--jobs", type=int, default=None)
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "study.json"))
    a = ap.parse_args()
    sc = default_sweep_scenario()
    sc.ticks = a.ticks
    study = Study(sc, {"rate": log_rates(2_000, 1_500_000, a.points)}, a.seeds)
    mem = PeakRss()
    mem.start()
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        runs_csv = os.path.join(tmp, "runs.csv")
        with output.run_sinks(study.run_columns(), runs_csv) as sinks:
            points = study.run(jobs=a.jobs, sinks=sinks)
        csv_bytes = os.path.getsize(runs_csv)
    wall = time.perf_counter() - t0
    mem.done.set()
    mem.join()
    own_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    res = {"points": a.points, "seeds": a.seeds, "ticks": a.ticks, "runs": study.total_runs,
           "jobs": a.jobs or os.cpu_count(), "cpus": os.cpu_count(), "wall_s": round(wall, 1),
           "runs_per_s": round(study.total_runs / wall, 1),
           "peak_rss_parent_mib": round(max(mem.parent, own_peak) / 2**20, 1),
           "peak_rss_all_mib": round(mem.tree / 2**20, 1) if mem.tree else None,
           "runs_csv_mib": round(csv_bytes / 2**20, 1),
           "all_points_complete": all(p["runs"] == a.seeds for p in points)}
    print(json.dumps(res, indent=1))
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(res, indent=1) + "\n")


if __name__ == "__main__":
    main()

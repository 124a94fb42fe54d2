"""Boot once, restore per test: what a snapshot saves against booting a fresh machine.

    python bench/snapshot.py [--boards mps2-an385 virt] [--repeat 20] [--boot-ticks 300000]

For each board: the time to make a machine of the bundled demo and run it `--boot-ticks` ticks
into a storm (what a test would do to get there: "boot"), against the time to snapshot it,
restore that snapshot into the same machine, and fork it into a new one; the medians of
`--repeat` rounds (host time, perf_counter), the snapshot's size, and the ratio boot / restore.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sim.storm.run import prepare_machine
from sim.storm.scenario import default_scenario


def timed(fn, repeat):
    out, times = None, []
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def bench(board, repeat, boot_ticks):
    sc = default_scenario(board)

    def boot():
        m = prepare_machine(sc, trace=True)
        m.run(ticks=boot_ticks)
        return m

    prepare_machine(sc, trace=True).close()          # the demo image is built once
    t_boot, m = timed(boot, repeat)
    t_snap, snap = timed(m.snapshot, repeat)
    m.run(ticks=100_000)                              # the machine moves on, as a test would
    t_restore, _ = timed(lambda: m.restore(snap), repeat)
    t_fork, f = timed(m.fork, repeat)
    f.close()
    m.close()
    return {"board": board, "boot": t_boot, "snapshot": t_snap, "restore": t_restore,
            "fork": t_fork, "bytes": snap.size}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--boards", nargs="+", default=["mps2-an385", "virt"])
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--boot-ticks", type=int, default=300_000)
    a = ap.parse_args(argv)
    print(f"{'board':<12} {'boot ms':>9} {'snapshot':>9} {'restore':>9} {'fork':>9} "
          f"{'KiB':>7} {'boot/restore':>13}")
    for board in a.boards:
        r = bench(board, a.repeat, a.boot_ticks)
        print(f"{board:<12} {r['boot'] * 1e3:9.2f} {r['snapshot'] * 1e3:9.2f} "
              f"{r['restore'] * 1e3:9.2f} {r['fork'] * 1e3:9.2f} {r['bytes'] / 1024:7.0f} "
              f"{r['boot'] / r['restore']:13.1f}")


if __name__ == "__main__":
    main()

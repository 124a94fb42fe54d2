"""Two builds of irqsim side by side: the speed rows of bench/storm.py, as paired ratios.

    python bench/builds.py --baseline /path/to/other/checkout [--pairs 7] [--boards virt]

For each row (the demo's thread loop with the controller attached and no requests; storms of
one request every 100, 1,000 and 10,000 ticks) and each pair, the row is measured once in a
fresh process of each build, the two alternating (which one goes first alternates too), and
the ratio this build / baseline is taken; the table gives the median ratio of the pairs and
the range. Both checkouts must be built in place (`python sim/native/_build.py`) and have the
bench/storm.py functions measure_attached(board, ticks) and measure_storm(board, spacing,
ticks). A ratio of 1.00 means equal speed; below 0.95 is a loss beyond this machine's noise
in paired runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BOARDS = ("mps2-an385", "virt")
SPACINGS = (100, 1_000, 10_000)

PROBE = """
import json, sys
sys.path.insert(0, {root!r}); sys.path.insert(0, {root!r} + "/bench")
import storm as b
board, spacing, ticks = {board!r}, {spacing!r}, {ticks!r}
if spacing:
    r = b.measure_storm(board, spacing, ticks)["mticks_per_s"]
else:
    r = b.measure_attached(board, ticks)
print(json.dumps(r))
"""


def measure(tree: Path, board: str, spacing: int, ticks: int) -> float:
    code = PROBE.format(root=str(tree), board=board, spacing=spacing, ticks=ticks)
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=tree, check=True,
                         capture_output=True, text=True).stdout
    return float(out.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", required=True, type=Path, help="the other checkout")
    ap.add_argument("--pairs", type=int, default=7)
    ap.add_argument("--ticks", type=int, default=20_000_000)
    ap.add_argument("--boards", default=",".join(BOARDS))
    ap.add_argument("--json", action="store_true", help="print the rows as JSON")
    a = ap.parse_args()
    rows = []
    for board in a.boards.split(","):
        for spacing in (0, *SPACINGS):
            ratios = []
            for i in range(a.pairs):
                order = (ROOT, a.baseline) if i % 2 == 0 else (a.baseline, ROOT)
                got = {t: measure(t, board, spacing, a.ticks) for t in order}
                ratios.append(got[ROOT] / got[a.baseline])
            what = f"one request every {spacing:,} ticks" if spacing else "no requests"
            rows.append({"board": board, "row": what, "median": statistics.median(ratios),
                         "min": min(ratios), "max": max(ratios)})
            if not a.json:
                r = rows[-1]
                print(f"{board:11} {what:34} this/baseline {r['median']:.3f} "
                      f"(pairs {r['min']:.3f}..{r['max']:.3f}, n={a.pairs})", flush=True)
    if a.json:
        print(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()

"""The trace viewer at scale: a storm of about a million trace records, its page made by
`irqsim view`, and that page loaded and drawn in headless chromium (Selenium, Debian's
chromedriver).

    python bench/view.py [--ticks 50000000] [--board mps2-an385] [--keep DIR]

Prints the trace's and the page's sizes, the time and peak memory of making the page, the
page's own load time (parse, inflate, decode, first draw: performance.now() in the page) and
the draw times at full view, while zooming in by halves and while panning. Numbers are this
machine's, for docs/teaching.md; nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAKE = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
import dataclasses
from sim import storm, view
t = time.perf_counter()
tr = view.read_trace({trace!r})
sc = storm.default_scenario({board!r})
got = view.write_view(tr, {page!r}, dataclasses.replace(sc, ticks={ticks}))
print(json.dumps({{"seconds": time.perf_counter() - t, "events": got["events"],
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1000"):
        opts.add_argument(a)
    opts.binary_location = shutil.which("chromium")
    return webdriver.Chrome(service=Service(executable_path=shutil.which("chromedriver")),
                            options=opts)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ticks", type=int, default=50_000_000)
    ap.add_argument("--board", default="mps2-an385")
    ap.add_argument("--keep", help="keep the trace and the page in this folder")
    args = ap.parse_args()
    d = Path(args.keep or tempfile.mkdtemp(prefix="irqsim-view-bench-"))
    d.mkdir(exist_ok=True)
    trace, page = d / "storm.jsonl", d / "storm.html"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-c", "import cli; cli.main()", "storm", "--board",
                    args.board, "--ticks", str(args.ticks), "--jsonl", str(trace)],
                   check=True, env=env, stdout=subprocess.DEVNULL)
    made = json.loads(subprocess.run(
        [sys.executable, "-c", MAKE.format(root=str(ROOT), trace=str(trace), board=args.board,
                                           page=str(page), ticks=args.ticks)],
        check=True, env=env, capture_output=True, text=True).stdout)
    b = browser()
    try:
        t = time.perf_counter()
        b.get(page.as_uri())
        while not b.execute_script("return document.body.dataset.ready"):
            time.sleep(0.02)
        wall = time.perf_counter() - t
        load = b.execute_script("return viewer.loadMs")
        fit = b.execute_script("setView(0, D.end); return viewer.drawMs")
        zooms = b.execute_script("const r = []; for (let k = 0; k < 16; k++) "
                                 "{ zoom(0.5); r.push(viewer.drawMs); } return r")
        pans = b.execute_script("const r = []; setView(0, D.end / 8); for (let k = 0; k < 16; "
                                "k++) { pan(0.25); r.push(viewer.drawMs); } return r")
        heap = b.execute_script("return performance.memory ? "
                                "performance.memory.usedJSHeapSize / 1e6 : null")
    finally:
        b.quit()
    print(f"{args.board}, {args.ticks:,} ticks: {made['events']:,} trace records, JSONL "
          f"{trace.stat().st_size / 1e6:.1f} MB, page {page.stat().st_size / 1e6:.1f} MB")
    print(f"irqsim view: {made['seconds']:.1f} s, peak resident {made['rss_mb']:.0f} MB")
    print(f"chromium: load {load:.0f} ms in the page ({wall:.2f} s from navigation), JS heap "
          f"{heap:.0f} MB" if heap else f"chromium: load {load:.0f} ms")
    print(f"draw: whole trace {fit:.0f} ms; zooming in by halves median "
          f"{statistics.median(zooms):.1f} ms (max {max(zooms):.0f}); panning an eighth of the "
          f"trace median {statistics.median(pans):.1f} ms (max {max(pans):.0f})")
    if not args.keep:
        shutil.rmtree(d)


if __name__ == "__main__":
    main()

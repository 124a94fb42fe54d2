"""The long fuzz run (not part of CI): the properties of tests/fuzz/test_fuzz.py for as long as
you give them, round-robin over the four targets, with counts of what each case gave.

    python tests/fuzz/run.py --minutes 10          # from the project root
    python tests/fuzz/run.py --minutes 1 --targets elf,cli --seed 7

A case that breaks the property (a traceback, a host crash, a hang of more than 20 s) is printed
with its input and the run exits 1; otherwise it prints the counts and exits 0.
"""

from __future__ import annotations

import argparse
import collections
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from hypothesis import HealthCheck, given, settings  # noqa: E402

from fuzz import harness as h  # noqa: E402

TARGETS = {
    "elf": (h.mutated_elf, lambda x: h.in_child(h.elf_case, x)),
    "board": (lambda: h.mutated_table(h.board_text("mps2-an385")),
              lambda x: h.in_child(h.board_case, h.to_toml(x), "mps2-an385")),
    "board-virt": (lambda: h.mutated_table(h.board_text("virt")),
                   lambda x: h.in_child(h.board_case, h.to_toml(x), "virt")),
    "scenario": (h.scenario_dict, lambda x: h.in_child(h.scenario_case, h.to_toml(x))),
    "cli": (h.cli_args, lambda x: h.in_child(h.cli_case, x)),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--targets", default=",".join(TARGETS))
    ap.add_argument("--round", type=int, default=200, help="cases per target per round")
    ap.add_argument("--seed", type=int, default=None)
    a = ap.parse_args()
    end = time.monotonic() + 60 * a.minutes
    counts = {t: collections.Counter() for t in a.targets.split(",")}
    rnd = 0
    while time.monotonic() < end:
        for name in counts:
            strategy, case = TARGETS[name]
            seen = counts[name]

            @settings(max_examples=a.round, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck), derandomize=False)
            @given(x=strategy())
            def prop(x):
                if time.monotonic() >= end:
                    return
                try:
                    out = case(x)
                except h.CaseFailed as e:
                    print(f"FAILED {name}: {str(e)[:4000]}\ninput: {x!r:.4000}", flush=True)
                    raise
                seen[re.sub(r"/tmp/\S+", "FILE", out)[:48]] += 1
            try:
                if a.seed is not None:
                    prop = __import__("hypothesis").seed(a.seed + rnd)(prop)
                prop()
            except h.CaseFailed:
                sys.exit(1)
        rnd += 1
    for name, c in counts.items():
        ok = sum(v for k, v in c.items() if k.startswith("ok"))
        print(f"{name:11} {sum(c.values()):7} cases: {ok} clean runs, "
              f"{sum(c.values()) - ok} clear errors")
        for k, v in c.most_common(5):
            print(f"    {v:6}  {k}")


if __name__ == "__main__":
    main()

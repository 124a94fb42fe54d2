"""`irqsim view` and `irqsim storm --html`: a trace as one self-contained HTML page.

    trace = sim.view.read_trace("storm.jsonl")
    sim.view.write_view(trace, "page.html", scenario)     # the scenario that made the trace

The page (sim/view/page.html, filled by page.py) draws a timeline: per line (or system
exception, RISC-V cause) the intervals it is requested, pending and active; the thread;
nesting depth; and the events' density. A cursor steps event by event (buttons, arrow keys,
a click on the timeline picks the nearest event, of the row's line when on one); zoom and pan
draw per pixel from prefix sums of the intervals, so a million events draw as fast as a
thousand. For the selected event it shows the narration of `irqsim explain` (sim/explain/,
the same narrators, run on the requests of a window: capture.py) and the registers and the
words at SP where the run made again stopped. tracefile.py reads the JSONL trace (one clear
error for a bad file); timeline.py computes the intervals (the VCD's signals,
sim/export/signals.py).
"""

from __future__ import annotations

import os

import numpy as np

from ..boards import get_board
from ..errors import ConfigError
from ..export.atomic import check_writable
from .capture import DEFAULT_REQUESTS, MAX_REQUESTS, Capture
from .page import build_page, write_page
from .timeline import Timeline
from .tracefile import RECORD_DTYPE, Trace, read_trace

DEFAULT_BOARDS = {"armv7m": "mps2-an385", "rv32": "virt"}


def board_for(trace: Trace) -> str:
    """The board a trace was most likely made on: the default board of its architecture."""
    return DEFAULT_BOARDS[trace.arch()]


def raw_trace(path, origin: str) -> Trace:
    """A trace written by sim.trace.TraceWriter (raw 16-byte records)."""
    return Trace(np.fromfile(os.fspath(path), RECORD_DTYPE), origin)


def write_view(trace: Trace, out, scenario=None, *, run: bool = True, at: int = 0,
               requests: int = DEFAULT_REQUESTS, source: str | None = None) -> dict:
    """Writes the page of `trace` to `out` (atomically). `scenario` (a sim.storm.Scenario)
    names the run that made the trace; with `run` it is made again to narrate `requests`
    requests from tick `at` and read their registers (capture.py). Returns what the page
    holds: {"events", "rows", "narrated_steps", "register_moments", "window"}."""
    from .. import storm

    check_writable(out)
    if not 1 <= requests <= MAX_REQUESTS:
        raise ConfigError(f"requests to narrate must be 1..{MAX_REQUESTS}, not {requests}")
    sc = scenario if scenario is not None else storm.default_scenario(board_for(trace))
    board = get_board(sc.board)
    arch = trace.arch()
    if board.arch != arch and len(trace):
        raise ConfigError(f"{trace.path} was made on an {arch} board (its records say so), not "
                          f"on {board.name} ({board.arch}); give --board "
                          f"{DEFAULT_BOARDS[arch]} or the storm's scenario")
    timeline = Timeline(trace, board.adapter, board.num_lines)
    capture = Capture(trace, sc, board, at=at, requests=requests) if run else None
    meta = {"arch": board.arch, "board": board.name, "num_lines": board.num_lines,
            "clock_hz": board.clock_hz, "source": source or os.path.basename(trace.path),
            "image": os.path.basename(str(sc.image)), "seed": sc.seed, "no_run": not run}
    title = f"irqsim trace: {meta['source']} on {board.name}"
    write_page(build_page(trace, timeline, title=title, meta=meta, capture=capture), out)
    return {"events": len(trace), "rows": [r["label"] for r in timeline.rows],
            "narrated_steps": len(capture.steps) if capture else 0,
            "register_moments": len(capture.states) if capture else 0,
            "window": [capture.lo, capture.hi] if capture else None}


__all__ = ["DEFAULT_REQUESTS", "MAX_REQUESTS", "board_for", "raw_trace", "read_trace",
           "write_view"]

"""Running a storm: a machine prepared with the scenario's image, demo settings and sources, the
run in chunks (with progress and a streamed trace), the no-request baseline, and the exports."""

from __future__ import annotations

import dataclasses
import os
import tempfile

from .. import demo
from ..boards import get_board
from ..errors import ConfigError
from ..machine import Machine
from ..trace import TraceWriter, read_events
from .report import build_report
from .scenario import (DEMO_IMAGE, EXPORT_KEYS, Scenario, Source, check_against_board,
                       check_limits)
from .stack import initial_sp, paint_stack, stack_high_water

MASK64 = (1 << 64) - 1


def _seed_for(master: int, index: int) -> int:
    """Per-source seeds: splitmix64 of the master seed and the source's index (pure integers)."""
    z = (master * 0x9E3779B97F4A7C15 + (index + 1) * 0xD1B54A32D192ED03) & MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


derive_seed = _seed_for     # the same mix, public: a study's replicate seeds come from it


def prepare_machine(sc: Scenario, *, trace: bool):
    """A machine with the scenario's image, demo settings and sources, ready to run."""
    board = get_board(sc.board)
    check_against_board(sc, board)
    check_limits(sc, board, tracing=trace)
    m = Machine.demo(board) if sc.image == DEMO_IMAGE else Machine.load(sc.image, board)
    demo.prepare_for_storm(m, sc.demo, sc.origin)
    if any(s.hold == "ack" for s in sc.sources):
        demo.set_ack_address(m, m.ack_register())
    m.runaway_limit = sc.runaway_limit
    m.start_accounting()
    m.set_trace(trace)
    for i, s in enumerate(sc.sources):
        _add_source(m, sc, i, s)
    return m


def _add_source(m, sc, i, s: Source):
    try:
        m.add_source(s.kind, s.lines, weights=s.weights, trigger=s.trigger,
                     hold=0 if s.hold == "ack" else int(s.hold), start=s.start, stop=s.stop,
                     period=s.period, phase=s.phase, jitter=s.jitter, rate_hz=s.rate_hz,
                     count=s.count, spacing=s.spacing, gap=s.gap, ticks=s.ticks,
                     seed=_seed_for(sc.seed, i))
    except ConfigError as e:
        raise ConfigError(f"{sc.origin}: source[{i}]: {e}") from None


def run_storm(sc: Scenario, *, progress=None, baseline=True, trace_path=None):
    """Runs the scenario and returns a Report. `baseline`: True (measure it), False (none) or
    what measure_baseline returned for this scenario's length (a study reuses it across seeds).
    `progress(done_ticks, total)` is called between chunks. With `trace_path`, the trace streams to that file (raw records, sim.trace)."""
    m = prepare_machine(sc, trace=trace_path is not None)
    sp0 = initial_sp(m)
    paint = paint_stack(m, sp0)
    writer = None
    if trace_path is not None:
        writer = TraceWriter(trace_path)
        m.set_trace_sink(writer)
    try:
        chunks = 20 if progress else 1
        done = 0
        for k in range(chunks):
            step = sc.ticks * (k + 1) // chunks - done
            stop = m.run(ticks=step)
            done = m.ticks
            if progress:
                progress(done, sc.ticks)
            if stop.reason != "ticks":
                break
    finally:
        if writer:
            writer.close()
    if isinstance(baseline, dict):
        base = baseline if m.ticks == sc.ticks else measure_baseline(sc, m.ticks)
    else:
        base = measure_baseline(sc, m.ticks) if baseline else None
    return build_report(m, sc, stop, paint, sp0, base)


def measure_baseline(sc: Scenario, ticks: int) -> dict:
    """The same image, settings and length with no requests: the main loop's progress (None for
    images without the demo's thread_progress counter) and the stack's peak without interrupts."""
    m = prepare_machine(dataclasses.replace(sc, sources=[]), trace=False)
    sp0 = initial_sp(m)
    paint = paint_stack(m, sp0)
    m.run(ticks=ticks)
    return {"loops": demo.thread_progress(m), "stack_peak": stack_high_water(m, paint, sp0)}


def run_storm_with_exports(sc: Scenario, exports: dict, *, progress=None, baseline=True):
    """run_storm, then the requested exports (jsonl/vcd/perfetto/html -> path) from the
    streamed trace (html: the trace viewer's page, sim/view). A run that fails writes no
    output file."""
    if not exports:
        return run_storm(sc, progress=progress, baseline=baseline)
    from .. import export

    bad = set(exports) - EXPORT_KEYS
    if bad:
        raise ConfigError(f"unknown export {sorted(bad)[0]!r}; allowed: "
                          f"{', '.join(sorted(EXPORT_KEYS))}")
    for kind, path in exports.items():      # before the run, not after it
        if not isinstance(path, (str, os.PathLike)):
            raise ConfigError(f"{kind} export: a path must be a string (got {path!r})")
        try:
            export.check_writable(path)
        except ConfigError as e:
            raise ConfigError(f"{kind} export: {e}") from None
    if sum(os.fspath(p) == export.atomic.STDOUT for p in exports.values()) > 1:
        raise ConfigError("only one export can go to standard output (-)")
    fd, raw = tempfile.mkstemp(prefix="irqsim-trace-", suffix=".bin")
    os.close(fd)
    try:
        report = run_storm(sc, progress=progress, baseline=baseline, trace_path=raw)
        b = get_board(sc.board)
        files = {k: v for k, v in exports.items() if k != "html"}
        export.export_all(lambda: read_events(raw, b.arch), b.arch, b.num_lines, b.clock_hz,
                          **files)
        if "html" in exports:           # the trace viewer's page (sim/view), from the same run
            from .. import view
            view.write_view(view.raw_trace(raw, f"{sc.origin} (seed {sc.seed})"),
                            exports["html"], sc, source=f"{sc.origin}, seed {sc.seed}")
    finally:
        os.unlink(raw)
    return report

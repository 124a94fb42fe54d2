"""Running a study's runs: each run is a Machine and sim.storm.run_storm (the native storm);
this module cuts the runs into tasks, sends them to an engine (joblib's local processes, or a
dask.distributed cluster) and yields the rows back in run order, whatever order the workers
finish in: the statistics fold them in that order, so every engine gives the same numbers.
At most a few tasks per worker are in flight: memory does not grow with the number of runs.
"""

from __future__ import annotations

from ..errors import ConfigError

COUNTS = ("requests", "handled", "unhandled", "coalesced", "dropped", "pending", "masked")
RATES = ("handled_rate_hz", "thread_progress", "coalesced_share", "dropped_share",
         "coalesced_dropped_share")
LATENCY = ("p50", "p99", "max")


def metric_names(lines) -> list[str]:
    """The metrics of a run, in column order: counts, rates and shares, latencies over all
    lines, then latencies per line."""
    out = [*COUNTS, *RATES, *(f"{q}_latency_ticks" for q in LATENCY)]
    for ln in lines:
        out += [f"{q}_latency_ticks_line{ln}" for q in LATENCY]
    return out


def run_metrics(rep) -> dict:
    """The metrics of one storm report."""
    t = rep.totals
    secs = rep.ticks / rep.clock_hz
    req = t["requests"] or 1
    row = {k: t[k] for k in COUNTS}
    row.update(handled_rate_hz=t["handled"] / secs if secs else 0.0,
               thread_progress=rep.progress.get("relative") or 0.0,
               coalesced_share=t["coalesced"] / req, dropped_share=t["dropped"] / req,
               coalesced_dropped_share=(t["coalesced"] + t["dropped"]) / req)
    for q in LATENCY:
        row[f"{q}_latency_ticks"] = t["latency_entry"][q]
        for ln, r in rep.lines.items():
            row[f"{q}_latency_ticks_line{ln}"] = r["latency_entry"][q]
    return row


_BASELINES: dict = {}      # per worker process: the no-request baseline of a scenario shape


def _baseline(sc):
    from ..storm import measure_baseline

    b = sc.board if isinstance(sc.board, str) else repr(sc.board)
    key = (b, str(sc.image), repr(sorted(sc.demo.items())), sc.ticks, sc.runaway_limit)
    if key not in _BASELINES:
        if len(_BASELINES) > 256:
            _BASELINES.clear()
        _BASELINES[key] = measure_baseline(sc, sc.ticks)
    return _BASELINES[key]


def run_task(sc, runs) -> list[dict]:
    """One task: the runs [(run, seed), ...] of point scenario `sc`; a row of metrics each.
    The baseline (no requests, hence no seed) is measured once per scenario shape."""
    import dataclasses

    from ..storm import run_storm

    base = _baseline(sc)
    out = []
    for run, seed in runs:
        rep = run_storm(dataclasses.replace(sc, seed=seed, export={}), baseline=base)
        out.append({"run": run, "seed": seed, **run_metrics(rep)})
    return out


def chunks(items, size):
    for i in range(0, len(items), size):
        yield items[i:i + size]


def execute(tasks, *, jobs=None, dask=None):
    """Yields each task's result, in the order of `tasks` (an iterable of (scenario, runs))."""
    if dask:
        yield from _on_dask(tasks, dask)
    else:
        yield from _on_joblib(tasks, jobs)


def _on_joblib(tasks, jobs):
    import os

    from joblib import Parallel, delayed

    n = jobs or os.cpu_count() or 1
    if n == 1:
        for sc, runs in tasks:
            yield run_task(sc, runs)
        return
    par = Parallel(n_jobs=n, backend="loky", return_as="generator", pre_dispatch="2*n_jobs")
    gen = par(delayed(run_task)(sc, runs) for sc, runs in tasks)
    try:
        for result in gen:      # not `yield from`: that would close gen itself, warning
            yield result
    except BaseException:
        import warnings

        with warnings.catch_warnings():     # joblib counts the tasks it cancels: we know
            warnings.simplefilter("ignore")
            gen.close()
        from joblib.externals.loky import get_reusable_executor
        get_reusable_executor().shutdown(wait=False, kill_workers=True)
        raise


def _on_dask(tasks, address):
    try:
        from distributed import Client
    except ImportError:
        raise ConfigError("--dask needs dask.distributed: pip install 'irqsim[dask]'") from None
    from collections import deque

    try:
        client = Client(address, timeout=10, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as e:
        raise ConfigError(f"--dask {address}: cannot reach the scheduler ({e})") from None
    window = deque()
    try:
        width = 2 * max(1, sum(client.nthreads().values()))
        for sc, runs in tasks:
            window.append(client.submit(run_task, sc, runs, pure=False))
            if len(window) >= width:
                yield window.popleft().result()
        while window:
            yield window.popleft().result()
    finally:
        for f in window:
            f.cancel()
        client.close()

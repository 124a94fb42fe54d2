"""The `irqsim` command: thin wrappers over the `sim` library.

Every command turns a `sim.errors.SimError` into one line on stderr and exit code 1.
"""

from __future__ import annotations

import contextlib
import json
import math
import signal
import sys
import threading

import click

from sim.errors import ConfigError, Interrupted, SimError


def _on_sigterm(signum, frame):
    raise Interrupted("stopped by SIGTERM", signum=signum)


@contextlib.contextmanager
def _sigterm_raises():
    """SIGTERM raises Interrupted (as SIGINT raises KeyboardInterrupt), so that every finally
    block runs: temporary files are removed and no output is left half written. (A run in the
    native core stops at its next block boundary: the core polls for both signals.)"""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


U64 = (1 << 64) - 1
TICKS = click.IntRange(1, 1 << 63)       # run lengths: at least one tick


class FiniteFloat(click.ParamType):
    """A finite number > 0 (click's FloatRange lets inf and nan through)."""
    name = "number"

    def convert(self, value, param, ctx):
        try:
            v = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number", param, ctx)
        if not math.isfinite(v) or v <= 0:
            self.fail(f"{value!r} must be a finite number > 0", param, ctx)
        return v


POSITIVE = FiniteFloat()


class _Group(click.Group):
    def invoke(self, ctx):
        try:
            with _sigterm_raises():
                return super().invoke(ctx)
        except Interrupted as e:          # exit status 128 + the signal: 130 SIGINT, 143 SIGTERM
            click.echo(f"irqsim: interrupted: {e}", err=True)
            ctx.exit(128 + e.signum)
        except KeyboardInterrupt:
            click.echo("irqsim: interrupted: stopped by SIGINT", err=True)
            ctx.exit(128 + signal.SIGINT)
        except SimError as e:
            msg = str(e).strip().splitlines()
            click.echo(f"irqsim: error: {msg[0] if msg else type(e).__name__}", err=True)
            for extra in msg[1:3]:
                click.echo(f"  {extra}", err=True)
            ctx.exit(1)


@click.group(cls=_Group)
@click.version_option(package_name="irqsim")
def main():
    """Simulate interrupts on Cortex-M and RISC-V firmware."""


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the built images as JSON.")
def build(as_json):
    """Build the bundled firmware (demo images) with the pip-installed cross compiler."""
    from sim.demo import build_all

    images = build_all()
    if as_json:
        click.echo(json.dumps({"images": [str(p) for p in images]}))
    else:
        for p in images:
            click.echo(f"built {p}")


def _parse_irq(spec: str):
    """N@TICK, N (now), or N@TICK:kind with kind pulse|raise|lower."""
    kind = "pulse"
    if ":" in spec:
        spec, kind = spec.rsplit(":", 1)
        if kind not in ("pulse", "raise", "lower"):
            raise ConfigError(f"--irq {spec}:{kind}: kind must be pulse, raise or lower")
    line, _, tick = spec.partition("@")
    try:
        return int(line, 0), (int(tick, 0) if tick else 0), kind
    except ValueError:
        raise ConfigError(f"--irq {spec!r}: expected LINE@TICK, e.g. 3@10000") from None


class HostPort(click.ParamType):
    """[HOST:]PORT for the GDB server (HOST default 127.0.0.1, loopback)."""
    name = "[HOST:]PORT"

    def convert(self, value, param, ctx):
        if isinstance(value, tuple):
            return value
        host, _, port = str(value).rpartition(":")
        try:
            p = int(port)
        except ValueError:
            p = -1
        if not 0 <= p <= 65535:
            self.fail(f"{value!r}: the port must be a number 0..65535", param, ctx)
        return host or "127.0.0.1", p


def _serve_gdb(m, where):
    """Serves m to GDB at where = (host, port); False when GDB killed the machine."""
    from sim.gdb import serve

    def listening(server):
        click.echo(f"irqsim: waiting for GDB on {server.host}:{server.port} "
                   f"(target remote {server.host}:{server.port})", err=True)

    return serve(m, where[1], where[0], on_listen=listening) != "kill"


@main.command()
@click.argument("elf", required=False, type=click.Path(dir_okay=False))
@click.option("--board", default="mps2-an385", show_default=True,
              help="Board name (see `irqsim boards`) or a board .toml file.")
@click.option("--port", default=1234, show_default=True, type=click.IntRange(0, 65535),
              help="TCP port to listen on (0: any free one, printed).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (loopback by default).")
def gdb(elf, board, port, host):
    """Serve ELF (default: the bundled demo) to GDB, halted before its first instruction.

    Connect with `gdb-multiarch ELF -ex 'target remote :PORT'`. When GDB detaches the
    firmware runs on to its end, with its console on stdout, as `irqsim run` would."""
    import sim
    m = sim.Machine.load(elf, board=board) if elf else sim.Machine.demo(board)
    if not _serve_gdb(m, (host, port)):
        sys.exit(0)
    stop = m.run()
    click.echo(m.console, nl=False)
    if stop.exit_status:
        click.echo(f"irqsim: {stop.detail}", err=True)
    sys.exit(stop.exit_status)


@main.command()
@click.argument("elf", required=False, type=click.Path(dir_okay=False))
@click.option("--board", default="mps2-an385", show_default=True,
              help="Board name (see `irqsim boards`) or a board .toml file.")
@click.option("--gdb", "gdb_at", default=None, type=HostPort(),
              help="Wait for GDB on [HOST:]PORT first (loopback by default), halted before "
                   "the first instruction; the run goes on when GDB detaches.")
@click.option("--ticks", default=None, type=TICKS,
              help="Stop after this many retired instructions (default: no limit).")
@click.option("--timeout", default=None, type=click.FloatRange(min=0, min_open=True),
              help="Stop after this many seconds of host time (default: no limit).")
@click.option("--irq", "irqs", multiple=True, metavar="LINE@TICK[:KIND]",
              help="Request on LINE at TICK (pulse by default; or :raise / :lower). Repeatable.")
@click.option("--until", default=None, help="Stop when PC reaches this symbol or address.")
@click.option("--trace", "trace_path", type=click.Path(dir_okay=False),
              help="Stream the trace events to FILE (raw records; sim.trace.read_events).")
@click.option("--semihost-root", type=click.Path(file_okay=False),
              help="Share host directory DIR with the firmware's semihosting file calls.")
@click.option("--args", "sh_args", default=None, metavar="LINE",
              help="The command line semihosting GET_CMDLINE returns (default: the image).")
@click.option("--json", "as_json", is_flag=True,
              help="Print a JSON summary instead (with the trace events, unless --trace).")
def run(elf, board, gdb_at, ticks, timeout, irqs, until, trace_path, semihost_root, sh_args,
        as_json):
    """Run ELF (default: the bundled demo) until it exits, printing its console as it goes.

    Exit status: the firmware's exit code when it exits; 124 when --ticks or --timeout ends
    the run; 1 for any other stop (lockup, a fault loop, stuck, idle), with one line saying
    why and where."""
    import sim
    from sim.export.atomic import atomic_output
    from sim.trace import TraceWriter

    kw = {"semihost_root": semihost_root, "semihost_args": sh_args}
    m = sim.Machine.load(elf, board=board, **kw) if elf else sim.Machine.demo(board, **kw)
    for spec in irqs:
        line, tick, kind = _parse_irq(spec)
        getattr(m, {"pulse": "pulse_irq", "raise": "raise_irq", "lower": "lower_irq"}[kind])(
            line, at=tick)
    if until is not None:
        try:
            until = int(until, 0)
        except ValueError:
            pass
    shown = 0

    def stream(machine):
        nonlocal shown
        text = machine.console_since(shown)
        if text:
            shown += len(text)
            click.echo(text, nl=False)
            sys.stdout.flush()

    with contextlib.ExitStack() as stack:
        if trace_path:
            m.set_trace_sink(TraceWriter(stack.enter_context(atomic_output(trace_path, "wb"))))
        elif not as_json and not gdb_at:
            m.set_trace(False)       # nothing asked for the events: none are kept
        if gdb_at and not _serve_gdb(m, gdb_at):
            sys.exit(0)              # GDB killed it
        stop = m.run(ticks=ticks, until=until, timeout=timeout,
                     on_chunk=None if as_json else stream)
    if as_json:
        click.echo(json.dumps({
            "image": str(m.image), "board": m.board.name, "stop": stop.reason,
            "ticks": stop.ticks, "pc": stop.pc, "exit_code": stop.exit_code,
            "exit_status": stop.exit_status, "detail": stop.detail, "function": stop.function,
            "loop": list(stop.loop) if stop.loop else None, "fault": stop.fault,
            "console": m.console,
            "events": [] if trace_path else [e._asdict() for e in m.events],
        }))
    else:
        stream(m)
        if stop.exit_status:
            click.echo(f"irqsim: {stop.detail}", err=True)
    sys.exit(stop.exit_status)


@contextlib.contextmanager
def _progress(label):
    """Yields a progress callback drawing a bar on a terminal; None when output is piped."""
    if not sys.stderr.isatty():
        yield None
        return
    with click.progressbar(length=1000, label=label, file=sys.stderr) as bar:
        yield lambda done, total: bar.update(int(done * 1000 / total) - bar.pos)


def _scenario(scenario, board, ticks, default, *, elf=None, seed=None, rate=None):
    """The scenario file's scenario, or `default(board)`, with the command line's overrides."""
    from sim import storm
    from sim.sweep import scaled

    sc = storm.load_scenario(scenario) if scenario else default(board or "mps2-an385")
    if board:
        sc.board = board
    if elf:
        sc.image = elf
    if ticks is not None:
        sc.ticks = ticks
    if seed is not None:
        sc.seed = seed
    if rate is not None:
        sc = scaled(sc, rate)
    if elf and not scenario:
        sc.demo = {}        # the default storm's [demo] settings are for the bundled demo only
    return sc


@main.command()
@click.argument("elf", required=False, type=click.Path(dir_okay=False))
@click.option("--board", default=None, help="Board (default mps2-an385, or the scenario's).")
@click.option("--scenario", type=click.Path(dir_okay=False), help="Scenario file (TOML).")
@click.option("--ticks", type=TICKS, default=None, help="Run length in ticks.")
@click.option("--seed", type=click.IntRange(0, U64), default=None, help="Seed of all randomness.")
@click.option("--rate", type=POSITIVE, default=None,
              help="Total rate of the Poisson sources, requests per simulated second.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--jsonl", type=click.Path(dir_okay=False), help="Export the trace as JSON lines.")
@click.option("--vcd", type=click.Path(dir_okay=False), help="Export a VCD (GTKWave).")
@click.option("--perfetto", type=click.Path(dir_okay=False),
              help="Export Chrome/Perfetto trace JSON (ui.perfetto.dev).")
@click.option("--html", type=click.Path(dir_okay=False),
              help="Write the trace viewer's page (one self-contained HTML file).")
def storm(elf, board, scenario, ticks, seed, rate, as_json, jsonl, vcd, perfetto, html):
    """Throw a seeded storm of interrupts at firmware (default: the bundled demo) and report
    what happened to every request."""
    from sim import storm as st

    sc = _scenario(scenario, board, ticks, st.default_scenario, elf=elf, seed=seed, rate=rate)
    exports = {**sc.export, **{k: v for k, v in
                                (("jsonl", jsonl), ("vcd", vcd), ("perfetto", perfetto),
                                 ("html", html)) if v}}
    with _progress("storm") as update:
        report = st.run_storm_with_exports(sc, exports, progress=update)
    to_err = "-" in exports.values()       # stdout carries an export: the report goes to stderr
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=1), err=to_err)
    else:
        click.echo(report.format(), err=to_err)
        for kind, path in exports.items():
            click.echo(f"wrote {kind}: {path}", err=to_err)
    if report.exit_status:
        click.echo(f"irqsim: {report.stop_detail}", err=True)
        sys.exit(report.exit_status)


def _engine_options(f):
    for opt in reversed((
            click.option("--seeds", type=click.IntRange(1, 1_000_000), default=None,
                         help="Replicates per point, seeds derived from the scenario's seed."),
            click.option("--jobs", type=click.IntRange(1, 1024), default=None,
                         help="Worker processes (joblib; default: every core)."),
            click.option("--dask", "dask_address", default=None, metavar="ADDRESS",
                         help="Run on a dask.distributed scheduler (tcp://host:8786)."),
            click.option("--level", type=click.FloatRange(0.5, 0.999), default=0.95,
                         show_default=True, help="Confidence level of the intervals."))):
        f = opt(f)
    return f


@main.command()
@click.option("--board", default=None, help="Board (default mps2-an385, or the scenario's).")
@click.option("--scenario", type=click.Path(dir_okay=False), help="Scenario file (TOML).")
@click.option("--vary", "vary", multiple=True, metavar="KEY=VALUES",
              help="A key and its values (a,b,c or lo..hi:log:N / lo..hi:lin:N); repeatable, "
                   "the grid is the product. Default: rate over --from/--to/--points.")
@click.option("--from", "lo", type=POSITIVE, default=2_000, show_default=True,
              help="Lowest offered rate, requests per simulated second.")
@click.option("--to", "hi", type=POSITIVE, default=1_500_000, show_default=True,
              help="Highest offered rate.")
@click.option("--points", type=click.IntRange(2, 1000), default=12, show_default=True,
              help="Rates, log-spaced (2..1000).")
@click.option("--ticks", type=TICKS, default=None, help="Run length of each point.")
@_engine_options
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False),
              help="Write the points as CSV.")
@click.option("--runs-csv", type=click.Path(dir_okay=False), help="Write every run as CSV.")
@click.option("--runs-json", type=click.Path(dir_okay=False), help="Write every run as JSON.")
@click.option("--png", type=click.Path(dir_okay=False), help="Write the plot as PNG.")
@click.option("--html", type=click.Path(dir_okay=False), help="Write a page with plot and table.")
@click.option("--json", "as_json", is_flag=True, help="Print the points as JSON.")
def sweep(board, scenario, vary, lo, hi, points, ticks, seeds, jobs, dask_address, level,
          csv_path, runs_csv, runs_json, png, html, as_json):
    """Run one scenario over a grid of key values (default: a range of offered rates), each
    point over seeds, and show means with intervals and where livelock sets in."""
    from sim import plot
    from sim import sweep as sw
    from sim.boards import get_board
    from sim.export import check_writable
    from sim.study import grid, output
    from sim.study.study import Study, knees

    sc = _scenario(scenario, board, ticks, sw.default_sweep_scenario)
    keys = grid.parse_vary(vary) or sc.sweep.get("vary") or {"rate": sw.log_rates(lo, hi, points)}
    study = Study(sc, keys, seeds or sc.sweep.get("seeds", 1), level=level)
    for path in (csv_path, runs_csv, runs_json, png, html):
        if path:
            check_writable(path)
    with output.run_sinks(study.run_columns(), runs_csv, runs_json) as sinks, \
            _progress("sweep") as update:
        pts = study.run(jobs=jobs, dask=dask_address, sinks=sinks, progress=update)
    kn = knees(study, pts)
    today = list(keys) == ["rate"] and study.seeds == 1      # today's one-rate sweep pictures
    title = f"irqsim sweep on {get_board(sc.board).name} ({sc.origin})"
    if csv_path:
        (plot.write_csv(pts, csv_path) if today else output.write_points_csv(study, pts, csv_path))
    if png:
        (plot.write_png(pts, png, title) if today else output.write_png(study, pts, png, title))
    if html:
        (plot.write_html(pts, html, title, png_path=png) if today else
         output.write_html(study, pts, kn, html, title, png_path=png))
    if as_json:
        click.echo(json.dumps(output.study_dict(study, pts, kn), indent=1))
        return
    if today:
        _print_rates(pts)
    else:
        _print_points(study, pts, kn)
    for kind, path in (("csv", csv_path), ("runs csv", runs_csv), ("runs json", runs_json),
                       ("png", png), ("html", html)):
        if path:
            click.echo(f"wrote {kind}: {path}")


def _print_rates(pts):
    """Today's table of the one-seed rate sweep."""
    from sim import plot

    click.echo(f"{'offered/s':>11} {'handled/s':>11} {'coal+drop':>9} {'p99 lat':>8} {'thread':>7}")
    for p in pts:
        p99 = "-" if p["p99_latency_ticks"] is None else f"{p['p99_latency_ticks']:,}"
        click.echo(f"{p['rate_hz']:>11,.0f} {p['handled_rate_hz']:>11,.0f} "
                   f"{p['coalesced_dropped_share'] * 100:>8.1f}% {p99:>8} "
                   f"{p['thread_progress'] * 100:>6.1f}%")
    knee = plot.find_knee(pts)
    click.echo(f"livelock knee: {'%.0f requests/s' % knee if knee else 'not reached in this range'}")


def _pm(p, key, fmt):
    v, lo, hi = p.get(key), p.get(f"{key}_lo"), p.get(f"{key}_hi")
    if v is None:
        return "-"
    return fmt(v) + ("" if lo is None else f"±{fmt((hi - lo) / 2)}")


def _print_points(study, pts, kn):
    keys = study.keys
    click.echo(" ".join(f"{k:>14}" for k in keys) + f" {'handled/s':>16} {'coal+drop':>13} "
               f"{'p99 lat':>15} {'thread':>13}")
    pct = lambda v: f"{v * 100:.1f}%"   # noqa: E731
    for p in pts:
        click.echo(" ".join(f"{p[k]:>14,.6g}" if not isinstance(p[k], str) else f"{p[k]:>14}"
                            for k in keys)
                   + f" {_pm(p, 'handled_rate_hz', lambda v: f'{v:,.0f}'):>16}"
                   f" {_pm(p, 'coalesced_dropped_share', pct):>13}"
                   f" {_pm(p, 'p99_latency_ticks', lambda v: f'{v:,.0f}'):>15}"
                   f" {_pm(p, 'thread_progress', pct):>13}")
    if study.seeds > 1:
        click.echo(f"{study.seeds} seeds per point; ± is the half-width of the "
                   f"{study.level:.0%} Student t interval")
    for k in kn:
        where = f" ({k['group']})" if k["group"] else ""
        if k["knee_rate_hz"] is None:
            click.echo(f"livelock knee{where}: not reached in this range")
        else:
            lo, hi = _opt_rate(k["knee_lo_rate_hz"]), _opt_rate(k["knee_hi_rate_hz"])
            band = "" if study.seeds == 1 else f" (band {lo} .. {hi})"
            click.echo(f"livelock knee{where}: {k['knee_rate_hz']:.0f} requests/s{band}")


def _opt_rate(v):
    return "none" if v is None else f"{v:.0f}"


def _compare_scenario(path, board, ticks):
    from sim import storm as st

    if str(path).endswith(".toml"):
        return _scenario(path, board, ticks, st.default_scenario)
    return _scenario(None, board, ticks, st.default_scenario, elf=path)


@main.command()
@click.argument("a", type=click.Path(dir_okay=False))
@click.argument("b", type=click.Path(dir_okay=False))
@click.option("--board", default=None, help="Board (default mps2-an385, or the scenario's).")
@click.option("--ticks", type=TICKS, default=None, help="Run length of every run.")
@_engine_options
@click.option("--all", "show_all", is_flag=True, help="Show every metric (also per line).")
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON.")
def compare(a, b, board, ticks, seeds, jobs, dask_address, level, show_all, as_json):
    """Run two scenarios (.toml) or two images (ELF, under the default storm) on the same
    seeds, and test each metric's difference B - A (paired t on the per-seed differences)."""
    from sim.study.output import PANELS
    from sim.study.study import compare as run_compare

    sa, sb = _compare_scenario(a, board, ticks), _compare_scenario(b, board, ticks)
    with _progress("compare") as update:
        res = run_compare(sa, sb, seeds or 10, jobs=jobs, dask=dask_address, level=level,
                          progress=update)
    if as_json:
        click.echo(json.dumps(res, indent=1))
        return
    metrics = list(res["diff"]) if show_all else [m for m, _ in PANELS]
    click.echo(f"{res['seeds']} seeds on both; B - A with its {level:.0%} paired t interval; "
               f"* significant at {1 - level:.2g}")
    click.echo(f"{'metric':>34} {'A':>12} {'B':>12} {'B - A':>12} {'interval':>26} {'p':>8}")
    for m in metrics:
        d = res["diff"][m]
        if d["diff"] is None:
            continue
        iv = "-" if d["lo"] is None else f"[{d['lo']:.4g}, {d['hi']:.4g}]"
        p = "-" if d["p"] is None else f"{d['p']:.3g}"
        click.echo(f"{m:>34} {res['a'][m]:>12.5g} {res['b'][m]:>12.5g} {d['diff']:>12.4g} "
                   f"{iv:>26} {p:>8}{' *' if d['significant'] else ''}")


def _interactive() -> bool:
    """A person at a terminal: stdin and stdout are both ttys."""
    return sys.stdin.isatty() and sys.stdout.isatty()


class _IrqAt(click.ParamType):
    """LINE@TICK, checked by sim.explain.parse_irq (a ConfigError: one line, exit 1)."""
    name = "LINE@TICK"

    def convert(self, value, param, ctx):
        from sim.explain import parse_irq
        return value if isinstance(value, tuple) else parse_irq(value)


@main.command()
@click.argument("elf", required=False, type=click.Path(dir_okay=False))
@click.option("--board", default=None, help="Board (default mps2-an385, or the scenario's).")
@click.option("--scenario", type=click.Path(dir_okay=False),
              help="Scenario file (TOML): its first request is explained.")
@click.option("--irq", "irqs", multiple=True, type=_IrqAt(),
              help="An edge request on LINE at TICK (default 5@10000). Repeatable.")
@click.option("--no-pause", is_flag=True, help="Do not wait for Enter between steps.")
@click.option("--json", "as_json", is_flag=True, help="Print the steps as JSON.")
def explain(elf, board, scenario, irqs, no_pause, as_json):
    """Narrate an interrupt step by step with the numbers of this run: request, arbitration,
    entry, dispatch through the handler table, return, latency."""
    from sim.explain import explain as run_explain, format_step

    steps = run_explain(board, image=elf, requests=irqs, scenario=scenario)
    if as_json:
        click.echo(json.dumps({"steps": [s.to_dict() for s in steps]}, indent=1))
        return
    pause = not no_pause and _interactive()
    for i, s in enumerate(steps, 1):
        click.echo(format_step(s, i))
        if pause and i < len(steps):
            click.prompt("press Enter", default="", show_default=False, prompt_suffix=" ")


@main.command()
def boards():
    """List the bundled boards."""
    from sim.boards import board_names, get_board

    for name in board_names():
        b = get_board(name)
        click.echo(f"{name:16} {b.cpu:10} {b.arch:7} {b.controller['kind']:5} {b.summary}")


if __name__ == "__main__":
    main()


@main.command()
@click.argument("trace", type=click.Path(dir_okay=False))
@click.argument("elf", required=False, type=click.Path(dir_okay=False))
@click.option("-o", "--output", "out", required=True, type=click.Path(dir_okay=False),
              help="The page to write (HTML).")
@click.option("--board", default=None,
              help="Board of the run (default: the scenario's, else by the trace's architecture).")
@click.option("--scenario", type=click.Path(dir_okay=False), help="Scenario file of the run.")
@click.option("--ticks", type=TICKS, default=None, help="Run length the storm had.")
@click.option("--seed", type=click.IntRange(0, U64), default=None, help="Seed the storm had.")
@click.option("--rate", type=POSITIVE, default=None, help="--rate the storm had.")
@click.option("--at", "at", type=click.IntRange(0, U64), default=0, show_default=True,
              help="Narrate from the first request at or after this tick.")
@click.option("--narrate", type=click.IntRange(1, 2000), default=64, show_default=True,
              help="Requests narrated (with registers) on the page.")
@click.option("--no-run", is_flag=True,
              help="Do not make the run again: the timeline alone, no narration or registers.")
@click.option("--json", "as_json", is_flag=True, help="Print what the page holds as JSON.")
def view(trace, elf, out, board, scenario, ticks, seed, rate, at, narrate, no_run, as_json):
    """Write a trace (irqsim storm --jsonl) as one self-contained HTML page: a timeline per
    line, the thread and nesting depth, a cursor that steps event by event with the narration,
    registers and stack of the run made again (the storm's options name that run)."""
    from sim import storm as st
    from sim import view as vw

    tr = vw.read_trace(trace)
    sc = _scenario(scenario, board or (None if scenario else vw.board_for(tr)), ticks,
                   st.default_scenario, elf=elf, seed=seed, rate=rate)
    got = vw.write_view(tr, out, sc, run=not no_run, at=at, requests=narrate)
    if as_json:
        click.echo(json.dumps({"output": out, **got}, indent=1))
        return
    click.echo(f"wrote {out}: {got['events']:,} events, {len(got['rows'])} rows, "
               f"{got['narrated_steps']} narrated steps, {got['register_moments']} moments "
               "with registers")

"""The `irqsim` command: thin wrappers over the `sim` library.

Every command turns a `sim.errors.SimError` into one line on stderr and exit code 1.
"""

from __future__ import annotations

import contextlib
import json
import sys

import click

from sim.errors import ConfigError, SimError


class _Group(click.Group):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
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


@main.command()
@click.argument("elf", required=False, type=click.Path(dir_okay=False))
@click.option("--board", default="mps2-an385", show_default=True,
              help="Board name (see `irqsim boards`) or a board .toml file.")
@click.option("--ticks", default=10_000_000, show_default=True, type=int,
              help="Stop after this many retired instructions.")
@click.option("--irq", "irqs", multiple=True, metavar="LINE@TICK[:KIND]",
              help="Request on LINE at TICK (pulse by default; or :raise / :lower). Repeatable.")
@click.option("--until", default=None, help="Stop when PC reaches this symbol or address.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary instead.")
def run(elf, board, ticks, irqs, until, as_json):
    """Run ELF (default: the bundled demo) and print its console; exit with its exit code."""
    import sim

    m = sim.Machine.load(elf, board=board) if elf else sim.Machine.demo(board)
    for spec in irqs:
        line, tick, kind = _parse_irq(spec)
        getattr(m, {"pulse": "pulse_irq", "raise": "raise_irq", "lower": "lower_irq"}[kind])(
            line, at=tick)
    if until is not None:
        try:
            until = int(until, 0)
        except ValueError:
            pass
    stop = m.run(ticks=ticks, until=until)
    if as_json:
        click.echo(json.dumps({
            "image": str(m.image), "board": m.board.name, "stop": stop.reason,
            "ticks": stop.ticks, "pc": stop.pc, "exit_code": stop.exit_code,
            "console": m.console,
            "events": [e._asdict() for e in m.events],
        }))
    else:
        click.echo(m.console, nl=False)
        if stop.reason != "exit":
            click.echo(f"irqsim: stopped ({stop.reason}) at tick {stop.ticks}, pc {stop.pc:#x}",
                       err=True)
    sys.exit(stop.exit_code if stop.exit_code is not None else 0)


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
        if ticks < 1:
            raise ConfigError(f"--ticks must be >= 1 (got {ticks})")
        sc.ticks = ticks
    if seed is not None:
        sc.seed = seed
    if rate is not None:
        if not rate > 0:
            raise ConfigError(f"--rate must be a positive number of requests per second (got {rate})")
        sc = scaled(sc, rate)
    return sc


@main.command()
@click.argument("elf", required=False, type=click.Path(dir_okay=False))
@click.option("--board", default=None, help="Board (default mps2-an385, or the scenario's).")
@click.option("--scenario", type=click.Path(dir_okay=False), help="Scenario file (TOML).")
@click.option("--ticks", type=int, default=None, help="Run length in ticks.")
@click.option("--seed", type=int, default=None, help="Seed of all randomness.")
@click.option("--rate", type=float, default=None,
              help="Total rate of the Poisson sources, requests per simulated second.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--jsonl", type=click.Path(dir_okay=False), help="Export the trace as JSON lines.")
@click.option("--vcd", type=click.Path(dir_okay=False), help="Export a VCD (GTKWave).")
@click.option("--perfetto", type=click.Path(dir_okay=False),
              help="Export Chrome/Perfetto trace JSON (ui.perfetto.dev).")
def storm(elf, board, scenario, ticks, seed, rate, as_json, jsonl, vcd, perfetto):
    """Throw a seeded storm of interrupts at firmware (default: the bundled demo) and report
    what happened to every request."""
    from sim import storm as st

    sc = _scenario(scenario, board, ticks, st.default_scenario, elf=elf, seed=seed, rate=rate)
    exports = {**sc.export, **{k: v for k, v in
                                (("jsonl", jsonl), ("vcd", vcd), ("perfetto", perfetto)) if v}}
    with _progress("storm") as update:
        report = st.run_storm_with_exports(sc, exports, progress=update)
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=1))
    else:
        click.echo(report.format())
        for kind, path in exports.items():
            click.echo(f"wrote {kind}: {path}")


@main.command()
@click.option("--board", default=None, help="Board (default mps2-an385, or the scenario's).")
@click.option("--scenario", type=click.Path(dir_okay=False), help="Scenario file (TOML).")
@click.option("--from", "lo", type=float, default=2_000, show_default=True,
              help="Lowest offered rate, requests per simulated second.")
@click.option("--to", "hi", type=float, default=1_500_000, show_default=True,
              help="Highest offered rate.")
@click.option("--points", type=int, default=12, show_default=True, help="Rates, log-spaced.")
@click.option("--ticks", type=int, default=None, help="Run length of each point.")
@click.option("--jobs", type=int, default=None, help="Worker processes (default: every core).")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), help="Write the table as CSV.")
@click.option("--png", type=click.Path(dir_okay=False), help="Write the plot as PNG.")
@click.option("--html", type=click.Path(dir_okay=False), help="Write a page with plot and table.")
@click.option("--json", "as_json", is_flag=True, help="Print the points as JSON.")
def sweep(board, scenario, lo, hi, points, ticks, jobs, csv_path, png, html, as_json):
    """Run one scenario over a range of offered rates and show where livelock sets in."""
    from sim import plot
    from sim import sweep as sw

    sc = _scenario(scenario, board, ticks, sw.default_sweep_scenario)
    if jobs is not None and jobs < 1:
        raise ConfigError(f"--jobs must be >= 1 (got {jobs})")
    rates = sw.log_rates(lo, hi, points)
    with _progress("sweep") as update:
        pts = sw.run_sweep(sc, rates, jobs=jobs, progress=update)
    title = f"irqsim sweep on {sc.board} ({sc.origin})"
    if csv_path:
        plot.write_csv(pts, csv_path)
    if png:
        plot.write_png(pts, png, title)
    if html:
        plot.write_html(pts, html, title, png_path=png)
    if as_json:
        click.echo(json.dumps({"points": pts, "knee_rate_hz": plot.find_knee(pts)}, indent=1))
        return
    click.echo(f"{'offered/s':>11} {'handled/s':>11} {'coal+drop':>9} {'p99 lat':>8} {'thread':>7}")
    for p in pts:
        p99 = "-" if p["p99_latency_ticks"] is None else f"{p['p99_latency_ticks']:,}"
        click.echo(f"{p['rate_hz']:>11,.0f} {p['handled_rate_hz']:>11,.0f} "
                   f"{p['coalesced_dropped_share'] * 100:>8.1f}% {p99:>8} "
                   f"{p['thread_progress'] * 100:>6.1f}%")
    knee = plot.find_knee(pts)
    click.echo(f"livelock knee: {'%.0f requests/s' % knee if knee else 'not reached in this range'}")
    for kind, path in (("csv", csv_path), ("png", png), ("html", html)):
        if path:
            click.echo(f"wrote {kind}: {path}")


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
        click.echo(f"{name:12} {b.cpu:10} {b.arch:7} {b.controller['kind']}")


if __name__ == "__main__":
    main()

"""The `irqsim` command: thin wrappers over the `sim` library.

Every command turns a `sim.errors.SimError` into one line on stderr and exit code 1.
"""

from __future__ import annotations

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


@main.command()
def boards():
    """List the bundled boards."""
    from sim.boards import board_names, get_board

    for name in board_names():
        b = get_board(name)
        click.echo(f"{name:12} {b.cpu:10} {b.arch:7} {b.controller['kind']}")


if __name__ == "__main__":
    main()

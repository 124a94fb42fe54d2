"""`irqsim explain`: one interrupt request narrated step by step, with the numbers of this run.

    steps = sim.explain.explain(board="mps2-an385", requests=[(5, 10_000)])
    for s in steps:
        print(sim.explain.format_step(s))
    [s.to_dict() for s in steps]       # {kind, tick, title, text, facts}: what --json prints

Nothing here is canned: the machine runs twice. The first run records the trace and finds the
requests to follow (sim/explain/run.py); the second runs the same machine again to each moment
that matters (the block boundary that samples a request, the boundary where an exception is
taken, right after the entry with the frame stacked, the dispatch, the return:
Machine.run(ticks=...) and Machine.run(stop_on=...)) and reads registers, memory and the
controller there through the Machine's public API. A run split at these moments makes the same
trace as one run, which run.py checks. What each step says is built from those readings by the
architecture's narrator: sim/explain/armv7m.py (Cortex-M: NVIC arbitration, the stacked
frame, EXC_RETURN, the vector, tail-chaining) and sim/explain/rv32.py (RISC-V: PLIC, mstatus,
mcause/mepc, mtvec, claim/complete). The handler table's code comes from the image itself
(sim/explain/code.py).

A step's `facts` are plain JSON values (integers, strings, lists, dicts): the data a viewer
shows beside the text. Step kinds: request, pending, arbitration, entry, preempt, tail-chain,
late-arrival, claim, dispatch, code, table (a register / unregister call: its arguments and
the slot before it), return, complete, waiting, latency.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

from ..errors import ConfigError

DEFAULT_REQUEST = (5, 10_000)    # line 5 at tick 10000: after the demo's boot on both boards
MAX_FOLLOWED = 8                 # requests followed in one explanation


@dataclass
class Step:
    kind: str
    tick: int
    title: str
    text: str
    facts: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "tick": self.tick, "title": self.title, "text": self.text,
                "facts": self.facts}


def parse_irq(spec: str) -> tuple[int, int]:
    """"LINE@TICK" -> (line, tick); ConfigError naming the form otherwise."""
    line, sep, tick = spec.partition("@")
    try:
        if not sep:
            raise ValueError
        out = int(line, 0), int(tick, 0)
    except ValueError:
        raise ConfigError(f"--irq {spec!r}: expected LINE@TICK, e.g. 5@10000") from None
    if out[0] < 0 or out[1] < 0:
        raise ConfigError(f"--irq {spec!r}: the line and the tick must be >= 0")
    return out


def explain(board: str | None = None, *, image=None, requests=(), scenario=None,
            setup=None) -> list[Step]:
    """The steps of the first request(s) of a run, narrated from the run itself.

    `board` (default the scenario's, else mps2-an385), `image` (an ELF; default the bundled
    demo), `requests` [(line, tick), ...] (edge requests; default one on line 5 at tick 10000
    when there is no scenario), `scenario` (a storm scenario file: its image, [demo] settings
    and sources; the first request is followed, with those that come before it is over).
    `setup(machine)`, if given, is called on each machine before it runs (both runs get the
    same), e.g. to write a register the firmware leaves at its reset value:
    `setup=lambda m: m.mem_write(0xE000EF34, (1 << 31).to_bytes(4, "little"))` (FPCCR with
    LSPEN = 0: eager FP stacking)."""
    from .run import explain_run
    return explain_run(board=board, image=image, requests=list(requests), scenario=scenario,
                       setup=setup)


def format_step(step: Step, number: int | None = None, width: int = 100) -> str:
    """A step as text for a terminal: its title line, then its text, prose wrapped at `width`
    (indented lines, the frame and the code listings, as they are)."""
    head = f"[{number}] " if number is not None else ""
    body = "\n".join(line if line.startswith("  ") else textwrap.fill(line, width)
                     for line in step.text.splitlines())
    return f"{head}{step.title}  (tick {step.tick:,})\n{body}\n"


__all__ = ["DEFAULT_REQUEST", "Step", "explain", "format_step", "parse_irq"]

"""Storm scenarios: the model (Scenario, Source), the default storm, and scenario files (TOML)
with their validation. Every mistake in a file is a ConfigError naming the file and the key."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from ..boards import get_board, read_toml
from ..checks import U32_MAX, U64_MAX, is_int
from ..codes import SOURCE_KINDS
from ..demo import STORM_SETTINGS
from ..errors import ConfigError

KINDS = tuple(SOURCE_KINDS)
DEMO_IMAGE = "demo"             # a scenario's image: the bundled demo firmware of its board

SOURCE_KEYS = {
    "once": {"at"},
    "periodic": {"period", "phase", "jitter"},
    "poisson": {"rate_hz"},
    "burst": {"count", "spacing", "gap"},
    "replay": {"ticks"},
}
COMMON_SOURCE_KEYS = {"kind", "line", "lines", "weights", "trigger", "hold", "start", "stop"}
SCENARIO_KEYS = {"board", "image", "ticks", "seed", "source", "export", "demo", "runaway_limit",
                 "sweep"}
EXPORT_KEYS = {"jsonl", "vcd", "perfetto", "html"}   # html: the trace viewer's page

# Limits a scenario is checked against before it runs (README "Limits")
MAX_REQUESTS_PER_TICK = 16      # the mean offered rate of all sources together
MAX_BURST_COUNT = 1 << 20       # requests in one burst
TRACE_BYTES_PER_REQUEST = 128   # about 8 trace records of 16 bytes follow one request
MAX_TRACE_BYTES = 4 << 30       # the estimated trace of a run with exports


@dataclass
class Source:
    kind: str
    lines: list
    weights: list | None = None
    trigger: str = "pulse"          # "pulse" (edge) or "level"
    hold: int | str = 0             # level: ticks held high, or "ack" (until the handler acks)
    start: int = 0
    stop: int = 0                   # 0: runs to the end
    at: int = 0                     # once
    period: int = 0                 # periodic
    phase: int = 0
    jitter: int = 0
    rate_hz: float = 0.0            # poisson: mean requests per simulated second
    count: int = 0                  # burst
    spacing: int = 0
    gap: int = 0
    ticks: list = field(default_factory=list)   # replay


@dataclass
class Scenario:
    board: str = "mps2-an385"
    image: str = DEMO_IMAGE
    ticks: int = 2_000_000
    seed: int = 1
    sources: list = field(default_factory=list)
    export: dict = field(default_factory=dict)
    demo: dict = field(default_factory=dict)
    runaway_limit: int = 0
    sweep: dict = field(default_factory=dict)   # [sweep]: {"vary": {key: [values]}, "seeds": n}
    origin: str = "scenario"        # file name, for messages

    def offered_rate_hz(self, clock_hz: int) -> float:
        """Mean requests per simulated second over the run, all sources together."""
        return sum(source_rate_hz(self, s, clock_hz) for s in self.sources)


def default_scenario(board: str = "mps2-an385") -> Scenario:
    """The storm `irqsim storm` runs with no arguments: several lines at mixed priorities, one
    with an empty table slot (line 3 on Cortex-M, source 3 on RISC-V), bursts that coalesce, a
    level line, and a busy handler that gets preempted."""
    b = get_board(board)
    ln = lambda n: n + b.adapter.first_line  # noqa: E731
    return Scenario(
        board=b.name, ticks=4_000_000, seed=1,
        sources=[
            Source("poisson", [ln(0), ln(1), ln(2), ln(3)], weights=[4, 3, 2, 1], rate_hz=60_000),
            Source("periodic", [ln(5)], period=5_000, jitter=200),
            Source("burst", [ln(4)], count=6, spacing=30, gap=40_000),
            Source("poisson", [ln(6)], rate_hz=2_000, trigger="level", hold=400),
        ],
        demo={"handler_work": {ln(4): 150, ln(2): 40}},
        origin="default storm")


# ---- scenario files ---------------------------------------------------------------------------

def load_scenario(path) -> Scenario:
    path = Path(path)
    return scenario_from_dict(read_toml(path, "scenario file"), str(path))


def _bad(origin, key, msg):
    return ConfigError(f"{origin}: {key}: {msg}")


def _int(origin, key, v, lo=0, hi=U64_MAX):
    if not is_int(v):
        raise _bad(origin, key, f"must be an integer (got {v!r})")
    if v < lo:
        raise _bad(origin, key, f"must be >= {lo} (got {v})")
    if v > hi:
        raise _bad(origin, key, f"must be <= {hi} (got {v})")
    return v


def scenario_from_dict(d: dict, origin: str = "scenario") -> Scenario:
    unknown = set(d) - SCENARIO_KEYS
    if unknown:
        raise _bad(origin, ", ".join(sorted(unknown)),
                   f"unknown key; allowed: {', '.join(sorted(SCENARIO_KEYS))}")
    sc = Scenario(origin=origin)
    if "board" in d:
        if not isinstance(d["board"], str):
            raise _bad(origin, "board", "must be a board name or a board .toml path")
        sc.board = d["board"]
    if "image" in d:
        if not isinstance(d["image"], str):
            raise _bad(origin, "image", "must be a path to an ELF, or \"demo\"")
        sc.image = d["image"]
        if sc.image != DEMO_IMAGE and not Path(sc.image).is_absolute() and origin.endswith(".toml"):
            sc.image = str(Path(origin).parent / sc.image)
    if "ticks" in d:
        sc.ticks = _int(origin, "ticks", d["ticks"], 1)
    if "seed" in d:
        sc.seed = _int(origin, "seed", d["seed"])
    if "runaway_limit" in d:
        sc.runaway_limit = _int(origin, "runaway_limit", d["runaway_limit"])
    srcs = d.get("source", [])
    if not isinstance(srcs, list) or not srcs:
        raise _bad(origin, "source", "needs at least one [[source]] table")
    sc.sources = [_source(origin, i, s) for i, s in enumerate(srcs)]
    exp = d.get("export", {})
    if not isinstance(exp, dict) or set(exp) - EXPORT_KEYS:
        raise _bad(origin, "export", f"allowed keys: {', '.join(sorted(EXPORT_KEYS))} (file paths)")
    for k, v in exp.items():
        if not isinstance(v, str) or not v:
            raise _bad(origin, f"export.{k}", f"must be a file path, a string (got {v!r})")
    sc.export = dict(exp)
    demo = d.get("demo", {})
    if not isinstance(demo, dict) or set(demo) - STORM_SETTINGS:
        raise _bad(origin, "demo", f"allowed keys: {', '.join(sorted(STORM_SETTINGS))}")
    if "handler_work" in demo:
        hw = demo["handler_work"]
        if not isinstance(hw, dict):
            raise _bad(origin, "demo.handler_work", "must be a table of line = iterations")
        try:
            demo["handler_work"] = {int(k): _int(origin, f"demo.handler_work.{k}", v, 0, U32_MAX)
                                    for k, v in hw.items()}
        except ValueError:
            raise _bad(origin, "demo.handler_work", "keys must be line numbers") from None
    for k, lo in (("toggle_line", 0), ("toggle_period", 1)):
        if k in demo:
            _int(origin, f"demo.{k}", demo[k], lo, U32_MAX)
    sc.demo = demo
    if "sweep" in d:
        from ..study.grid import sweep_table     # the grid's own syntax and checks
        sc.sweep = sweep_table(origin, d["sweep"])
    return sc


def scenario_to_dict(sc: Scenario) -> dict:
    """The scenario as the table a scenario file holds (scenario_from_dict reads it back to the
    same scenario); the board as its name or path ([sweep] not included)."""
    d = {"board": sc.board if isinstance(sc.board, str) else str(sc.board.path),
         "image": str(sc.image), "ticks": sc.ticks, "seed": sc.seed,
         "runaway_limit": sc.runaway_limit, "source": [_source_dict(s) for s in sc.sources],
         "export": dict(sc.export), "demo": {k: (dict(v) if isinstance(v, dict) else v)
                                             for k, v in sc.demo.items()}}
    if "handler_work" in d["demo"]:
        d["demo"]["handler_work"] = {str(k): v for k, v in d["demo"]["handler_work"].items()}
    return d


def _source_dict(s: Source) -> dict:
    out = {"kind": s.kind, "lines": list(s.lines), "trigger": s.trigger}
    if s.weights is not None:
        out["weights"] = list(s.weights)
    if s.trigger == "level":
        out["hold"] = s.hold
    for k in ("start", "stop") if s.kind != "once" else ("stop",):
        out[k] = getattr(s, k)
    for k in SOURCE_KEYS[s.kind]:
        v = getattr(s, k)
        out[k] = list(v) if isinstance(v, list) else v
    return out


def _source(origin, i, s) -> Source:
    where = f"source[{i}]"
    if not isinstance(s, dict):
        raise _bad(origin, where, "must be a table")
    kind = s.get("kind")
    if kind not in KINDS:
        raise _bad(origin, f"{where}.kind", f"must be one of {', '.join(KINDS)} (got {kind!r})")
    allowed = COMMON_SOURCE_KEYS | SOURCE_KEYS[kind]
    unknown = set(s) - allowed
    if unknown:
        raise _bad(origin, f"{where}.{sorted(unknown)[0]}",
                   f"unknown key for a {kind} source; allowed: {', '.join(sorted(allowed))}")
    if ("line" in s) == ("lines" in s):
        raise _bad(origin, where, "give exactly one of line = N or lines = [N, ...]")
    lines = [s["line"]] if "line" in s else s["lines"]
    if not isinstance(lines, list) or not lines:
        raise _bad(origin, f"{where}.lines", "must be a non-empty list of line numbers")
    lines = [_int(origin, f"{where}.lines", x) for x in lines]
    src = Source(kind, lines)
    if "weights" in s:
        w = s["weights"]
        if (not isinstance(w, list) or len(w) != len(lines)
                or not all((is_int(x) or isinstance(x, float)) and 0 <= x < 1e300 for x in w)
                or sum(w) <= 0):
            raise _bad(origin, f"{where}.weights", "must be non-negative numbers, one per line, "
                       "not all zero")
        src.weights = list(w)
    trig = s.get("trigger", "pulse")
    if trig not in ("pulse", "level"):
        raise _bad(origin, f"{where}.trigger", "must be \"pulse\" (edge) or \"level\"")
    src.trigger = trig
    if "hold" in s:
        if trig != "level":
            raise _bad(origin, f"{where}.hold", "only a level source holds its line")
        h = s["hold"]
        if h != "ack":
            h = _int(origin, f"{where}.hold", h, 1)
        src.hold = h
    elif trig == "level":
        raise _bad(origin, f"{where}.hold", "a level source needs hold = TICKS or hold = \"ack\"")
    for k in ("start", "stop", "at", "period", "phase", "jitter", "count", "spacing", "gap"):
        if k in s:
            setattr(src, k, _int(origin, f"{where}.{k}", s[k]))
    if kind == "periodic" and src.period < 1:
        raise _bad(origin, f"{where}.period", "must be >= 1 tick")
    if kind == "periodic" and src.jitter >= src.period:
        raise _bad(origin, f"{where}.jitter", "must be smaller than the period")
    if kind == "poisson":
        r = s.get("rate_hz")
        if isinstance(r, bool) or not isinstance(r, (int, float)) or not r > 0 or math.isinf(r):
            raise _bad(origin, f"{where}.rate_hz", f"must be a positive number of requests per "
                       f"simulated second (got {r!r})")
        src.rate_hz = float(r)
    if kind == "burst":
        if not 1 <= src.count <= MAX_BURST_COUNT:
            raise _bad(origin, f"{where}.count", f"must be 1..{MAX_BURST_COUNT} (got {src.count})")
        if src.gap < 1:
            raise _bad(origin, f"{where}.gap", "must be >= 1 tick")
    if kind == "replay":
        t = s.get("ticks")
        if not isinstance(t, list) or not t or any(isinstance(x, bool) or not isinstance(x, int)
                                                   or x < 0 for x in t):
            raise _bad(origin, f"{where}.ticks", "must be a non-empty list of ticks >= 0")
        if t != sorted(t):
            raise _bad(origin, f"{where}.ticks", "must be in ascending order")
        src.ticks = list(t)
    if kind == "once":
        src.start = src.at
    if src.stop and src.stop <= src.start:
        raise _bad(origin, f"{where}.stop", "must be after start")
    return src


def source_rate_hz(sc: Scenario, s: Source, clock_hz: int) -> float:
    """Mean requests per simulated second that source `s` offers over the run."""
    span = max(1, (s.stop or sc.ticks) - s.start)
    if s.kind == "poisson":
        return s.rate_hz
    if s.kind == "periodic":
        return clock_hz / max(1, s.period)
    if s.kind == "burst":
        return clock_hz * s.count / max(1, (s.count - 1) * s.spacing + s.gap)
    if s.kind == "once":
        return clock_hz / span
    return clock_hz * len(s.ticks) / span


def check_limits(sc: Scenario, board, *, tracing: bool) -> None:
    """Refuses, before the run, a scenario whose request rate (or, with `tracing`, whose trace)
    would pass the limits above; the message names the source and the figure."""
    clock = board.clock_hz
    rates = [source_rate_hz(sc, s, clock) / clock for s in sc.sources]
    total = sum(rates)
    if not rates:
        return
    i = max(range(len(rates)), key=rates.__getitem__)
    keys = {"poisson": "rate_hz", "periodic": "period", "burst": "count, spacing and gap",
            "once": "at", "replay": "ticks"}[sc.sources[i].kind]
    if total > MAX_REQUESTS_PER_TICK:
        raise ConfigError(f"{sc.origin}: the sources offer {total:.3g} requests per tick (the "
                          f"most, source[{i}], through its {keys}: {rates[i]:.3g}); at most "
                          f"{MAX_REQUESTS_PER_TICK} per tick are allowed")
    trace = total * sc.ticks * TRACE_BYTES_PER_REQUEST
    if tracing and trace > MAX_TRACE_BYTES:
        raise ConfigError(f"{sc.origin}: the trace of this run would be about {trace / 2**30:.1f} "
                          f"GiB ({total * sc.ticks:.3g} requests over ticks = {sc.ticks}, "
                          f"source[{i}]'s {keys} the most); exports allow at most "
                          f"{MAX_TRACE_BYTES / 2**30:.0f} GiB: shorten the run or lower the rate")


def check_against_board(sc: Scenario, board) -> None:
    lo = board.adapter.first_line
    for i, s in enumerate(sc.sources):
        for line in s.lines:
            if not lo <= line < board.num_lines:
                raise ConfigError(f"{sc.origin}: source[{i}].lines: line {line} is beyond board "
                                  f"{board.name} (lines {lo}..{board.num_lines - 1})")

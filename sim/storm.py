"""IRQ storms: seeded sources, outcome accounting, latency, nesting, stack and progress reports.

A scenario names a board, an image (default: the bundled demo), a run length in ticks, a seed and
a list of sources. The sources run in the native core (sim/native/storm.c): requests are made
lazily at block boundaries, so a storm of millions of requests needs no memory per request, and
every request is followed to exactly one outcome there.

Outcomes (the report's columns; they always add up to the requests, or the run fails):
  handled    a handler ran from the table (or, for firmware without the table, returned)
  unhandled  the table slot was empty when the handler dispatched
  coalesced  the request arrived while the same interrupt was already pending: merged
  pending    still pending at the end, and it would be taken next
  masked     still pending at the end, held off by a disabled line or the execution priority
  dropped    gone without a handler run, by reason: cleared (the firmware cleared the pending
             state), lowered (a level request withdrawn where the controller forgets it),
             in-handler (the run ended inside its handler before the table dispatch)
"""

from __future__ import annotations

import dataclasses
import math
import os
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ConfigError, SimError
from .native import ffi, lib

KINDS = ("once", "periodic", "poisson", "burst", "replay")
SRC_IDS = {"once": 1, "periodic": 2, "poisson": 3, "burst": 4, "replay": 5}
NONE = (1 << 64) - 1
HIST_BUCKETS = 3840
DEMO_IMAGE = "demo"

SOURCE_KEYS = {
    "once": {"at"},
    "periodic": {"period", "phase", "jitter"},
    "poisson": {"rate_hz"},
    "burst": {"count", "spacing", "gap"},
    "replay": {"ticks"},
}
COMMON_SOURCE_KEYS = {"kind", "line", "lines", "weights", "trigger", "hold", "start", "stop"}
SCENARIO_KEYS = {"board", "image", "ticks", "seed", "source", "export", "demo", "runaway_limit"}
EXPORT_KEYS = {"jsonl", "vcd", "perfetto"}
DEMO_KEYS = {"handler_work", "toggle_line", "toggle_period"}


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
    origin: str = "scenario"        # file name, for messages

    def offered_rate_hz(self, clock_hz: int) -> float:
        """Mean requests per simulated second over the run, all sources together."""
        total = 0.0
        for s in self.sources:
            span = max(1, (s.stop or self.ticks) - s.start)
            if s.kind == "poisson":
                total += s.rate_hz
            elif s.kind == "periodic":
                total += clock_hz / s.period
            elif s.kind == "burst":
                total += clock_hz * s.count / max(1, (s.count - 1) * s.spacing + s.gap)
            elif s.kind == "once":
                total += clock_hz / span
            else:
                total += clock_hz * len(s.ticks) / span
        return total


def default_scenario(board: str = "mps2-an385") -> Scenario:
    """The storm `irqsim storm` runs with no arguments: several lines at mixed priorities, one
    with an empty table slot (line 3 on Cortex-M, source 3 on RISC-V), bursts that coalesce, a
    level line, and a busy handler that gets preempted."""
    from .boards import get_board

    b = get_board(board)
    base = 0 if b.arch == "armv7m" else 1
    ln = lambda n: n + base  # noqa: E731
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
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"scenario file {path} does not exist") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: not valid TOML ({e})") from None
    return scenario_from_dict(data, str(path))


def _bad(origin, key, msg):
    return ConfigError(f"{origin}: {key}: {msg}")


def _int(origin, key, v, lo=0):
    if isinstance(v, bool) or not isinstance(v, int):
        raise _bad(origin, key, f"must be an integer (got {v!r})")
    if v < lo:
        raise _bad(origin, key, f"must be >= {lo} (got {v})")
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
    sc.export = {k: str(v) for k, v in exp.items()}
    demo = d.get("demo", {})
    if not isinstance(demo, dict) or set(demo) - DEMO_KEYS:
        raise _bad(origin, "demo", f"allowed keys: {', '.join(sorted(DEMO_KEYS))}")
    if "handler_work" in demo:
        hw = demo["handler_work"]
        if not isinstance(hw, dict):
            raise _bad(origin, "demo.handler_work", "must be a table of line = iterations")
        try:
            demo["handler_work"] = {int(k): _int(origin, f"demo.handler_work.{k}", v)
                                    for k, v in hw.items()}
        except ValueError:
            raise _bad(origin, "demo.handler_work", "keys must be line numbers") from None
    sc.demo = demo
    return sc


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
                or not all(isinstance(x, (int, float)) and x >= 0 for x in w) or sum(w) <= 0):
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
        if src.count < 1:
            raise _bad(origin, f"{where}.count", "must be >= 1")
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


def check_against_board(sc: Scenario, board) -> None:
    lo = 0 if board.arch == "armv7m" else 1
    for i, s in enumerate(sc.sources):
        for line in s.lines:
            if not lo <= line < board.num_lines:
                raise ConfigError(f"{sc.origin}: source[{i}].lines: line {line} is beyond board "
                                  f"{board.name} (lines {lo}..{board.num_lines - 1})")


# ---- running ---------------------------------------------------------------------------------

def _seed_for(master: int, index: int) -> int:
    """Per-source seeds: splitmix64 of the master seed and the source's index (pure integers)."""
    z = (master * 0x9E3779B97F4A7C15 + (index + 1) * 0xD1B54A32D192ED03) & NONE
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & NONE
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & NONE
    return z ^ (z >> 31)


def prepare_machine(sc: Scenario, *, trace: bool):
    """A machine with the scenario's image, demo settings and sources, ready to run."""
    from .boards import get_board
    from .machine import Machine

    board = get_board(sc.board)
    check_against_board(sc, board)
    # irqsim's acknowledge register, where a handler writes its line to lower a level request:
    # a board device (kind = "ack")
    ack = [d for d in board.devices if d.get("kind") == "ack"]
    if any(s.hold == "ack" for s in sc.sources) and not ack:
        raise ConfigError(f"{sc.origin}: hold = \"ack\" needs an acknowledge register, and board "
                          f"{board.name} has none (a [[devices]] entry with kind = \"ack\")")
    m = Machine.demo(board) if sc.image == DEMO_IMAGE else Machine.load(sc.image, board)
    is_demo = "demo_loops" in m.symbols
    if is_demo:
        m.symbols["demo_loops"].write("<I", 0)    # the main loop runs for the whole storm
    for line, n in sc.demo.get("handler_work", {}).items():
        _need_demo(m, sc, "handler_work")
        _write_elem(m, "handler_work", line, n)
    if "toggle_line" in sc.demo:
        _need_demo(m, sc, "toggle_line")
        m.symbols["demo_toggle_line"].write("<I", sc.demo["toggle_line"])
        m.symbols["demo_toggle_period"].write("<I", sc.demo.get("toggle_period", 1000))
    if any(s.hold == "ack" for s in sc.sources) and is_demo:
        m.symbols["demo_ack_addr"].write("<I", ack[0]["base"])
    m.runaway_limit = sc.runaway_limit
    if lib.storm_init(m._core, board.num_lines):
        raise MemoryError("cannot allocate the storm accounting")
    lib.core_set_trace(m._core, 1 if trace else 0, 1 << 16)
    for i, s in enumerate(sc.sources):
        _add_source(m, sc, i, s, board.clock_hz)
    return m


def _need_demo(m, sc, what):
    if "handler_work" not in m.symbols:
        raise ConfigError(f"{sc.origin}: demo.{what}: the image is not the irqsim demo "
                          "(it has no handler_work / demo_toggle_line symbols)")


def _write_elem(m, name, index, value):
    sym = m.symbols[name]
    if not 0 <= index < sym.size // 4:
        raise ConfigError(f"{name}[{index}]: index out of range (0..{sym.size // 4 - 1})")
    vals = list(sym.read(f"<{sym.size // 4}I"))
    vals[index] = value
    sym.write(f"<{len(vals)}I", *vals)


def _add_source(m, sc, i, s: Source, clock_hz):
    spec = ffi.new("struct storm_spec *")
    spec.kind = SRC_IDS[s.kind]
    spec.trigger = 1 if s.trigger == "level" else 3
    spec.start = s.start
    spec.stop = s.stop
    spec.period, spec.phase, spec.jitter = s.period, s.phase, s.jitter
    spec.rate_per_tick = s.rate_hz / clock_hz
    spec.burst, spec.spacing, spec.gap = s.count, s.spacing, s.gap
    spec.hold = 0 if s.hold == "ack" else int(s.hold)
    spec.seed = _seed_for(sc.seed, i)
    spec.nlines = len(s.lines)
    spec.nreplay = len(s.ticks)
    lines = ffi.new("uint32_t[]", s.lines)
    # integer weights: the float weights scaled to 2^32 in total, rounded (deterministic)
    w = s.weights or [1] * len(s.lines)
    total = float(sum(w))
    weights = ffi.new("uint64_t[]", [max(0, round(x / total * (1 << 32))) for x in w])
    replay = ffi.new("uint64_t[]", s.ticks or [0])
    r = lib.core_add_source(m._core, spec, lines, weights, replay)
    if r:
        raise ConfigError(f"{sc.origin}: source[{i}]: rejected by the core (code {r}): check "
                          "its lines, weights and rates")


def run_storm(sc: Scenario, *, progress=None, baseline: bool = True, trace_path=None):
    """Runs the scenario and returns a Report. `progress(done_ticks, total)` is called between
    chunks. With `trace_path`, the trace streams to that file (raw records, sim.trace)."""
    from .trace import TraceWriter

    m = prepare_machine(sc, trace=trace_path is not None)
    sp0 = _initial_sp(m)
    paint = _paint_stack(m, sp0)
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
    base = _baseline(sc, m.ticks) if baseline else None
    return build_report(m, sc, stop, paint, sp0, base)


def _baseline(sc, ticks):
    """The same image, settings and length with no requests: the main loop's progress (None for
    images without the demo's thread_progress counter) and the stack's peak without interrupts."""
    m = prepare_machine(dataclasses.replace(sc, sources=[]), trace=False)
    sp0 = _initial_sp(m)
    paint = _paint_stack(m, sp0)
    m.run(ticks=ticks)
    loops = m.symbols["thread_progress"].read() if "thread_progress" in m.symbols else None
    return {"loops": loops, "stack_peak": _stack_high_water(m, paint, sp0)}


def _initial_sp(m):
    """The stack pointer the firmware starts with: Cortex-M loads it from the vector table at
    reset; RISC-V start-up code sets it from the linker script's stack symbol."""
    sp = m.reg("sp")
    if sp:
        return sp
    for name in ("_estack", "__stack_top", "_stack_top", "__StackTop"):
        if name in m.symbols:
            return m.symbols[name].address
    return 0


PAINT = 0xA5
PAINT_DEPTH = 64 * 1024


def _paint_stack(m, sp):
    """Fills the stack below SP with a pattern (at most 64 KiB, not below the image's data), so
    the deepest write shows afterwards as the high-water mark."""
    lo = sp - PAINT_DEPTH
    for name in ("__bss_end", "_end", "__heap_start"):
        if name in m.symbols:
            lo = max(lo, m.symbols[name].address)
            break
    lo = (lo + 3) & ~3
    hi = sp - 64           # leave the words the running code may be using
    if hi <= lo or m.board.region_of(lo, hi - lo) is None:
        return None
    m.mem_write(lo, bytes([PAINT]) * (hi - lo))
    return lo, hi


def _stack_high_water(m, paint, sp0):
    if paint is None:
        return None
    lo, hi = paint
    data = m.mem_read(lo, hi - lo)
    untouched = len(data) - len(data.lstrip(bytes([PAINT])))
    deepest = lo + untouched
    return sp0 - deepest if untouched < len(data) else 64


# ---- the report ------------------------------------------------------------------------------

OUTCOMES = ("handled", "unhandled", "coalesced", "pending", "masked", "dropped")


def _percentiles(hist, total):
    if not total:
        return {"p50": None, "p90": None, "p99": None}
    out = {}
    for name, q in (("p50", 0.50), ("p90", 0.90), ("p99", 0.99)):
        rank = max(1, math.ceil(q * total))
        acc = 0
        for b, n in enumerate(hist):
            acc += n
            if acc >= rank:
                out[name] = lib.acct_bucket_low(b)
                break
    return out


def build_report(m, sc, stop, paint, sp0, baseline):
    """The report of machine `m` after running `sc`. `paint`: the painted stack range (or None),
    `baseline`: what _baseline measured without requests (or None)."""
    board = m.board
    n = board.num_lines
    acct = ffi.new("struct line_acct[]", n)
    lib.core_storm_lines(m._core, acct, n)
    lines, hist_total = {}, [[0] * HIST_BUCKETS, [0] * HIST_BUCKETS]
    totals = {k: 0 for k in ("requests", *OUTCOMES, "preempting", "tail_chained", "entries")}
    drop_totals = {"cleared": 0, "lowered": 0, "in-handler": 0}
    max_lat = [0, 0]
    hbuf = ffi.new("uint64_t[]", HIST_BUCKETS)
    for line in range(n):
        a = acct[line]
        if not a.requests:
            continue       # lines only the firmware pended (self-tests, timers) make no requests
        pending = masked = 0
        if a.pend_req != NONE:
            if m.line_masked(line):
                masked = 1
            else:
                pending = 1
        in_handler = 1 if (a.svc_req != NONE and not a.svc_dispatched) else 0
        dropped = {"cleared": a.cleared, "lowered": a.lowered, "in-handler": in_handler}
        row = {"requests": a.requests, "handled": a.handled, "unhandled": a.unhandled,
               "coalesced": a.coalesced, "pending": pending, "masked": masked,
               "dropped": sum(dropped.values()), "dropped_by": dropped,
               "entries": a.entries, "preempting": a.preempting, "tail_chained": a.tailchained}
        for which, key in ((0, "latency_entry"), (1, "latency_return")):
            lib.core_storm_hist(m._core, line, which, hbuf)
            h = list(hbuf)
            count = sum(h)
            for b, v in enumerate(h):
                if v:
                    hist_total[which][b] += v
            mx = a.max_entry_latency if which == 0 else a.max_return_latency
            max_lat[which] = max(max_lat[which], mx)
            row[key] = {**_percentiles(h, count), "max": mx if count else None, "count": count}
        accounted = sum(row[k] for k in OUTCOMES)
        if accounted != a.requests:
            raise SimError(f"outcome accounting does not add up on line {line}: {a.requests} "
                           f"requests but {accounted} outcomes ({row}); this is a bug in irqsim, "
                           "please report it with the scenario")
        lines[line] = row
        for k in totals:
            totals[k] += row[k] if k in row else 0
        for k, v in dropped.items():
            drop_totals[k] += v
    totals["dropped_by"] = drop_totals
    for which, key in ((0, "latency_entry"), (1, "latency_return")):
        count = sum(hist_total[which])
        totals[key] = {**_percentiles(hist_total[which], count),
                       "max": max_lat[which] if count else None, "count": count}
    assert sum(totals[k] for k in OUTCOMES) == totals["requests"]
    th, hd = ffi.new("uint64_t *"), ffi.new("uint64_t *")
    lib.core_thread_ticks(m._core, th, hd)
    seconds = m.ticks / board.clock_hz
    progress = {"thread_ticks": th[0], "handler_ticks": hd[0],
                "thread_share": th[0] / m.ticks if m.ticks else 1.0,
                "thread_ips": th[0] / seconds if seconds else 0.0}
    base_loops = baseline["loops"] if baseline else None
    if base_loops is not None and "thread_progress" in m.symbols:
        loops = m.symbols["thread_progress"].read()
        progress["loops"] = loops
        progress["loops_baseline"] = base_loops
        progress["relative"] = loops / base_loops if base_loops else None
    else:
        progress["relative"] = progress["thread_share"]
    peak = _stack_high_water(m, paint, sp0)
    stack = {"peak_bytes": peak, "initial_sp": sp0}
    if baseline and baseline["stack_peak"] is not None and peak is not None:
        # the thread's own peak, measured without interrupts; what handlers add on top of it
        stack["thread_alone_bytes"] = baseline["stack_peak"]
        stack["handlers_add_bytes"] = max(0, peak - baseline["stack_peak"])
    nest = m.nesting()
    return Report(
        board=board.name, image=str(m.image), seed=sc.seed, ticks=m.ticks,
        clock_hz=board.clock_hz, stop=stop.reason,
        offered_rate_hz=sc.offered_rate_hz(board.clock_hz),
        lines=lines, totals=totals, progress=progress, nesting=nest,
        stack=stack,
    )


@dataclass
class Report:
    board: str
    image: str
    seed: int
    ticks: int
    clock_hz: int
    stop: str
    offered_rate_hz: float
    lines: dict
    totals: dict
    progress: dict
    nesting: dict
    stack: dict

    def to_dict(self):
        d = dataclasses.asdict(self)
        d["lines"] = {str(k): v for k, v in self.lines.items()}
        return d

    def format(self) -> str:
        t = self.totals
        secs = self.ticks / self.clock_hz
        out = [f"irqsim storm on {self.board}: {self.ticks:,} ticks ({secs * 1e3:.1f} ms simulated), "
               f"seed {self.seed}, {t['requests']:,} requests "
               f"({self.offered_rate_hz:,.0f}/s offered)", ""]
        hdr = (f"{'line':>5} {'requests':>9} {'handled':>8} {'unhandl':>8} {'coalesc':>8} "
               f"{'pending':>8} {'masked':>7} {'dropped':>8} {'lat p50':>8} {'p90':>6} {'p99':>6} "
               f"{'max':>7} {'ret p99':>8} {'preempt':>8} {'tailch':>7}")
        out.append(hdr)
        out.append("-" * len(hdr))

        def row(name, r):
            le, lr = r["latency_entry"], r["latency_return"]
            f = lambda v: "-" if v is None else f"{v:,}"  # noqa: E731
            return (f"{name:>5} {r['requests']:>9,} {r['handled']:>8,} {r['unhandled']:>8,} "
                    f"{r['coalesced']:>8,} {r['pending']:>8,} {r['masked']:>7,} {r['dropped']:>8,} "
                    f"{f(le['p50']):>8} {f(le['p90']):>6} {f(le['p99']):>6} {f(le['max']):>7} "
                    f"{f(lr['p99']):>8} {r['preempting']:>8,} {r['tail_chained']:>7,}")
        for line, r in sorted(self.lines.items()):
            out.append(row(str(line), r))
        out.append("-" * len(hdr))
        out.append(row("all", t))
        out.append("")
        out.append("latency in ticks from request to the handler's first instruction (lat) and "
                   "to its return (ret)")
        p = self.progress
        rel = p.get("relative")
        out.append(f"thread progress: {p['thread_share'] * 100:.1f}% of ticks in thread mode"
                   + (f"; main loop at {rel * 100:.1f}% of its no-interrupt pace"
                      if rel is not None and "loops" in p else ""))
        if self.nesting:
            n = self.nesting
            out.append(f"nesting: max depth {n.get('max_depth', '-')}, "
                       f"{n.get('preemptions', 0):,} preemptions, "
                       f"{n.get('tail_chains', 0):,} tail-chains")
        st = self.stack
        if st.get("peak_bytes") is not None:
            extra = (f" (the thread alone: {st['thread_alone_bytes']}; handlers add "
                     f"{st['handlers_add_bytes']})" if "handlers_add_bytes" in st else "")
            out.append(f"stack: peak {st['peak_bytes']} bytes below the initial SP{extra}")
        if t["dropped"]:
            why = ", ".join(f"{k} {v}" for k, v in t["dropped_by"].items() if v)
            out.append(f"dropped: {why}")
        return "\n".join(out)


def run_storm_with_exports(sc: Scenario, exports: dict, *, progress=None, baseline=True):
    """run_storm, then the requested exports (jsonl/vcd/perfetto -> path) from the streamed
    trace. A run that fails writes no output file."""
    if not exports:
        return run_storm(sc, progress=progress, baseline=baseline)
    from . import export
    from .boards import get_board
    from .trace import read_events

    bad = set(exports) - EXPORT_KEYS
    if bad:
        raise ConfigError(f"unknown export {sorted(bad)[0]!r}; allowed: {', '.join(sorted(EXPORT_KEYS))}")
    for kind, path in exports.items():      # before the run, not after it
        folder = Path(path).resolve().parent
        if not folder.is_dir() or not os.access(folder, os.W_OK):
            raise ConfigError(f"{kind} export {path}: the folder {folder} does not exist or is "
                              "not writable")
    fd, raw = tempfile.mkstemp(prefix="irqsim-trace-", suffix=".bin")
    os.close(fd)
    try:
        report = run_storm(sc, progress=progress, baseline=baseline, trace_path=raw)
        b = get_board(sc.board)
        export.export_all(lambda: read_events(raw, b.arch), b.arch, b.num_lines, b.clock_hz,
                          **exports)
    finally:
        os.unlink(raw)
    return report

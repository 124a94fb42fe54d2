"""What the fuzzers share: hostile inputs for the ELF loader, board files, scenario files and
the CLI, each run in a forked child (a segfault, a SIGFPE or a hang there fails one case instead
of killing the test run), and the one property every case must have: a clean run or a clear
sim.errors error, never a traceback, a crash or a hang.

Used by tests/fuzz/test_fuzz.py (bounded, in CI) and tests/fuzz/run.py (the long run)."""

from __future__ import annotations

import json
import math
import os
import signal
import tempfile
import traceback
from pathlib import Path

from hypothesis import strategies as st

import sim
import sim.demo
from sim.boards import BOARD_DIR

CASE_TIMEOUT = 20.0            # seconds a case may take before it counts as a hang
RUN_TICKS = 20_000             # how long a case's machine runs
HOSTILE_INTS = [0, 1, -1, 2, 3, 7, 8, 9, 31, 32, 100, 4095, 4096, 0x1000, 0xE000E000, 2**31,
                2**32 - 1, 2**32, 2**63, 2**64 - 1, 2**64, 2**65, -2**63, 10**30]
HOSTILE_FLOATS = [0.0, -0.0, 0.5, 1.0, 1e-300, 1e300, math.inf, -math.inf, math.nan]
HOSTILE_STRS = ["", "x", "demo", "/", ".", "..", "/dev/full", "1/0", "0/1", "-1", "nvic",
                "plic", "rwx", "r", "é", "a" * 300]
hostile_scalar = st.one_of(st.sampled_from(HOSTILE_INTS), st.integers(-2**70, 2**70),
                           st.sampled_from(HOSTILE_FLOATS), st.sampled_from(HOSTILE_STRS),
                           st.booleans())
hostile_value = st.one_of(hostile_scalar, st.lists(hostile_scalar, max_size=4),
                          st.dictionaries(st.sampled_from(["a", "entry", "kind"]), hostile_scalar,
                                          max_size=2))


class CaseFailed(AssertionError):
    """A case broke the property: a traceback, a crash or a hang."""


def in_child(fn, *args, timeout=CASE_TIMEOUT) -> str:
    """Runs fn(*args) in a forked child: its result string ("ok ..." or "error ..."), or
    CaseFailed for an exception that is no SimError, a death by signal, or a hang."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:                                   # the child: never returns
        os.close(r)
        import faulthandler
        faulthandler.disable()                     # a crash is the parent's to report
        try:
            out = fn(*args)
        except sim.SimError as e:
            out = f"error {type(e).__name__}: {e}"
        except BaseException:
            out = "TRACEBACK " + traceback.format_exc()
        os.write(w, out.encode("utf-8", "replace")[:65536])
        os._exit(0)
    os.close(w)
    chunks, status = [], None
    import select
    import time
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([r], [], [], left)[0]:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            os.close(r)
            raise CaseFailed(f"hang: more than {timeout} s")
        data = os.read(r, 65536)
        if not data:
            break
        chunks.append(data)
    os.close(r)
    _, status = os.waitpid(pid, 0)
    out = b"".join(chunks).decode("utf-8", "replace")
    if os.WIFSIGNALED(status):
        raise CaseFailed(f"host crash: signal {os.WTERMSIG(status)}")
    if out.startswith("TRACEBACK"):
        raise CaseFailed(out)
    return out


# ---- the ELF loader --------------------------------------------------------------------------

_DEMO_ELF = []


def demo_elf() -> bytes:
    if not _DEMO_ELF:
        _DEMO_ELF.append(sim.demo.demo_image("mps2-an385").read_bytes())
    return _DEMO_ELF[0]


@st.composite
def mutated_elf(draw):
    """The demo image with a few bytes overwritten (biased to the headers), cut short, or with
    a header field set to a hostile value."""
    data = bytearray(demo_elf())
    for _ in range(draw(st.integers(1, 6))):
        where = draw(st.one_of(st.integers(0, 0x34 + 32 * 8).map(lambda i: i if i % 9 else 0),
                               st.integers(4, 0x34 + 32 * 8), st.integers(0, len(data) - 1)))
        where %= len(data)
        how = draw(st.sampled_from(["byte", "word", "cut"]))
        if how == "byte":
            data[where] = draw(st.integers(0, 255))
        elif how == "word" and where + 4 <= len(data):
            v = draw(st.sampled_from([0, 1, 0x7FFFFFFF, 0xFFFFFFFF, len(data), 0x20000000,
                                      0xE000E000]) | st.integers(0, 2**32 - 1))
            data[where:where + 4] = v.to_bytes(4, "little")
        elif how == "cut":
            del data[max(0x34, where):]
    return bytes(data)


def elf_case(data: bytes) -> str:
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "fuzz.elf"
        p.write_bytes(data)
        with sim.Machine.load(p, "mps2-an385", console_limit=1 << 16) as m:
            m.runaway_limit = RUN_TICKS
            stop = m.run(ticks=RUN_TICKS)
            return f"ok {stop.reason}"


# ---- board files -------------------------------------------------------------------------------

def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf") if math.isinf(v) \
            else repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {_toml_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(v)


def to_toml(d: dict) -> str:
    """A small TOML writer for the fuzzers' tables (integers beyond 64 bits too: the reader
    takes them)."""
    top = [f"{json.dumps(k)} = {_toml_value(v)}" for k, v in d.items()
           if not isinstance(v, dict) and not (isinstance(v, list) and v
                                               and all(isinstance(x, dict) for x in v))]
    out = top[:]
    for k, v in d.items():
        if isinstance(v, dict):
            out.append(f"[{json.dumps(k)}]")
            out += [f"{json.dumps(kk)} = {_toml_value(vv)}" for kk, vv in v.items()]
        elif isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            for t in v:
                out.append(f"[[{json.dumps(k)}]]")
                out += [f"{json.dumps(kk)} = {_toml_value(vv)}" for kk, vv in t.items()]
    return "\n".join(out) + "\n"


def h_is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _paths(d, prefix=()):
    for k, v in d.items():
        yield prefix + (k,)
        if isinstance(v, dict):
            yield from _paths(v, prefix + (k,))
        elif isinstance(v, list):
            for i, x in enumerate(v):
                if isinstance(x, dict):
                    yield from _paths(x, prefix + (k, i))


def _at(d, path):
    for k in path[:-1]:
        d = d[k]
    return d


@st.composite
def mutated_table(draw, base: dict):
    """`base` (a parsed TOML table) with a few keys set to hostile values, removed, or added."""
    import copy
    d = copy.deepcopy(base)
    for _ in range(draw(st.integers(0, 3))):
        paths = list(_paths(d))
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = _at(d, path)
        how = draw(st.sampled_from(["set", "set", "tweak", "drop", "add"]))
        if how == "set":
            parent[path[-1]] = draw(hostile_value)
        elif how == "tweak" and h_is_int(parent[path[-1]]):
            v = parent[path[-1]]
            parent[path[-1]] = draw(st.sampled_from([v + 1, v - 1, v + 4096, v - 4096, v * 2,
                                                     v // 2, -v]))
        elif how == "drop" and isinstance(parent, dict):
            del parent[path[-1]]
        elif how == "add" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["extra", "size", "irq", "perms", "hold"]))] = \
                draw(hostile_value)
    return d


def board_text(name="mps2-an385") -> dict:
    import tomllib
    return tomllib.loads((BOARD_DIR / f"{name}.toml").read_text())


def board_case(text: str, arch_board: str) -> str:
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "fuzz-board.toml"
        p.write_text(text)
        image = sim.demo.demo_image(arch_board)
        with sim.Machine.load(image, str(p), console_limit=1 << 16) as m:
            stop = m.run(ticks=RUN_TICKS)
            return f"ok {stop.reason}"


# ---- scenario files ----------------------------------------------------------------------------

SOURCE_KEYS = ["kind", "line", "lines", "weights", "trigger", "hold", "start", "stop", "at",
               "period", "phase", "jitter", "rate_hz", "count", "spacing", "gap", "ticks"]
sane_int = st.integers(0, 3000)


KIND_KEYS = {"once": ["at"], "periodic": ["period", "phase", "jitter"], "poisson": ["rate_hz"],
             "burst": ["count", "spacing", "gap"], "replay": ["ticks"]}
COMMON_KEYS = ["weights", "trigger", "hold", "start", "stop"]


def rarely(draw, n: int) -> bool:
    """True about once in n + 1 draws (hypothesis favours small integers: 0 is common)."""
    return draw(st.integers(0, n)) == n


@st.composite
def scenario_dict(draw):
    """A scenario table: mostly plausible sources over short runs, with hostile values and keys
    mixed in (a scenario that is valid and long is a legitimate long run, so valid runs stay
    short)."""
    plausible = {
        "line": st.integers(0, 40), "lines": st.lists(st.integers(0, 40), min_size=1,
                                                      max_size=4),
        "weights": st.lists(st.floats(0, 10) | st.sampled_from(HOSTILE_FLOATS), min_size=1,
                            max_size=4),
        "trigger": st.sampled_from(["pulse", "level", "pulse", "edge"]),
        "hold": st.one_of(st.integers(1, 500), st.just("ack")),
        "rate_hz": st.floats(1, 2e6) | st.sampled_from(HOSTILE_FLOATS),
        "ticks": st.lists(st.integers(0, 50_000), min_size=1, max_size=6).map(sorted),
        "count": st.integers(0, 100), "period": st.integers(1, 5000), "gap": st.integers(1, 9000),
        "stop": st.integers(0, 60_000)}

    def val(key):
        if rarely(draw, 24):
            return draw(hostile_value)
        return draw(plausible.get(key, st.integers(0, 3000)))
    sources = []
    for _ in range(draw(st.integers(1, 3)) if not rarely(draw, 9) else 0):
        kind = draw(st.sampled_from(sorted(KIND_KEYS)))
        keys = draw(st.lists(st.sampled_from(COMMON_KEYS + KIND_KEYS[kind]), max_size=5,
                             unique=True))
        keys.append(draw(st.sampled_from(["line", "lines"])))
        if rarely(draw, 9):
            keys.append(draw(st.sampled_from(SOURCE_KEYS)))
        if not rarely(draw, 9):              # mostly: what the kind needs, consistently
            keys = [k for k in keys if k != "hold"] + [k for k in KIND_KEYS[kind]
                                                       if k not in keys]
        src = {"kind": kind if not rarely(draw, 19) else draw(hostile_value)}
        src.update({k: val(k) for k in keys if k != "kind"})
        if "weights" in src and not rarely(draw, 4):
            n = len(src["lines"]) if isinstance(src.get("lines"), list) else 1
            src["weights"] = [1.0 + i for i in range(n)]
        if src.get("trigger") == "level" and not rarely(draw, 4):
            src["hold"] = draw(st.integers(1, 500) | st.just("ack"))
        if kind == "periodic" and isinstance(src.get("jitter"), int) and \
                isinstance(src.get("period"), int) and not rarely(draw, 4):
            src["jitter"] = src["jitter"] % max(1, src["period"])
        if kind == "burst" and not rarely(draw, 4):
            src["count"] = draw(st.integers(1, 50))
        sources.append(src)
    d = {"ticks": draw(st.integers(1, 60_000)) if not rarely(draw, 9) else
         draw(hostile_value), "source": sources}
    if rarely(draw, 3):
        d["seed"] = draw(st.integers(0, 2**64 - 1)) if not rarely(draw, 3) else \
            draw(hostile_value)
    if rarely(draw, 4):
        d["board"] = draw(st.sampled_from(["mps2-an385", "virt", "nope", "/"]))
    if rarely(draw, 6):
        d["export"] = {draw(st.sampled_from(["vcd", "jsonl", "perfetto", "csv"])):
                       draw(hostile_value)}
    if rarely(draw, 4):
        d["demo"] = {draw(st.sampled_from(["handler_work", "toggle_line", "toggle_period",
                                           "x"])): draw(st.integers(0, 40) | hostile_value)}
    if rarely(draw, 5):
        d[draw(st.sampled_from(["runaway_limit", "image", "extra"]))] = draw(hostile_value)
    return d


def scenario_case(text: str) -> str:
    from sim import storm
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "fuzz.toml"
        p.write_text(text)
        sc = storm.load_scenario(p)
        if sc.ticks > 200_000 or sc.export:      # valid, but long or writing files: not run
            return "ok valid (not run)"
        storm.run_storm(sc, baseline=False)
        return "ok ran"


# ---- CLI options -------------------------------------------------------------------------------

OPTION_VALUES = ["0", "-1", "1", "5", "1000", "18446744073709551616", "1e5", "nan", "inf",
                 "-inf", "abc", "", "3@-5", "3@99999999999999999999", "999@1", "3@10:blink",
                 "3@10:raise", "nmi@5", "0x10", "main", "-", "/dev/null", "/dev/full", "/"]


@st.composite
def cli_args(draw):
    cmd = draw(st.sampled_from(["run", "storm", "sweep", "boards", "frobnicate"]))
    opts = {"run": ["--ticks", "--irq", "--until", "--board", "--json"],
            "storm": ["--ticks", "--seed", "--rate", "--board", "--vcd", "--jsonl", "--json"],
            "sweep": ["--points", "--from", "--to", "--ticks"],
            "boards": [], "frobnicate": ["--x"]}[cmd]
    args = [cmd]
    for o in draw(st.lists(st.sampled_from(opts), max_size=3)) if opts else []:
        args.append(o)
        if o != "--json":
            args.append(draw(st.sampled_from(OPTION_VALUES)))
    return args


def cli_case(args: list) -> str:
    from click.testing import CliRunner
    from cli import main
    # bounded: a storm or sweep that is valid runs short
    if args[0] in ("storm", "sweep") and "--ticks" not in args:
        args = args + ["--ticks", "20000"]
    if args[0] == "sweep" and "--points" not in args:
        args = args + ["--points", "2"]
    if args[0] == "sweep":             # valid but long: at most 3 points of a short run
        args = [("3" if prev == "--points" and a.isdigit() and int(a) > 3 else a)
                for prev, a in zip([""] + args, args)] + ["--jobs", "1"]
    with tempfile.TemporaryDirectory() as d:
        os.chdir(d)
        r = CliRunner().invoke(main, args)
    if r.exception is not None and not isinstance(r.exception, SystemExit):
        raise r.exception
    if "Traceback" in r.output or r.exit_code not in (0, 1, 2):
        raise AssertionError(f"exit {r.exit_code}: {r.output[-2000:]}")
    return f"ok exit {r.exit_code}"

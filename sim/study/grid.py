"""A study's grid: which scenario keys vary over which values, the points (their product) and
the replicate seeds.

KEY (docs/storms.md "Studies"):
  rate                      the total rate of the Poisson sources, scaled in proportion
  ticks, runaway_limit      the scenario's own keys
  source[I].FIELD           a key of the I-th [[source]] (rate_hz, period, count, hold, ...)
  demo.handler_work.LINE    the demo handler's work on LINE; demo.toggle_line/toggle_period
  controller.KEY, clock_hz  a key of the board file (controller.prio_bits, ...)
VALUES: a list `a,b,c`, or a range `lo..hi:log:N` / `lo..hi:lin:N` (N values, both ends
included; integer ends give integers). Every point is built and validated before any run: a
value the scenario file would refuse is a ConfigError naming the point.
"""

from __future__ import annotations


import itertools
import math
import re

from ..checks import is_int
from ..errors import ConfigError

MAX_SEEDS = 1_000_000
MAX_POINTS = 100_000
SWEEP_KEYS = {"vary", "seeds"}
_RANGE = re.compile(r"^\s*([^.:]+(?:\.[^.:]+)?)\s*\.\.\s*([^:]+?)\s*:\s*(log|lin)\s*:\s*(\d+)\s*$")
_SOURCE_KEY = re.compile(r"^source\[(\d+)\]\.(\w+)$")
BOARD_TOP_KEYS = {"clock_hz"}


def _number(text: str, key: str):
    t = text.strip()
    for conv in (lambda x: int(x, 0), float):
        try:
            v = conv(t)
        except ValueError:
            continue
        if isinstance(v, float) and not math.isfinite(v):
            raise ConfigError(f"--vary {key}: {text!r} is not a finite number")
        return v
    if re.fullmatch(r"[A-Za-z_][\w-]*", t):
        return t                          # a word: trigger = level, hold = ack
    raise ConfigError(f"--vary {key}: {text!r} is not a number")


def parse_values(key: str, spec) -> list:
    """VALUES (a string as above, or a list from a [sweep] table) as a list of values."""
    if isinstance(spec, list):
        vals = list(spec)
    elif not isinstance(spec, str) or not spec.strip():
        raise ConfigError(f"--vary {key}: give values as a,b,c or lo..hi:log:N / lo..hi:lin:N")
    elif (m := _RANGE.match(spec)):
        lo, hi = _number(m[1], key), _number(m[2], key)
        mode, n = m[3], int(m[4])
        if isinstance(lo, str) or isinstance(hi, str) or not lo < hi or n < 2:
            raise ConfigError(f"--vary {key}={spec}: a range needs numbers lo < hi and N >= 2")
        if mode == "log" and lo <= 0:
            raise ConfigError(f"--vary {key}={spec}: a log range needs lo > 0")
        if mode == "log":
            vals = [lo * math.exp(math.log(hi / lo) * i / (n - 1)) for i in range(n)]
        else:
            vals = [lo + (hi - lo) * i / (n - 1) for i in range(n)]
        if is_int(lo) and is_int(hi):
            vals = [int(round(v)) for v in vals]
            if len(set(vals)) != len(vals):
                raise ConfigError(f"--vary {key}={spec}: {n} integers do not fit between "
                                  f"{lo} and {hi}; give fewer")
    else:
        vals = [_number(x, key) for x in spec.split(",")]
    if not vals or any(isinstance(v, bool) or not isinstance(v, (int, float, str)) for v in vals):
        raise ConfigError(f"--vary {key}: values must be numbers or words (got {spec!r})")
    if len(set(map(repr, vals))) != len(vals):
        raise ConfigError(f"--vary {key}: a value is given twice")
    return vals


def parse_vary(items) -> dict:
    """--vary KEY=VALUES options as {key: [values]}, in the order given."""
    out = {}
    for item in items:
        key, sep, spec = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ConfigError(f"--vary {item!r}: expected KEY=VALUES, e.g. "
                              "source[0].rate_hz=1e3..1e6:log:8")
        if key in out:
            raise ConfigError(f"--vary {key}: given twice")
        out[key] = parse_values(key, spec)
    return out


def sweep_table(origin: str, t) -> dict:
    """A scenario file's [sweep] table, checked: {"vary": {key: [values]}, "seeds": n}."""
    if not isinstance(t, dict) or set(t) - SWEEP_KEYS:
        raise ConfigError(f"{origin}: sweep: allowed keys: {', '.join(sorted(SWEEP_KEYS))}")
    out = {}
    if "seeds" in t:
        s = t["seeds"]
        if not is_int(s) or not 1 <= s <= MAX_SEEDS:
            raise ConfigError(f"{origin}: sweep.seeds: must be an integer 1..{MAX_SEEDS} "
                              f"(got {s!r})")
        out["seeds"] = s
    vary = t.get("vary", {})
    if not isinstance(vary, dict):
        raise ConfigError(f"{origin}: sweep.vary: must be a table of KEY = VALUES")
    try:
        out["vary"] = {k: parse_values(k, v) for k, v in vary.items()}
    except ConfigError as e:
        raise ConfigError(f"{origin}: sweep.vary: {str(e).removeprefix('--vary ')}") from None
    return out


def replicate_seeds(master: int, n: int) -> list[int]:
    """The seeds of n replicates: the scenario's own seed first (one replicate is the run
    `irqsim storm` makes), then splitmix64 mixes of it (sim.storm.derive_seed)."""
    from ..storm import derive_seed

    return [master] + [derive_seed(master, 1 << 32 | k) for k in range(1, n)]


def point_scenario(sc, setting: dict):
    """A copy of scenario `sc` with each key of `setting` set, validated as a scenario file."""
    from ..boards import board_with
    from ..storm import scenario_from_dict, scenario_to_dict
    from ..sweep import scaled

    label = ", ".join(f"{k}={v}" for k, v in setting.items())
    d = scenario_to_dict(sc)
    board_keys, rate = {}, None
    for key, v in setting.items():
        if key == "rate":
            if isinstance(v, str) or not v > 0:
                raise ConfigError(f"--vary rate: must be a positive rate (got {v!r})")
            rate = float(v)
        elif key.startswith("controller.") or key in BOARD_TOP_KEYS:
            board_keys[key] = v
        elif key in ("ticks", "runaway_limit"):
            d[key] = v
        elif (m := _SOURCE_KEY.match(key)):
            i = int(m[1])
            if i >= len(d["source"]):
                raise ConfigError(f"--vary {key}: the scenario has {len(d['source'])} sources "
                                  f"(source[0]..source[{len(d['source']) - 1}])")
            src = d["source"][i]
            if m[2] == "line":
                src["lines"] = [v]
            else:
                src[m[2]] = float(v) if m[2] == "rate_hz" and not isinstance(v, str) else v
        elif key.startswith("demo.handler_work."):
            d["demo"].setdefault("handler_work", {})[key.rsplit(".", 1)[1]] = v
        elif key in ("demo.toggle_line", "demo.toggle_period"):
            d["demo"][key.split(".")[1]] = v
        else:
            raise ConfigError(f"--vary {key}: no such key; vary rate, ticks, runaway_limit, "
                              "source[I].FIELD, demo.handler_work.LINE, demo.toggle_line, "
                              "demo.toggle_period, controller.KEY or clock_hz")
    # an origin that is no .toml path: a relative image was resolved against the file already
    out = scenario_from_dict(d, f"{sc.origin} at {label or 'its own values'}")
    out.origin = sc.origin
    if board_keys:
        try:
            out.board = board_with(sc.board, board_keys)
        except ConfigError as e:
            raise ConfigError(f"--vary at {label}: {e}") from None
    if rate is not None:
        out = scaled(out, rate)
    return out


def grid(vary: dict) -> list[dict]:
    """The points: every combination of the values, the first key varying slowest."""
    keys = list(vary)
    n = math.prod(len(v) for v in vary.values())
    if n > MAX_POINTS:
        raise ConfigError(f"--vary: the grid has {n} points; at most {MAX_POINTS}")
    return [dict(zip(keys, combo)) for combo in itertools.product(*vary.values())]


def poisson_rate(sc) -> float | None:
    rates = [s.rate_hz for s in sc.sources if s.kind == "poisson"]
    return sum(rates) if rates else None



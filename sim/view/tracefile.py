"""Reading a JSON Lines trace (sim/export/jsonl.py: one {"tick", "kind", "num", "arg"} object a
line, nothing else) into arrays, with one clear error for a file that is missing, not a trace,
garbled or cut short; and which architecture made it."""

from __future__ import annotations

import json
import os
import re

import numpy as np

from ..codes import EVENT_KINDS
from ..errors import ConfigError

KIND_CODES = {name: code for code, name in EVENT_KINDS.items()}
# the exact shape write_jsonl writes; anything else goes through json.loads and the checks
_LINE = re.compile(rb'\{"tick":(\d+),"kind":"([a-z-]+)","num":(\d+),"arg":(\d+)\}')
_LIMITS = {"tick": (1 << 64) - 1, "num": 0xFFFF, "arg": 0xFFFFFFFF}
MAX_RECORDS = 1 << 24          # a page's events (16,777,216: the trace capacity's limit)
MAX_LINE = 128                 # bytes a record's line can take (write_jsonl's are under 80)
RECORD_DTYPE = np.dtype([("tick", "<u8"), ("kind", "<u2"), ("num", "<u2"), ("arg", "<u4")])


class Trace:
    """The records of a trace file, in file order: `records` a numpy array of RECORD_DTYPE
    (the native core's 16-byte record, sim/trace.py), `path` where it came from."""

    def __init__(self, records: np.ndarray, path: str):
        self.records = records
        self.path = path

    def __len__(self):
        return len(self.records)

    def event(self, i: int):
        from ..trace import Event
        t, k, n, a = self.records[i].tolist()
        return Event(t, EVENT_KINDS[k], n, a)

    def events(self, lo: int, hi: int) -> list:
        from ..trace import Event
        return [Event(t, EVENT_KINDS[k], n, a) for t, k, n, a in self.records[lo:hi].tolist()]

    def raw(self, lo: int = 0, hi: int | None = None) -> bytes:
        """The records as the native core wrote them (sim.trace.RECORD)."""
        return self.records[lo:hi].tobytes()

    def arch(self) -> str:
        """"rv32" when the trace has what only a RISC-V hart records (PLIC claims or completes,
        a hart-local pend 0x8000 | code), else "armv7m"."""
        r = self.records
        rv = np.isin(r["kind"], [KIND_CODES["claim"], KIND_CODES["complete"]]).any() or (
            np.isin(r["kind"], [KIND_CODES["pend"], KIND_CODES["coalesce"]])
            & (r["num"] >= 0x8000) & (r["num"] != 0xFFFF)).any()
        return "rv32" if rv else "armv7m"


def read_trace(path) -> Trace:
    """The records of the JSONL trace at `path`; ConfigError naming the file and the line."""
    p = os.fspath(path)
    try:
        size = os.path.getsize(p)
        if size > MAX_RECORDS * MAX_LINE:
            raise ConfigError(f"{p}: {size:,} bytes is more than a page holds (at most "
                              f"{MAX_RECORDS:,} records); make a shorter storm (--ticks)")
        if size == 0:
            raise ConfigError(f"{p}: the file is empty; give a JSON Lines trace (irqsim storm "
                              "--jsonl FILE writes one)")
        with open(p, "rb") as f:
            return _read(f, p)
    except FileNotFoundError:
        raise ConfigError(f"{p}: no such file; give a JSON Lines trace (irqsim storm --jsonl "
                          "FILE writes one)") from None
    except IsADirectoryError:
        raise ConfigError(f"{p}: is a folder; give a JSON Lines trace file") from None
    except OSError as e:
        raise ConfigError(f"cannot read {p}: {e.strerror}") from None


def _read(f, p) -> Trace:
    """Two passes over the open file: count the lines, then parse them one at a time (the
    records are the only copy held)."""
    n, tail = 0, b""
    for chunk in iter(lambda: f.read(1 << 20), b""):
        n += chunk.count(b"\n")
        tail = chunk[-1:]
    cut = tail != b"\n"                       # no newline after the last record
    total = n + cut
    if total > MAX_RECORDS:
        raise ConfigError(f"{p}: {total:,} records are more than a page holds (at most "
                          f"{MAX_RECORDS:,}); make a shorter storm (--ticks)")
    f.seek(0)
    out = np.empty(total, RECORD_DTYPE)
    fast = _LINE.fullmatch
    for i, line in enumerate(f):
        line = line[:-1] if line.endswith(b"\n") else line
        m = fast(line)
        if m is not None and m.group(2).decode() in KIND_CODES:
            t, k, n_, a = m.groups()
            rec = (int(t), KIND_CODES[k.decode()], int(n_), int(a))
            if rec[0] <= _LIMITS["tick"] and rec[2] <= _LIMITS["num"] and rec[3] <= _LIMITS["arg"]:
                out[i] = rec
                continue
        out[i] = _slow(p, i + 1, line, last=cut and i == total - 1)
    return Trace(out, p)


def _slow(p, n, line, *, last):
    where = f"{p}: line {n}"
    first = n == 1
    try:
        obj = json.loads(line)
    except (UnicodeDecodeError, ValueError):
        if first:
            raise ConfigError(f"{p} is not an irqsim JSON Lines trace (line 1 is not JSON); "
                              "irqsim storm --jsonl FILE writes one") from None
        if last:
            raise ConfigError(f"{where} is cut short (the file ends inside a record): the "
                              "trace looks truncated; write it again") from None
        raise ConfigError(f"{where} is not JSON: the trace is garbled; write it again") from None
    if not isinstance(obj, dict) or set(obj) != {"tick", "kind", "num", "arg"}:
        what = (f"an object with keys {sorted(obj)}" if isinstance(obj, dict)
                else type(obj).__name__)
        if first:
            raise ConfigError(f"{p} is not an irqsim JSON Lines trace (line 1 is {what}, not a "
                              'record {"tick", "kind", "num", "arg"})')
        raise ConfigError(f'{where} is {what}, not a trace record {{"tick", "kind", "num", '
                          '"arg"}: the trace is garbled')
    if obj["kind"] not in KIND_CODES:
        raise ConfigError(f"{where}: unknown record kind {obj['kind']!r}; known: "
                          f"{', '.join(sorted(KIND_CODES))}")
    for key, top in _LIMITS.items():
        v = obj[key]
        if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v <= top:
            raise ConfigError(f"{where}: {key} must be an integer in 0..{top}, not {v!r}")
    return (obj["tick"], KIND_CODES[obj["kind"]], obj["num"], obj["arg"])

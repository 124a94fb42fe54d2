"""Trace records from the native core: 16 bytes each (tick u64, kind u16, num u16, arg u32).

`num` is the exception number on Cortex-M (external IRQ n is 16 + n) and the interrupt
number on RISC-V; for requests and lowers it is the line.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

RECORD = struct.Struct("<QHHI")
KINDS = {1: "request", 2: "pend", 3: "coalesce", 4: "entry", 5: "preempt", 6: "tail-chain",
         7: "return", 8: "dispatch", 9: "lower", 10: "fault", 11: "guest-error", 12: "exit",
         13: "claim", 14: "complete", 15: "exec-priority", 16: "table"}
KIND_IDS = {v: k for k, v in KINDS.items()}
LINE_KIND_NAMES = {1: "raise", 2: "lower", 3: "pulse"}
PEND_SOURCES = {0: "line", 1: "level", 2: "software", 3: "timer"}


class Event(NamedTuple):
    tick: int
    kind: str
    num: int
    arg: int

    def __str__(self):
        return f"@{self.tick} {self.kind} {self.num} ({self.arg:#x})"


def decode(raw: bytes, arch: str = "armv7m") -> list[Event]:
    return [Event(t, KINDS.get(k, str(k)), n, a) for t, k, n, a in RECORD.iter_unpack(raw)]


class TraceWriter:
    """A Machine trace sink that streams raw records to a file: bounded memory for any run.

    Use as `m.set_trace_sink(w)`; call `close()` (or use `with`) when the run is over."""

    def __init__(self, path):
        self.path = path
        self._f = open(path, "wb")
        self.records = 0

    def __call__(self, raw: bytes):
        self._f.write(raw)
        self.records += len(raw) // RECORD.size

    def close(self):
        self._f.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def read_events(path, arch: str = "armv7m", chunk: int = 1 << 16):
    """Yields the Events of a file written by TraceWriter, one chunk in memory at a time."""
    with open(path, "rb") as f:
        while True:
            raw = f.read(chunk * RECORD.size)
            if not raw:
                return
            yield from decode(raw, arch)

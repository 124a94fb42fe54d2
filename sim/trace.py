"""Trace records from the native core: 16 bytes each (tick u64, kind u16, num u16, arg u32).

`num` is the exception number on Cortex-M (external IRQ n is 16 + n) and the interrupt
number on RISC-V; for requests and lowers it is the line.

RISC-V (arch "rv32", sim/native/rv32/ and dev/; mcause codes from the privileged spec 3.1.15):
    request, lower          num = line: PLIC source 1..num_sources, or 0xFFFE for the CLINT's
                            msip scheduled from Python (Clint.set_msip); arg = raise/lower/pulse
    pend, coalesce          num = PLIC source; arg = why (sim.codes.PEND_SOURCES): 0 an edge
                            (pulse), 1 a level input, 4 a device output (the UART). The hart-local
                            interrupts pend as num = 0x8000 | code: 0x8003 MSIP (arg 2 a store
                            to msip or Python, 0 a scheduled line event), 0x8007 MTIP (arg 3,
                            recorded at the tick mtime reached mtimecmp)
    claim, complete         num = PLIC source (claim: 0 when nothing was claimable); arg = the
                            PLIC context (0 = hart 0 M-mode)
    entry, preempt, return  num = the mcause interrupt code (3 MSI, 7 MTI, 11 MEI), or 256 +
                            the exception code for synchronous traps (258 illegal instruction,
                            259 breakpoint, 267 ecall from M-mode, ...). entry: a trap taken
                            outside any trap, arg = mepc; preempt: taken while another has not
                            returned (the handler set MIE), arg = that trap's num; return: an
                            mret, arg = the num of the trap returned to (0 = none). There is no
                            tail-chaining on RISC-V.
    fault                   num = the exception code, arg = mtval (then an entry follows); a
                            trap that cannot be taken records num = its trace number, arg = mtvec
    exec-priority           num = the trap now running (0 none), arg = 0 outside a trap, else
                            1 + num
    dispatch, table         num = handler-table index (the demo: PLIC source n at n, the timer
                            at 62, the software interrupt at 63)
A request is recorded at its own tick; what it caused, at the block boundary that sampled it.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

from .codes import EVENT_KINDS

RECORD = struct.Struct("<QHHI")         # struct trace_rec in sim/native/core.h


class Event(NamedTuple):
    tick: int
    kind: str
    num: int
    arg: int

    def __str__(self):
        return f"@{self.tick} {self.kind} {self.num} ({self.arg:#x})"


def decode(raw: bytes, arch: str = "armv7m") -> list[Event]:
    return [Event(t, EVENT_KINDS.get(k, str(k)), n, a) for t, k, n, a in RECORD.iter_unpack(raw)]


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

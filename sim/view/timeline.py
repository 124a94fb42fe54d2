"""What the viewer draws, computed once from the trace: per row (a line, a system exception or
a RISC-V cause) the intervals in which it is requested, pending and active; the thread's
intervals (nothing in progress) and nesting depth as intervals of depth >= k; and per event
(in tick order) the row it belongs to and a label. The states are the VCD's signals
(sim/export/signals.py), so the page and GTKWave show the same thing."""

from __future__ import annotations

import re
from array import array

import numpy as np

from ..codes import ARMV7M_EXC_IRQ0, ARMV7M_SYSTEM_EXCEPTIONS, EVENT_KINDS, RV32_MACHINE_INTERRUPTS
from ..export.signals import SignalChanges

STATES = ("line", "pending", "active")
_NUMBERED = re.compile(r"(line|pending|active)(\d+)$")
_STEM = re.compile(r"((?:exc|cause)\d+_[a-z]+)_(line|pending|active)$")
LINE_NMI, LINE_MSIP, RV32_LOCAL = 0xFFFF, 0xFFFE, 0x8000
EXC_KINDS = ("pend", "coalesce", "entry", "preempt", "tail-chain", "return", "unpend")
LINE_RECORDS = ("request", "lower")
SLOT_KINDS = ("dispatch", "table")


def _stem_names():
    out = {stem: name for name, stem in ARMV7M_SYSTEM_EXCEPTIONS.values()}
    out.update({stem: name for name, stem in RV32_MACHINE_INTERRUPTS.values()})
    return out


def _events(recs, chunk: int = 1 << 16):
    """The records as (tick, kind name, num, arg), a chunk in Python objects at a time."""
    names = EVENT_KINDS
    for lo in range(0, len(recs), chunk):
        for t, k, n, a in recs[lo:lo + chunk].tolist():
            yield t, names[k], n, a


class Timeline:
    """rows: [{"key", "label", "line", "pending", "active"}], each state's intervals as a flat
    array start, end, start, end, ... (sorted, disjoint); thread: the same; depth: the same
    for depth >= 1, 2, ...; order: the
    events' indices in tick order (stable); group: each event's row (-1 none), in tick order;
    end: the tick past the last change."""

    def __init__(self, trace, adapter, num_lines: int):
        recs = trace.records
        changes = SignalChanges(_events(recs), adapter, num_lines)
        open_at: dict = {}
        spans: dict = {}               # signal -> its intervals, flat: start, end, start, ...
        depth_open: list[int] = []     # start tick of the open interval of depth >= k + 1
        thread = array("q")
        thread_open = 0
        depth = 0
        for t, batch in changes:
            for name, val in batch:
                if name == "depth":
                    while depth < val:
                        depth_open.append(t)
                        depth += 1
                    while depth > val:
                        s = depth_open.pop()
                        depth -= 1
                        spans.setdefault(("depth", depth), array("q")).extend((s, t))
                    if val and thread_open is not None:
                        if t > thread_open:
                            thread.extend((thread_open, t))
                        thread_open = None
                    elif not val and thread_open is None:
                        thread_open = t
                elif name == "exec_priority":
                    continue
                elif val:
                    open_at.setdefault(name, t)
                elif name in open_at:
                    s = open_at.pop(name)
                    if t > s:
                        spans.setdefault(name, array("q")).extend((s, t))
        last = int(recs["tick"].max()) + 1 if len(recs) else 1
        self.end = end = max(changes.end, last)
        for name, s in open_at.items():
            spans.setdefault(name, array("q")).extend((s, end))
        while depth_open:
            depth -= 1
            spans.setdefault(("depth", depth), array("q")).extend((depth_open.pop(), end))
        if thread_open is not None and end > thread_open:
            thread.extend((thread_open, end))
        self.thread = thread
        levels = sorted(k[1] for k in spans if isinstance(k, tuple))
        # each level's intervals close in time order: sorted as they are
        self.depth = [spans[("depth", d)] for d in range(levels[-1] + 1)] if levels else []
        self.rows = self._rows(spans, adapter)
        self.order = np.argsort(recs["tick"], kind="stable")
        self.group, self.labels = self._groups(trace, adapter, num_lines)

    def _rows(self, spans, adapter) -> list[dict]:
        stems = _stem_names()
        rows: dict = {}
        for name, iv in spans.items():
            if isinstance(name, tuple):
                continue
            m = _NUMBERED.match(name)
            if m:
                state, key = m.group(1), ("n", int(m.group(2)))
            else:
                m = _STEM.match(name)
                if not m:
                    continue
                key, state = ("s", m.group(1)), m.group(2)
            rows.setdefault(key, {s: array("q") for s in STATES})[state] = iv
        out = []
        for key in sorted(rows, key=lambda k: (k[0] == "n", k[1] if k[0] == "n" else 0,
                                               str(k[1]))):
            if key[0] == "n":
                n = key[1]
                label = f"IRQ{n}" if adapter.name == "armv7m" else f"source {n}"
            else:
                label = stems.get(key[1], key[1])
            out.append({"key": f"{key[0]}:{key[1]}", "label": label, **rows[key]})
        return out

    def _groups(self, trace, adapter, num_lines):
        """Each event's row index (-1: none) in tick order, and a label per (kind, num)."""
        recs = trace.records
        key = recs["kind"].astype(np.uint32) << 16 | recs["num"]
        pairs, inverse = np.unique(key, return_inverse=True)
        index = {r["key"]: i for i, r in enumerate(self.rows)}
        stem_of = {num: stem for num, (_, stem) in ARMV7M_SYSTEM_EXCEPTIONS.items()} \
            if adapter.name == "armv7m" else \
            {c: stem for c, (_, stem) in RV32_MACHINE_INTERRUPTS.items()}
        rv = adapter.name != "armv7m"
        group = np.full(len(pairs), -1, np.int16)
        labels = {}
        for i, p in enumerate(pairs.tolist()):
            kind, num = EVENT_KINDS[p >> 16], p & 0xFFFF
            row, label = _classify(kind, num, rv, stem_of, adapter, num_lines)
            group[i] = index.get(row, -1)
            labels[f"{kind},{num}"] = label
        return group[inverse][self.order], labels


def _classify(kind, num, rv, stem_of, adapter, num_lines):
    """(row key, label) of a record's num."""
    if kind in LINE_RECORDS or (rv and kind in ("pend", "coalesce", "claim", "complete")):
        if num == LINE_NMI and not rv:
            return "s:exc2_nmi", "NMI line"
        if num == LINE_MSIP and rv:
            return "s:cause3_msi", "msip"
        if rv and num & RV32_LOCAL and kind in ("pend", "coalesce"):
            code = num & ~RV32_LOCAL
            return f"s:{stem_of.get(code)}", adapter.exception_name(num)
        return f"n:{num}", (f"line {num}" if kind in LINE_RECORDS else f"source {num}")
    if kind in SLOT_KINDS:
        return f"n:{num}", f"slot {num}"
    if kind in EXC_KINDS or kind == "exec-priority":
        if not rv and num >= ARMV7M_EXC_IRQ0:
            return f"n:{num - ARMV7M_EXC_IRQ0}", f"{adapter.exception_name(num)} (exception {num})"
        if num in stem_of:
            return f"s:{stem_of[num]}", adapter.exception_name(num)
        return None, adapter.exception_name(num) if kind != "exec-priority" else str(num)
    return None, str(num)

"""The page: one self-contained HTML file (the template page.html, hand-written JS and CSS,
with the data inline; no network). The data is one JSON object (what the trace is, its rows,
the encodings) and one binary blob (events and intervals as little-endian typed arrays, the
narration and registers as JSON text; zlib-compressed, base64), which the page inflates with
the browser's DecompressionStream. Everything in it comes from the trace and the run, in a
fixed order: the same trace makes the same page, byte for byte."""

from __future__ import annotations

import base64
import html
import json
import zlib
from importlib import resources

import numpy as np

from ..codes import EVENT_KINDS
from ..export.atomic import atomic_output

U32 = 1 << 32
FRAME_NAMES = ("r0", "r1", "r2", "r3", "r12", "lr", "pc", "xpsr")   # ARMv7-M ARM B1.5.6


class Blob:
    """Named little-endian arrays, back to back (each 8-byte aligned)."""

    def __init__(self):
        self.parts: list[bytes] = []
        self.index: dict = {}
        self.size = 0

    def add(self, name: str, arr: np.ndarray):
        arr = np.ascontiguousarray(arr)
        code = {np.dtype("<u1"): "u8", np.dtype("<u2"): "u16", np.dtype("<i2"): "i16",
                np.dtype("<u4"): "u32", np.dtype("<f8"): "f64"}[arr.dtype.newbyteorder("<")]
        raw = arr.astype(arr.dtype.newbyteorder("<")).tobytes()
        self.index[name] = [code, self.size, len(arr)]
        pad = (-len(raw)) % 8
        self.parts.append(raw + b"\0" * pad)
        self.size += len(raw) + pad

    def add_json(self, name: str, obj):
        """A JSON value, as UTF-8 text (the narration: compressed with the rest)."""
        raw = json.dumps(obj, separators=(",", ":")).encode("utf-8")
        self.index[name] = ["json", self.size, len(raw)]
        pad = (-len(raw)) % 8
        self.parts.append(raw + b"\0" * pad)
        self.size += len(raw) + pad

    def encoded(self) -> str:
        return base64.b64encode(zlib.compress(b"".join(self.parts), 6)).decode("ascii")


def _ticks(blob, name, ticks: np.ndarray) -> str:
    """Sorted ticks as u32 deltas when they fit (they compress well), else f64."""
    ticks = ticks.astype(np.uint64)
    d = np.diff(ticks, prepend=np.uint64(0))
    if len(d) and d.max() >= U32:
        blob.add(name, ticks.astype(np.float64))
        return "abs"
    blob.add(name, d.astype(np.uint32))
    return "delta"


def _intervals(blob, name, iv) -> str:
    """Intervals (a flat array start, end, ...; sorted and disjoint): (gap from the previous
    end, length) pairs as u32 when they fit, else (start, end) as f64."""
    a = np.frombuffer(iv, dtype=np.int64).astype(np.uint64).reshape(-1, 2) if len(iv) \
        else np.zeros((0, 2), np.uint64)
    prev = np.concatenate([[0], a[:-1, 1]]).astype(np.uint64) if len(a) else a[:, 0]
    gaps, lens = a[:, 0] - prev, a[:, 1] - a[:, 0]
    if len(a) and max(gaps.max(), lens.max()) >= U32:
        blob.add(name, a.astype(np.float64).ravel())
        return "abs"
    blob.add(name, np.stack([gaps, lens], axis=1).astype(np.uint32).ravel())
    return "delta"


def build_page(trace, timeline, *, title: str, meta: dict, capture=None) -> str:
    """The page's HTML text."""
    recs = trace.records
    order = timeline.order
    blob = Blob()
    enc = {"tick": _ticks(blob, "tick", recs["tick"][order])}
    blob.add("kind", recs["kind"][order].astype(np.uint8))
    blob.add("num", recs["num"][order])
    blob.add("arg", recs["arg"][order])
    blob.add("group", timeline.group.astype(np.int16))
    blob.add("record", order.astype(np.uint32))
    tracks = []
    for r, row in enumerate(timeline.rows):
        for state in ("line", "pending", "active"):
            name = f"row{r}.{state}"
            enc[name] = _intervals(blob, name, row[state])
            tracks.append(name)
    enc["thread"] = _intervals(blob, "thread", timeline.thread)
    for d, iv in enumerate(timeline.depth):
        enc[f"depth{d}"] = _intervals(blob, f"depth{d}", iv)
    position = np.empty(len(order), np.int64)
    position[order] = np.arange(len(order))       # file index -> place in tick order
    data = {
        "title": title, **meta,
        "kinds": {str(k): v for k, v in EVENT_KINDS.items()},
        "rows": [{"key": r["key"], "label": r["label"]} for r in timeline.rows],
        "depth_levels": len(timeline.depth), "end": timeline.end, "events": len(recs),
        "labels": timeline.labels, "encoding": enc, "blob": blob.index,
        "frame_names": list(FRAME_NAMES) if meta.get("arch") == "armv7m" else None,
    }
    if capture is not None:
        data["window"] = _window(trace, capture, position)
        blob.add_json("steps", [{"i": int(position[i]), "kind": s.kind, "tick": s.tick,
                                 "title": s.title, "text": s.text} for i, s in capture.steps])
        blob.add_json("states", sorted(({"i": int(position[st["index"]]),
                                         **{k: v for k, v in st.items() if k != "index"}}
                                        for st in capture.states), key=lambda s: s["i"]))
    template = resources.files("sim.view").joinpath("page.html").read_text("utf-8")
    payload = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
    return (template.replace("{{TITLE}}", html.escape(title))
            .replace("{{DATA}}", payload)
            .replace("{{BLOB}}", blob.encoded()))


def _window(trace, capture, position) -> dict | None:
    if capture.lo >= capture.hi:
        return None
    r = trace.records
    return {"first": int(position[capture.lo:capture.hi].min()),
            "last": int(position[capture.lo:capture.hi].max()),
            "tick_lo": int(r["tick"][capture.lo]), "tick_hi": int(r["tick"][capture.hi - 1]),
            "requests": int((r["kind"][capture.lo:capture.hi] ==
                             next(k for k, v in EVENT_KINDS.items() if v == "request")).sum())}


def write_page(text: str, path) -> None:
    """The page to `path`, atomically (sim/export/atomic.py)."""
    with atomic_output(path) as f:
        f.write(text)

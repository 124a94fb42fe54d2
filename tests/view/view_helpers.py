"""Pages made from real storms, shared by the viewer's tests (fixtures in conftest.py)."""

import base64
import dataclasses
import json
import re
import zlib

import pytest

from sim import storm

SHORT_TICKS = 400_000      # long enough for nested preemptions on both boards' default storms


def short_storm(board: str):
    return dataclasses.replace(storm.default_scenario(board), ticks=SHORT_TICKS)


@pytest.fixture(scope="session")
def storm_traces(tmp_path_factory):
    """{board: (scenario, jsonl path)} of a short default storm on each board."""
    out = {}
    d = tmp_path_factory.mktemp("view-traces")
    for board in ("mps2-an385", "virt"):
        sc = short_storm(board)
        path = d / f"{board}.jsonl"
        storm.run_storm_with_exports(sc, {"jsonl": str(path)}, baseline=False)
        out[board] = (sc, path)
    return out


@pytest.fixture(scope="session")
def pages(storm_traces, tmp_path_factory):
    """{board: page path} made by sim.view.write_view from the traces."""
    from sim import view
    d = tmp_path_factory.mktemp("view-pages")
    out = {}
    for board, (sc, path) in storm_traces.items():
        out[board] = d / f"{board}.html"
        view.write_view(view.read_trace(path), out[board], sc)
    return out


def page_data(path) -> dict:
    """The JSON object a page embeds, with the JSON sections of its blob (steps, states)."""
    text = open(path, encoding="utf-8").read()
    m = re.search(r'<script id="data" type="application/json">(.*?)</script>', text, re.S)
    data = json.loads(m.group(1).replace("<\\/", "</"))
    b = re.search(r'<script id="blob" type="application/octet-stream">(.*?)</script>', text, re.S)
    raw = zlib.decompress(base64.b64decode(b.group(1)))
    for name, (code, off, n) in data["blob"].items():
        if code == "json":
            data[name] = json.loads(raw[off:off + n])
    return data


FP_WORDS = [f"s{i}" for i in range(16)] + ["fpscr", "reserved"]   # the extended frame's 8..25


@pytest.fixture(scope="session")
def fp_page(tmp_path_factory):
    """The page of a short default storm on mps2-an386 (Cortex-M4F: extended frames)."""
    from sim import view
    d = tmp_path_factory.mktemp("view-fp")
    sc = short_storm("mps2-an386")
    trace, page = d / "t.jsonl", d / "p.html"
    storm.run_storm_with_exports(sc, {"jsonl": str(trace)}, baseline=False)
    view.write_view(view.read_trace(trace), page, sc)
    return page


def extended_entry(d):
    """The first entry step of page data d that lists a 26-word frame, and its state."""
    entry = next(s for s in d["steps"] if s["kind"] in ("entry", "preempt")
                 and "26-word frame" in s["text"])
    return entry, next(s for s in d["states"] if s["i"] == entry["i"]
                       and "right after" in s["where"])


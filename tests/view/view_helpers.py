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

"""Exporting from a trace file: one pass over read_events, output written as it is read."""

import os

import pytest

from sim.export import export_all, write_jsonl, write_perfetto, write_vcd
from sim.trace import Event, read_events

CLOCK_HZ = 25_000_000
EXPORTERS = {
    "jsonl": lambda ev, p: write_jsonl(ev, p),
    "vcd": lambda ev, p: write_vcd(ev, p, arch="armv7m", num_lines=32, clock_hz=CLOCK_HZ),
    "perfetto": lambda ev, p: write_perfetto(ev, p, arch="armv7m", clock_hz=CLOCK_HZ),
}


@pytest.mark.parametrize("fmt", EXPORTERS)
def test_export_from_a_trace_file_equals_export_from_memory(fmt, trace_file, tmp_path):
    path, events = trace_file
    assert EXPORTERS[fmt](read_events(path), tmp_path / "from_file") == len(events)
    assert EXPORTERS[fmt](iter(events), tmp_path / "from_memory") == len(events)
    a = (tmp_path / "from_file").read_bytes()
    assert a == (tmp_path / "from_memory").read_bytes() and len(a) > 1000


def test_export_all_reads_a_fresh_iterator_per_format(trace_file, tmp_path):
    path, _ = trace_file
    calls = []

    def factory():
        calls.append(1)
        return read_events(path)

    out = {k: tmp_path / f"t.{k}" for k in ("jsonl", "vcd", "perfetto")}
    done = export_all(factory, "armv7m", 32, CLOCK_HZ, **out)
    assert done == out and len(calls) == 3
    assert all(p.stat().st_size > 1000 for p in out.values())
    assert export_all(factory, "armv7m", 32, CLOCK_HZ) == {} and len(calls) == 3


def synthetic(n):
    """n/4 pulse-pend-entry-return rounds on lines 0-7, in tick order."""
    for i in range(n // 4):
        t, e = 100 * i, 16 + i % 8
        yield Event(t, "request", e - 16, 3)
        yield Event(t, "pend", e, 0)
        yield Event(t, "entry", e, 0x400)
        yield Event(t + 50, "return", e, 0)


@pytest.mark.parametrize("fmt", EXPORTERS)
def test_output_is_written_while_the_input_is_still_being_read(fmt, tmp_path):
    # an exporter that collected the stream first would have written nothing yet
    out = tmp_path / "out"
    seen = []

    def watched():
        yield from synthetic(10_000)
        seen.extend(os.path.getsize(tmp_path / f) for f in os.listdir(tmp_path))

    EXPORTERS[fmt](watched(), out)
    assert len(seen) == 1 and seen[0] > 8192
    assert os.listdir(tmp_path) == ["out"]

"""write_jsonl: one JSON object per trace record, in trace order."""

import json

from sim.export import write_jsonl
from sim.trace import Event


def test_each_line_is_the_matching_event(storm_run, tmp_path):
    _, events = storm_run
    out = tmp_path / "t.jsonl"
    assert write_jsonl(iter(events), out) == len(events)
    lines = out.read_text().splitlines()
    assert len(lines) == len(events)
    for line, e in zip(lines, events):
        obj = json.loads(line)
        assert list(obj) == ["tick", "kind", "num", "arg"]
        assert Event(**obj) == e


def test_unknown_kinds_are_written_as_recorded(tmp_path):
    out = tmp_path / "t.jsonl"
    write_jsonl([Event(5, "99", 1, 2), Event(6, 'we"ird', 0, 0)], out)
    assert [json.loads(x)["kind"] for x in out.read_text().splitlines()] == ["99", 'we"ird']


def test_an_empty_trace_gives_an_empty_file(tmp_path):
    out = tmp_path / "t.jsonl"
    assert write_jsonl(iter(()), out) == 0
    assert out.read_text() == ""

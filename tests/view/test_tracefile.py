"""Reading a JSONL trace: one clear error for each kind of bad file (sim/view/tracefile.py)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.errors import ConfigError
from sim.view import read_trace

GOOD = ('{"tick":0,"kind":"request","num":5,"arg":3}\n'
        '{"tick":0,"kind":"pend","num":21,"arg":0}\n'
        '{"tick":12,"kind":"entry","num":21,"arg":0}\n')


def write(tmp_path, text, name="t.jsonl"):
    p = tmp_path / name
    (p.write_bytes if isinstance(text, bytes) else p.write_text)(text)
    return p


def test_records_read_in_file_order(tmp_path):
    tr = read_trace(write(tmp_path, GOOD))
    assert [tuple(e) for e in tr.events(0, 3)] == [(0, "request", 5, 3), (0, "pend", 21, 0),
                                                   (12, "entry", 21, 0)]


def test_records_written_with_other_spacing_are_read(tmp_path):
    tr = read_trace(write(tmp_path, '{"tick": 7, "kind": "pend", "num": 21, "arg": 0}\n'))
    assert tuple(tr.event(0)) == (7, "pend", 21, 0)


def test_missing_file_names_it(tmp_path):
    with pytest.raises(ConfigError, match="no such file"):
        read_trace(tmp_path / "nope.jsonl")


def test_empty_file(tmp_path):
    with pytest.raises(ConfigError, match="the file is empty"):
        read_trace(write(tmp_path, ""))


def test_a_file_that_is_no_trace(tmp_path):
    with pytest.raises(ConfigError, match="is not an irqsim JSON Lines trace"):
        read_trace(write(tmp_path, "$version irqsim $end\n"))
    with pytest.raises(ConfigError, match="is not an irqsim JSON Lines trace .line 1 is an "
                                          "object with keys"):
        read_trace(write(tmp_path, '{"traceEvents": []}\n'))
    with pytest.raises(ConfigError, match="is not an irqsim JSON Lines trace"):
        read_trace(write(tmp_path, b"\x89PNG\r\n\x1a\n\0\0"))


def test_garbled_line_is_named(tmp_path):
    bad = GOOD.replace('{"tick":0,"kind":"pend"', '{"tick":0,"kind":"pe#nd"')
    with pytest.raises(ConfigError, match="line 2: unknown record kind 'pe#nd'"):
        read_trace(write(tmp_path, bad))
    with pytest.raises(ConfigError, match="line 3 is not JSON: the trace is garbled"):
        read_trace(write(tmp_path, GOOD[:-10] + "xx\n" + GOOD))
    with pytest.raises(ConfigError, match="line 2: num must be an integer in 0..65535"):
        read_trace(write(tmp_path, GOOD.replace('"num":21,"arg":0}\n{"tick":12',
                                                '"num":70000,"arg":0}\n{"tick":12')))


def test_truncated_file_says_so(tmp_path):
    with pytest.raises(ConfigError, match="line 3 is cut short .*truncated"):
        read_trace(write(tmp_path, GOOD[:-20]))


def test_architecture_from_the_records(storm_traces):
    assert read_trace(storm_traces["mps2-an385"][1]).arch() == "armv7m"
    assert read_trace(storm_traces["virt"][1]).arch() == "rv32"


def test_more_records_than_a_page_holds(tmp_path, monkeypatch):
    from sim.view import tracefile
    monkeypatch.setattr(tracefile, "MAX_RECORDS", 2)
    with pytest.raises(ConfigError, match="3 records are more than a page holds .at most 2"):
        read_trace(write(tmp_path, GOOD))


RECORD_LINES = st.lists(st.one_of(
    st.builds(lambda t, k, n, a: f'{{"tick":{t},"kind":"{k}","num":{n},"arg":{a}}}',
              st.integers(-1, 1 << 65), st.sampled_from(["request", "pend", "entry", "x"]),
              st.integers(-1, 70000), st.integers(-1, 1 << 33)),
    st.text(max_size=40)), max_size=8)


@settings(max_examples=60, deadline=None)
@given(lines=RECORD_LINES, tail=st.booleans(), junk=st.binary(max_size=16))
def test_any_file_is_records_or_one_config_error(tmp_path_factory, lines, tail, junk):
    p = tmp_path_factory.mktemp("fuzz") / "t.jsonl"
    p.write_bytes("\n".join(lines).encode("utf-8", "surrogatepass") + (b"\n" if tail else junk))
    try:
        tr = read_trace(p)
    except ConfigError as e:
        assert str(e).startswith(str(p)) and "\n" not in str(e)
    else:
        assert len(tr) >= 1 and all(k in range(256) for k in tr.records["kind"])

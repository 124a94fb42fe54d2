"""Every writer renames a finished temporary file into place; a failure leaves nothing behind."""

import pytest

from sim import plot
from sim.errors import ConfigError
from sim.export import atomic_output, write_jsonl, write_perfetto, write_vcd
from sim.trace import Event

WRITERS = {
    "jsonl": lambda ev, p: write_jsonl(ev, p),
    "vcd": lambda ev, p: write_vcd(ev, p, arch="armv7m", num_lines=32, clock_hz=25_000_000),
    "perfetto": lambda ev, p: write_perfetto(ev, p, arch="armv7m", clock_hz=25_000_000),
}


class Broken(Exception):
    pass


def failing(after):
    for i in range(after):
        yield Event(10 * i, "request", i % 8, 3)
        yield Event(10 * i, "pend", 16 + i % 8, 0)
    raise Broken("the trace file ended early")


@pytest.mark.parametrize("fmt", WRITERS)
def test_a_stream_that_fails_midway_leaves_no_file_and_no_temp_file(fmt, tmp_path):
    with pytest.raises(Broken):
        WRITERS[fmt](failing(5_000), tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("fmt", WRITERS)
def test_a_failed_export_leaves_an_existing_file_as_it_was(fmt, tmp_path):
    out = tmp_path / "out"
    out.write_text("previous export")
    with pytest.raises(Broken):
        WRITERS[fmt](failing(100), out)
    assert out.read_text() == "previous export"
    assert list(tmp_path.iterdir()) == [out]


def test_keyboard_interrupt_cleans_up_too(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        with atomic_output(tmp_path / "out") as f:
            f.write("partial")
            raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_success_replaces_the_destination(tmp_path):
    out = tmp_path / "out"
    out.write_text("old")
    write_jsonl([Event(1, "request", 0, 3)], out)
    assert out.read_text() == '{"tick":1,"kind":"request","num":0,"arg":3}\n'
    assert list(tmp_path.iterdir()) == [out]


def test_a_missing_folder_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot write"):
        write_jsonl([], tmp_path / "no" / "such" / "out.jsonl")


@pytest.mark.parametrize("writer", ["csv", "png", "html"])
def test_plot_writers_are_atomic(writer, tmp_path):
    bad = [{"rate_hz": 1000.0, "requests": 10, "handled": 10, "handled_rate_hz": 1000.0,
            "thread_progress": 0.5}, {"rate_hz": "not a number"}]
    fn = {"csv": lambda p: plot.write_csv(_explode(bad), p),
          "png": lambda p: plot.write_png(bad, p, "t"),
          "html": lambda p: plot.write_html(bad, p, "t")}[writer]
    with pytest.raises((TypeError, ValueError, Broken)):
        fn(tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def _explode(points):
    yield from points[:1]
    raise Broken("sweep aborted")

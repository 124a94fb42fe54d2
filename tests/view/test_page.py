"""The page's content, made from real storms on both boards: deterministic, self-contained,
its narration explain's own words for the run's records, its registers the run's."""

import dataclasses
import json
import re

import pytest
from click.testing import CliRunner

import cli
from sim import explain, storm, view
from sim.errors import ConfigError

from view_helpers import page_data, short_storm


@pytest.mark.parametrize("board", ["mps2-an385", "virt"])
def test_same_trace_same_page_byte_for_byte(board, storm_traces, pages, tmp_path):
    sc, path = storm_traces[board]
    again = tmp_path / "again.html"
    view.write_view(view.read_trace(path), again, sc)
    assert again.read_bytes() == pages[board].read_bytes()


@pytest.mark.parametrize("board", ["mps2-an385", "virt"])
def test_page_is_self_contained(board, pages):
    text = pages[board].read_text()
    assert not re.search(r"https?://", text)
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", text)
    assert text.count("<script") == 3          # the data, the blob, the code: all inline


@pytest.mark.parametrize("board, rows", [("mps2-an385", ["IRQ0", "IRQ1", "IRQ5"]),
                                         ("virt", ["MEI", "source 1", "source 5"])])
def test_rows_and_events_come_from_the_trace(board, rows, storm_traces, pages):
    d = page_data(pages[board])
    tr = view.read_trace(storm_traces[board][1])
    assert d["events"] == len(tr)
    assert d["arch"] == ("armv7m" if board == "mps2-an385" else "rv32")
    labels = [r["label"] for r in d["rows"]]
    assert all(r in labels for r in rows)
    # Cortex-M handlers nest; the RISC-V demo never sets MIE in a handler (depth 1)
    assert d["depth_levels"] >= (2 if board == "mps2-an385" else 1)
    assert d["window"]["requests"] >= 64


def _first_request_scenario(tmp_path, board):
    """A scenario file whose storm begins with one request alone (line 5 at tick 10000)."""
    p = tmp_path / "one.toml"
    p.write_text(f'board = "{board}"\nticks = 60000\nseed = 3\n[[source]]\nkind = "once"\n'
                 'line = 5\nat = 10000\n[[source]]\nkind = "periodic"\nline = 1\n'
                 'period = 20000\nphase = 30000\n')
    return p


@pytest.mark.parametrize("board", ["mps2-an385", "virt"])
def test_narration_is_explains_for_the_same_run(board, tmp_path):
    sc_path = _first_request_scenario(tmp_path, board)
    sc = storm.load_scenario(sc_path)
    trace = tmp_path / "t.jsonl"
    storm.run_storm_with_exports(sc, {"jsonl": str(trace)}, baseline=False)
    page = tmp_path / "p.html"
    view.write_view(view.read_trace(trace), page, sc)
    shown = [(s["kind"], s["title"], s["text"]) for s in page_data(page)["steps"]]
    told = explain.explain(scenario=sc_path)
    first = [(s.kind, s.title, s.text) for s in told if s.kind not in ("code", "table")]
    assert first and all(step in shown for step in first)


def test_registers_at_an_entry_are_the_frame_the_narration_tells(pages):
    d = page_data(pages["mps2-an385"])
    entry = next(s for s in d["steps"] if s["kind"] == "entry")
    st = next(s for s in d["states"] if s["i"] == entry["i"])
    assert st["where"] == "right after the entry record"
    sp = st["regs"]["sp"]
    for k, word in enumerate(st["stack"]):       # each stacked word, as the narration lists it
        assert re.search(rf"{sp + 4 * k:#010x}  \w+ +{word:#010x}", entry["text"])
    assert f"so PC = {st['regs']['pc']:#010x}" in entry["text"]
    assert f"LR = EXC_RETURN {st['regs']['lr']:#010x}" in entry["text"]


def test_a_nested_preemption_is_narrated(pages):
    d = page_data(pages["mps2-an385"])
    pre = [s for s in d["steps"] if s["kind"] == "preempt"]
    assert pre and re.match(r"Preemption: IRQ\d over IRQ\d", pre[0]["title"])


def test_riscv_steps_name_mcause_and_the_claim(pages):
    d = page_data(pages["virt"])
    kinds = {s["kind"] for s in d["steps"]}
    assert {"entry", "claim", "complete", "return", "latency"} <= kinds
    st = next(s for s in d["states"] if "mcause" in s["regs"])
    assert {"mstatus", "mepc", "mtvec", "a0", "sp"} <= set(st["regs"])


def test_trace_of_another_run_is_refused(storm_traces, tmp_path):
    sc, path = storm_traces["mps2-an385"]
    sc2 = short_storm("mps2-an385")
    sc2.seed = sc.seed + 1
    with pytest.raises(ConfigError, match="differs from the run made again.*--seed"):
        view.write_view(view.read_trace(path), tmp_path / "p.html", sc2)
    assert not (tmp_path / "p.html").exists()


def test_no_run_page_has_the_timeline_alone(storm_traces, tmp_path):
    sc, path = storm_traces["virt"]
    got = view.write_view(view.read_trace(path), tmp_path / "p.html", sc, run=False)
    d = page_data(tmp_path / "p.html")
    assert got["narrated_steps"] == 0 and "steps" not in d and d["no_run"]


def test_window_from_a_later_tick(storm_traces, tmp_path):
    sc, path = storm_traces["mps2-an385"]
    view.write_view(view.read_trace(path), tmp_path / "p.html", sc, at=200_000, requests=5)
    d = page_data(tmp_path / "p.html")
    assert d["window"]["tick_lo"] >= 200_000 and d["window"]["requests"] >= 5
    assert min(s["tick"] for s in d["steps"]) >= 200_000


class TestCli:
    def run(self, *args):
        return CliRunner().invoke(cli.main, list(map(str, args)))

    def test_view_writes_the_page(self, storm_traces, tmp_path):
        sc, path = storm_traces["virt"]
        r = self.run("view", path, "--ticks", sc.ticks, "-o", tmp_path / "p.html")
        assert r.exit_code == 0, r.output
        assert "narrated steps" in r.output and (tmp_path / "p.html").exists()
        r = self.run("view", path, "--ticks", sc.ticks, "-o", tmp_path / "q.html", "--json",
                     "--narrate", 3)
        got = json.loads(r.output)
        assert got["events"] == len(view.read_trace(path)) and got["narrated_steps"] > 3
        assert got["window"][0] == 0 and "MEI" in got["rows"]

    def test_storm_html_beside_the_other_outputs(self, tmp_path):
        r = self.run("storm", "--ticks", 150_000, "--html", tmp_path / "s.html", "--jsonl",
                     tmp_path / "s.jsonl")
        assert r.exit_code == 0, r.output
        assert "wrote html:" in r.output
        d = page_data(tmp_path / "s.html")
        assert d["events"] == len(view.read_trace(tmp_path / "s.jsonl")) and d["steps"]

    def test_scenario_export_html(self, tmp_path):
        sc = tmp_path / "s.toml"
        sc.write_text(f'ticks = 100000\n[[source]]\nkind = "periodic"\nline = 5\nperiod = 3000\n'
                      f'[export]\nhtml = "{tmp_path / "s.html"}"\n')
        r = self.run("storm", "--scenario", sc)
        assert r.exit_code == 0, r.output
        assert "IRQ5" in [r["label"] for r in page_data(tmp_path / "s.html")["rows"]]

    @pytest.mark.parametrize("args, message", [
        (["missing.jsonl"], "no such file"),
        (["bad.jsonl"], "line 2 is not JSON"),
        (["cut.jsonl"], "cut short"),
        (["notrace.jsonl"], "is not an irqsim JSON Lines trace"),
    ])
    def test_bad_input_is_one_line(self, args, message, tmp_path, monkeypatch):
        monkeypatch.chdir(tmp_path)
        rec = '{"tick":0,"kind":"request","num":5,"arg":3}\n'
        (tmp_path / "bad.jsonl").write_text(rec + "{oops\n" + rec)
        (tmp_path / "cut.jsonl").write_text(rec + rec[:20])
        (tmp_path / "notrace.jsonl").write_text("hello\n")
        r = self.run("view", *args, "-o", "p.html")
        assert r.exit_code == 1
        assert message in r.output and len(r.output.strip().splitlines()) == 1
        assert not (tmp_path / "p.html").exists()

    def test_output_in_a_missing_folder(self, storm_traces, tmp_path):
        r = self.run("view", storm_traces["virt"][1], "-o", tmp_path / "no" / "p.html")
        assert r.exit_code == 1 and "does not exist" in r.output
        r = self.run("storm", "--ticks", 1000, "--html", tmp_path / "no" / "p.html")
        assert r.exit_code == 1 and "html export" in r.output


def test_riscv_latency_of_a_request_pended_inside_the_trap_that_claims_it(storm_traces,
                                                                          tmp_path):
    """A level source whose gateway held the request until the trap that claims it had begun
    (the handler claims in a loop): the parts of its latency still add up to the accounting's
    entry latency, counted from that trap's first instruction."""
    sc, path = storm_traces["virt"]
    view.write_view(view.read_trace(path), tmp_path / "p.html", sc, requests=300)
    late = [s for s in page_data(tmp_path / "p.html")["steps"]
            if s["kind"] == "latency" and "after the trap began" in s["text"]]
    assert late
    for s in late:
        total = int(re.match(r"Entry latency (\d+) ticks", s["text"]).group(1))
        assert re.search(rf"wait to be taken +{total}  pended at tick", s["text"])


def test_m7_double_registers_reach_the_page_whole(tmp_path):
    sc = dataclasses.replace(short_storm("mps2-an500"), ticks=100_000)
    trace, page = tmp_path / "t.jsonl", tmp_path / "p.html"
    storm.run_storm_with_exports(sc, {"jsonl": str(trace)}, baseline=False)
    view.write_view(view.read_trace(trace), page, sc)
    st = page_data(page)["states"][0]
    assert [n for n in st["regs"] if n.startswith("d")] == [f"d{i}" for i in range(16)]
    assert all(isinstance(v, int) and v < 1 << 32 or re.fullmatch(r"0x[0-9a-f]{16}", v)
               for v in st["regs"].values())
    assert isinstance(st["regs"]["fpscr"], int)


def test_a_register_wider_than_32_bits_is_shown_as_a_hex_string():
    from types import SimpleNamespace

    import sim
    from sim.view.capture import Capture
    m = sim.Machine.demo("mps2-an500")
    m.set_reg("d5", 0x400921FB54442D18)
    regs = Capture._registers(SimpleNamespace(board=m.board), m)["regs"]
    assert regs["d5"] == "0x400921fb54442d18" and regs["d4"] == 0 and regs["sp"] == m.reg("sp")
    m.close()

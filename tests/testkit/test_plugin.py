"""irqsim's pytest plugin (sim/pytest_plugin.py), run on small suites through pytester:
fixtures, marker and options, the failure report, trace files, junitxml properties."""

import json
import xml.etree.ElementTree as ET

from sim.demo import demo_image


def test_machine_factory_makes_demo_machines_and_closes_them(pytester, run_inner):
    pytester.makepyfile("""
        made = []

        def test_make(machine):
            m = machine("demo")
            made.append(m)
            assert m.board.name == "mps2-an385" and m.image.name == "demo-mps2-an385.elf"
            assert machine(board="virt").board.name == "virt"
            made.append(machine.machines[-1])
            assert not m.closed

        def test_closed_after_the_test():
            assert len(made) == 2 and all(m.closed for m in made)
    """)
    run_inner().assert_outcomes(passed=2)


def test_marker_and_options_set_board_and_image(pytester, run_inner):
    pytester.makepyfile(f"""
        import pytest

        @pytest.mark.irqsim(board="virt", trace_capacity=1024)
        def test_marker(demo_machine, machine):
            assert demo_machine.board.name == "virt"
            assert machine().board.name == "virt"

        def test_option(demo_machine, machine, request):
            assert demo_machine.board.name == request.config.getoption("irqsim_board")
            assert str(machine().image) == {str(demo_image("virt"))!r}

        @pytest.mark.irqsim("virt")
        def test_positional(machine):
            machine()
    """)
    r = run_inner("--irqsim-board", "virt", "--irqsim-image", str(demo_image("virt")))
    r.assert_outcomes(passed=2, errors=1)
    r.stdout.fnmatch_lines(["*ConfigError: @pytest.mark.irqsim takes keywords only*"])


def test_default_board_and_help(pytester, run_inner):
    pytester.makepyfile("""
        def test_default(demo_machine):
            assert demo_machine.board.name == "mps2-an385"
    """)
    run_inner().assert_outcomes(passed=1)
    h = run_inner("--help")
    h.stdout.fnmatch_lines(["*irqsim firmware tests*", "*--irqsim-board=NAME*",
                            "*--irqsim-traces=DIR*"])
    m = run_inner("--markers")
    m.stdout.fnmatch_lines(["*@pytest.mark.irqsim(board=None, image=None, **options)*"])


FAILING = """
    def test_late(demo_machine):
        m = demo_machine
        m.symbols["demo_loops"].write("<I", 0)
        m.run_until("demo_thread_loop", ticks=100_000)
        m.expect_handled(5)
        assert m.ticks < 100, "too late"
"""


def test_a_failing_test_shows_the_machine(pytester, run_inner):
    pytester.makepyfile(FAILING)
    r = run_inner()
    r.assert_outcomes(failed=1)
    r.stdout.fnmatch_lines([
        "*AssertionError: too late*",
        "*irqsim machine 0: demo-mps2-an385.elf on mps2-an385*",
        "stop: event: a trace record of a stop_on kind was made at tick *",
        "now: tick *, pc 0x* (handler_table_handle+0x0)",
        "last 20 events:",
        "*request line 5 (pulse)",
        "*entry IRQ5 from demo_thread_loop+0x*",
        "*dispatch ?5? handler",
        "console (last * lines):",
        "*| irqsim demo (cortex-m3, mps2-an385)",
    ])
    assert "trace:" not in r.stdout.str()         # --irqsim-traces is off by default


def test_traces_of_a_failing_test_are_written_and_named(pytester, run_inner, tmp_path):
    pytester.makepyfile(FAILING + """
    def test_passes(demo_machine):
        demo_machine.run(ticks=1_000)
    """)
    out = tmp_path / "traces"
    r = run_inner("--irqsim-traces", str(out), f"--junitxml={tmp_path / 'j.xml'}")
    r.assert_outcomes(failed=1, passed=1)
    stem = "test_traces_of_a_failing_test_are_written_and_named.py_test_late"
    vcd, pf = out / f"{stem}.vcd", out / f"{stem}.perfetto.json"
    assert sorted(p.name for p in out.iterdir()) == [pf.name, vcd.name]   # none for the pass
    r.stdout.fnmatch_lines([f"vcd trace: {vcd}", f"perfetto trace: {pf}"])
    text = vcd.read_text()
    assert "$timescale" in text and "line5" in text
    events = json.loads(pf.read_text())["traceEvents"]
    assert any(e.get("ph") == "B" and "IRQ5" in e.get("name", "") for e in events)
    # the paths are in the junit report too
    props = {p.get("name"): p.get("value")
             for p in ET.parse(tmp_path / "j.xml").iter("property")}
    assert props == {"irqsim_vcd_trace": str(vcd), "irqsim_perfetto_trace": str(pf)}


def test_storm_figures_reach_junitxml(pytester, run_inner, tmp_path):
    pytester.makepyfile("""
        import pytest

        def test_scenario(storm):
            r = storm({"ticks": 320_000, "seed": 5,
                       "source": [{"kind": "periodic", "lines": [1, 2], "period": 3_000,
                                   "start": 10_000, "stop": 310_000}]})
            assert r.totals["handled"] == r.totals["requests"] == 100

        @pytest.mark.irqsim(board="virt")
        def test_default_storm(storm):
            storm(seed=9, ticks=200_000)

        def test_machine_storm(demo_machine, storm):
            m = demo_machine
            m.symbols["demo_loops"].write("<I", 0)
            m.start_accounting()
            m.add_source("periodic", [1], period=5_000, start=10_000, stop=110_000, seed=1)
            m.run(ticks=120_000)
            fig = storm.record(m, "mine")
            assert fig["requests"] == fig["handled"] == 20

        def test_bad_field(storm):
            storm(sede=1)
    """)
    xml = tmp_path / "j.xml"
    # junit_family xunit1: pytest's default xunit2 schema has no per-test properties (pytest
    # still writes them, with a warning)
    r = run_inner(f"--junitxml={xml}", "-o", "junit_family=xunit1")
    r.assert_outcomes(passed=3, failed=1)
    assert "record_property is incompatible" not in r.stdout.str()
    r.stdout.fnmatch_lines(["*ConfigError: storm: sede: no field of a Scenario*"])
    cases = {c.get("name"): {p.get("name"): p.get("value") for p in c.iter("property")}
             for c in ET.parse(xml).iter("testcase")}
    sc = cases["test_scenario"]
    assert sc["irqsim_storm_board"] == "mps2-an385" and sc["irqsim_storm_seed"] == "5"
    assert sc["irqsim_storm_requests"] == sc["irqsim_storm_handled"] == "100"
    assert sc["irqsim_storm_coalesced"] == "0" and int(sc["irqsim_storm_p99_entry_latency"]) > 0
    d = cases["test_default_storm"]
    assert d["irqsim_storm_board"] == "virt" and int(d["irqsim_storm_coalesced"]) > 0
    assert int(d["irqsim_storm_unhandled"]) > 0          # the empty slot of source 3
    mine = cases["test_machine_storm"]
    assert mine["irqsim_mine_requests"] == mine["irqsim_mine_handled"] == "20"
    assert int(mine["irqsim_mine_max_entry_latency"]) >= int(mine["irqsim_mine_p50_entry_latency"])


def test_each_machine_of_a_failing_test_gets_its_section_and_traces(pytester, run_inner,
                                                                      tmp_path):
    pytester.makepyfile("""
        def test_two(machine):
            a, b = machine(), machine(board="virt")
            a.run(ticks=5_000)
            b.close()                          # closed by the test: still reported
            assert False, "both shown"
    """)
    out = tmp_path / "t"
    r = run_inner("--irqsim-traces", str(out))
    r.assert_outcomes(failed=1)
    r.stdout.fnmatch_lines(["*irqsim machine 0: demo-mps2-an385.elf on mps2-an385*",
                            "stop: ticks: tick limit: 5,000 ticks ran out at tick 5,0*",
                            "*irqsim machine 1: demo-virt.elf on virt*",
                            "stop: no run has returned yet", "last events: none",
                            "console: empty"])
    names = sorted(p.name for p in out.iterdir())
    stem = "test_each_machine_of_a_failing_test_gets_its_section_and_traces.py_test_two"
    assert names == sorted(f"{stem}-{i}{ext}" for i in (0, 1)
                           for ext in (".vcd", ".perfetto.json"))


def test_storm_takes_a_scenario_file(pytester, run_inner):
    pytester.makefile(".toml", slow="""
        board = "virt"
        ticks = 200_000
        seed = 3
        [[source]]
        kind = "periodic"
        line = 1
        period = 4_000
        start = 10_000
        stop = 190_000
    """)
    pytester.makepyfile("""
        def test_file(storm):
            r = storm("slow.toml", seed=4)
            assert (r.board, r.seed) == ("virt", 4)
            assert r.totals["requests"] == r.totals["handled"] == 45
    """)
    run_inner().assert_outcomes(passed=1)

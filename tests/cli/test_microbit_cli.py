"""Board microbit (Cortex-M0) from the command line: `irqsim build` builds its demo for
cortex-m0, `irqsim storm --board microbit` runs with no other option and its outcomes add up,
and `irqsim explain --board microbit` narrates the ARMv6-M build of the handler table (its
PRIMASK critical sections) and the ARMv6-M exception model."""

import json

from click.testing import CliRunner

import sim
from cli import main
from sim.explain.code import listing


def test_build_builds_the_cortex_m0_demo():
    r = CliRunner().invoke(main, ["build"])
    assert r.exit_code == 0, r.output
    assert "cortex-m0/demo-microbit.elf" in r.output


def test_boards_lists_microbit():
    r = CliRunner().invoke(main, ["boards"])
    assert r.exit_code == 0 and "microbit" in r.output


def test_storm_on_microbit_with_no_other_option():
    r = CliRunner().invoke(main, ["storm", "--board", "microbit", "--json"])
    assert r.exit_code == 0, r.output
    rep = json.loads(r.output)
    t = rep["totals"]
    assert rep["board"] == "microbit" and rep["clock_hz"] == 16_000_000
    assert t["requests"] > 1000 and t["handled"] > 0 and t["unhandled"] > 0, \
        "line 3 has no handler in the demo"
    assert t["requests"] == sum(t[k] for k in ("handled", "unhandled", "coalesced", "pending",
                                               "dropped"))


def test_the_demo_links_the_tables_primask_build_on_the_m0():
    m = sim.Machine.demo("microbit")
    for fn in ("handler_table_register", "handler_table_unregister"):
        texts = [i.text for i in listing(m, fn)]
        assert any(t.startswith("cpsid i") for t in texts), fn
        assert not any(t.startswith(("ldrex", "strex", "dmb")) for t in texts), fn


def test_explain_on_microbit_narrates_the_critical_section_and_armv6m():
    r = CliRunner().invoke(main, ["explain", "--board", "microbit"])
    assert r.exit_code == 0, r.output
    out = " ".join(r.output.split())
    assert "ARMv6-M critical section: masks interrupts" in out
    assert "Why a critical section: ARMv6-M has no exclusive access" in out
    assert "ARMv6-M has no PRIGROUP" in out and "no BASEPRI or FAULTMASK" in out
    assert "this core has no VTOR" in out
    assert "DMB before STREX" not in out and "floating-point frame" not in out

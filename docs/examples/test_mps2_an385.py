"""Interrupt tests of the bundled demo on mps2-an385 (Cortex-M3, NVIC), with irqsim's pytest
plugin: boot, inject, assert latency and outcomes, a seeded storm. docs/testing.md explains it.

The demo enables lines 0-7 at mixed priorities (firmware/cortex_m/demo_main.c: line 5 the most
urgent, 0x20; line 4 0xa0) and leaves the table slot of line 3 empty; each handler counts in
handled_count[line] and spins handler_work[line] iterations.
"""

import pytest

pytestmark = pytest.mark.irqsim(board="mps2-an385")


@pytest.fixture
def booted(demo_machine):
    """The demo after its boot and self-test, its main loop running for ever."""
    m = demo_machine
    m.symbols["demo_loops"].write("<I", 0)          # before boot: the loop never ends
    m.run_until("demo_thread_loop", ticks=100_000)
    return m


def test_boot_prints_the_self_test(demo_machine):
    out = demo_machine.run_until_console("self-test:", ticks=100_000)
    assert out.startswith("irqsim demo (cortex-m3, mps2-an385)")
    out = demo_machine.run_until_console("line 3: handled 0, unhandled 1")
    assert "line 0: handled 1" in out


def test_a_request_is_handled_within_its_budget(booted):
    h = booted.expect_handled(5, within=1_000)
    # from thread mode: 12 ticks of exception entry (the Cortex-M3's stacking), plus at most
    # the rest of the block the request arrived in
    assert 12 <= h.latency <= 30
    # the run stopped as the table called the handler: run on and it has counted
    booted.run(ticks=200)
    assert booted.symbols["handled_count"].read("<8I")[5] == 1


def test_the_empty_slot_is_unhandled(booted):
    with pytest.raises(AssertionError, match="unhandled 1"):
        booted.expect_handled(3, within=1_000)


def test_an_urgent_line_preempts_a_slow_handler(machine):
    m = machine("demo")
    m.symbols["demo_loops"].write("<I", 0)
    m.symbols["handler_work"].write("<8I", 0, 0, 0, 0, 5_000, 0, 0, 0)   # line 4 is slow
    m.run_until("demo_thread_loop", ticks=100_000)
    m.start_accounting()                # latencies and outcomes of the requests from here on
    t = m.ticks
    m.pulse_irq(4, at=t + 10)
    m.pulse_irq(5, at=t + 500)         # while line 4's handler spins
    m.run(ticks=100_000)
    assert m.nesting()["max_depth"] == 2
    assert m.latencies(5).max <= 30     # preempting: no wait for line 4's handler
    m.assert_no_lost_requests()


def test_a_seeded_periodic_storm_loses_nothing(booted, storm):
    m = booted
    m.start_accounting()
    t = m.ticks                         # one request every 3000 +- 500 ticks, to a random line
    m.add_source("periodic", [0, 1, 2], start=t, stop=t + 899_000, period=3_000, jitter=500,
                 seed=7)
    m.run(ticks=1_000_000)
    lost = m.assert_no_lost_requests()  # {line: requests}
    assert sum(lost.values()) == 300
    assert m.latencies(0).p99 < 200
    storm.record(m)                     # irqsim_storm_* properties for --junitxml


def test_the_default_storm_is_reproducible_from_its_seed(storm):
    first = storm(seed=7, ticks=1_000_000)
    again = storm(seed=7, ticks=1_000_000)
    assert first.to_dict() == again.to_dict()
    t = first.totals
    assert t["requests"] == sum(t[k] for k in ("handled", "unhandled", "coalesced", "pending",
                                              "masked", "dropped"))
    assert first.lines[3]["handled"] == 0 < first.lines[3]["unhandled"]   # the empty slot
    assert first.lines[4]["coalesced"] > 0      # bursts on the busy line 4 merge

"""Interrupt tests of the bundled demo on virt (RV32IMAC, PLIC and CLINT), with irqsim's
pytest plugin: boot, inject, assert latency and outcomes, a seeded storm. docs/testing.md
explains it.

Lines are PLIC sources. The demo enables sources 1-8 (firmware/riscv/demo_main.c: priorities
4 5 6 4 3 7 5 2, threshold 0) and the UART's source 10, and leaves the table slot of source 3
empty. RISC-V traps do not nest here: a handler runs with MIE clear.
"""

import pytest

pytestmark = pytest.mark.irqsim(board="virt")


@pytest.fixture
def booted(demo_machine):
    """The demo after its boot and self-test, its main loop running for ever."""
    m = demo_machine
    m.symbols["demo_loops"].write("<I", 0)
    m.run_until("demo_thread_loop", ticks=100_000)
    return m


def test_boot_prints_the_self_test(demo_machine):
    out = demo_machine.run_until_console("self-test:", ticks=100_000)
    assert out.startswith("irqsim demo (rv32imac, virt)")
    out = demo_machine.run_until_console("line 63: handled 1, unhandled 0")
    assert "line 10: handled 1" in out          # the UART's source, in the self-test


def test_a_request_is_handled_within_its_budget(booted):
    h = booted.expect_handled(5, within=1_000)
    # the trap is taken at the block boundary that samples the request: the handler's first
    # instruction runs at once (RISC-V trap entry retires no instruction)
    assert h.latency <= 20
    assert booted.plic.source(5).pending is False


def test_the_empty_slot_is_unhandled(booted):
    with pytest.raises(AssertionError, match="unhandled 1"):
        booted.expect_handled(3, within=1_000)


def test_a_disabled_source_stays_pending_masked(booted):
    with pytest.raises(AssertionError, match="masked"):
        booted.expect_handled(20, within=5_000)


def test_a_seeded_periodic_storm_loses_nothing(booted, storm):
    m = booted
    m.start_accounting()
    t = m.ticks                         # one request every 3000 +- 500 ticks, to a random line
    m.add_source("periodic", [1, 2, 4], start=t, stop=t + 899_000, period=3_000, jitter=500,
                 seed=7)
    m.run(ticks=1_000_000)
    lost = m.assert_no_lost_requests()
    assert sum(lost.values()) == 300
    assert m.latencies(1).p99 < 300
    storm.record(m)


def test_the_default_storm_is_reproducible_from_its_seed(storm):
    first = storm(seed=7, ticks=1_000_000)
    again = storm(seed=7, ticks=1_000_000)
    assert first.to_dict() == again.to_dict()
    assert first.lines[3]["handled"] == 0 < first.lines[3]["unhandled"]   # the empty slot
    assert first.totals["coalesced"] > 0

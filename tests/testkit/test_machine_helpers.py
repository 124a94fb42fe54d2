"""The Machine's test helpers (sim/testkit.py) on both boards' demos, against the trace."""

import pytest

import sim
from sim.errors import ArgumentError, ConfigError, ExpectationFailed

BOARDS = ["mps2-an385", "virt", "mps2-an505"]
# what the demo prints first, and a line whose table slot is empty (firmware/*/demo_main.c)
BANNER = {"mps2-an385": "irqsim demo (cortex-m3, mps2-an385)",
          "virt": "irqsim demo (rv32imac, virt)",
          "mps2-an505": "irqsim demo (cortex-m33, mps2-an505)"}
EMPTY_LINE = 3
DISABLED_LINE = 20


def booted(board, forever=True):
    m = sim.Machine.demo(board)
    if forever:
        m.symbols["demo_loops"].write("<I", 0)
    m.run_until("demo_thread_loop", ticks=100_000)
    return m


@pytest.mark.parametrize("board", BOARDS)
def test_run_until_console_returns_the_console_and_searches_on(board):
    m = sim.Machine.demo(board)
    out = m.run_until_console("self-test:", ticks=200_000)
    assert out.startswith(BANNER[board]) and "self-test:" in out
    # the next call searches after the match: the banner is not found again
    with pytest.raises(ExpectationFailed) as ei:
        m.run_until_console(BANNER[board], ticks=200_000)
    msg = str(ei.value)
    assert isinstance(ei.value, AssertionError)
    assert "did not appear on the console: the run ended first: the firmware exited" in msg
    assert "last 20 events:" in msg and "| self-test:" in msg      # events and console tail
    assert "stop: exit:" in msg


@pytest.mark.parametrize("board", BOARDS)
def test_run_until_console_fails_when_the_ticks_pass(board):
    m = sim.Machine.demo(board)
    m.symbols["demo_loops"].write("<I", 0)
    with pytest.raises(ExpectationFailed, match="'never printed' did not appear on the "
                                                "console: 300,000 ticks passed"):
        m.run_until_console("never printed", ticks=300_000)
    assert 300_000 <= m.ticks <= 300_016      # a run ends at an instruction boundary


@pytest.mark.parametrize("board", BOARDS)
def test_run_until_stops_at_the_function(board):
    m = sim.Machine.demo(board)
    stop = m.run_until("main", ticks=10_000)
    assert stop.reason == "until" and m.pc & ~1 == m.symbols["main"].address & ~1
    m = booted(board)                         # in the main loop, for ever: main is behind it
    with pytest.raises(ExpectationFailed, match="run_until: never reached main: tick limit: "
                                                "100,000 ticks ran out"):
        m.run_until("main", ticks=100_000)


@pytest.mark.parametrize("board", BOARDS)
def test_expect_handled_matches_the_trace(board):
    m = booted(board)
    t0 = m.ticks
    h = m.expect_handled(5, within=1_000)
    assert (h.line, h.request_tick) == (5, t0) and t0 < h.handled_tick <= t0 + 1_000
    ev = m.events
    assert any(e.kind == "request" and e.num == 5 and e.tick == t0 for e in ev)
    # the run stopped at the table's dispatch of line 5's handler: the last record
    assert (ev[-1].kind, ev[-1].num, ev[-1].arg) == ("dispatch", 5, 1)
    # the latency is the accounting's: the entry tick (Cortex-M, exception 16 + 5) or the
    # trap's entry that claims source 5 (RISC-V), less the request's tick
    entry = next(e for e in ev if e.tick >= t0 and e.kind == "entry")
    assert h.latency == entry.tick - t0
    assert m.latencies(5) == (5, "entry", 1, h.latency, h.latency, h.latency, h.latency)


@pytest.mark.parametrize("board", BOARDS)
def test_expect_handled_names_the_outcome(board):
    m = booted(board)
    with pytest.raises(ExpectationFailed, match=r"the request on line 3 at tick [\d,]+ was not "
                                                r"handled within 2,000 ticks .*: unhandled 1"):
        m.expect_handled(EMPTY_LINE, within=2_000)
    with pytest.raises(ExpectationFailed, match="not handled within 5,000 ticks .*: masked"):
        m.expect_handled(DISABLED_LINE, within=5_000)
    assert m.ticks >= 5_000


@pytest.mark.parametrize("board", BOARDS)
def test_latencies_summarise_the_requests(board):
    m = booted(board)
    got = [m.expect_handled(n, within=2_000).latency for n in (1, 1, 1)]
    lat = m.latencies(1)
    assert lat.count == 3 and lat.max == max(got) and lat.p50 == sorted(got)[1]
    m.run(ticks=1_000)                        # the third handler returns
    assert m.latencies(1, "return").count == 3
    assert m.latencies(2).count == 0 and m.latencies(2).max is None


@pytest.mark.parametrize("board", BOARDS)
def test_no_lost_requests_over_a_slow_storm(board):
    m = booted(board)
    m.start_accounting()
    t = m.ticks
    m.add_source("periodic", [1, 2], start=t, stop=t + 400_000, period=4_000, seed=3)
    m.run(ticks=400_000)
    seen = m.assert_no_lost_requests()
    assert set(seen) == {1, 2} and sum(seen.values()) == 100


@pytest.mark.parametrize("board", BOARDS)
def test_lost_requests_are_named_with_their_counts(board):
    m = booted(board)
    m.symbols["handler_work"].write("<8I", *[0] * 4, 2_000, 0, 0, 0)   # line 4 is slow
    m.start_accounting()
    # bursts on the slow line merge while it is pending; the empty slot loses every request
    m.add_source("burst", [4], count=4, spacing=20, gap=50_000, seed=1)
    m.add_source("periodic", [EMPTY_LINE], period=10_000, seed=2)
    m.add_source("periodic", [1], period=7_000, seed=4)
    m.run(ticks=200_000)
    with pytest.raises(ExpectationFailed) as ei:
        m.assert_no_lost_requests()
    msg = str(ei.value).splitlines()[0]
    acct = {a.line: a for a in m.line_accounting()}
    assert (f"line 3: {acct[3].requests} requests, 0 handled, {acct[3].unhandled} unhandled"
            in msg)
    assert f"line 4: {acct[4].requests} requests, {acct[4].handled} handled" in msg
    assert acct[4].coalesced and f"{acct[4].coalesced} coalesced" in msg
    assert "line 1:" not in msg                       # nothing lost there
    assert m.assert_no_lost_requests(lines=[1]) == {1: acct[1].requests}


@pytest.mark.parametrize("board", BOARDS)
def test_failure_report_names_functions_and_survives_close(board):
    m = booted(board)
    m.expect_handled(5, within=1_000)
    rep = m.failure_report()
    assert "stop: event: a trace record of a stop_on kind was made" in rep
    assert "from demo_thread_loop+0x" in rep           # an entry names where it came from
    assert "dispatch [5] handler" in rep
    if board == "virt":
        assert "claim line 5 (context 0)" in rep and "entry MEI from demo_thread_loop" in rep
    else:
        assert "entry IRQ5 from demo_thread_loop" in rep
    m.close()
    after = m.failure_report()
    assert "last 20 events:" in after and "| self-test:" in after


def test_bad_arguments_are_clear():
    m = booted("mps2-an385", forever=False)
    with pytest.raises(ArgumentError, match="non-empty string"):
        m.run_until_console("")
    with pytest.raises(ArgumentError, match="symbol name or an address"):
        m.run_until(1.5)
    with pytest.raises(ArgumentError, match="within"):
        m.expect_handled(1, within=0)
    with pytest.raises(ArgumentError, match="out of range"):
        m.expect_handled(99)
    with pytest.raises(ArgumentError, match="has no storm accounting"):
        m.expect_handled("nmi")
    with pytest.raises(ArgumentError, match="'entry' or 'return'"):
        m.latencies(1, "exit")


def test_latencies_and_losses_need_the_accounting():
    m = booted("mps2-an385", forever=False)
    with pytest.raises(ConfigError, match="start_accounting"):
        m.latencies(1)
    with pytest.raises(ConfigError, match="start_accounting"):
        m.assert_no_lost_requests()

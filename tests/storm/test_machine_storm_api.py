"""The Machine's storm API (what sim.storm builds on): sources in the core, the accounting that
follows each request, latency histograms and thread time, in plain Python values."""

import pytest

import sim
from sim.errors import ConfigError
from sim.machine import LineAccount, latency_bucket_low


@pytest.fixture
def m():
    m = sim.Machine.demo("mps2-an385")
    m.symbols["demo_loops"].write("<I", 0)      # the demo's main loop runs for the whole test
    return m


def test_sources_need_the_accounting_started_first(m):
    with pytest.raises(ConfigError, match="start_accounting"):
        m.add_source("once", [5], start=100)
    with pytest.raises(ConfigError, match="start_accounting"):
        m.line_accounting()
    m.start_accounting()
    with pytest.raises(ConfigError, match="already started"):
        m.start_accounting()


def test_periodic_source_requests_on_schedule_and_each_is_accounted(m):
    m.start_accounting()
    m.set_trace(False)
    m.add_source("periodic", [5], period=10_000, phase=5_000, seed=1)
    m.run(ticks=100_000)
    acct = m.line_accounting()
    assert len(acct) == m.num_lines and all(isinstance(a, LineAccount) for a in acct)
    a = acct[5]
    assert a.line == 5 and a.requests == 10 and a.handled == 10 and a.entries == 10
    assert a.pending_since is None and a.in_service_since is None
    assert sum(x.requests for x in acct) == 10
    entry = m.latency_histogram(5, "entry")
    assert sum(entry) == 10 == sum(m.latency_histogram(5, "return"))
    lowest = min(b for b, n in enumerate(entry) if n)
    assert latency_bucket_low(lowest) <= a.max_entry_latency
    m.reset_accounting()
    assert m.line_accounting()[5].requests == 0 and sum(m.latency_histogram(5)) == 0


def test_thread_and_handler_ticks_add_up_to_the_run(m):
    m.run(ticks=50_000)
    t = m.thread_ticks()
    assert t.thread + t.handler == m.ticks and t.thread > 0


def test_rejected_source_and_bad_line_name_what_to_check(m):
    m.start_accounting()
    with pytest.raises(ConfigError, match="line 35 is out of range .* lines are 0..31"):
        m.add_source("once", [m.num_lines + 3], start=10)
    with pytest.raises(ConfigError, match="out of range"):
        m.latency_histogram(m.num_lines)

"""Storms on virt: every request ends in exactly one outcome through the PLIC's gateways
(edges held while claimed, levels re-pending at completion), and the report's RISC-V parts."""

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sim import storm
from sim.boards import get_board
from sim.storm import Scenario, Source
from sim.storm.scenario import MAX_REQUESTS_PER_TICK

OUTCOMES = ("handled", "unhandled", "coalesced", "pending", "masked", "dropped")

sources = st.one_of(
    st.builds(lambda lines, rate: Source("poisson", lines, rate_hz=rate),
              st.lists(st.integers(1, 10), min_size=1, max_size=4), st.floats(1_000, 300_000)),
    st.builds(lambda line, n, spacing, gap: Source("burst", [line], count=n, spacing=spacing,
                                                   gap=gap),
              st.integers(1, 10), st.integers(1, 12), st.integers(0, 60),
              st.integers(1, 30_000)),
    st.builds(lambda line, hold: Source("poisson", [line], rate_hz=20_000, trigger="level",
                                        hold=hold),
              st.integers(1, 10), st.integers(1, 2_000)),
)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(srcs=st.lists(sources, min_size=1, max_size=4), seed=st.integers(0, 2**32))
def test_every_request_ends_in_exactly_one_outcome(srcs, seed):
    sc = Scenario(board="virt", ticks=150_000, seed=seed, sources=srcs,
                  demo={"handler_work": {4: 200}})
    clock = get_board("virt").clock_hz    # mixes past the rate limit are refused, not run
    assume(sc.offered_rate_hz(clock) / clock <= MAX_REQUESTS_PER_TICK)
    rep = storm.run_storm(sc, baseline=False)
    t = rep.totals
    assert sum(t[k] for k in OUTCOMES) == t["requests"]
    for line, row in rep.lines.items():
        assert sum(row[k] for k in OUTCOMES) == row["requests"], line


def test_default_storm_on_virt():
    rep = storm.run_storm(storm.default_scenario("virt"), baseline=False)
    assert rep.lines[3]["unhandled"] > 0 and rep.lines[3]["handled"] == 0   # empty slot
    assert rep.lines[1]["coalesced"] > 0
    assert rep.nesting["tail_chains"] == 0 and rep.nesting["max_depth"] == 1
    lat = rep.totals["latency_entry"]
    assert lat["count"] > 0 and lat["p50"] < 200


def test_same_seed_same_report():
    a = storm.run_storm(storm.default_scenario("virt"), baseline=False).to_dict()
    b = storm.run_storm(storm.default_scenario("virt"), baseline=False).to_dict()
    assert a == b

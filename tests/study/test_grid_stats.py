"""sim.study.grid (keys, values, the grid, replicate seeds, [sweep] tables) and sim.study.stats
(running means, Student t intervals, the paired t test) against scipy's own."""

import math

import pytest
from scipy import stats as sst

from sim.errors import ConfigError
from sim.storm import scenario_from_dict, scenario_to_dict
from sim.study import grid
from sim.study.stats import Running
from sim.sweep import default_sweep_scenario


# ---- values ---------------------------------------------------------------------------------

def test_a_list_of_values_keeps_integers_and_floats():
    assert grid.parse_values("k", "1,2.5,0x10") == [1, 2.5, 16]
    assert grid.parse_values("k", "level,pulse") == ["level", "pulse"]


def test_a_log_range_includes_both_ends():
    v = grid.parse_values("k", "1e3..1e6:log:4")
    assert [round(x) for x in v] == [1000, 10000, 100000, 1000000]


def test_a_lin_range_of_integer_ends_gives_integers():
    assert grid.parse_values("k", "10..50:lin:5") == [10, 20, 30, 40, 50]
    with pytest.raises(ConfigError, match="do not fit"):
        grid.parse_values("k", "1..3:lin:5")


@pytest.mark.parametrize("spec", ["", "5..1:lin:3", "0..10:log:3", "1..10:lin:1", "1,x y",
                                  "1,1", "nan", "1..2:cubic:3"])
def test_bad_values_are_a_config_error(spec):
    with pytest.raises(ConfigError, match="--vary k"):
        grid.parse_values("k", spec)


def test_vary_options_need_key_equals_values():
    assert grid.parse_vary(["ticks=1000,2000", "rate=1..2:lin:2"]) == {
        "ticks": [1000, 2000], "rate": [1.0, 2.0]}
    with pytest.raises(ConfigError, match="KEY=VALUES"):
        grid.parse_vary(["ticks"])
    with pytest.raises(ConfigError, match="given twice"):
        grid.parse_vary(["ticks=1", "ticks=2"])


def test_the_grid_is_the_product_first_key_slowest():
    g = grid.grid({"a": [1, 2], "b": [3, 4, 5]})
    assert len(g) == 6 and g[0] == {"a": 1, "b": 3} and g[3] == {"a": 2, "b": 3}


# ---- keys -------------------------------------------------------------------------------------

def test_every_kind_of_key_lands_in_the_scenario():
    sc = default_sweep_scenario()
    p = grid.point_scenario(sc, {"source[0].rate_hz": 12345, "ticks": 5000,
                                 "demo.handler_work.1": 7, "controller.prio_bits": 4})
    assert p.sources[0].rate_hz == 12345.0 and p.ticks == 5000
    assert p.demo["handler_work"][1] == 7 and p.board.controller["prio_bits"] == 4
    assert sc.ticks != 5000 and sc.sources[0].rate_hz != 12345.0      # the base is untouched


def test_rate_scales_the_poisson_sources():
    p = grid.point_scenario(default_sweep_scenario(), {"rate": 50_000})
    assert grid.poisson_rate(p) == pytest.approx(50_000)


@pytest.mark.parametrize("setting, match", [
    ({"frobnicate": 1}, "no such key"),
    ({"source[7].rate_hz": 1.0}, "has 1 sources"),
    ({"source[0].rate_hz": -5.0}, "rate_hz"),
    ({"source[0].period": 5}, "unknown key for a poisson source"),
    ({"ticks": 0}, "ticks"),
    ({"demo.handler_work.1": -1}, "handler_work"),
    ({"controller.prio_bits": "many"}, "prio_bits"),
])
def test_a_value_the_scenario_refuses_names_the_point(setting, match):
    with pytest.raises(ConfigError, match=match):
        grid.point_scenario(default_sweep_scenario(), setting)


def test_scenario_to_dict_reads_back_to_the_same_scenario():
    from sim.storm import default_scenario

    sc = default_scenario()
    back = scenario_from_dict(scenario_to_dict(sc), sc.origin)
    assert back.sources == sc.sources and back.demo == sc.demo and back.ticks == sc.ticks


def test_replicate_seeds_start_at_the_scenarios_seed_and_differ():
    s = grid.replicate_seeds(7, 50)
    assert s[0] == 7 and len(set(s)) == 50 and grid.replicate_seeds(7, 3) == s[:3]


# ---- [sweep] tables -------------------------------------------------------------------------

BASE = {"source": [{"kind": "poisson", "lines": [0, 1], "rate_hz": 1000}]}


def test_a_sweep_table_gives_the_grid_and_seeds():
    sc = scenario_from_dict({**BASE, "sweep": {"seeds": 5, "vary": {
        "source[0].rate_hz": "1e3..1e5:log:3", "ticks": [1000, 2000]}}}, "s.toml")
    assert sc.sweep["seeds"] == 5
    assert list(sc.sweep["vary"]) == ["source[0].rate_hz", "ticks"]
    assert sc.sweep["vary"]["ticks"] == [1000, 2000]


@pytest.mark.parametrize("table, match", [
    ({"seeds": 0}, "sweep.seeds"), ({"seeds": 2.5}, "sweep.seeds"),
    ({"grid": {}}, "allowed keys"), ({"vary": [1]}, "sweep.vary"),
    ({"vary": {"ticks": "9..1:lin:3"}}, "sweep.vary: ticks"), ([], "allowed keys"),
])
def test_a_bad_sweep_table_names_the_file_and_key(table, match):
    with pytest.raises(ConfigError, match=f"s.toml: .*{match}"):
        scenario_from_dict({**BASE, "sweep": table}, "s.toml")


# ---- statistics -----------------------------------------------------------------------------

DATA = [3.1, 2.7, 4.0, 3.3, 2.9, 3.8, 3.0]


def test_the_interval_is_students_t():
    r = Running()
    for x in DATA:
        r.add(x)
    mean, lo, hi = r.summary(0.95)
    want = sst.t.interval(0.95, len(DATA) - 1, loc=sum(DATA) / len(DATA), scale=sst.sem(DATA))
    assert mean == pytest.approx(sum(DATA) / len(DATA))
    assert (lo, hi) == pytest.approx(want)


def test_one_value_has_no_interval_and_none_is_not_counted():
    r = Running()
    r.add(None)
    assert r.summary() == (None, None, None)
    r.add(42)
    assert r.summary() == (42, None, None) and r.n == 1


def test_the_paired_test_is_scipys_ttest_rel():
    a = [10.0, 12.0, 9.5, 11.0, 10.5]
    b = [11.0, 12.5, 10.8, 11.9, 11.0]
    r = Running()
    for x, y in zip(a, b):
        r.add(y - x)
    mean, lo, hi, p = r.paired_test(0.95)
    assert p == pytest.approx(sst.ttest_rel(b, a).pvalue)
    assert lo < mean < hi and lo > 0


def test_identical_differences_are_certain():
    r = Running()
    for _ in range(4):
        r.add(0.0)
    assert r.paired_test()[3] == 1.0
    assert not math.isnan(r.summary()[1])

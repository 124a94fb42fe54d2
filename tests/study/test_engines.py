"""Studies end to end: every engine gives the same numbers, replicates and intervals, compare's
paired test, the per-run and per-point outputs, [sweep] tables, and nothing partial on Ctrl-C."""

import csv
import json

import pytest
from click.testing import CliRunner

from cli import main
from sim.study import output
from sim.study.study import Study, compare
from sim.sweep import default_sweep_scenario

TICKS = 120_000


def small():
    sc = default_sweep_scenario()
    sc.ticks = TICKS
    return sc


def study(seeds=3):
    return Study(small(), {"rate": [5e3, 4e5], "demo.handler_work.0": [20, 300]}, seeds)


def test_one_process_and_joblib_workers_give_the_same_numbers():
    assert study().run(jobs=1) == study().run(jobs=2)


def test_a_dask_cluster_gives_the_same_numbers():
    distributed = pytest.importorskip("distributed", reason="dask.distributed is not installed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1",
                                  dashboard_address=None, processes=True) as cluster:
        on_dask = study().run(dask=cluster.scheduler_address)
    assert on_dask == study().run(jobs=1)


def test_replicates_give_an_interval_around_the_mean():
    pts = study(seeds=4).run(jobs=2)
    assert len(pts) == 4 and all(p["runs"] == 4 for p in pts)
    low = pts[0]
    assert low["handled_rate_hz_lo"] < low["handled_rate_hz"] < low["handled_rate_hz_hi"]
    assert low["thread_progress"] > 0.8 and pts[-1]["thread_progress"] < 0.05
    assert "p99_latency_ticks_line0" in low and "p99_latency_ticks_line0_hi" in low


def test_one_seed_is_the_storm_irqsim_storm_runs():
    from sim.storm import run_storm
    from sim.study.grid import point_scenario

    sc = small()
    pt = Study(sc, {"rate": [40_000]}, 1).run(jobs=1)[0]
    rep = run_storm(point_scenario(sc, {"rate": 40_000}))
    assert pt["handled"] == rep.totals["handled"] and pt["handled_rate_hz_lo"] is None
    assert pt["thread_progress"] == rep.progress["relative"]


def test_compare_finds_that_heavier_handlers_cost_thread_progress():
    a = small()
    b = small()
    b.demo = {"handler_work": {k: 400 for k in a.demo["handler_work"]}}
    res = compare(a, b, 5, jobs=2)
    d = res["diff"]["thread_progress"]
    assert d["pairs"] == 5 and d["diff"] < 0 and d["hi"] < 0 and d["significant"]
    assert res["diff"]["requests"]["diff"] == 0            # the same seeds: the same requests
    assert not res["diff"]["requests"]["significant"]


def test_an_interrupted_study_writes_nothing(tmp_path):
    st = study(seeds=2)
    runs = tmp_path / "runs.csv"

    def stop(done, total):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        with output.run_sinks(st.run_columns(), runs, tmp_path / "runs.json") as sinks:
            st.run(jobs=2, sinks=sinks, progress=stop)
    assert list(tmp_path.iterdir()) == []


# ---- the command line -----------------------------------------------------------------------

def test_sweep_over_two_keys_writes_runs_and_points(tmp_path):
    out = {k: tmp_path / f"{k}" for k in ("p.csv", "r.csv", "r.json", "s.png", "s.html")}
    r = CliRunner().invoke(main, [
        "sweep", "--ticks", str(TICKS), "--vary", "rate=5e3..4e5:log:2",
        "--vary", "demo.handler_work.0=20,300", "--seeds", "3", "--jobs", "2", "--json",
        "--csv", str(out["p.csv"]), "--runs-csv", str(out["r.csv"]),
        "--runs-json", str(out["r.json"]), "--png", str(out["s.png"]),
        "--html", str(out["s.html"])])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    assert len(doc["points"]) == 4 and doc["seeds"] == 3 and len(doc["knees"]) == 2
    with open(out["r.csv"]) as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 12 and [int(x["run"]) for x in rows] == list(range(12))
    assert len(json.loads(out["r.json"].read_text())["runs"]) == 12
    with open(out["p.csv"]) as f:
        pts = list(csv.DictReader(f))
    assert len(pts) == 4 and "thread_progress_lo" in pts[0]
    assert out["s.png"].read_bytes().startswith(b"\x89PNG")
    assert out["s.html"].read_text().count("<tr>") == 5


def test_a_sweep_table_in_the_scenario_file_drives_the_grid(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text(f"""ticks = {TICKS}
[[source]]
kind = "poisson"
lines = [0, 1]
rate_hz = 10000
[sweep]
seeds = 2
vary = {{ "source[0].rate_hz" = "1e4..1e5:log:3" }}
""")
    r = CliRunner().invoke(main, ["sweep", "--scenario", str(f), "--jobs", "1", "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    assert [round(p["source[0].rate_hz"]) for p in doc["points"]] == [10000, 31623, 100000]
    assert all(p["runs"] == 2 for p in doc["points"])


def test_compare_prints_the_significant_differences(tmp_path):
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    body = f'ticks = {TICKS}\n[[source]]\nkind = "poisson"\nlines = [0]\nrate_hz = 50000\n'
    a.write_text(body + "[demo.handler_work]\n0 = 10\n")
    b.write_text(body + "[demo.handler_work]\n0 = 500\n")
    r = CliRunner().invoke(main, ["compare", str(a), str(b), "--seeds", "4", "--jobs", "2"])
    assert r.exit_code == 0, r.output
    line = next(x for x in r.output.splitlines() if x.strip().startswith("thread_progress"))
    assert line.endswith("*")


@pytest.mark.parametrize("args, msg", [
    (["--vary", "nonsense=1,2"], "no such key"),
    (["--vary", "ticks"], "KEY=VALUES"),
    (["--vary", "rate=9..1:log:3"], "lo < hi"),
    (["--seeds", "0"], "--seeds"),
])
def test_bad_sweep_options_are_one_line(args, msg):
    r = CliRunner().invoke(main, ["sweep", "--ticks", "1000", *args])
    assert r.exit_code != 0 and msg in r.output and "Traceback" not in r.output


def test_sigint_mid_study_exits_130_and_leaves_no_file(tmp_path):
    """A real SIGINT to the command while its workers run: exit 128 + 2, no output and no
    temporary left, the workers gone."""
    import os
    import signal
    import subprocess
    import sys
    import time

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = {**os.environ, "PYTHONPATH": root}
    proc = subprocess.Popen(
        [sys.executable, "-c", "import cli; cli.main()", "sweep", "--ticks", "400000",
         "--vary", "rate=1e3..1e6:log:40", "--seeds", "20", "--jobs", "2",
         "--runs-csv", str(tmp_path / "runs.csv"), "--csv", str(tmp_path / "points.csv")],
        env=env, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        for _ in range(6000):               # the study has started: its runs file is open
            if any(tmp_path.iterdir()) or proc.poll() is not None:
                break
            time.sleep(0.01)
        assert proc.poll() is None, proc.communicate()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert b"interrupted" in err and b"Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_compare_two_images_on_the_same_seeds_finds_no_difference():
    from sim.demo import demo_image

    img = str(demo_image("mps2-an385"))
    r = CliRunner().invoke(main, ["compare", img, img, "--seeds", "3", "--ticks", str(TICKS),
                                  "--jobs", "1", "--json"])
    assert r.exit_code == 0, r.output
    diff = json.loads(r.output)["diff"]
    assert diff["handled"]["diff"] == 0 and not any(d["significant"] for d in diff.values())


def test_a_board_key_reaches_the_machine():
    # the same Poisson rate per simulated second at twice the clock: half the requests per tick
    sc = small()
    slow, fast = Study(sc, {"clock_hz": [25_000_000, 50_000_000]}, 1).run(jobs=1)
    assert slow["requests"] > 1.6 * fast["requests"]


def test_sweep_on_a_dask_cluster_from_the_command_line():
    distributed = pytest.importorskip("distributed", reason="dask.distributed is not installed")
    args = ["sweep", "--ticks", str(TICKS), "--vary", "rate=5e3,4e5", "--seeds", "2", "--json"]
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        on_dask = CliRunner().invoke(main, [*args, "--dask", cluster.scheduler_address])
    local = CliRunner().invoke(main, [*args, "--jobs", "2"])
    assert on_dask.exit_code == 0, on_dask.output
    assert json.loads(on_dask.output) == json.loads(local.output)


def test_an_unreachable_scheduler_is_one_line():
    pytest.importorskip("distributed", reason="dask.distributed is not installed")
    r = CliRunner().invoke(main, ["sweep", "--ticks", "1000", "--points", "2",
                                  "--dask", "tcp://127.0.0.1:9"])
    assert r.exit_code == 1 and "--dask tcp://127.0.0.1:9" in r.output


def test_todays_rate_sweep_keeps_its_table():
    r = CliRunner().invoke(main, ["sweep", "--ticks", str(TICKS), "--points", "2", "--jobs", "1"])
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert lines[0].split() == ["offered/s", "handled/s", "coal+drop", "p99", "lat", "thread"]
    assert len(lines) == 4 and lines[-1].startswith("livelock knee: ")

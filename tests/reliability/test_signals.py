"""SIGINT and SIGTERM (issue 12, class 2): a run stops at the next block boundary, says where,
exits 130 / 143, removes every temporary file and leaves existing outputs as they were."""

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from sim.errors import Interrupted

from .conftest import ROOT, build_hostile

SPIN = 9          # fw/hostile.c: counts in memory for ever (a loop no rule calls stuck)


def _start(args, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(tmp_path / "tmp")}
    (tmp_path / "tmp").mkdir(exist_ok=True)
    return subprocess.Popen([sys.executable, "-c", "import cli; cli.main()", *args], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_core(p, limit=60.0):
    """Waits until the child has loaded the native core (its library shows in /proc/PID/maps:
    the imports are done, which take seconds on a loaded machine), then 3 s more for it to
    load the image and enter the run (1 s was too little on a fresh CI machine)."""
    maps = f"/proc/{p.pid}/maps"
    t0 = time.monotonic()
    while os.path.exists(maps) and time.monotonic() - t0 < limit and p.poll() is None:
        try:
            with open(maps) as f:
                if "_core_cffi" in f.read():
                    break
        except OSError:
            break
        time.sleep(0.05)
    time.sleep(3.0)


def _stop_after_start(p, sig, marker_path=None):
    """Waits until the child is busy in the core, sends `sig`, and returns (returncode,
    stderr, seconds from the signal to the exit)."""
    _wait_for_core(p) if os.path.exists("/proc/self/maps") else time.sleep(1.5)
    assert p.poll() is None, p.communicate()
    t0 = time.monotonic()
    p.send_signal(sig)
    try:
        _, err = p.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        pytest.fail(f"{sig!r} did not stop the run")
    return p.returncode, err, time.monotonic() - t0


@pytest.mark.parametrize("sig,status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_run_stops_on_a_signal_and_exits_128_plus_it(tmp_path, sig, status):
    elf = build_hostile(SPIN)
    p = _start(["run", str(elf), "--ticks", str(1 << 60)], tmp_path)
    rc, err, took = _stop_after_start(p, sig)
    assert rc == status, err
    assert f"irqsim: interrupted: hostile-{SPIN}.elf: stopped by {sig.name} at tick" in err
    assert "main+" in err                    # where it stopped
    assert "Traceback" not in err
    assert took < 5                          # (the core stops within 0.5 s; slack for a busy CI)


@pytest.mark.parametrize("sig,status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_storm_on_a_signal_removes_its_temporaries_and_keeps_old_outputs(tmp_path, sig, status):
    out = tmp_path / "out"
    out.mkdir()
    old = {k: out / f"old.{k}" for k in ("jsonl", "vcd", "perfetto")}
    for k, f in old.items():
        f.write_text(f"previous {k}\n")
    p = _start(["storm", "--ticks", str(1 << 30), "--jsonl", str(old["jsonl"]), "--vcd",
                str(old["vcd"]), "--perfetto", str(old["perfetto"])], tmp_path)
    rc, err, _ = _stop_after_start(p, sig)
    assert rc == status, err
    assert "Traceback" not in err
    for k, f in old.items():
        assert f.read_text() == f"previous {k}\n"
    assert sorted(os.listdir(out)) == sorted(f.name for f in old.values())   # no hidden temps
    assert os.listdir(tmp_path / "tmp") == []                               # no raw trace


def test_machine_run_raises_interrupted_with_where_it_stopped(hostile):
    m = hostile(SPIN)
    threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT)).start()
    t0 = time.monotonic()
    with pytest.raises(Interrupted) as e:
        m.run(ticks=1 << 60)
    assert time.monotonic() - t0 < 5
    assert e.value.signum == signal.SIGINT and e.value.tick == m.ticks > 0
    assert "stopped by SIGINT at tick" in str(e.value)
    # the handlers are Python's again, and the machine goes on where it stopped
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert m.run(ticks=1000).reason == "ticks"


def test_an_ignored_signal_stays_ignored(hostile):
    m = hostile(SPIN)
    old = signal.signal(signal.SIGTERM, signal.SIG_IGN)
    timer = threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGTERM))
    try:
        timer.start()
        assert m.run(ticks=300_000_000).reason == "ticks"
    finally:
        timer.join()             # the signal came, ignored, before SIGTERM kills again
        signal.signal(signal.SIGTERM, old)

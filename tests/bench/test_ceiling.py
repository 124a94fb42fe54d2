"""The ceiling in bench/storm.py must run the very interrupt path it stands for: per round on
bare Unicorn, exactly the instructions one interrupt takes in irqsim once requests come faster
than the handler runs (a shorter path would make the ceiling, and the claim drawn from it,
wrong). Functional checks: nothing here is timed."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import storm as bench  # noqa: E402

import sim  # noqa: E402
from sim import storm  # noqa: E402
from sim.storm import Scenario, Source  # noqa: E402

ROUNDS = 300


def ticks_per_interrupt(m, counter, ticks=600_000):
    m.run(ticks=300_000)
    t0, n0 = m.ticks, counter()
    m.run(ticks=ticks)
    return (m.ticks - t0) / (counter() - n0)


def storm_path_ticks():
    """Ticks one interrupt of the virt storm at 1/100 takes in irqsim (saturated)."""
    line = bench.BOARDS["virt"]
    sc = Scenario(board="virt", ticks=1, seed=1, sources=[Source("periodic", [line], period=100)])
    m = storm.prepare_machine(sc, trace=False)
    count = m.symbols["handled_count"]
    per = ticks_per_interrupt(m, lambda: count.read("<64I")[line])
    assert per == pytest.approx(round(per), abs=0.05)      # saturated: one path per interrupt
    return round(per)


def test_storm_ceiling_runs_the_storms_interrupt_path():
    rounds, _ = bench.storm_ceiling(count=storm_path_ticks() * ROUNDS)
    assert rounds == ROUNDS


def test_engine_ceiling_runs_the_storms_interrupt_path():
    rounds, _ = bench.engine_ceiling(count=storm_path_ticks() * ROUNDS)
    # one trap per path (the first is taken before any instruction runs), mret included
    assert rounds == ROUNDS + 1
    rounds, _ = bench.engine_ceiling(rounds=ROUNDS)
    assert rounds == ROUNDS


def test_qemu_ceiling_runs_the_qemu_benchmark_path():
    img, _ = bench.qemu_image("virt", 100, 1 << 30)
    m = sim.Machine.load(img, "virt")
    m.set_trace(False, 1 << 10)
    per = ticks_per_interrupt(m, m.symbols["timer_irqs"].read)
    assert per == pytest.approx(round(per), abs=0.05)
    rounds, _ = bench.qemu_ceiling(count=round(per) * ROUNDS)
    assert rounds == ROUNDS


def test_jal_encoding():
    # jal x0, -8 and jal x0, +2048 as the assembler encodes them
    assert bench._jal_x0(-8) == 0xFF9FF06F
    assert bench._jal_x0(2048) == 0x0010006F

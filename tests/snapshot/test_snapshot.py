"""Machine.snapshot / restore / fork (sim/snapshot.py, sim/native/snapshot.c): the run on from
a restored snapshot gives the same trace, report and state, bit for bit, as the run on from the
moment it was taken; a snapshot that does not fit is refused with a clear error."""

import copy
import dataclasses
import pickle
import shutil

import pytest
from snap_helpers import guest_test, run_on_twice

import sim
from sim.errors import ClosedError, SnapshotError
from sim.storm.report import build_report
from sim.storm.run import prepare_machine
from sim.storm.scenario import default_scenario
from sim.storm.stack import initial_sp, paint_stack

BOARDS = ["mps2-an385", "virt", "mps2-an505", "microbit"]


def storm_machine(board, seed=7):
    sc = dataclasses.replace(default_scenario(board), seed=seed)
    m = prepare_machine(sc, trace=True)
    sp0 = initial_sp(m)
    return m, sc, sp0, paint_stack(m, sp0)


@pytest.mark.parametrize("board", BOARDS)
@pytest.mark.parametrize("fork", [False, True], ids=["restore", "fork"])
def test_storm_runs_on_from_a_restored_snapshot_as_from_when_it_was_taken(board, fork):
    m, sc, sp0, paint = storm_machine(board)
    first, second, snap, m = run_on_twice(m, 350_001, 1_200_000, fork=fork)
    assert 350_001 <= snap.ticks < 350_100 and snap.board == board
    assert len(first["events"]) > 1000, "the storm goes on after the snapshot"
    assert {e.kind for e in first["events"]} >= {"request", "entry", "return"}
    assert first == second
    report = build_report(m, sc, second["stop"], paint, sp0, None).to_dict()
    m.restore(snap)
    stop = m.run(ticks=1_200_000 - m.ticks)
    assert build_report(m, sc, stop, paint, sp0, None).to_dict() == report
    assert sum(a.requests for a in m.line_accounting()) > 100


@pytest.mark.parametrize("board", BOARDS)
def test_snapshot_in_the_middle_of_a_handler_and_again_after_restores(board):
    m, *_ = storm_machine(board, seed=11)
    m.run(ticks=200_000, stop_on="entry")       # PC at a handler's first instruction
    assert m.nesting()
    first, second, snap, m = run_on_twice(m, m.ticks, 600_000)
    assert first == second
    m.restore(snap)                              # a snapshot can be restored again and again
    m.run(ticks=600_000 - m.ticks)
    assert m.events[len(snap._py["events"]):] == first["events"]


@pytest.mark.parametrize("board", BOARDS)
def test_scheduled_future_line_events_survive_a_restore(board):
    m = sim.Machine.demo(board)
    m.symbols["demo_loops"].write("<I", 0)      # the main loop runs for the whole test
    first_line = m.adapter.first_line
    m.run(ticks=50_000)
    for k in range(20):
        m.pulse_irq(first_line + k % 4, at=60_000 + 7_919 * k)
    m.raise_irq(first_line + 5, at=90_000)
    m.lower_irq(first_line + 5, at=140_000)
    first, second, _, _ = run_on_twice(m, 55_000, 300_000)
    requests = [e for e in first["events"] if e.kind == "request"]
    assert len(requests) == 22, "every scheduled event came after the snapshot"
    assert first == second


def test_cortex_m_timers_in_flight_cmsdk_timer_dualtimer_systick(cm_image):
    for source, name in [("dev_tests.c", "timer0"), ("dev_tests.c", "timer1"),
                         ("dev_tests.c", "dualtimer"), ("dev_tests.c", "watchdog"),
                         ("nvic_tests.c", "systick")]:
        image = cm_image(source)
        end = guest_test(image, source, name).run(ticks=100_000)
        assert end.reason == "exit", name
        for frac in (3, 2):                      # a third and half way through the test
            m = guest_test(image, source, name)
            first, second, _, _ = run_on_twice(m, end.ticks // frac, end.ticks + 10)
            assert first["stop"].reason == "exit", name
            assert [e for e in first["events"] if e.kind == "pend"], name
            assert first == second, name


def test_virt_timers_in_flight_clint_mtimecmp_and_rtc_alarm(rtc_image):
    m = sim.Machine.demo("virt")
    m.symbols["demo_loops"].write("<I", 0)
    m.run(ticks=50_000)
    m.clint.mtimecmp = m.clint.mtime + 40_000    # MTIE is on: the demo takes it (line 62)
    first, second, _, _ = run_on_twice(m, 55_000, 900_000)
    assert [e for e in first["events"] if e.kind == "entry" and e.num == 7], "MTI taken"
    assert first == second
    whole = sim.Machine.load(rtc_image, "virt")
    end = whole.run(ticks=5_000_000)
    assert end.reason == "exit"
    alarms = [e.tick for e in whole.events if e.kind == "pend" and e.num == 11]
    for at in (alarms[0] // 2, alarms[0] - 300):    # armed at ~1,800 ticks, fires later
        m = sim.Machine.load(rtc_image, "virt")
        m.run(ticks=at)
        assert m.mmio_read(0x101000 + 0x18) == 1, "ALARM_STATUS: armed, not yet fired"
        first, second, _, _ = run_on_twice(m, m.ticks, end.ticks + 10)
        assert [e for e in first["events"] if e.kind == "pend" and e.num == 11], "an alarm"
        assert first["stop"].reason == "exit" and first == second


def test_a_snapshot_outlives_its_machine_and_forks_are_independent():
    m = sim.Machine.demo("mps2-an385")
    m.symbols["demo_loops"].write("<I", 0)
    m.run(ticks=100_000)
    snap = m.snapshot()
    f = m.fork()
    m.close()                                    # the fork holds nothing of m
    f.run(ticks=100_000)
    g = sim.Machine.demo("mps2-an385")
    g.restore(snap)
    assert (g.ticks, g.regs) == (snap.ticks, snap._py and g.regs)
    g.run(ticks=100_000)
    assert g.regs == f.regs and g.events == f.events and g.console == f.console
    f.mem_write(f.symbols["demo_loops"].address, b"\1\0\0\0")
    assert g.symbols["demo_loops"].read() == 0, "memory is not shared"


def test_snapshot_of_another_board_or_image_is_refused(tmp_path):
    arm, rv = sim.Machine.demo("mps2-an385"), sim.Machine.demo("virt")
    with pytest.raises(SnapshotError, match="taken on board mps2-an385, not virt"):
        rv.restore(arm.snapshot())
    other_elf = tmp_path / "other.elf"
    shutil.copy(arm.image, other_elf)
    with open(other_elf, "ab") as f:
        f.write(b"\0")                           # another image (by content), same layout
    other = sim.Machine.load(other_elf, "mps2-an385")
    with pytest.raises(SnapshotError, match="not other.elf"):
        other.restore(arm.snapshot())
    for bad in (b"not a snapshot", dataclasses.replace(arm.snapshot(), _blob=None)):
        with pytest.raises(SnapshotError, match="needs a Snapshot"):
            arm.restore(bad)
    snap = arm.snapshot()
    assert copy.deepcopy(snap) is snap
    with pytest.raises(SnapshotError, match="cannot be pickled"):
        pickle.dumps(snap)


def test_snapshot_restore_and_fork_of_a_closed_machine_are_refused():
    m = sim.Machine.demo("mps2-an385")
    snap = m.snapshot()
    m.close()
    for call in (m.snapshot, m.fork, lambda: m.restore(snap)):
        with pytest.raises(ClosedError, match="closed"):
            call()


@pytest.mark.parametrize("board", BOARDS)
def test_restore_puts_events_console_and_exit_back(board):
    m = sim.Machine.demo(board)
    snap = m.snapshot()
    stop = m.run(ticks=5_000_000)
    assert stop.reason == "exit" and m.console
    m.restore(snap)
    assert (m.ticks, m.events, m.console, m.exit_code) == (0, [], "", None)
    assert m.run(ticks=5_000_000) == stop


# code that returns 1 and code that returns 2: Thumb movs r0, #n; bx lr / RVC c.li a0, n; c.ret
RETURNS = {"mps2-an385": lambda n: bytes([n, 0x20, 0x70, 0x47]),     # movs r0, #n; bx lr
           "mps2-an505": lambda n: bytes([n, 0x20, 0x70, 0x47]),
           "virt": lambda n: (0x4501 | n << 2).to_bytes(2, "little") + b"\x82\x80"}
RETURNS["microbit"] = RETURNS["mps2-an385"]          # movs r0, #n; bx lr: Thumb-1 as well


@pytest.mark.parametrize("board", BOARDS)
def test_code_in_ram_changed_after_the_snapshot_runs_as_restored(board):
    """Restored memory is what runs: blocks translated from what was there since are dropped
    (uc_ctl_flush_tb). (Machine.mem_write itself does not drop them: the code written after
    the snapshot is written before it first runs.)"""
    m = sim.Machine.demo(board)
    m.run(ticks=20_000)
    ram = m.board.memory[1]
    fn = (ram.base + ram.size // 2 + 0x100) | m.adapter.code_bit
    m.mem_write(fn & ~1, RETURNS[board](2))
    snap = m.snapshot()                          # the code returns 2, never run yet
    m.mem_write(fn & ~1, RETURNS[board](1))
    assert m.call(fn) == 1 == m.call(fn)         # translated, and run from the translation
    m.restore(snap)
    assert m.call(fn) == 2
    m.mem_write(fn & ~1, RETURNS[board](1))
    f = m.fork()
    assert f.call(fn) == 1, "a fork runs the memory it was forked with"


@pytest.mark.parametrize("board", BOARDS)
def test_console_input_still_queued_is_restored(board):
    m = sim.Machine.demo(board)
    m.symbols["demo_loops"].write("<I", 0)
    m.run(ticks=30_000)
    m.console_input("irqsim snapshot\n" * 4)
    first, second, snap, m = run_on_twice(m, m.ticks, 400_000)
    assert first == second
    m.restore(snap)
    m.console_input("x")                         # the queue took it back, and takes more


@pytest.mark.parametrize("board", BOARDS)
def test_replay_and_poisson_sources_go_on_from_where_they_were(board):
    m = sim.Machine.demo(board)
    m.symbols["demo_loops"].write("<I", 0)
    line = m.adapter.first_line + 1
    m.start_accounting()
    m.add_source("replay", [line], ticks=list(range(40_000, 400_000, 9_973)))
    m.add_source("poisson", [line + 1, line + 3], weights=[1, 2], rate_hz=2_000, seed=5)
    first, second, _, _ = run_on_twice(m, 150_001, 500_000)
    assert sum(a.requests for a in first["acct"]) > 50
    assert first == second

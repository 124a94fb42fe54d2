"""Machine.run(stop_on=...): a run ends right after a record of a kind asked for (STOP_EVENT),
with the model's step finished, and a run split there gives the same trace as one run."""

import pytest

import sim
from sim.errors import ConfigError

AT = 10_000


def _reference(board, line):
    m = sim.Machine.demo(board)
    m.pulse_irq(line, at=AT)
    m.run(ticks=AT + 3000)
    return m


@pytest.mark.parametrize("board,line", [("mps2-an385", 5), ("virt", 5)])
def test_stop_after_entry_leaves_pc_at_the_vector_and_keeps_the_trace(board, line):
    ref = _reference(board, line)
    entry = next(e for e in ref.events if e.kind == "entry" and e.tick >= AT)
    m = sim.Machine.demo(board)
    m.pulse_irq(line, at=AT)
    m.run(ticks=AT - 100)
    stop = m.run(ticks=2000, stop_on=("entry", "preempt"))
    assert stop.reason == "event"
    assert m.ticks == entry.tick
    assert [e for e in m.events if e.kind == "entry"][-1] == entry
    if board == "virt":
        assert m.pc == (m.csr("mtvec") & ~3) + 4 * entry.num   # vectored: BASE + 4 * code
        assert m.csr("mepc") == entry.arg
    else:
        vtor = m.nvic.counters()["vtor"]
        vector = int.from_bytes(m.mem_read(vtor + 4 * entry.num, 4), "little")
        assert m.pc == vector & ~1
        assert m.reg("lr") == 0xFFFFFFF9
    m.run(ticks=ref.ticks - m.ticks)
    assert m.events == ref.events


def test_stop_on_is_off_after_the_run():
    m = sim.Machine.demo("mps2-an385")
    assert m.run(ticks=50_000, stop_on=("entry",)).reason == "event"
    assert m.run(ticks=50_000).reason != "event"


def test_stop_on_an_unknown_kind_is_a_config_error():
    m = sim.Machine.demo("mps2-an385")
    with pytest.raises(ConfigError, match="no trace record kind"):
        m.run(ticks=10, stop_on=("entree",))


@pytest.mark.parametrize("board", ["mps2-an385", "virt"])
def test_a_run_stopped_at_every_entry_dispatch_and_return_keeps_the_trace(board):
    """A stop at a dispatch comes before handler_table_handle's first block runs: the run
    resumes at that block without recording the dispatch twice."""
    ref = _reference(board, 5)
    m = sim.Machine.demo(board)
    m.pulse_irq(5, at=AT)
    stops = []
    while m.ticks < ref.ticks:
        stop = m.run(ticks=ref.ticks - m.ticks, stop_on=("entry", "dispatch", "return"))
        if stop.reason == "event":
            stops.append(m.events[-1].kind if m.events[-1].kind != "exec-priority"
                         else m.events[-2].kind)
        if stops and stops[-1] == "dispatch":
            assert m.pc == m.symbols["handler_table_handle"].address & ~1
    assert stops.count("dispatch") == sum(e.kind == "dispatch" for e in ref.events) >= 4
    assert m.events == ref.events


def test_a_stop_after_mret_comes_before_the_trap_taken_at_the_same_boundary():
    """RISC-V: source 6 waits for the mret of source 5's trap and is taken at that same block
    boundary; a stop on the return leaves the second trap for the next run."""
    ref = sim.Machine.demo("virt")
    ref.pulse_irq(5, at=AT)
    ref.pulse_irq(6, at=AT + 30)
    ref.run(ticks=AT + 3000)
    ret = next(e for e in ref.events if e.kind == "return" and e.tick > AT)
    assert any(e.kind == "entry" and e.tick == ret.tick for e in ref.events)
    m = sim.Machine.demo("virt")
    m.pulse_irq(5, at=AT)
    m.pulse_irq(6, at=AT + 30)
    m.run(ticks=AT)
    assert m.run(ticks=3000, stop_on=("return",)).reason == "event"
    assert m.ticks == ret.tick and m.pc == ret_mepc(ref, ret)
    assert [e.kind for e in m.events if e.tick == ret.tick] == ["return", "exec-priority"]
    m.run(ticks=ref.ticks - m.ticks)
    assert m.events == ref.events


def ret_mepc(ref, ret):
    """The mepc of the trap that `ret` returns from (its entry record's arg)."""
    return [e for e in ref.events if e.kind == "entry" and e.tick < ret.tick][-1].arg

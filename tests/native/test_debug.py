"""The core's debugging support through the Machine API (sim/native/debug.c): breakpoints stop
before the instruction, steps charge one tick, watchpoints stop after the access, a halt from
another thread stops a run, and none of it changes the trace."""

import threading
import time

import pytest

import sim
from sim.errors import ArgumentError


@pytest.fixture(params=["mps2-an385", "virt"])
def m(request):
    m = sim.Machine.demo(request.param)
    yield m
    m.close()


def test_breakpoint_stops_before_the_instruction_and_resumes_past_it(m):
    m.set_breakpoint("demo_handle")
    st = m.run()
    assert st.reason == "break" and st.function == "demo_handle+0x0"
    assert st.detail.startswith("breakpoint at tick")
    first = m.ticks
    st = m.run()                                  # runs the instruction it stopped at
    assert st.reason == "break" and m.ticks > first   # the next request's handler
    m.set_breakpoint("demo_handle", on=False)
    assert m.run().reason == "exit"


def test_a_step_is_one_instruction_and_one_tick(m):
    m.run(ticks=5000)
    entries = plain = 0
    for _ in range(300):
        before, seen = m.ticks, len(m.events)
        assert m.step().reason == "step"
        if any(e.kind in ("entry", "preempt", "tail-chain") for e in m.events[seen:]):
            entries += 1          # only the entry: PC at the handler's first instruction
            assert m.function_at(m.pc).endswith("+0x0")
        else:
            plain += 1
            assert m.ticks == before + 1
    assert plain > 200


def test_watchpoint_stops_after_a_write_with_its_address(m):
    seq = m.symbols["irq_seq"].address
    m.set_watchpoint("irq_seq", 4, "write")
    while True:
        st = m.run()
        assert st.reason == "watch"
        if m.symbols["irq_seq"].read("<I") == 1:
            break
    assert m.watch_hit == (seq, "write") and "watchpoint: write of" in st.detail
    m.set_watchpoint("irq_seq", 4, "write", on=False)
    assert m.run().reason == "exit"


def test_watchpoint_arguments_are_checked(m):
    with pytest.raises(ArgumentError, match="write, read, access"):
        m.set_watchpoint("irq_seq", 4, "execute")
    with pytest.raises(ArgumentError, match="watchpoint length"):
        m.set_watchpoint("irq_seq", 0)


def test_halt_from_another_thread_stops_the_run(m):
    m.symbols["demo_loops"].write("<I", 0)            # runs for ever
    m.run(ticks=1000)

    def halt():
        while m.ticks <= 1000:                        # until the run below is under way
            time.sleep(0.001)
        m.halt()

    t = threading.Thread(target=halt)
    t.start()
    st = m.run()
    t.join()
    assert st.reason == "halt" and st.ticks > 1000
    m.halt()                                          # between runs: the next stops at once
    assert m.run().reason == "halt" and m.ticks == st.ticks


def test_debugged_run_records_the_undebugged_trace(m):
    ref = sim.Machine.demo(m.board.name)
    ref.run()
    m.set_breakpoint("handler_table_handle")          # a watched block start
    while (st := m.run()).reason == "break":
        m.step()
        m.step()
    assert st.reason == "exit" and m.events == ref.events and m.ticks == ref.ticks
    ref.close()

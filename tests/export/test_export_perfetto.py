"""write_perfetto: Chrome trace-event JSON with handler spans nested by preemption."""

import json

from sim.export import write_perfetto
from sim.trace import Event

CLOCK_HZ = 25_000_000


def load(events, tmp_path, arch="armv7m", clock_hz=CLOCK_HZ):
    out = tmp_path / "t.json"
    write_perfetto(iter(events), out, arch=arch, clock_hz=clock_hz)
    with open(out, encoding="utf-8") as f:
        doc = json.load(f)
    return doc, doc["traceEvents"]


def spans(trace):
    """Matches B/E on each track with a stack: [(name, begin ts, end ts, depth)], checking
    that every E closes the innermost open span of its track and that time never goes back."""
    out, stacks, last = [], {}, {}
    for e in trace:
        if e["ph"] not in "BE":
            continue
        track = (e["pid"], e["tid"])
        assert e["ts"] >= last.get(track, 0), e
        last[track] = e["ts"]
        st = stacks.setdefault(track, [])
        if e["ph"] == "B":
            st.append(e)
        else:
            assert st, f"E without B: {e}"
            b = st.pop()
            assert b["name"] == e["name"]
            out.append((b["name"], b["ts"], e["ts"], len(st)))
    assert all(not st for st in stacks.values()), "unbalanced B/E"
    return out


def us(tick):
    return tick * 10**6 / CLOCK_HZ          # exact: int / int is correctly rounded


def test_loads_as_json_with_named_tracks(storm_run, tmp_path):
    _, events = storm_run
    doc, trace = load(events, tmp_path)
    assert doc["otherData"]["clock_hz"] == CLOCK_HZ
    names = {e["args"]["name"] for e in trace if e["ph"] == "M" and "name" in e.get("args", {})}
    assert {"irqsim armv7m", "cpu", "irq lines"} <= names
    assert all(isinstance(e.get("ts", 0), (int, float)) for e in trace)


def test_spans_are_balanced_and_thread_mode_is_the_base(storm_run, tmp_path):
    _, events = storm_run
    _, trace = load(events, tmp_path)
    s = spans(trace)
    base = [x for x in s if x[0] == "thread mode"]
    assert len(base) == 1 and base[0][3] == 0
    handlers = [x for x in s if x[0] != "thread mode"]
    taken = [e for e in events if e.kind in ("entry", "preempt", "tail-chain")]
    assert len(handlers) == len(taken)
    assert all(d >= 1 and base[0][1] <= b <= e <= base[0][2] for _, b, e, d in handlers)


def test_preempting_span_lies_inside_the_preempted_one(preempt_run, tmp_path):
    _, events = preempt_run
    _, trace = load(events, tmp_path)
    s = {name: (b, e, d) for name, b, e, d in spans(trace) if name in ("IRQ4", "IRQ5", "IRQ0")}
    b4, e4, d4 = s["IRQ4"]
    b5, e5, d5 = s["IRQ5"]
    b0, e0, d0 = s["IRQ0"]
    assert b4 < b5 <= e5 < e4 and d5 == d4 + 1
    assert b4 < b0 <= e0 < e4 and d0 == d4 + 1
    entry4 = next(e for e in events if e.kind == "entry" and e.num == 20)
    pre5 = next(e for e in events if e.kind == "preempt" and e.num == 21)
    assert b4 == us(entry4.tick) and b5 == us(pre5.tick)
    begin5 = next(e for e in trace if e["ph"] == "B" and e["name"] == "IRQ5")
    assert begin5["args"] == {"exception": 21, "irq": 5, "how": "preempt", "preempted": "IRQ4"}
    depth = [e["args"]["depth"] for e in trace if e["ph"] == "C" and e["name"] == "depth"]
    assert max(depth) == 2 and depth[-1] == 0


def test_requests_and_unhandled_dispatches_are_instants(storm_run, tmp_path):
    _, events = storm_run
    _, trace = load(events, tmp_path)
    inst = [e for e in trace if e["ph"] == "i"]
    reqs = [e for e in inst if e["name"].startswith("pulse line")]
    want = [(us(e.tick), e.num) for e in events if e.kind == "request"]
    assert [(e["ts"], e["args"]["line"]) for e in reqs] == want
    assert all(e["args"]["kind"] == "pulse" and e["s"] == "t" for e in reqs)
    assert len({e["tid"] for e in reqs}) == 1
    unhandled = [e for e in inst if e["name"].startswith("unhandled")]
    n_empty = sum(1 for e in events if e.kind == "dispatch" and e.arg == 0)
    assert n_empty > 0 and len(unhandled) == n_empty
    assert all(e["args"]["index"] == 3 for e in unhandled[1:])    # line 3 has no handler


def test_tail_chain_ends_one_span_and_begins_the_next(tmp_path):
    events = [Event(10, "pend", 17, 0), Event(10, "pend", 18, 0), Event(10, "entry", 18, 0x400),
              Event(50, "tail-chain", 17, 18), Event(90, "return", 17, 0)]
    _, trace = load(events, tmp_path, clock_hz=1_000_000)
    s = [x for x in spans(trace) if x[0] != "thread mode"]
    assert s == [("IRQ2", 10.0, 50.0, 1), ("IRQ1", 50.0, 90.0, 1)]


def test_coalesces_and_faults_are_instants(tmp_path):
    events = [Event(10, "request", 1, 3), Event(10, "pend", 17, 0),
              Event(11, "request", 1, 3), Event(11, "coalesce", 17, 0),
              Event(12, "fault", 6, 0x2000042C), Event(12, "entry", 3, 0x100),
              Event(13, "guest-error", 0, 0xE000E400), Event(14, "exit", 0, 1)]
    _, trace = load(events, tmp_path, clock_hz=1_000_000)
    names = [e["name"] for e in trace if e["ph"] == "i"]
    assert names == ["pulse line 1", "pulse line 1", "coalesced IRQ1", "fault UsageFault",
                     "guest error", "exit 1"]
    fault = next(e for e in trace if e["name"] == "fault UsageFault")
    assert fault["args"]["address"] == "0x2000042c"
    # the trace ends inside HardFault: the span is closed at the last tick
    assert [x[:3] for x in spans(trace) if x[0] == "HardFault"] == [("HardFault", 12.0, 14.0)]


def test_rv32_spans_by_cause_and_plic_instants(tmp_path):
    events = [Event(100, "request", 10, 3), Event(100, "pend", 10, 0),
              Event(102, "entry", 11, 0x80000100), Event(110, "claim", 10, 0),
              Event(120, "preempt", 7, 11), Event(130, "return", 7, 11),
              Event(140, "complete", 10, 0), Event(145, "return", 11, 0)]
    _, trace = load(events, tmp_path, arch="rv32", clock_hz=10_000_000)
    s = [x for x in spans(trace) if x[0] != "thread mode"]
    assert sorted(s) == [("MEI", 10.2, 14.5, 1), ("MTI", 12.0, 13.0, 2)]
    names = [e["name"] for e in trace if e["ph"] == "i"]
    assert names == ["pulse line 10", "claim source 10", "complete source 10"]


def test_timestamps_are_exact_microseconds_of_simulated_time(tmp_path):
    events = [Event(t, "request", 0, 3) for t in (1, 3, 25, 25_500, 10**12 + 1)]
    _, trace = load(events, tmp_path)
    ts = [e["ts"] for e in trace if e["ph"] == "i"]
    assert ts == [0.04, 0.12, 1.0, 1020.0, 40_000_000_000.04]


def test_an_empty_trace_is_valid_json(tmp_path):
    _, trace = load([], tmp_path)
    assert all(e["ph"] == "M" for e in trace)

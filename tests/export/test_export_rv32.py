"""The exporters on a real RISC-V trace: the virt demo, PLIC sources served through MEI."""

import json

import pytest

import sim
from sim.errors import SimError
from sim.export import write_perfetto, write_vcd


@pytest.fixture(scope="module")
def virt_run():
    try:
        m = sim.Machine.demo("virt")
    except SimError as e:                 # the RISC-V demo is not in every tree yet
        pytest.skip(f"no RISC-V demo: {e}")
    m.symbols["demo_loops"].write("<I", 0)
    for i in range(8):
        m.pulse_irq(1 + i % 4, at=20_000 + 500 * i)
    m.run(ticks=30_000)
    return m, list(m.events)


def test_source_pends_until_claimed_and_is_active_until_completed(virt_run, tmp_path, read_vcd):
    m, events = virt_run
    out = tmp_path / "rv.vcd"
    write_vcd(iter(events), out, arch="rv32", num_lines=m.num_lines, clock_hz=m.board.clock_hz)
    v = read_vcd(out)
    per_tick = 1 if m.board.clock_hz == 10_000_000 else None
    assert per_tick, "virt runs at 10 MHz: one tick per 100 ns unit"
    for src in (1, 2, 3, 4):
        pend = [e.tick for e in events if e.kind == "pend" and e.num == src]
        claim = [e.tick for e in events if e.kind == "claim" and e.num == src]
        done = [e.tick for e in events if e.kind == "complete" and e.num == src]
        assert len(pend) == len(claim) == len(done) == 2
        want_pending = [x for p, c in zip(pend, claim) for x in ((p, 1), (c, 0))]
        want_active = [x for c, d in zip(claim, done) for x in ((c, 1), (d, 0))]
        assert v.edges(f"pending{src}") == want_pending
        assert v.edges(f"active{src}") == want_active
    entries = [e.tick for e in events if e.kind == "entry" and e.num == 11]
    assert [t for t, val in v.edges("cause11_mei_active") if val] == entries


def test_local_interrupts_pend_until_taken(virt_run, tmp_path, read_vcd):
    # the demo's self-test raises MSI (msip) and MTI (mtimecmp) once each
    m, events = virt_run
    out = tmp_path / "rv.vcd"
    write_vcd(iter(events), out, arch="rv32", num_lines=m.num_lines, clock_hz=m.board.clock_hz)
    v = read_vcd(out)
    for code, name in ((3, "cause3_msi"), (7, "cause7_mti")):
        pend = [e.tick for e in events if e.kind == "pend" and e.num == 0x8000 | code]
        taken = [e.tick for e in events if e.kind == "entry" and e.num == code]
        assert len(pend) == len(taken) == 1 and pend[0] < taken[0]
        assert v.edges(f"{name}_pending") == [(pend[0], 1), (taken[0], 0)]
        assert v.edges(f"{name}_active")[0] == (taken[0], 1)


def test_perfetto_spans_are_traps_by_cause(virt_run, tmp_path):
    m, events = virt_run
    out = tmp_path / "rv.json"
    write_perfetto(iter(events), out, arch="rv32", clock_hz=m.board.clock_hz)
    trace = json.loads(out.read_text())["traceEvents"]
    begins = [e for e in trace if e["ph"] == "B" and e["name"] != "thread mode"]
    taken = [e.num for e in events if e.kind in ("entry", "preempt")]
    assert [e["args"]["cause"] for e in begins] == taken
    assert {e["name"] for e in begins} == {"MSI", "MTI", "MEI"}
    claims = [e for e in trace if e["ph"] == "i" and e["name"].startswith("claim source")]
    assert len(claims) == sum(1 for e in events if e.kind == "claim" and e.num)

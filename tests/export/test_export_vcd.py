"""write_vcd: lines, pending and active state, execution priority and depth for GTKWave."""

from itertools import groupby

import pytest

from sim.errors import ConfigError
from sim.export import (ARMV7M_SYSTEM_EXCEPTIONS, REORDER_TICKS, exception_name,
                        in_tick_order, vcd_signal_names, vcd_timescale, write_vcd)
from sim.trace import Event

CLOCK_HZ = 25_000_000
PER_TICK = 4                 # 25 MHz: 40 ns per tick, timescale 10 ns


def T(tick):
    return tick * PER_TICK


def vcd_of(events, tmp_path, read_vcd, arch="armv7m", num_lines=32, clock_hz=CLOCK_HZ):
    out = tmp_path / "t.vcd"
    write_vcd(iter(events), out, arch=arch, num_lines=num_lines, clock_hz=clock_hz)
    return read_vcd(out)


# ---- time and naming --------------------------------------------------------------------------

@pytest.mark.parametrize("clock_hz, timescale, per_tick", [
    (25_000_000, "10 ns", 4),        # mps2-an385: 40 ns
    (10_000_000, "100 ns", 1),       # virt: 100 ns
    (1_000_000_000, "1 ns", 1),
    (1, "1 s", 1),
    (48_000_000, "1 fs", None),      # 20.83 ns: no exact unit, rounded to the femtosecond
])
def test_timescale_is_the_coarsest_exact_unit_of_a_tick(clock_hz, timescale, per_tick):
    assert vcd_timescale(clock_hz) == (timescale, per_tick)


def test_header_states_timescale_and_tick_rule(tmp_path, read_vcd):
    v = vcd_of([Event(10, "request", 1, 3)], tmp_path, read_vcd)
    assert v.header["timescale"] == "10 ns"
    assert "25000000 Hz" in v.header["comment"] and "tick * 4" in v.header["comment"]


def test_inexact_clock_rounds_ticks_down_to_femtoseconds(tmp_path, read_vcd):
    v = vcd_of([Event(3, "request", 1, 3)], tmp_path, read_vcd, clock_hz=48_000_000)
    assert v.header["timescale"] == "1 fs"
    assert v.edges("line1") == [(3 * 10**15 // 48_000_000, 1), (4 * 10**15 // 48_000_000, 0)]


def test_armv7m_signals_are_lines_by_irq_and_system_exceptions_by_number():
    names = vcd_signal_names("armv7m", 32)
    for n in (0, 5, 31):
        assert {f"line{n}", f"pending{n}", f"active{n}"} <= set(names)
    assert "line32" not in names and "pending32" not in names
    assert {"exc15_systick_pending", "exc15_systick_active", "exc2_nmi_line",
            "exc3_hardfault_active", "exc14_pendsv_pending", "exec_priority", "depth"} <= set(names)
    assert len(names) == len(set(names))
    assert ARMV7M_SYSTEM_EXCEPTIONS[15][1] == "exc15_systick"


def test_exception_names_follow_the_armv7m_numbering():
    assert exception_name("armv7m", 16) == "IRQ0"
    assert exception_name("armv7m", 21) == "IRQ5"
    assert exception_name("armv7m", 15) == "SysTick"
    assert exception_name("armv7m", 3) == "HardFault"
    assert exception_name("rv32", 11) == "MEI"
    assert exception_name("rv32", 7) == "MTI"


def test_request_num_is_the_line_and_state_num_is_the_exception(tmp_path, read_vcd):
    # line 5 is exception 21: the request names the line, pend/entry/return the exception
    v = vcd_of([Event(100, "request", 5, 3), Event(100, "pend", 21, 0),
                Event(110, "entry", 21, 0x400), Event(150, "return", 21, 0)],
               tmp_path, read_vcd)
    assert v.edges("line5") == [(T(100), 1), (T(101), 0)]
    assert v.edges("pending5") == [(T(100), 1), (T(110), 0)]
    assert v.edges("active5") == [(T(110), 1), (T(150), 0)]
    assert v.edges("line21") == [] and v.edges("active21") == []


def test_system_exceptions_get_their_own_signals(tmp_path, read_vcd):
    v = vcd_of([Event(100, "pend", 15, 3), Event(100, "entry", 15, 0x400),
                Event(100, "exec-priority", 15, 0xe0 + 256),
                Event(120, "return", 15, 0), Event(120, "exec-priority", 0, 512),
                Event(200, "request", 0xFFFF, 3), Event(200, "pend", 2, 0),
                Event(200, "entry", 2, 0x400), Event(200, "exec-priority", 2, 254),
                Event(210, "return", 2, 0), Event(210, "exec-priority", 0, 512)],
               tmp_path, read_vcd)
    assert v.edges("exc15_systick_active") == [(T(100), 1), (T(120), 0)]
    assert v.edges("exc15_systick_pending") == []          # pended and taken at one tick
    assert v.edges("exc2_nmi_line") == [(T(200), 1), (T(201), 0)]
    assert v.edges("exc2_nmi_active") == [(T(200), 1), (T(210), 0)]
    assert v.signed("exec_priority", T(100)) == 0xe0
    assert v.signed("exec_priority", T(200)) == -2           # NMI
    assert v.signed("exec_priority", T(210)) == 256          # thread mode
    assert v.edges("active15") == [] and v.edges("line15") == []


# ---- line, pending, active ------------------------------------------------------------------

def test_pulse_is_high_for_one_tick(tmp_path, read_vcd):
    v = vcd_of([Event(10, "request", 1, 3), Event(11, "request", 1, 3),
                Event(20, "request", 2, 3), Event(21, "pend", 18, 0)], tmp_path, read_vcd)
    assert v.edges("line1") == [(T(10), 1), (T(12), 0)]     # back-to-back pulses: one high
    assert v.edges("line2") == [(T(20), 1), (T(21), 0)]


def test_pulse_on_a_raised_line_returns_to_its_level(tmp_path, read_vcd):
    v = vcd_of([Event(10, "request", 1, 1), Event(20, "request", 1, 3),
                Event(30, "request", 1, 2), Event(30, "lower", 1, 0)], tmp_path, read_vcd)
    assert v.edges("line1") == [(T(10), 1), (T(30), 0)]


def test_lines_pulsed_at_one_tick_fall_in_the_order_they_were_pulsed(tmp_path):
    # the same trace gives the same file, byte for byte: the falls of pulses at one tick come
    # out in the order of the pulses (they once came out in the order of object addresses)
    order = [17, 3, 29, 8, 0, 22, 11, 5, 26, 14, 1, 19, 30, 7, 24, 2, 12, 27, 9, 20]
    out = tmp_path / "t.vcd"
    write_vcd(iter([Event(10, "request", n, 3) for n in order]), out, arch="armv7m",
              num_lines=32, clock_hz=CLOCK_HZ)
    text = out.read_text()
    ident = {ln.split()[4]: ln.split()[3] for ln in text.splitlines() if ln.startswith("$var")}
    block = text.split(f"#{T(11)}\n", 1)[1].split("#", 1)[0].split()
    assert block == [f"0{ident[f'line{n}']}" for n in order]


def test_coalesced_request_keeps_one_pending(tmp_path, read_vcd):
    v = vcd_of([Event(10, "request", 1, 3), Event(10, "pend", 17, 0),
                Event(20, "request", 1, 3), Event(20, "coalesce", 17, 0),
                Event(30, "entry", 17, 0x400), Event(40, "return", 17, 0)], tmp_path, read_vcd)
    assert v.edges("pending1") == [(T(10), 1), (T(30), 0)]


def test_tail_chain_moves_active_without_a_return(tmp_path, read_vcd):
    v = vcd_of([Event(10, "pend", 17, 0), Event(10, "pend", 18, 0),
                Event(10, "entry", 18, 0x400), Event(50, "tail-chain", 17, 18),
                Event(90, "return", 17, 0)], tmp_path, read_vcd)
    assert v.edges("active2") == [(T(10), 1), (T(50), 0)]
    assert v.edges("active1") == [(T(50), 1), (T(90), 0)]
    assert v.edges("pending1") == [(T(10), 1), (T(50), 0)]
    assert v.edges("depth") == [(T(10), 1), (T(90), 0)]


def test_tail_chain_into_the_same_exception_stays_active(tmp_path, read_vcd):
    v = vcd_of([Event(10, "entry", 17, 0x400), Event(50, "pend", 17, 1),
                Event(50, "tail-chain", 17, 17), Event(90, "return", 17, 0)], tmp_path, read_vcd)
    assert v.edges("active1") == [(T(10), 1), (T(90), 0)]


def test_request_recorded_after_later_records_goes_back_to_its_tick(tmp_path, read_vcd):
    # the core records a request at the tick it was made, which can be before records it
    # wrote first (the request was sampled at a later block boundary)
    v = vcd_of([Event(100, "entry", 17, 0x400), Event(100, "request", 2, 1),
                Event(112, "preempt", 18, 17), Event(110, "request", 2, 2),
                Event(112, "lower", 2, 0), Event(130, "return", 18, 17)], tmp_path, read_vcd)
    assert v.edges("line2") == [(T(100), 1), (T(110), 0)]
    assert v.edges("active2") == [(T(112), 1), (T(130), 0)]


def test_request_from_long_ago_shows_at_the_latest_time_written(tmp_path, read_vcd):
    t1, t2 = 10 * REORDER_TICKS, 13 * REORDER_TICKS
    v = vcd_of([Event(100, "request", 2, 3), Event(t1, "request", 2, 3),
                Event(t2, "request", 2, 3), Event(50, "request", 3, 3)], tmp_path, read_vcd)
    assert v.edges("line3") == [(T(t1), 1), (T(t1 + 1), 0)]
    assert v.edges("line2")[-2:] == [(T(t2), 1), (T(t2 + 1), 0)]


def test_in_tick_order_sorts_late_records_within_its_window():
    seq = [Event(t, k, 0, 0) for t, k in [(0, "a"), (10, "b"), (5, "late"), (10, "c"),
                                          (5000, "d"), (9000, "e"), (20_000, "f"),
                                          (19_000, "late2"), (1, "too late")]]
    out = [e.kind for e in in_tick_order(iter(seq), window=1000)]
    assert out == ["a", "late", "b", "c", "d", "e", "too late", "late2", "f"]
    within = seq[:-1]
    assert [e.tick for e in in_tick_order(iter(within))] == sorted(e.tick for e in within)


# ---- against a real run ---------------------------------------------------------------------

def test_preempting_handler_rises_while_the_preempted_one_is_active(preempt_run, tmp_path,
                                                                     read_vcd):
    m, events = preempt_run
    v = vcd_of(events, tmp_path, read_vcd)
    entry4 = next(e for e in events if e.kind == "entry" and e.num == 20)
    pre5 = next(e for e in events if e.kind == "preempt" and e.num == 21)
    ret5 = next(e for e in events if e.kind == "return" and e.num == 21)
    ret4 = next(e for e in events if e.kind == "return" and e.num == 20)
    assert pre5.arg == 20 and entry4.tick < pre5.tick < ret5.tick < ret4.tick
    assert v.edges("active5") == [(T(pre5.tick), 1), (T(ret5.tick), 0)]
    assert v.at("active4", T(pre5.tick)) == 1 and v.at("active4", T(ret5.tick)) == 1
    assert v.edges("active4") == [(T(entry4.tick), 1), (T(ret4.tick), 0)]
    assert v.at("depth", T(pre5.tick)) == 2 and v.at("depth", T(ret5.tick)) == 1
    assert v.signed("exec_priority", T(entry4.tick)) == 0xa0
    assert v.signed("exec_priority", T(pre5.tick)) == 0x20
    assert v.signed("exec_priority", T(ret5.tick)) == 0xa0
    assert v.signed("exec_priority", T(ret4.tick)) == 256
    # line 4 pulsed once at its request tick
    req4 = next(e for e in events if e.kind == "request" and e.num == 4)
    assert (T(req4.tick), 1) in v.edges("line4") and (T(req4.tick + 1), 0) in v.edges("line4")
    # line 0 raised and lowered by level requests while handler 4 ran
    raise0, lower0 = [e for e in events if e.kind == "request" and e.num == 0]
    assert v.edges("line0") == [(T(raise0.tick), 1), (T(lower0.tick), 0)]
    assert max(val for _, val in v.changes["depth"]) == m.nvic.counters()["max_depth"] == 2


def test_software_pend_shows_pending_until_entry(preempt_run, tmp_path, read_vcd):
    # the demo's self-test pends lines 0-3 through STIR; each is taken a few ticks later
    _, events = preempt_run
    v = vcd_of(events, tmp_path, read_vcd)
    pend = next(e for e in events if e.kind == "pend" and e.num == 16)
    entry = next(e for e in events if e.kind == "entry" and e.num == 16)
    assert pend.arg == 2 and pend.tick < entry.tick
    assert v.changes["pending0"][:3] == [(0, 0), (T(pend.tick), 1), (T(entry.tick), 0)]


def test_active_and_line_agree_with_the_trace_at_every_tick(storm_run, tmp_path, read_vcd):
    _, events = storm_run
    v = vcd_of(events, tmp_path, read_vcd)
    active = {}
    checked = 0
    for tick, group in groupby(events, key=lambda e: e.tick):   # replay, one tick at a time
        touched = set()
        for e in group:
            if e.kind in ("entry", "preempt", "tail-chain"):
                active[e.num] = 1
                touched.add(e.num)
            if e.kind == "tail-chain":
                active[e.arg] = 0
                touched.add(e.arg)
            if e.kind == "return":
                active[e.num] = 0
                touched.add(e.num)
        for num in touched:
            assert v.at(f"active{num - 16}", T(tick)) == active[num], (tick, num)
            checked += 1
    assert checked > 200
    requests = [e for e in events if e.kind == "request"]
    assert len(requests) == 100
    for e in requests:
        assert v.at(f"line{e.num}", T(e.tick)) == 1
        assert v.at(f"line{e.num}", T(e.tick + 1)) == 0


def test_pyvcd_reader_agrees(storm_run, tmp_path, read_vcd):
    reader = pytest.importorskip("vcd.reader")          # pyvcd, a dev dependency
    _, events = storm_run
    out = tmp_path / "t.vcd"
    write_vcd(iter(events), out, arch="armv7m", num_lines=32, clock_hz=CLOCK_HZ)
    names, theirs, t = {}, {}, 0
    with open(out, "rb") as f:
        for tok in reader.tokenize(f):
            if tok.kind is reader.TokenKind.TIMESCALE:
                mag, unit = tok.data.magnitude, tok.data.unit
                assert (getattr(mag, "value", mag), getattr(unit, "value", unit)) == (10, "ns")
            elif tok.kind is reader.TokenKind.VAR:
                names[tok.data.id_code] = tok.data.reference
            elif tok.kind is reader.TokenKind.CHANGE_TIME:
                t = tok.data
            elif tok.kind in (reader.TokenKind.CHANGE_SCALAR, reader.TokenKind.CHANGE_VECTOR):
                val = tok.data.value
                theirs.setdefault(names[tok.data.id_code], []).append(
                    (t, int(val) if isinstance(val, int) else int(val, 2)))
    ours = read_vcd(out)
    assert set(theirs) == set(ours.changes) == set(vcd_signal_names("armv7m", 32))
    assert theirs == ours.changes


# ---- RISC-V ---------------------------------------------------------------------------------

def test_rv32_sources_pend_claim_complete_and_traps_by_cause(tmp_path, read_vcd):
    names = vcd_signal_names("rv32", 54)
    assert "line0" not in names and "line53" in names and "cause11_mei_active" in names
    events = [Event(100, "request", 10, 3), Event(100, "pend", 10, 0),
              Event(102, "entry", 11, 0x80000100), Event(102, "exec-priority", 11, 12),
              Event(110, "claim", 10, 0), Event(140, "complete", 10, 0),
              Event(120, "request", 0, 3),              # no source 0: ignored
              Event(145, "return", 11, 0), Event(145, "exec-priority", 0, 0)]
    v = vcd_of(events, tmp_path, read_vcd, arch="rv32", num_lines=54, clock_hz=10_000_000)
    assert v.header["timescale"] == "100 ns"
    assert v.edges("line10") == [(100, 1), (101, 0)]
    assert v.edges("pending10") == [(100, 1), (110, 0)]
    assert v.edges("active10") == [(110, 1), (140, 0)]
    assert v.edges("cause11_mei_active") == [(102, 1), (145, 0)]
    assert v.edges("exec_priority") == [(102, 12), (145, 0)]
    assert v.edges("depth") == [(102, 1), (145, 0)]


def test_rv32_local_interrupts_pend_as_0x8000_or_code(tmp_path, read_vcd):
    names = vcd_signal_names("rv32", 54)
    assert {"cause3_msi_pending", "cause7_mti_pending"} <= set(names)
    assert "cause11_mei_pending" not in names            # MEI pends by PLIC source
    events = [Event(195, "request", 0xFFFE, 1), Event(199, "request", 0xFFFE, 2),
              Event(200, "entry", 3, 0x80000200),
              Event(190, "pend", 0x8000 | 7, 3),          # MTIP, recorded at its due tick
              Event(205, "pend", 0x8000 | 3, 2), Event(206, "coalesce", 0x8000 | 3, 2),
              Event(210, "return", 3, 0), Event(210, "entry", 7, 0x80000200),
              Event(220, "preempt", 256 + 2, 7), Event(230, "return", 256 + 2, 7),
              Event(240, "return", 7, 0)]
    v = vcd_of(events, tmp_path, read_vcd, arch="rv32", num_lines=54, clock_hz=10_000_000)
    assert v.edges("cause7_mti_pending") == [(190, 1), (210, 0)]
    assert v.edges("cause7_mti_active") == [(210, 1), (240, 0)]
    assert v.edges("cause3_msi_pending") == [(205, 1)]     # cleared by software: no record
    assert v.edges("cause3_msi_line") == [(195, 1), (199, 0)]  # msip driven from Python
    assert v.edges("cause3_msi_active") == [(200, 1), (210, 0)]
    assert v.edges("depth") == [(200, 1), (220, 2), (230, 1), (240, 0)]
    assert v.edges("pending7") == [] and v.edges("pending3") == []
    assert exception_name("rv32", 0x8000 | 7) == "MTI"
    assert exception_name("rv32", 256 + 2) == "illegal instruction"


def test_bad_arch_or_clock_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="unknown arch"):
        write_vcd([], tmp_path / "x.vcd", arch="mips", num_lines=8, clock_hz=1)
    with pytest.raises(ConfigError, match="clock_hz"):
        write_vcd([], tmp_path / "x.vcd", arch="armv7m", num_lines=8, clock_hz=0)
    assert list(tmp_path.iterdir()) == []

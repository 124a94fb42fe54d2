"""irqsim explain: the numbers it narrates are the run's, checked against the machine read
independently (a fresh run to the same boundary), the trace and the storm accounting."""

import random

import pytest

from sim import storm
from sim.explain import explain
from sim.machine import latency_bucket_low

CM, RV = "mps2-an385", "virt"


def _machine(board, requests, image=None):
    """The machine explain builds, made here by hand: a storm-style run with one replay
    source per request."""
    sc = storm.Scenario(board=board)
    if image:
        sc.image = str(image)
    for line, tick in requests:
        sc.sources.append(storm.Source("replay", [line], ticks=[tick]))
    return storm.prepare_machine(sc, trace=True)


def _accounted_latency(board, requests, line, image=None, which="entry"):
    m = _machine(board, requests, image)
    m.run(ticks=max(t for _, t in requests) + 20_000)
    hist = m.latency_histogram(line, which)
    assert sum(hist) == 1                    # one request: its bucket holds the exact maximum
    acct = m.line_accounting()[line]
    exact = acct.max_entry_latency if which == "entry" else acct.max_return_latency
    bucket = next(b for b, n in enumerate(hist) if n)
    assert latency_bucket_low(bucket) <= exact < latency_bucket_low(bucket + 1)
    return exact


def _one(steps, kind, **facts):
    got = [s for s in steps if s.kind == kind
           and all(s.facts.get(k) == v for k, v in facts.items())]
    assert len(got) == 1, [(s.kind, s.title) for s in steps]
    return got[0]


# ---- Cortex-M -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def cm_default():
    return explain(CM)


def test_cortex_m_frame_words_are_the_registers_before_entry(cm_default):
    entry = _one(cm_default, "entry")
    ref = _machine(CM, [(5, 10_000)])
    ref.run(ticks=20_000)
    rec = next(e for e in ref.events if e.kind == "entry" and e.num == 21)
    assert entry.tick == rec.tick
    m = _machine(CM, [(5, 10_000)])
    m.run(ticks=rec.tick - 12)              # the boundary where it is taken, before it
    assert m.ticks == rec.tick - 12
    regs = {n: m.reg(n) for n in ("r0", "r1", "r2", "r3", "r12", "lr", "pc", "xpsr", "sp")}
    frame = {w["name"]: w["value"] for w in entry.facts["frame"]}
    pad = regs["sp"] & 4
    assert frame == {**{n: regs[n] for n in ("r0", "r1", "r2", "r3", "r12", "lr")},
                     "pc": regs["pc"], "xpsr": regs["xpsr"] | (0x200 if pad else 0)}
    assert entry.facts["sp"] == (regs["sp"] - 0x20) & ~(4 if pad else 0)
    assert [w["address"] for w in entry.facts["frame"]] == \
        [entry.facts["sp"] + 4 * i for i in range(8)]
    assert entry.facts["padding"] == bool(pad)
    assert frame["pc"] == rec.arg            # the entry record's return address


def test_cortex_m_exc_return_vector_and_cost(cm_default):
    f = _one(cm_default, "entry").facts
    assert f["exc_return"] == {"value": 0xFFFFFFF9, "return_to": "thread", "stack": "MSP",
                               "fp_frame": False, "valid": True}
    assert f["stack"] == "MSP" and f["ipsr"] == 21
    m = _machine(CM, [])
    assert f["vector_addr"] == 0 + 4 * 21    # VTOR is 0 in the demo
    assert f["vector"] == int.from_bytes(m.mem_read(4 * 21, 4), "little")
    assert f["pc"] == f["vector"] & ~1 == m.symbols["IRQ_Handler"].address & ~1
    assert f["handler"] == "IRQ_Handler" and f["ticks"] == 12


def test_cortex_m_latency_is_the_accountings(cm_default):
    lat = _one(cm_default, "latency").facts
    assert lat["entry_latency"] == _accounted_latency(CM, [(5, 10_000)], 5)
    assert lat["return_latency"] == _accounted_latency(CM, [(5, 10_000)], 5, which="return")
    assert sum(p["ticks"] for p in lat["parts"]) == lat["entry_latency"]


def test_cortex_m_dispatch_reads_the_slot_of_the_line(cm_default):
    d = _one(cm_default, "dispatch").facts
    m = _machine(CM, [])
    assert d["index"] == 5 and d["table_name"] == "irq_table"
    assert d["table"] == m.symbols["irq_table"].address
    assert d["handler"] == "demo_handler_5" and d["handled"]
    roles = [i["role"] for i in _one(cm_default, "code", function="handler_table_handle")
             .facts["instructions"]]
    assert sum("the acquire load" in r for r in roles) == 1


def test_cortex_m_preemption_by_a_higher_priority_request():
    steps = explain(CM, requests=[(0, 10_000), (5, 10_030)])
    p = _one(steps, "preempt")
    assert p.facts["exception"] == 21 and p.facts["preempted"] == 16
    assert p.facts["exc_return"]["value"] == 0xFFFFFFF1
    assert p.facts["exc_return"]["return_to"] == "handler"
    arb = _one(steps, "arbitration", exception=21)
    assert arb.facts["outcome"] == "taken" and arb.facts["active"] == 16
    assert arb.facts["group"] == 0x20 and arb.facts["exec_priority"] == 0x80
    assert _one(steps, "return", exception=21).facts["to"] == 16
    lat = _one(steps, "latency", line=5)
    assert lat.facts["entry_latency"] == _accounted_latency(CM, [(0, 10_000), (5, 10_030)], 5)


def test_cortex_m_lower_priority_request_waits_and_tail_chains():
    reqs = [(5, 10_000), (0, 10_030)]
    steps = explain(CM, requests=reqs)
    arb = _one(steps, "arbitration", exception=16)
    assert arb.facts["outcome"] == "waits" and "IRQ5" in arb.facts["reason"]
    tc = _one(steps, "tail-chain")
    assert tc.facts["from"] == 21 and tc.facts["ticks"] == 6
    assert tc.facts["exc_return"]["value"] == 0xFFFFFFF9
    assert tc.facts["sp"] == _one(steps, "entry").facts["sp"]      # the same frame
    ret = _one(steps, "return", exception=21)
    assert ret.facts["tail_chained_to"] == 16
    lat0 = [s for s in steps if s.kind == "latency"][-1].facts
    assert lat0["entry_latency"] == _accounted_latency(CM, reqs, 0)
    assert lat0["parts"][-1] == {"name": "tail-chain", "ticks": 6, "why": "board exception_ticks"}


def test_cortex_m_request_during_stacking_is_told_as_a_late_arrival():
    steps = explain(CM, requests=[(0, 10_000), (5, 10_005)])
    late = _one(steps, "late-arrival")
    assert late.facts["during"] == 16 and late.facts["stacking"] == [10_000, 10_012]
    assert _one(steps, "preempt").facts["preempted"] == 16


def test_cortex_m_masked_by_primask_then_taken_after_cpsie(masked_image):
    steps = explain(CM, image=masked_image, requests=[(2, 10_000)])
    arb = _one(steps, "arbitration")
    assert arb.facts["outcome"] == "waits" and arb.facts["primask"] == 1
    assert "PRIMASK" in arb.facts["reason"] and arb.facts["exec_priority"] == 0
    entry = _one(steps, "entry")
    m = _machine(CM, [], masked_image)
    assert entry.facts["before"]["pc"] == m.symbols["unmask_point"].address & ~1
    lat = _one(steps, "latency").facts
    assert lat["entry_latency"] == _accounted_latency(CM, [(2, 10_000)], 2, masked_image)
    waited = next(p for p in lat["parts"] if p["name"] == "wait to be taken")
    assert waited["ticks"] == arb.facts["waited"] > 100


# ---- RISC-V -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def rv_default():
    return explain(RV)


def test_riscv_trap_csrs_are_the_runs(rv_default):
    e = _one(rv_default, "entry").facts
    ref = _machine(RV, [(5, 10_000)])
    ref.run(ticks=20_000)
    rec = next(x for x in ref.events if x.kind == "entry" and x.num == 11 and x.tick >= 10_000)
    m = _machine(RV, [(5, 10_000)])
    m.run(ticks=rec.tick)
    assert m.ticks == rec.tick
    assert e["mcause"] == 0x8000000B and e["code"] == 11
    assert e["mepc"] == m.pc == rec.arg
    assert e["mstatus_before"] == m.csr("mstatus")
    assert e["fields_before"]["MIE"] == 1
    assert e["fields_after"] == {"MIE": 0, "MPIE": 1, "MPP": 3}
    assert e["mode"] == "vectored"
    assert e["vector_slot"] == e["pc"] == (m.csr("mtvec") & ~3) + 4 * 11
    assert "trap_mei" in e["slot_insn"]


def test_riscv_claim_dispatch_return_and_latency(rv_default):
    claim = _one(rv_default, "claim").facts
    assert claim["source"] == 5 and claim["claimed"] and not claim["pending_after"]
    assert _one(rv_default, "dispatch").facts["handler"] == "demo_handler_5"
    ret = _one(rv_default, "return").facts
    assert ret["pc"] == _one(rv_default, "entry").facts["mepc"]
    assert ret["fields"]["MIE"] == 1 and ret["depth"] == 0
    lat = _one(rv_default, "latency").facts
    assert lat["entry_latency"] == _accounted_latency(RV, [(5, 10_000)], 5)
    assert lat["return_latency"] == _accounted_latency(RV, [(5, 10_000)], 5, which="return")
    roles = [i["role"] for i in _one(rv_default, "code", function="handler_table_handle")
             .facts["instructions"]]
    assert any(r.startswith("fence r,rw") for r in roles)


def test_riscv_second_source_waits_for_mret_while_mie_is_clear():
    reqs = [(5, 10_000), (6, 10_030)]
    steps = explain(RV, requests=reqs)
    arb = _one(steps, "arbitration", source=6)
    assert arb.facts["outcome"] == "waits" and arb.facts["MIE"] == 0
    assert arb.facts["depth"] == 1
    assert [s.facts["source"] for s in steps if s.kind == "claim"] == [5, 6]
    lat6 = [s for s in steps if s.kind == "latency"][-1].facts
    assert lat6["entry_latency"] == _accounted_latency(RV, reqs, 6)


def test_cortex_m_request_on_a_disabled_line_stays_pending():
    steps = explain(CM, requests=[(9, 10_000)])       # the demo enables lines 0-7 only
    arb = _one(steps, "arbitration")
    assert arb.facts["outcome"] == "waits" and "not enabled" in arb.facts["reason"]
    end = _one(steps, "waiting")
    assert end.facts["masked"] is True
    assert not [s for s in steps if s.kind in ("entry", "dispatch", "return")]


@pytest.mark.parametrize("board", [CM, RV])
def test_random_request_mixes_narrate_without_breaking_the_run(board):
    """Up to five requests close together (preemptions, tail-chains, waits, coalescing, a
    gateway holding a claimed source): explain's walk must reproduce the recorded trace (it
    asserts so) and every latency must add up and match the accounting's maximum."""
    rnd = random.Random(7)
    lines = range(9) if board == CM else range(1, 11)
    for _ in range(25):
        reqs = [(rnd.choice(lines), 10_000 + rnd.randint(0, 150))
                for _ in range(rnd.randint(1, 5))]
        steps = explain(board, requests=reqs)
        lats = [s.facts for s in steps if s.kind == "latency" and s.facts["entry_latency"]]
        for lat in lats:
            assert sum(p["ticks"] for p in lat["parts"]) == lat["entry_latency"]
        if len({ln for ln, _ in reqs}) == len(reqs) and lats:   # one request per line
            m = _machine(board, reqs)
            m.run(ticks=40_000)
            acct = m.line_accounting()
            for lat in lats:
                assert lat["entry_latency"] == acct[lat["line"]].max_entry_latency


def test_cortex_m_same_priority_lower_exception_number_first():
    steps = explain(CM, requests=[(1, 10_000), (6, 10_000)])       # both 0x60 in the demo
    arb = _one(steps, "arbitration", exception=22)
    assert arb.facts["outcome"] == "waits"
    assert "IRQ1 is taken first" in arb.facts["reason"]
    assert "lower exception number (17 < 22)" in arb.facts["reason"]
    assert _one(steps, "tail-chain").facts["exception"] == 22


def test_group_and_subpriority_under_prigroup():
    from sim.boards import get_board
    from sim.explain.armv7m import Narrator
    n = Narrator(get_board(CM))
    assert n.split(0xA0, 0) == (0xA0, 0x00)        # PRIGROUP 0: bits 7:1 group
    assert n.split(0xA0, 5) == (0x80, 0x20)        # PRIGROUP 5: bits 7:6 group, 5:0 sub
    assert n.split(0xE0, 7) == (0x00, 0xE0)        # PRIGROUP 7: no group bits


def test_riscv_higher_priority_source_is_claimed_first():
    steps = explain(RV, requests=[(5, 10_000), (6, 10_000)])       # priorities 3 and 7
    arb = _one(steps, "arbitration", source=5)
    assert arb.facts["outcome"] == "waits" and arb.facts["best_source"] == 6
    assert "priority 7 against 3" in arb.facts["reason"]
    assert [s.facts["source"] for s in steps if s.kind == "claim"] == [6, 5]


def test_table_calls_between_requests_show_their_arguments_and_the_slot(tmp_path):
    """The demo's thread toggles slot 5 (unregister, or register when it was empty) every two
    loops: each call in the explained span is read at its first instruction."""
    sc = tmp_path / "toggle.toml"
    sc.write_text('ticks = 100000\n[demo]\ntoggle_line = 5\ntoggle_period = 2\n'
                  '[[source]]\nkind = "once"\nlines = [7]\nat = 90000\n')
    steps = explain(scenario=sc, requests=[(0, 10_000), (4, 10_300)])
    calls = [s.facts for s in steps if s.kind == "table" and "index" in s.facts]
    assert len(calls) >= 4 and all(c["index"] == 5 for c in calls)
    m = _machine(CM, [])
    handler = m.symbols["demo_handler_5"].address
    for prev, nxt in zip(calls, calls[1:]):
        if prev["function"] == "handler_table_register":
            assert prev["fn"] & ~1 == handler & ~1 and prev["fn_name"] == "demo_handler_5"
            assert prev["slot_before"] == 0 and nxt["slot_before"] == prev["fn"]
        else:
            assert nxt["slot_before"] == 0            # unregister emptied it
    assert {"handler_table_register", "handler_table_unregister"} <= \
        {s.facts["function"] for s in steps if s.kind == "code"}


def test_a_scenario_follows_the_requests_that_arrive_before_the_first_is_served(tmp_path):
    """With a scenario, every request that comes while the followed ones are still in service
    is followed too (a late arrival and a tail-chain here); one that comes after is not."""
    sc = tmp_path / "three.toml"
    sc.write_text('ticks = 60000\n'
                  '[[source]]\nkind = "replay"\nline = 0\nticks = [10000]\n'
                  '[[source]]\nkind = "replay"\nline = 5\nticks = [10004]\n'
                  '[[source]]\nkind = "replay"\nline = 2\nticks = [10040, 30000]\n')
    steps = explain(scenario=sc)
    assert [s.facts["line"] for s in steps if s.kind == "request"] == [0, 5, 2]
    assert {"late-arrival", "tail-chain", "preempt"} <= {s.kind for s in steps}


def test_a_request_sampled_as_an_entry_ends_waits_for_priority_not_for_its_enable():
    """Line 4 (0xa0) requested while the core stacks for line 1 (0x60): it becomes pending at
    the boundary where line 1's handler starts, and waits for that handler, being enabled."""
    steps = explain(CM, requests=[(1, 10_000), (4, 10_010)])
    arb = next(s for s in steps if s.kind == "arbitration" and "IRQ4" in s.title)
    assert "not enabled" not in arb.text
    assert "not lower than the running IRQ1's" in arb.text

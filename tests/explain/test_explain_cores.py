"""irqsim explain on the Cortex-M cores after the M3 (M4F, M7, M33, M0): each narrated number
checked against a machine run independently to the same moment (the frame, EXC_RETURN, the FP
registers and FPCCR/FPCAR, the vector), and the words that differ per core."""

import json
import re

import pytest
from click.testing import CliRunner

import cli
from sim import storm
from sim.explain import explain

FPCCR = 0xE000EF34                        # ARMv7-M ARM B3.2.21
EAGER = (1 << 31).to_bytes(4, "little")   # ASPEN = 1, LSPEN = 0
REQ = [(5, 20_000)]                       # line 5: the demo's FP-using handler on an FPU core
S = [f"s{i}" for i in range(16)]


def _machine(board, setup=None):
    sc = storm.Scenario(board=board)
    for line, tick in REQ:
        sc.sources.append(storm.Source("replay", [line], ticks=[tick]))
    m = storm.prepare_machine(sc, trace=True)
    if setup:
        setup(m)
    return m


def _at_entry(board, setup=None):
    """A fresh machine right after line 5's entry, and SP at the boundary before it."""
    m = _machine(board, setup)
    m.run(ticks=REQ[0][1] - 1)
    for _ in range(100):
        sp, n = m.reg("sp"), len(m.events)
        m.run(ticks=100_000, stop_on=("entry",))
        if any(e.kind == "entry" and e.num == 21 for e in m.events[n:]):
            return m, sp
    raise AssertionError("line 5 was never taken")


def _one(steps, kind, **facts):
    got = [s for s in steps if s.kind == kind
           and all(s.facts.get(k) == v for k, v in facts.items())]
    assert len(got) == 1, [(s.kind, s.title) for s in steps]
    return got[0]


def _eager(m):
    m.mem_write(FPCCR, EAGER)


@pytest.fixture(scope="module", params=["mps2-an386", "mps2-an500"])
def lazy(request):
    return request.param, explain(request.param, requests=REQ)


def test_fp_core_extended_frame_exc_return_and_lazy_fpcar(lazy):
    board, steps = lazy
    e = _one(steps, "entry").facts
    m, sp_before = _at_entry(board)
    fp = m.nvic.fp()
    assert e["exc_return"]["value"] == m.reg("lr") == 0xFFFFFFE9 and e["exc_return"]["fp_frame"]
    assert "bit 4 (FType) = 0: an extended frame" in _one(steps, "entry").text
    assert e["frame_bytes"] == 0x68 and e["frame_words"] == 26
    assert e["sp_before"] == sp_before and e["sp"] == m.reg("sp") == (sp_before - 0x68) & ~7
    assert [w["name"] for w in e["frame"]][8:] == S + ["fpscr", "reserved"]
    assert [w["address"] for w in e["frame"]] == [e["sp"] + 4 * i for i in range(26)]
    assert e["fp"]["stacking"] == "lazy" and e["fp"]["lspact"] and e["fp"]["lspen"]
    assert e["fp"]["fpcar"] == fp["fpcar"] == e["sp"] + 0x20 and fp["fpccr"] & 1
    assert e["fp"]["s_at_entry"] == [m.reg(r) for r in S]
    assert e["ticks"] == 12                                   # a lazy entry: the basic cost
    assert (e["fp"]["thread"], e["fp"]["user"]) == (1, 0)     # preempted: privileged thread
    assert (fp["fpccr"] >> 3 & 1, fp["fpccr"] >> 1 & 1) == (1, 0)
    assert f"FPCAR = {fp['fpcar']:#010x}" in _one(steps, "entry").text


def test_fp_core_lazy_fill_writes_the_entry_registers_at_fpcar(lazy):
    board, steps = lazy
    e = _one(steps, "entry").facts["fp"]
    m, _ = _at_entry(board)
    regs = [m.reg(r) for r in S] + [m.reg("fpscr")]
    assert e["fill_words"] == regs and e["fill_words_equal_registers"]
    assert e["fill_insn"].startswith("v")                     # an FP instruction
    # the independent run: still lazy one block before the fill, filled right after it
    before = m.nvic.fp()["lazy_saves"]
    m.run(ticks=e["fill_tick"] - m.ticks + 1)
    assert m.nvic.fp()["lazy_saves"] == before + 1
    assert [int.from_bytes(m.mem_read(e["fpcar"] + 4 * i, 4), "little") for i in range(17)] \
        == regs


def test_fp_core_return_unstacks_the_fp_context_and_charges_fp_return(lazy):
    board, steps = lazy
    e, r = _one(steps, "entry").facts, _one(steps, "return", exception=21).facts
    assert r["fp_unstacked"] and r["ticks"] == 10 + 17
    assert r["sp"] == e["sp_before"]
    assert r["s_after"] == e["fp"]["s_at_entry"]               # the thread's values back
    lat = _one(steps, "latency").facts
    m = _machine(board)
    m.run(ticks=REQ[0][1] + 20_000)
    acct = m.line_accounting()[5]
    assert lat["entry_latency"] == acct.max_entry_latency
    assert lat["return_latency"] == acct.max_return_latency


def test_m7_names_the_double_precision_view():
    steps = explain("mps2-an500", requests=REQ)
    assert "d0-d7 on this core" in _one(steps, "entry").text


def test_fp_core_eager_stacking_writes_the_registers_at_entry():
    steps = explain("mps2-an386", requests=REQ, setup=_eager)
    entry = _one(steps, "entry")
    e = entry.facts
    m, sp_before = _at_entry("mps2-an386", _eager)
    assert e["fp"]["stacking"] == "eager" and not e["fp"]["lspen"]
    words = [w["value"] for w in e["frame"]]
    assert words[8:25] == [m.reg(r) for r in S] + [m.reg("fpscr")]
    assert e["ticks"] == 12 + 17 and "Entry costs 12 + 17 = 29 ticks" in entry.text
    assert e["sp"] == m.reg("sp") == (sp_before - 0x68) & ~7
    lat = _one(steps, "latency").facts
    m2 = _machine("mps2-an386", _eager)
    m2.run(ticks=REQ[0][1] + 20_000)
    assert lat["entry_latency"] == m2.line_accounting()[5].max_entry_latency
    assert _one(steps, "return", exception=21).facts["fp_unstacked"]


def test_m33_exc_return_v8m_fields_and_stack_limit():
    steps = explain("mps2-an505", requests=REQ)
    entry = _one(steps, "entry")
    m, sp_before = _at_entry("mps2-an505")
    er = entry.facts["exc_return"]
    assert er["value"] == m.reg("lr") == 0xFFFFFFF9
    assert {k: er[k] for k in ("prefix", "s", "dcrs", "ftype", "mode", "spsel", "res0", "es")} \
        == {"prefix": 0xFF, "s": 1, "dcrs": 1, "ftype": 1, "mode": 1, "spsel": 0, "res0": 0,
            "es": 1}
    assert er["res1_ok"]
    assert entry.facts["sp"] == m.reg("sp") == sp_before - 0x20
    for field in ("S (bit 6) = 1", "DCRS (bit 5) = 1", "FType (bit 4) = 1", "ES (bit 0) = 1"):
        assert field in entry.text
    lim = m.nvic.stack_limits()["msplim"]
    assert f"MSPLIM is {lim:#010x}: the frame is {m.reg('sp') - lim:,} bytes above it" \
        in entry.text
    roles = [i["role"] for i in _one(steps, "code", function="handler_table_handle")
             .facts["instructions"]]
    assert any(r.startswith("load-acquire of the slot") for r in roles)
    assert "ARMv6-M" not in _one(steps, "code", function="handler_table_handle").text


def test_m0_masking_is_primask_only_and_the_vector_table_at_0():
    steps = explain("microbit", requests=REQ)
    arb = _one(steps, "arbitration", exception=21)
    text = arb.text.replace("ARMv6-M has no BASEPRI or FAULTMASK", "")
    assert "PRIMASK 0" in text and "BASEPRI" not in text and "FAULTMASK" not in text
    assert "subpriority" not in text and "PRIMASK is the only mask" in text
    e = _one(steps, "entry")
    assert e.facts["vector_addr"] == 4 * 21 and "no VTOR" in e.text
    assert "bit 4" not in e.text                        # no FP on ARMv6-M
    code = _one(steps, "code", function="handler_table_register")
    assert any("critical section" in i["role"] for i in code.facts["instructions"])


def test_json_steps_carry_the_fp_facts():
    r = CliRunner().invoke(cli.main, ["explain", "--board", "mps2-an386", "--irq", "5@20000",
                                      "--no-pause", "--json"])
    assert r.exit_code == 0, r.output
    steps = json.loads(r.output)["steps"]
    entry = next(s for s in steps if s["kind"] == "entry")
    assert entry["facts"]["fp"]["stacking"] == "lazy"
    assert entry["facts"]["exc_return"]["value"] == 0xFFFFFFE9
    assert re.search(r"The 26-word frame at 0x[0-9a-f]{8}", entry["text"])


def test_m0_request_masked_by_primask_waits_for_cpsie(masked_image_m0):
    steps = explain("microbit", image=masked_image_m0, requests=[(2, 10_000)])
    arb = _one(steps, "arbitration")
    assert arb.facts["outcome"] == "waits" and arb.facts["primask"] == 1
    assert arb.facts["exec_priority"] == 0 and "PRIMASK is set (cpsid i)" in arb.facts["reason"]
    assert "BASEPRI" not in arb.text.replace("ARMv6-M has no BASEPRI or FAULTMASK", "")
    assert "PRIGROUP" in arb.text and "no PRIGROUP" in arb.text
    entry = _one(steps, "entry")
    m = storm.prepare_machine(storm.Scenario(board="microbit", image=str(masked_image_m0)),
                              trace=False)
    assert entry.facts["before"]["pc"] == m.symbols["unmask_point"].address & ~1
    assert entry.facts["vector_addr"] == 4 * 18              # exception 18 at the table at 0

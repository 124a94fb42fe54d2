"""The PLIC (RISC-V PLIC specification 1.0.0) as the firmware drives it through its registers
(priority base + 4*id, pending +0x1000, enables +0x2000 + 0x80*ctx, threshold +0x200000 +
0x1000*ctx, claim/complete +4), with lines driven from Python; and the Python views."""

import pytest

from rv_helpers import MEI, MIP_MEIP, PLIC, addr, claims, kinds, traps
from sim import ConfigError

PENDING = PLIC + 0x1000
ENABLE0 = PLIC + 0x2000
THRESHOLD0 = PLIC + 0x200000
CLAIM0 = PLIC + 0x200004


def prio(m, src, p):
    m.call("write32", PLIC + 4 * src, p)


def enable(m, *srcs):
    m.call("write32", ENABLE0, sum(1 << s for s in srcs))


def claim(m):
    return m.call("read32", CLAIM0)


def complete(m, src):
    m.call("write32", CLAIM0, src)


@pytest.fixture
def polled(rv):
    """Interrupts off (MIE clear, MEIE clear): the firmware claims by polling."""
    rv.call("reset_log")
    rv.call("set_mstatus_mie", 0)
    rv.call("set_mie", 0)
    return rv


class TestClaim:
    def test_highest_priority_first_then_lower_id(self, polled):
        m = polled
        for s, p in {1: 1, 2: 3, 3: 3, 4: 2, 5: 7}.items():
            prio(m, s, p)
        enable(m, 1, 2, 3, 4)                       # 5 is pending but not enabled
        for s in (1, 2, 3, 4, 5):
            m.pulse_irq(s)
        got = [claim(m) for _ in range(5)]
        assert got == [2, 3, 4, 1, 0]
        assert m.call("read32", PENDING) == 1 << 5

    def test_claim_clears_the_pending_bit(self, polled):
        m = polled
        prio(m, 2, 1)
        enable(m, 2)
        m.pulse_irq(2)
        assert m.call("read32", PENDING) == 1 << 2
        assert claim(m) == 2
        assert m.call("read32", PENDING) == 0
        assert m.plic.source(2).claimed

    def test_priority_zero_never_interrupts(self, polled):
        m = polled
        prio(m, 2, 0)
        enable(m, 2)
        m.pulse_irq(2)
        assert claim(m) == 0
        assert m.plic.source(2).pending

    def test_threshold_masks_priorities_at_or_below_it(self, polled):
        m = polled
        for s, p in {1: 1, 2: 3, 4: 2}.items():
            prio(m, s, p)
        enable(m, 1, 2, 4)
        m.call("write32", THRESHOLD0, 2)
        for s in (1, 2, 4):
            m.pulse_irq(s)
        assert claim(m) == 2
        assert claim(m) == 0                        # 4 (priority 2) and 1 are at or below
        assert not m.call("get_csr", 2) & MIP_MEIP   # MEIP follows the threshold too
        m.call("write32", THRESHOLD0, 0)
        assert m.call("get_csr", 2) & MIP_MEIP
        assert [claim(m), claim(m)] == [4, 1]

    def test_meip_follows_the_plic(self, polled):
        m = polled
        prio(m, 3, 1)
        enable(m, 3)
        assert not m.call("get_csr", 2) & MIP_MEIP
        m.pulse_irq(3)
        assert m.call("get_csr", 2) & MIP_MEIP
        assert claim(m) == 3
        assert not m.call("get_csr", 2) & MIP_MEIP


class TestRegisters:
    def test_priority_is_warl_to_the_implemented_bits(self, polled):
        m = polled
        prio(m, 1, 0xFF)
        assert m.call("read32", PLIC + 4) == 7       # prio_bits = 3
        m.call("write32", THRESHOLD0, 0xFFFF)
        assert m.call("read32", THRESHOLD0) == 7

    def test_pending_is_read_only_to_software(self, polled):
        m = polled
        m.call("write32", PENDING, 0xFFFFFFFF)
        assert m.call("read32", PENDING) == 0
        assert any(e.kind == "guest-error" and e.arg == PENDING for e in m.take_events())

    def test_source_0_does_not_exist(self, polled):
        m = polled
        m.call("write32", ENABLE0, 0xFFFFFFFF)
        assert m.call("read32", ENABLE0) == 0xFFFFFFFE
        prio(m, 0, 5)
        assert m.call("read32", PLIC) == 0

    def test_enables_are_per_context(self, polled):
        m = polled
        m.call("write32", ENABLE0 + 0x80, 1 << 4)     # context 1 (S-mode on virt)
        assert m.call("read32", ENABLE0) == 0
        assert m.plic.source(4, context=1).enabled
        assert not m.plic.source(4).enabled


class TestGateway:
    def test_claimed_source_is_gated_until_complete(self, polled):
        m = polled
        prio(m, 2, 1)
        enable(m, 2)
        m.pulse_irq(2)
        assert claim(m) == 2
        m.pulse_irq(2)                              # held by the gateway
        assert m.call("read32", PENDING) == 0
        assert claim(m) == 0
        complete(m, 2)                               # the held edge is forwarded now
        assert m.call("read32", PENDING) == 1 << 2
        assert claim(m) == 2
        complete(m, 2)
        assert m.call("read32", PENDING) == 0

    def test_edges_while_claimed_coalesce_into_one(self, polled):
        m = polled
        prio(m, 2, 1)
        enable(m, 2)
        m.pulse_irq(2)
        claim(m)
        m.take_events()
        m.pulse_irq(2)
        m.pulse_irq(2)
        m.pulse_irq(2)
        complete(m, 2)
        assert [claim(m), claim(m)] == [2, 0]
        ev = kinds(m.take_events(), "pend", "coalesce")
        assert ev == [("coalesce", 2, 0), ("coalesce", 2, 0), ("pend", 2, 0)]

    def test_level_still_high_at_complete_pends_again(self, polled):
        m = polled
        prio(m, 3, 1)
        enable(m, 3)
        m.raise_irq(3)
        assert claim(m) == 3
        complete(m, 3)
        assert m.plic.source(3).pending               # line still high
        m.lower_irq(3)
        assert claim(m) == 3                          # the pending bit stays until claimed
        complete(m, 3)
        assert not m.plic.source(3).pending

    def test_complete_of_a_source_not_claimed_is_ignored(self, polled):
        m = polled
        prio(m, 4, 1)
        enable(m, 4)
        m.take_events()
        complete(m, 4)
        complete(m, 99)
        assert [e.kind for e in m.take_events() if e.kind != "exec-priority"] == \
            ["guest-error", "guest-error"]


class TestInterruptDriven:
    def _setup(self, m, prios):
        m.call("reset_log")
        for s, p in prios.items():
            prio(m, s, p)
        enable(m, *prios)
        m.call("set_mie", MIP_MEIP)
        m.call("set_mstatus_mie", 1)

    def test_handler_claims_in_priority_order(self, rv):
        self._setup(rv, {1: 2, 2: 5, 3: 5, 4: 7})
        t = rv.ticks + 200
        for s in (1, 2, 3, 4):
            rv.pulse_irq(s, at=t)
        rv.call("spin", 2000)
        assert claims(rv) == [4, 2, 3, 1]
        assert [x["mcause"] for x in traps(rv)] == [MEI] * 4
        ev = kinds(rv.take_events(), "entry", "claim", "complete", "return")
        assert ev[:4] == [("entry", 11, ev[0][2]), ("claim", 4, 0), ("complete", 4, 0),
                          ("return", 11, 0)]

    def test_enable_write_takes_the_interrupt_before_the_next_instruction(self, rv):
        self._setup(rv, {6: 1})
        rv.call("write32", ENABLE0, 0)
        rv.pulse_irq(6)
        rv.call("spin", 10)
        assert traps(rv) == []
        rv.call("marked_store", ENABLE0, 1 << 6)
        (t,) = traps(rv)
        assert (t["mcause"], t["mepc"], t["extra"]) == (MEI, addr(rv, "mark_after"), 6)

    def test_threshold_write_takes_the_interrupt_before_the_next_instruction(self, rv):
        self._setup(rv, {7: 1})
        rv.call("write32", THRESHOLD0, 1)
        rv.pulse_irq(7)
        rv.call("spin", 10)
        assert traps(rv) == []
        rv.call("marked_store", THRESHOLD0, 0)
        (t,) = traps(rv)
        assert (t["mcause"], t["mepc"], t["extra"]) == (MEI, addr(rv, "mark_after"), 7)

    def test_complete_of_a_level_still_high_retakes_it(self, rv):
        self._setup(rv, {5: 1})
        t = rv.ticks + 100
        rv.raise_irq(5, at=t)
        rv.lower_irq(5, at=t + 3000)                  # the thread is starved until then
        rv.call("spin", 200)
        ev = rv.take_events()
        taken = [e.tick for e in ev if e.kind == "claim" and e.num == 5]
        assert len(taken) > 10 and set(claims(rv)) == {5}   # again after every completion
        assert max(taken) < t + 3000 + 200
        # after each mret the interrupt is taken again before a thread instruction retires
        rets = [e.tick for e in ev if e.kind == "return"]
        entries = [e.tick for e in ev if e.kind == "entry"]
        assert all(r in entries for r in rets if r < t + 3000)


class TestPythonViews:
    def test_source_state_by_meaning(self, polled):
        m = polled
        prio(m, 2, 3)
        enable(m, 2)
        m.raise_irq(2)
        m.call("spin", 1)
        s = m.plic.source(2)
        assert (s.priority, s.pending, s.enabled, s.claimed, s.level) == (3, True, True,
                                                                         False, True)
        m.call("write32", THRESHOLD0, 1)
        assert m.plic.threshold == 1

    def test_claim_and_complete_from_python(self, polled):
        m = polled
        prio(m, 8, 1)
        enable(m, 8)
        m.pulse_irq(8)
        m.call("spin", 1)
        assert m.plic.claim() == 8
        assert m.plic.source(8).claimed
        m.plic.complete(8)
        assert not m.plic.source(8).claimed

    def test_bad_source_and_context(self, rv):
        with pytest.raises(ConfigError):
            rv.plic.source(0)
        with pytest.raises(ConfigError):
            rv.plic.source(rv.plic.num_sources + 1)
        with pytest.raises(ConfigError):
            rv.plic.source(1, context=rv.plic.contexts)

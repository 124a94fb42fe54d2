"""The ARMv7-M exception model, checked from inside the guest (fw/nvic_tests.c).

Each test names the rule of the ARMv7-M Architecture Reference Manual it checks.
"""

import pytest

import sim

ENTER = lambda n: 0x100 | n  # noqa: E731
LEAVE = lambda n: 0x200 | n  # noqa: E731
DONE = 0xEE


def test_exception_frame_holds_r0_r3_r12_lr_return_address_xpsr(guest):
    g = guest("frame")
    assert g.run().reason == "exit"
    frame = [g.scratch(i) for i in range(8)]
    assert frame[:5] == [0x10101010, 0x11111111, 0x12121212, 0x13131313, 0x1C1C1C1C]
    # B1.5.6: the return address is the next instruction to run: the one after the ISB
    assert frame[6] == g.m.symbols["frame_return_point"].address
    assert frame[7] & (1 << 24), "stacked xPSR keeps the T bit"
    assert frame[7] & 0x1FF == 0, "stacked IPSR: thread mode"
    assert g.scratch(8) == 0xFFFFFFF9, "EXC_RETURN: thread mode, main stack"
    assert g.scratch(9) == 16, "IPSR in the handler is the exception number"
    assert g.scratch(10) % 8 == 0, "frames are 8-byte aligned (CCR.STKALIGN)"
    assert g.log == [ENTER(0), LEAVE(0), DONE]


def test_thread_on_psp_stacks_to_psp_and_returns_with_fffffffd(guest):
    g = guest("psp")
    g.run()
    psp_stack = g.m.symbols["psp_stack"]
    top = psp_stack.address + 256
    assert g.scratch(8) == 0xFFFFFFFD
    assert g.scratch(10) == top - 32, "frame pushed on the process stack"
    assert g.scratch(13) == top, "SP after return is PSP, restored"
    assert g.scratch(14) & 2, "CONTROL.SPSEL is 1 again in thread mode"
    assert g.log[-1] == DONE


def test_misaligned_sp_is_aligned_for_the_frame_and_restored_on_return(guest):
    g = guest("align")
    g.run()
    before, after = g.scratch(13), g.scratch(14)
    assert before % 8 == 4
    assert after == before, "SP restored exactly (xPSR bit 9 undoes the alignment)"
    assert g.scratch(10) == before - 4 - 32
    assert g.scratch(7) & (1 << 9), "stacked xPSR bit 9 records the adjustment"


def test_higher_group_priority_preempts_lower_waits_and_tail_chains(guest):
    g = guest("preempt")
    g.run()
    assert g.log == [ENTER(0), ENTER(1), LEAVE(1), LEAVE(0), ENTER(2), LEAVE(2), DONE]
    assert [e.num for e in g.kinds("preempt")] == [17]
    tail = g.kinds("tail-chain")
    assert [(e.num, e.arg) for e in tail] == [(18, 16)], "IRQ 2 tail-chained from IRQ 0"
    assert g.m.nvic.counters()["max_depth"] == 2


def test_equal_priority_lower_number_first(guest):
    g = guest("same_priority")
    g.run()
    assert g.log == [0x40, ENTER(2), LEAVE(2), ENTER(5), LEAVE(5), 0x41, DONE]


def test_subpriority_orders_pending_without_preempting(guest):
    g = guest("subpriority")
    g.run()
    # neither 4 nor 6 preempts 3 (same group); 6 has the better subpriority, so it runs first
    assert g.log == [ENTER(3), LEAVE(3), ENTER(6), LEAVE(6), ENTER(4), LEAVE(4), DONE]
    assert g.m.nvic.counters()["prigroup"] == 5


def test_handler_that_pends_itself_runs_again_exactly_once(guest):
    g = guest("self_pend")
    g.run()
    assert g.log == [ENTER(7), LEAVE(7), ENTER(7), LEAVE(7), DONE]
    assert g.m.symbols["runs"].read("<32I")[7] == 2


def test_pend_under_primask_is_taken_after_cpsie(guest):
    g = guest("primask")
    g.run()
    assert g.log == [ENTER(0), LEAVE(0), DONE]
    assert g.scratch(6) == g.m.symbols["primask_return_point"].address


def test_basepri_masks_by_priority_and_basepri_max_only_raises(guest):
    g = guest("basepri")
    g.run()
    assert g.log == [ENTER(1), LEAVE(1), 0x40, ENTER(0), LEAVE(0), 0x41, DONE]
    assert g.scratch(14) == 0x80, "BASEPRI_MAX with a lower priority is ignored"
    assert g.scratch(15) == 0x60, "BASEPRI_MAX with a higher priority is taken"


def test_faultmask_is_cleared_by_exception_return(guest):
    g = guest("faultmask")
    g.run()
    assert g.log[:2] == [ENTER(0), LEAVE(0)]
    assert g.scratch(14) == 0


def test_nmi_is_taken_under_primask(guest):
    g = guest("nmi")
    g.run()
    assert g.log == [0x32, 0x40, DONE]
    assert g.scratch(12) == 1, "PRIMASK was set while NMI ran"


def test_svc_is_taken_at_once_and_pendsv_when_pended(guest):
    g = guest("svc_pendsv")
    g.run()
    assert g.log == [0x3B, 0x40, 0x3E, 0x41, DONE]


def test_systick_fires_every_reload_plus_one_ticks(guest):
    g = guest("systick")
    g.run()
    entries = [e.tick for e in g.kinds("pend") if e.num == 15]
    assert len(entries) == 5
    assert {b - a for a, b in zip(entries, entries[1:])} == {1000}
    assert g.scratch(14) & (1 << 16), "COUNTFLAG set since the last read"
    assert not g.scratch(15) & (1 << 16), "COUNTFLAG clears on read"


def test_unmapped_load_is_a_busfault_escalated_to_hardfault(guest):
    g = guest("busfault")
    g.run()
    assert g.log == [0x33, 0x40, DONE]
    assert g.scratch(0) == g.m.symbols["fault_point"].address
    assert g.scratch(1) & (1 << 9) and g.scratch(1) & (1 << 15), "CFSR: PRECISERR, BFARVALID"
    assert g.scratch(2) & (1 << 30), "HFSR.FORCED: escalated"
    assert g.scratch(3) == 0x60000000, "BFAR"


def test_fault_in_hardfault_is_a_lockup_naming_pc_and_address(guest):
    g = guest("lockup")
    with pytest.raises(sim.FirmwareError) as ei:
        g.run()
    msg = str(ei.value)
    assert "lockup" in msg and "0x70000000" in msg and "hardfault_body" in msg
    assert ei.value.address == 0x70000000
    assert any(e.kind == "fault" for e in ei.value.events)


def test_vtor_relocates_the_vector_table(guest):
    g = guest("vtor")
    g.run()
    assert g.log == [0x58, DONE]
    assert g.m.nvic.counters()["vtor"] == g.m.symbols["ram_vectors"].address


def test_priority_bits_aircr_key_and_icsr_fields(guest):
    g = guest("registers")
    g.run()
    assert g.scratch(12) == 0xE0, "unimplemented priority bits read as zero (3 bits)"
    assert g.scratch(13) == 0, "AIRCR write without VECTKEY ignored"
    assert g.scratch(14) == 3
    icsr = g.scratch(15)
    assert (icsr >> 12) & 0x1FF == 16 + 9, "VECTPENDING: the enabled pending IRQ"
    assert icsr & (1 << 22), "ISRPENDING"
    assert icsr & 0x1FF == 0, "VECTACTIVE 0 in thread mode"
    # inside the handler of IRQ 9: VECTACTIVE 25, RETTOBASE 1 (no other active exception)
    assert g.scratch(11) & 0x1FF == 25 and g.scratch(11) & (1 << 11)


def test_enabling_a_pending_irq_takes_it(guest):
    g = guest("pend_then_enable")
    g.run()
    assert g.log == [0x40, ENTER(11), LEAVE(11), 0x41, DONE]


def test_wfi_skips_to_the_next_request_and_ends_idle_without_one(guest):
    g = guest("wfi")
    g.m.pulse_irq(0, at=50_000)
    stop = g.run(ticks=1_000_000)
    assert stop.reason == "idle"
    entry = g.kinds("entry")
    assert len(entry) == 1 and entry[0].tick - 50_000 == 12, \
        "woken at the request's tick; the handler starts after the 12-tick entry"
    assert g.log == [ENTER(0), LEAVE(0), 0x40]
    assert g.m.ticks < 50_200, "the wait cost no simulated instructions"

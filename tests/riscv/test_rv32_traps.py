"""Machine-mode traps as the firmware sees them (RISC-V Privileged Architecture, 20211203):
mcause/mepc/mtval, mstatus MIE/MPIE/MPP on entry and mret, mtvec modes, mie masking, the
order of simultaneous interrupts, synchronous exceptions, nesting and U-mode."""

from rv_helpers import (CLINT, MEI, MIP_MEIP, MIP_MSIP, MIP_MTIP, MSI, MSTATUS_MIE,
                      MSTATUS_MPIE, MSTATUS_MPP, MTI, PLIC, addr, kinds, traps)


def arm_msi(m):
    m.call("reset_log")
    m.call("set_mie", MIP_MSIP)
    m.call("set_mstatus_mie", 1)


class TestSoftwareInterrupt:
    def test_msip_store_is_taken_before_the_next_instruction(self, rv):
        arm_msi(rv)
        rv.call("marked_store", CLINT, 1)
        (t,) = traps(rv)
        assert t["mcause"] == MSI
        assert t["mepc"] == addr(rv, "mark_after")   # the store retired, nothing after it
        assert t["mtval"] == 0

    def test_handler_sees_msip_in_mip_and_clearing_msip_clears_it(self, rv):
        arm_msi(rv)
        rv.call("marked_store", CLINT, 1)
        assert traps(rv)[0]["mip"] & MIP_MSIP
        assert not rv.call("get_csr", 2) & MIP_MSIP     # the handler wrote msip = 0
        assert rv.csr("mip") & MIP_MSIP == 0

    def test_trace_shows_pend_entry_return(self, rv):
        arm_msi(rv)
        rv.call("marked_store", CLINT, 1)
        ev = kinds(rv.take_events(), "pend", "entry", "return")
        assert ev == [("pend", 0x8003, 2), ("entry", 3, addr(rv, "mark_after")), ("return", 3, 0)]


class TestMstatusAcrossTraps:
    def test_entry_saves_mie_in_mpie_clears_mie_and_sets_mpp(self, rv):
        arm_msi(rv)
        rv.call("marked_store", CLINT, 1)
        ms = traps(rv)[0]["mstatus"]
        assert ms & MSTATUS_MIE == 0
        assert ms & MSTATUS_MPIE
        assert ms & MSTATUS_MPP == MSTATUS_MPP       # came from M-mode

    def test_mret_restores_mie_from_mpie_and_sets_mpp_to_u(self, rv):
        arm_msi(rv)
        rv.call("marked_store", CLINT, 1)
        ms = rv.call("get_csr", 0)
        assert ms & MSTATUS_MIE
        assert ms & MSTATUS_MPIE                      # MPIE <- 1
        assert ms & MSTATUS_MPP == 0                  # MPP <- U, the least-privileged mode

    def test_ecall_with_mie_clear_returns_with_mie_clear(self, rv):
        rv.call("reset_log")
        rv.call("set_mstatus_mie", 0)
        rv.call("do_ecall")
        (t,) = traps(rv)
        assert t["mstatus"] & (MSTATUS_MIE | MSTATUS_MPIE) == 0
        assert rv.call("get_csr", 0) & MSTATUS_MIE == 0


class TestMasking:
    def test_pending_but_mie_clear_is_not_taken_and_shows_in_mip(self, rv):
        rv.call("reset_log")
        rv.call("set_mie", MIP_MSIP)
        rv.call("set_mstatus_mie", 0)
        rv.call("write32", CLINT, 1)
        assert traps(rv) == []
        assert rv.call("get_csr", 2) & MIP_MSIP      # firmware's csrr mip

    def test_setting_mstatus_mie_takes_it_at_the_next_instruction(self, rv):
        rv.call("reset_log")
        rv.call("set_mie", MIP_MSIP)
        rv.call("set_mstatus_mie", 0)
        rv.call("write32", CLINT, 1)
        rv.call("marked_set_mstatus", MSTATUS_MIE)
        (t,) = traps(rv)
        assert t["mcause"] == MSI and t["mepc"] == addr(rv, "mark_csr_after")

    def test_disabled_in_mie_is_not_taken(self, rv):
        rv.call("reset_log")
        rv.call("set_mie", 0)
        rv.call("set_mstatus_mie", 1)
        rv.call("write32", CLINT, 1)
        rv.call("spin", 100)
        assert traps(rv) == []
        assert rv.csr("mip") & MIP_MSIP

    def test_csr_write_in_code_copied_at_run_time_takes_it_at_the_next_instruction(self, rv):
        """Code the firmware writes at run time needs no scan: the block that ends with the
        CSR write is decoded when it first runs."""
        rv.call("reset_log")
        rv.call("set_mie", MIP_MSIP)
        rv.call("set_mstatus_mie", 0)
        rv.call("write32", CLINT, 1)
        code = rv.call("run_copied_csrs", MSTATUS_MIE)
        (t,) = traps(rv)
        assert t["mcause"] == MSI and t["mepc"] == code + 4

    def test_setting_mie_bit_takes_it_at_the_next_instruction(self, rv):
        rv.call("reset_log")
        rv.call("set_mie", 0)
        rv.call("set_mstatus_mie", 1)
        rv.call("write32", CLINT, 1)
        rv.call("marked_set_mie", MIP_MSIP)
        (t,) = traps(rv)
        assert t["mcause"] == MSI and t["mepc"] == addr(rv, "mark_csr_mie_after")


class TestTrapVector:
    def _start(self, m, fn, *args):
        """Starts a firmware call without running it (to stop at a vector with `until`)."""
        for r, v in zip(("a0", "a1"), args):
            m.set_reg(r, v)
        m.set_reg("ra", m._call_return)
        m.set_reg("pc", addr(m, fn))

    def test_vectored_interrupt_enters_at_base_plus_4_times_cause(self, rv):
        arm_msi(rv)
        self._start(rv, "marked_store", CLINT, 1)
        stop = rv.run(until=addr(rv, "trap_vectors") + 4 * 3, ticks=10_000)
        assert stop.reason == "until"
        assert rv.csr("mcause") == MSI

    def test_vectored_exception_enters_at_base(self, rv):
        rv.call("reset_log")
        self._start(rv, "do_ecall")
        stop = rv.run(until="trap_vectors", ticks=10_000)
        assert stop.reason == "until"
        assert rv.csr("mcause") == 11

    def test_direct_mode_enters_every_trap_at_base(self, rv):
        arm_msi(rv)
        rv.call("use_direct_mode")
        assert rv.csr("mtvec") == addr(rv, "trap_direct")
        self._start(rv, "marked_store", CLINT, 1)
        stop = rv.run(until="trap_direct", ticks=10_000)
        assert stop.reason == "until"
        rv.run(until=rv._call_return, ticks=10_000)
        (t,) = traps(rv)
        assert t["mcause"] == MSI and t["mepc"] == addr(rv, "mark_after")

    def test_direct_mode_timer_and_exception(self, rv):
        rv.call("reset_log")
        rv.call("use_direct_mode")
        rv.call("set_mie", MIP_MTIP)
        rv.call("set_mtimecmp_delta", 50)
        rv.call("wait_traps", 1)
        rv.call("do_ecall")
        assert [t["mcause"] for t in traps(rv)] == [MTI, 11]


class TestSimultaneousInterrupts:
    def test_taken_in_order_mei_msi_mti(self, rv):
        rv.call("reset_log")
        rv.call("set_mstatus_mie", 0)
        rv.call("write32", PLIC + 4 * 1, 1)           # source 1: priority 1
        rv.call("write32", PLIC + 0x2000, 1 << 1)     # enabled for context 0
        rv.pulse_irq(1)
        rv.call("write32", CLINT, 1)                  # MSIP
        rv.call("set_mtimecmp_abs", 0, 0)             # MTIP: mtime >= 0
        rv.call("set_mie", MIP_MEIP | MIP_MSIP | MIP_MTIP)
        assert rv.call("get_csr", 2) & (MIP_MEIP | MIP_MSIP | MIP_MTIP) == \
            MIP_MEIP | MIP_MSIP | MIP_MTIP           # all three visible to csrr mip
        rv.call("marked_set_mstatus", MSTATUS_MIE)
        assert [t["mcause"] for t in traps(rv)] == [MEI, MSI, MTI]
        assert traps(rv)[0]["mepc"] == addr(rv, "mark_csr_after")


class TestSynchronousExceptions:
    def test_ecall_from_m_mode(self, rv):
        rv.call("reset_log")
        rv.call("do_ecall")
        (t,) = traps(rv)
        assert (t["mcause"], t["mepc"], t["mtval"]) == (11, addr(rv, "mark_ecall"), 0)

    def test_illegal_instruction_reports_its_bits(self, rv):
        rv.call("reset_log")
        rv.call("do_illegal")
        (t,) = traps(rv)
        assert (t["mcause"], t["mepc"], t["mtval"]) == (2, addr(rv, "mark_illegal"), 0xFFFFFFFF)

    def test_compressed_illegal_instruction(self, rv):
        rv.call("reset_log")
        rv.call("do_cillegal")
        (t,) = traps(rv)
        assert (t["mcause"], t["mepc"], t["mtval"]) == (2, addr(rv, "mark_cillegal"), 0)

    def test_ebreak_outside_semihosting_is_a_breakpoint(self, rv):
        rv.call("reset_log")
        rv.call("do_ebreak")
        rv.call("do_cebreak")
        a, b = traps(rv)
        assert (a["mcause"], a["mepc"], a["mtval"]) == (3, addr(rv, "mark_ebreak"),
                                                       addr(rv, "mark_ebreak"))
        assert (b["mcause"], b["mepc"]) == (3, addr(rv, "mark_cebreak"))

    def test_load_access_fault(self, rv):
        rv.call("reset_log")
        rv.call("do_load_fault", 0x40000000)
        (t,) = traps(rv)
        assert (t["mcause"], t["mepc"], t["mtval"]) == (5, addr(rv, "mark_load"), 0x40000000)

    def test_store_access_fault(self, rv):
        rv.call("reset_log")
        rv.call("do_store_fault", 0x40000010)
        (t,) = traps(rv)
        assert (t["mcause"], t["mepc"], t["mtval"]) == (7, addr(rv, "mark_store_fault"),
                                                       0x40000010)

    def test_misaligned_amo_is_a_store_amo_misaligned_fault(self, rv):
        rv.call("reset_log")
        target = addr(rv, "spin_count") + 2
        rv.call("do_amo", target)
        (t,) = traps(rv)
        assert (t["mcause"], t["mepc"], t["mtval"]) == (6, addr(rv, "mark_amo"), target)

    def test_misaligned_load_is_performed(self, rv):
        rv.call("reset_log")
        rv.call("write32", addr(rv, "spin_count"), 0x44332211)
        assert rv.call("do_misaligned_load", addr(rv, "spin_count") + 1) & 0xFFFFFF == 0x443322
        assert traps(rv) == []

    def test_fault_trace_then_entry(self, rv):
        rv.call("reset_log")
        rv.call("do_illegal")
        ev = kinds(rv.take_events(), "fault", "entry", "return")
        assert ev == [("fault", 2, 0xFFFFFFFF), ("entry", 256 + 2, addr(rv, "mark_illegal")),
                      ("return", 256 + 2, 0)]


class TestNesting:
    def test_handler_that_sets_mie_is_preempted(self, rv):
        arm_msi(rv)
        rv.call("set_mie", MIP_MSIP | MIP_MTIP)
        rv.symbols["nest_mode"].write("<I", 1)
        rv.call("marked_store", CLINT, 1)            # returns: the outer mepc was restored
        outer, inner = traps(rv)
        assert outer["mcause"] == MSI and inner["mcause"] == MTI
        assert inner["mstatus"] & MSTATUS_MPIE        # interrupted a handler with MIE set
        assert rv.symbols["after_nest_mcause"].read() == MTI   # mcause was overwritten
        ev = kinds(rv.take_events(), "entry", "preempt", "return")
        assert ev == [("entry", 3, addr(rv, "mark_after")), ("preempt", 7, 3),
                      ("return", 7, 3), ("return", 3, 0)]
        assert rv.hart.counters()["max_depth"] == 2
        assert rv.hart.depth == 0

    def test_no_preemption_without_mie(self, rv):
        arm_msi(rv)
        rv.call("set_mie", MIP_MSIP | MIP_MTIP)
        rv.symbols["mei_work"].write("<I", 0)
        rv.call("marked_store", CLINT, 1)
        rv.call("set_mtimecmp_abs", 0, 0)
        assert [t["mcause"] for t in traps(rv)] == [MSI, MTI]
        assert rv.hart.counters()["preemptions"] == 0


class TestUserMode:
    def test_sret_to_u_mode_takes_a_pending_machine_interrupt_at_its_target(self, rv):
        """sret changes the privilege like mret (Priv 3.3.2): below M-mode the pending,
        mie-enabled software interrupt is taken before the first user instruction."""
        rv.call("reset_log")
        rv.call("set_mie", MIP_MSIP)
        rv.call("set_mstatus_mie", 0)
        rv.call("run_user_sret")
        msi, ecall = traps(rv)
        assert msi["mcause"] == MSI and msi["mepc"] == addr(rv, "sret_user")
        assert msi["mstatus"] & MSTATUS_MPP == 0      # came from U-mode
        assert ecall["mcause"] == 8 and ecall["mepc"] == addr(rv, "sret_user")
        assert rv.reg("priv") == 3

    def test_machine_interrupt_taken_in_u_mode_with_mie_clear(self, rv):
        rv.call("reset_log")
        rv.call("set_mie", MIP_MSIP)
        rv.call("set_mstatus_mie", 0)
        rv.call("run_user")
        msi, ecall = traps(rv)
        assert msi["mcause"] == MSI and msi["mepc"] == addr(rv, "mark_user_after")
        assert msi["mstatus"] & MSTATUS_MPP == 0      # came from U-mode
        assert ecall["mcause"] == 8                   # ecall from U-mode
        assert rv.reg("priv") == 3

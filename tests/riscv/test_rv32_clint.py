"""The CLINT of hart 0 (SiFive CLINT layout on QEMU virt; Privileged 3.2.1 for mtime and
mtimecmp): msip, the machine timer, 64-bit registers as 32-bit halves, wfi, and the Python
side (m.clint)."""

import pytest

from rv_helpers import CLINT, MIP_MSIP, MIP_MTIP, MSI, MTI, addr, kinds, traps
from sim import ConfigError

MTIMECMP, MTIME = CLINT + 0x4000, CLINT + 0xBFF8


class TestMtime:
    def test_mtime_advances_with_ticks_at_the_board_rate(self, rv):
        rate = rv.board.controller["mtime_per_tick"]
        t0, m0 = rv.ticks, rv.clint.mtime
        rv.call("spin", 1000)
        assert rv.clint.mtime - m0 == (rv.ticks - t0) * rate

    def test_firmware_reads_mtime_as_two_halves(self, rv):
        rv.clint.mtime = 0x1_FFFF_FF00
        lo, hi = rv.call("mtime_lo"), rv.call("mtime_hi")
        assert hi == 1 and 0xFFFFFF00 <= lo
        rv.call("write32", MTIME + 4, 7)             # a write to the high half
        assert rv.call("mtime_hi") == 7

    def test_mtime_is_writable_from_python(self, rv):
        rv.clint.mtime = 12345
        assert 12345 <= rv.call("mtime_lo") < 12345 + 100


class TestTimerInterrupt:
    def test_mtimecmp_reached_raises_mtip_and_the_interrupt(self, rv):
        rv.call("reset_log")
        rv.call("set_mie", MIP_MTIP)
        rv.call("set_mstatus_mie", 1)
        rv.call("set_mtimecmp_delta", 300)
        target = rv.clint.mtimecmp
        rv.call("wait_traps", 1)
        (t,) = traps(rv)
        assert t["mcause"] == MTI
        assert t["mip"] & MIP_MTIP                    # the handler's csrr mip sees MTIP
        assert t["extra"] >= target                   # mtime read in the handler
        assert rv.clint.mtimecmp == (1 << 64) - 1     # the handler's write cleared it
        assert not rv.csr("mip") & MIP_MTIP

    def test_mtimecmp_crossing_the_32_bit_boundary(self, rv):
        rv.clint.mtime = 0xFFFF_FF00
        rv.call("reset_log")
        rv.call("set_mie", MIP_MTIP)
        rv.call("set_mtimecmp_delta", 0x200)          # the sum carries into the high half
        assert rv.clint.mtimecmp >> 32 == 1
        rv.call("wait_traps", 1)
        assert 0x100 <= traps(rv)[0]["extra"] < 0x1000   # low half of mtime in the handler
        assert rv.call("mtime_hi") == 1

    def test_a_later_mtimecmp_write_clears_mtip(self, rv):
        rv.call("set_mie", 0)
        rv.call("set_mtimecmp_abs", 0, 0)
        assert rv.call("get_csr", 2) & MIP_MTIP
        rv.call("set_mtimecmp_abs", 0xFFFF, 0)
        assert not rv.call("get_csr", 2) & MIP_MTIP

    def test_mtimecmp_store_is_taken_before_the_next_instruction(self, rv):
        rv.call("reset_log")
        rv.call("write32", MTIMECMP + 4, 0)
        rv.call("write32", MTIMECMP, 0xFFFFFFFF)      # far ahead in the low half
        rv.call("set_mie", MIP_MTIP)
        rv.call("set_mstatus_mie", 1)
        rv.call("marked_store", MTIMECMP, 0)          # now in the past
        (t,) = traps(rv)
        assert t["mcause"] == MTI and t["mepc"] == addr(rv, "mark_after")

    def test_wfi_skips_time_to_the_timer(self, rv):
        rv.call("reset_log")
        rv.call("set_mie", MIP_MTIP)
        rv.call("set_mtimecmp_delta", 5_000_000)
        t0 = rv.ticks
        rv.call("wait_traps", 1)
        assert 5_000_000 <= rv.ticks - t0 < 5_000_000 + 500
        ev = kinds(rv.take_events(), "pend", "entry")
        assert ev[0] == ("pend", 0x8007, 3) and ev[1][:2] == ("entry", 7)

    def test_timer_pend_and_entry_ticks(self, rv):
        rv.call("reset_log")
        rv.call("set_mie", MIP_MTIP)
        rv.call("set_mstatus_mie", 1)
        rv.clint.mtimecmp = rv.clint.mtime + 1000
        due = rv.ticks + 1000
        rv.call("spin", 500)
        ev = [e for e in rv.take_events() if e.kind in ("pend", "entry")]
        assert ev[0].kind == "pend" and ev[0].tick == due       # when mtime reached mtimecmp
        assert ev[1].kind == "entry" and due <= ev[1].tick < due + 10   # next block boundary


class TestSoftwareInterruptFromPython:
    def test_setting_msip_from_python_is_taken_at_the_next_run(self, rv):
        rv.call("reset_log")
        rv.call("set_mie", MIP_MSIP)
        rv.call("set_mstatus_mie", 1)
        rv.clint.msip = 1
        assert rv.csr("mip") & MIP_MSIP
        rv.call("spin", 10)
        (t,) = traps(rv)
        assert t["mcause"] == MSI
        assert rv.clint.msip == 0                      # cleared by the handler

    def test_scheduled_msip(self, rv):
        rv.call("reset_log")
        rv.call("set_mie", MIP_MSIP)
        rv.call("set_mstatus_mie", 1)
        at = rv.ticks + 2000
        rv.clint.set_msip(1, at=at)
        rv.call("spin", 2000)
        ev = [e for e in rv.take_events() if e.kind in ("request", "pend", "entry")]
        assert [(e.kind, e.num) for e in ev] == [("request", 0xFFFE), ("pend", 0x8003),
                                                 ("entry", 3)]
        assert ev[0].tick == at                     # a request is recorded at its own tick
        assert at <= ev[1].tick == ev[2].tick < at + 20   # sampled at the next block boundary

    def test_bad_values(self, rv):
        with pytest.raises(ConfigError):
            rv.clint.mtimecmp = -1
        with pytest.raises(ConfigError):
            rv.clint.mtime = 1 << 64


class TestMsipRegister:
    def test_only_bit_0_is_implemented(self, rv):
        rv.call("set_mie", 0)
        rv.call("write32", CLINT, 0xFFFFFFFE)
        assert rv.call("read32", CLINT) == 0
        rv.call("write32", CLINT, 3)
        assert rv.call("read32", CLINT) == 1
        assert rv.call("get_csr", 2) & MIP_MSIP

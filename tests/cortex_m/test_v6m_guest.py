"""ARMv6-M (Cortex-M0 on microbit), checked from inside the guest: the M3 suite's tests that
apply to ARMv6-M (fw/nvic_tests.c built for cortex-m0) and the ARMv6-M suite (fw/v6m_tests.c:
HardFault only, 2 priority bits, word-only IPR, no BASEPRI, the nRF51 UART and TIMER, SysTick's
clocks). Each test names the rule of the ARMv6-M Architecture Reference Manual (DDI 0419) it
checks; test_v6m_qemu.py runs the same images on QEMU 7.2's microbit.
"""

import struct

import pytest

import sim

from v6m_helpers import NVIC_TESTS as TESTS, V6M_TESTS, build_v6m

ENTER = lambda n: 0x100 | n  # noqa: E731
LEAVE = lambda n: 0x200 | n  # noqa: E731
DONE = 0xEE


class Run:
    """One test function of an image built for cortex-m0, on board microbit."""

    def __init__(self, image, test_id, board="microbit", **kw):
        self.m = sim.Machine.load(image, board=board, **kw)
        self.m.mem_write(self.m.symbols["test_id"].address, struct.pack("<I", test_id))
        self.stop = self.m.run(ticks=2_000_000)

    @property
    def log(self):
        n = self.m.symbols["log_n"].read()
        return list(self.m.symbols["log_buf"].read(f"<{n}I")) if n else []

    def scratch(self, i):
        return self.m.symbols["scratch"].read("<16I")[i]

    def kinds(self, *kinds):
        return [e for e in self.m.events if e.kind in kinds]


@pytest.fixture(scope="session")
def m3_suite_v6m():
    return build_v6m("nvic-tests-v6m", "nvic_tests.c")


@pytest.fixture(scope="session")
def v6m_suite():
    return build_v6m("v6m-tests", "v6m_tests.c")


@pytest.fixture
def m3(m3_suite_v6m):
    return lambda name, **kw: Run(m3_suite_v6m, TESTS.index(name), **kw)


@pytest.fixture
def v6(v6m_suite):
    return lambda name, **kw: Run(v6m_suite, V6M_TESTS.index(name), **kw)


# ---- the M3 suite's tests that apply to ARMv6-M ---------------------------------------------

def test_frame_is_the_same_eight_words_on_armv6m(m3):
    g = m3("frame")
    assert g.stop.reason == "exit"
    assert [g.scratch(i) for i in range(5)] == [0x10101010, 0x11111111, 0x12121212,
                                                0x13131313, 0x1C1C1C1C]
    assert g.scratch(6) == g.m.symbols["frame_return_point"].address
    assert g.scratch(8) == 0xFFFFFFF9 and g.scratch(9) == 16
    assert g.scratch(10) % 8 == 0, "frames are 8-byte aligned (CCR.STKALIGN is RAO, B3.2.8)"
    assert g.log == [ENTER(0), LEAVE(0), DONE]


def test_thread_on_psp_returns_with_fffffffd(m3):
    g = m3("psp")
    top = g.m.symbols["psp_stack"].address + 256
    assert g.scratch(8) == 0xFFFFFFFD and g.scratch(10) == top - 32 and g.scratch(13) == top


def test_misaligned_sp_is_aligned_and_restored(m3):
    g = m3("align")
    assert g.scratch(13) % 8 == 4 and g.scratch(14) == g.scratch(13)
    assert g.scratch(7) & (1 << 9)


@pytest.mark.parametrize("name, log", [
    ("preempt", [ENTER(0), ENTER(1), LEAVE(1), LEAVE(0), ENTER(2), LEAVE(2), DONE]),
    ("same_priority", [0x40, ENTER(2), LEAVE(2), ENTER(5), LEAVE(5), 0x41, DONE]),
    ("self_pend", [ENTER(7), LEAVE(7), ENTER(7), LEAVE(7), DONE]),
    ("primask", [ENTER(0), LEAVE(0), DONE]),
    ("nmi", [0x32, 0x40, DONE]),
    ("svc_pendsv", [0x3B, 0x40, 0x3E, 0x41, DONE]),
    ("pend_then_enable", [0x40, ENTER(11), LEAVE(11), 0x41, DONE]),
])
def test_m3_rules_that_armv6m_shares(m3, name, log):
    assert m3(name).log == log


def test_tests_of_what_armv6m_lacks_are_absent_in_the_build(m3):
    for name in ("subpriority", "basepri", "faultmask"):
        assert m3(name).stop.exit_code == 98


def test_systick_follows_qemu_on_microbit_and_is_gone_without_it(m3):
    g = m3("systick")
    pends = [e.tick for e in g.kinds("pend") if e.num == 15]
    assert len(pends) == 5 and {b - a for a, b in zip(pends, pends[1:])} == {1000}
    board = sim.boards.board_with("microbit", {"controller.systick": False})
    g = m3("systick", board=board)
    assert g.stop.reason == "ticks", "the test waits for SysTick forever"
    assert not [e for e in g.kinds("pend") if e.num == 15]


def test_busfault_is_a_hardfault_with_no_fault_status(m3):
    g = m3("busfault")
    assert g.log == [0x33, 0x40, DONE]
    assert g.scratch(0) == g.m.symbols["fault_point"].address
    assert [e.num for e in g.kinds("entry")] == [3], "HardFault, nothing escalated from"
    assert [e.num for e in g.kinds("fault")] == [3]


def test_fault_in_hardfault_locks_up(m3):
    with pytest.raises(sim.FirmwareError) as ei:
        m3("lockup")
    assert "lockup" in str(ei.value) and ei.value.address == 0x70000000


def test_registers_two_priority_bits_no_prigroup_no_rettobase(m3):
    g = m3("registers")
    assert g.scratch(12) == 0xC0, "2 priority bits (B1.5.4)"
    assert g.scratch(13) == g.scratch(14) == 0, "AIRCR has no PRIGROUP (B3.2.6)"
    icsr = g.scratch(15)
    assert (icsr >> 12) & 0x1FF == 16 + 9 and icsr & (1 << 22)
    assert g.scratch(11) & 0x1FF == 25 and not g.scratch(11) & (1 << 11), \
        "no RETTOBASE on ARMv6-M (B3.2.4)"


def test_wfi_wakes_and_entry_takes_the_boards_16_ticks(m3):
    img = build_v6m("nvic-tests-v6m", "nvic_tests.c")
    m = sim.Machine.load(img, board="microbit")
    m.mem_write(m.symbols["test_id"].address, struct.pack("<I", TESTS.index("wfi")))
    m.pulse_irq(0, at=50_000)
    assert m.run(ticks=1_000_000).reason == "idle"
    entry = [e for e in m.events if e.kind == "entry"]
    assert len(entry) == 1 and entry[0].tick - 50_000 == 16


# ---- the ARMv6-M suite ----------------------------------------------------------------------

def test_every_fault_is_a_hardfault(v6):
    g = v6("hardfault")
    # LDREX (undefined: no exclusive access), UDF, a misaligned load, SVC under PRIMASK
    assert g.log == [0x3303] * 4 + [DONE]
    assert [e.num for e in g.kinds("entry")] == [3, 3, 3, 3]
    assert all(e.num == 3 for e in g.kinds("fault"))


def test_priority_fields_and_the_registers_armv6m_has(v6):
    g = v6("registers")
    assert g.log == [0xC0C0C0C0, 0xC0000000, 0xC0C00000, 0, 0xFA050000, 0x410CC200, 0, DONE]
    assert g.m.symbols["scratch_shpr3"].read() == 0xC0C00000, \
        "SHPR3's DebugMonitor byte is reserved on ARMv6-M (B3.2.10)"


def test_ipr_is_word_access_only_and_a_byte_write_is_a_guest_error(v6):
    g = v6("ipr_word")
    assert g.log == [0x00408000, 0xC0408000, DONE]
    assert any("ARMv6-M has these 2 bits only" in n for n in g.m.notes), \
        "the dropped 0x3F is noted, with what to do on a 2-bit core"
    with pytest.raises(sim.FirmwareError, match="0xe000e403"):
        v6("ipr_word", strict=True)


def test_msr_basepri_and_cpsid_f_do_nothing_on_armv6m(v6):
    g = v6("no_basepri")
    assert g.log == [0, ENTER(5), 0x40, ENTER(5), 0x41, DONE]


def test_no_vtor_on_cortex_m0_the_table_stays_at_0(m3):
    g = m3("vtor")
    assert g.log == [ENTER(8), LEAVE(8), DONE], "IRQ 8 ran the flash table's handler"
    assert g.m.nvic.counters()["vtor"] == 0


def test_vtor_is_a_board_option_for_a_cortex_m0_plus(m3):
    board = sim.boards.board_with("microbit", {"controller.vtor": True})
    g = m3("vtor", board=board)
    assert g.log == [0x58, DONE]
    assert g.m.nvic.counters()["vtor"] == g.m.symbols["ram_vectors"].address


def test_uart_console_txdrdy_and_its_interrupt(v6):
    g = v6("uart")
    assert g.log == [0, 0x04000000, 0, 1, ENTER(2), 0, DONE]
    assert g.m.console.startswith("!\n"), "the byte before STARTTX is dropped"


def test_timer_compare_clear_ticks_at_cc_times_prescaler(v6):
    g = v6("timer")
    assert g.log == [5, 1, 0xFF, 3, 1, DONE]
    pends = [e.tick for e in g.kinds("pend") if e.num == 16 + 8]
    assert len(pends) == 5
    # COMPARE0_CLEAR: a period of CC[0] counts of 2^PRESCALER ticks; each compare event is
    # taken at the first block boundary at or after its tick (a few ticks at most here)
    period = 100 << 4
    assert all(abs(b - a - period) <= 4 for a, b in zip(pends, pends[1:]))
    assert abs(pends[-1] - pends[0] - 4 * period) <= 4


def test_a_hardfault_loop_is_decoded_without_armv7m_fault_registers():
    img = build_v6m("stuck-v6m-hardfault", "stuck_tests.c", ["TEST=2"])
    stop = sim.Machine.load(img, board="microbit").run(ticks=1_000_000)
    assert stop.reason == "stuck" and stop.function == "HardFault_Handler+0x0"
    f = stop.fault
    assert f["handler"] == "HardFault" and f["address"] == 0x60000000
    assert "cfsr" not in f and "CFSR" not in stop.detail
    assert "ARMv6-M has no other fault" in stop.detail


def test_systick_has_no_reference_clock_on_microbit_as_on_qemu(v6):
    g = v6("systick_clocks")
    assert g.log == [0, 1, DONE], "CLKSOURCE = 0 never counts; CLKSOURCE = 1 does"
    board = sim.boards.board_with("microbit", {"controller.systick": True})
    g = v6("systick_clocks", board=board)
    assert g.log[0] > 0, "with controller.systick = true both clocks count (as on mps2-an385)"


def test_a_loop_only_a_systick_without_its_clock_could_leave_is_stuck():
    leaves = build_v6m("stuck-v6m-systick", "stuck_tests.c", ["TEST=3"])
    assert sim.Machine.load(leaves, board="microbit").run(ticks=1_000_000).exit_code == 5
    img = build_v6m("stuck-v6m-systick-ref", "stuck_tests.c", ["TEST=3", "SYSTICK_REFCLK"])
    stop = sim.Machine.load(img, board="microbit").run(ticks=1_000_000)
    assert stop.reason == "stuck" and stop.function.startswith("spin+"), \
        "SysTick on CLKSOURCE = 0 never counts on microbit: nothing can leave the loop"

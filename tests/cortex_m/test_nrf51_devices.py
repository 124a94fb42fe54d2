"""The nRF51 TIMER, UART and POWER/CLOCK models of board microbit, driven through their
registers from Python (Machine.mmio_read / mmio_write) while the guest idles (the M3 suite's
`idle_loop` built for cortex-m0). Each test names the rule of the nRF51 Reference Manual v3.0
(chapters 18 Timer, 29 UART) or of QEMU 7.2's model it checks."""

import struct

import pytest

import sim

from v6m_helpers import NVIC_TESTS as TESTS, build_v6m

TIMER0, TIMER1, UART = 0x40008000, 0x40009000, 0x40002000
START, STOP, COUNT, CLEAR, CAPTURE = 0x000, 0x004, 0x008, 0x00C, 0x040
COMPARE, SHORTS, INTENSET, INTENCLR = 0x140, 0x200, 0x304, 0x308
MODE, BITMODE, PRESCALER, CC = 0x504, 0x508, 0x510, 0x540


@pytest.fixture
def m():
    img = build_v6m("nvic-tests-v6m", "nvic_tests.c")
    mach = sim.Machine.load(img, board="microbit")
    mach.mem_write(mach.symbols["test_id"].address, struct.pack("<I", TESTS.index("idle_loop")))
    mach.run(ticks=5_000)                 # booted, idling in the loop
    return mach


def counter(m, base):
    m.mmio_write(base + CAPTURE + 12, 1)  # CAPTURE[3]
    return m.mmio_read(base + CC + 12)


def test_timer_counts_hfclk_shifted_by_prescaler(m):
    m.mmio_write(TIMER0 + BITMODE, 3)
    m.mmio_write(TIMER0 + PRESCALER, 3)
    m.mmio_write(TIMER0 + START, 1)
    t0 = m.ticks
    m.run(ticks=8_000)
    assert counter(m, TIMER0) == (m.ticks - t0) >> 3


def test_timer_compare_sets_the_event_and_raises_irq_with_inten(m):
    m.mmio_write(TIMER0 + CC, 500)
    m.mmio_write(TIMER0 + INTENSET, 1 << 16)
    m.mmio_write(TIMER0 + START, 1)
    m.run(ticks=2_000)
    assert m.mmio_read(TIMER0 + COMPARE) == 1
    assert m.nvic.irq(8).pending or m.nvic.irq(8).level, "the level is up on IRQ 8"
    m.mmio_write(TIMER0 + COMPARE, 0)
    assert not m.nvic.irq(8).level, "clearing the event lowers the line"
    assert m.mmio_read(TIMER0 + INTENCLR) == 1 << 16, "INTENCLR reads INTEN"


def test_compare_stop_short_stops_the_counter_at_cc(m):
    m.mmio_write(TIMER0 + CC + 4, 300)           # CC[1]
    m.mmio_write(TIMER0 + SHORTS, 1 << 9)        # COMPARE1_STOP
    m.mmio_write(TIMER0 + START, 1)
    m.run(ticks=2_000)
    assert m.mmio_read(TIMER0 + COMPARE + 4) == 1
    assert counter(m, TIMER0) == 300


def test_bitmode_8_wraps_and_cc_is_kept_modulo_the_width(m):
    m.mmio_write(TIMER0 + BITMODE, 1)
    m.mmio_write(TIMER0 + CC, 0x1FF)
    assert m.mmio_read(TIMER0 + CC) == 0xFF
    m.mmio_write(TIMER0 + START, 1)
    t0 = m.ticks
    m.run(ticks=1_000)
    assert counter(m, TIMER0) == (m.ticks - t0) & 0xFF


def test_counter_mode_counts_tasks_and_start_does_not_run_it(m):
    m.mmio_write(TIMER1 + MODE, 1)
    m.mmio_write(TIMER1 + START, 1)
    m.run(ticks=1_000)
    for _ in range(7):
        m.mmio_write(TIMER1 + COUNT, 1)
    assert counter(m, TIMER1) == 7
    m.mmio_write(TIMER1 + CLEAR, 1)
    assert counter(m, TIMER1) == 0


def test_uart_is_dead_until_enabled_and_receives_console_input_into_rxd(m):
    assert m.mmio_read(UART + 0x524) == 0, "disabled: reads as zero"
    m.mmio_write(UART + 0x500, 4)
    assert m.mmio_read(UART + 0x524) == 0x04000000
    m.console_input(b"hi")
    m.run(ticks=1_000)
    assert m.mmio_read(UART + 0x108) == 0, "nothing lands before STARTRX"
    m.mmio_write(UART + 0x000, 1)              # STARTRX
    m.run(ticks=2_000)                         # 640 ticks a character at 250 kbaud
    assert m.mmio_read(UART + 0x108) == 1
    assert m.mmio_read(UART + 0x518) == ord("h")
    assert m.mmio_read(UART + 0x518) == ord("i")
    m.mmio_write(UART + 0x004, 1)              # STOPRX sets RXTO
    assert m.mmio_read(UART + 0x144) == 1


def test_power_clock_page_reads_one_as_qemus_stub(m):
    assert m.mmio_read(0x40000100) == 1, "EVENTS_HFCLKSTARTED"
    m.mmio_write(0x40000000, 1)
    assert m.mmio_read(0x40000000) == 1


def test_a_snapshot_restores_the_timer_and_the_uarts_queued_input(m):
    m.mmio_write(TIMER0 + CC, 700)
    m.mmio_write(TIMER0 + SHORTS, 1)
    m.mmio_write(TIMER0 + INTENSET, 1 << 16)
    m.mmio_write(TIMER0 + START, 1)
    m.mmio_write(UART + 0x500, 4)
    m.mmio_write(UART + 0x000, 1)
    m.console_input(b"abcdefgh")
    m.run(ticks=1_000)
    snap, since = m.snapshot(), len(m.events)

    def rest():
        m.run(ticks=20_000)
        got = [(e.tick, e.kind, e.num) for e in m.events[since:]]
        return got, [m.mmio_read(UART + 0x518) for _ in range(6)], counter(m, TIMER0)
    first = rest()
    m.restore(snap)
    del m.events[since:]
    assert rest() == first
    assert first[1][:2] == [ord("a"), ord("b")]


def test_ficr_reads_qemus_factory_values_and_uicr_is_erased(m):
    assert m.mmio_read(0x10000010) == 0x400, "CODEPAGESIZE"
    assert m.mmio_read(0x10000014) == 0x100, "CODESIZE: 256 pages, 256 KiB"
    assert m.mmio_read(0x10000000) == 0xFFFFFFFF
    assert m.mmio_read(0x10001000) == 0xFFFFFFFF, "UICR: erased"
    m.mmio_write(0x10001000, 0)
    assert m.mmio_read(0x10001000) == 0xFFFFFFFF, "no NVMC: UICR writes are ignored"

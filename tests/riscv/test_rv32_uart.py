"""The NS16550A UART of virt (0x10000000, PLIC source 10): transmit to the console, and the
transmitter-holding-register-empty interrupt (IER.ETBEI, IIR, LSR) as a real device interrupt
raised by the firmware alone."""

from rv_helpers import MEI, MIP_MEIP, PLIC, UART, addr, claims, kinds, traps

IER, IIR, FCR, LSR = UART + 1, UART + 2, UART + 2, UART + 5


def setup_irq(m):
    m.call("reset_log")
    m.call("write32", PLIC + 4 * 10, 1)
    m.call("write32", PLIC + 0x2000, 1 << 10)
    m.call("set_mie", MIP_MEIP)
    m.call("set_mstatus_mie", 1)


def test_thr_write_goes_to_the_console(rv):
    for ch in b"hi\n":
        rv.call("write8", UART, ch)
    assert rv.console.endswith("hi\n")


def test_lsr_reports_the_transmitter_empty(rv):
    assert rv.call("read8", LSR) & 0x60 == 0x60


def test_etbei_raises_source_10_before_the_next_instruction(rv):
    setup_irq(rv)
    rv.call("marked_store8", IER, 0x02)
    (t,) = traps(rv)
    assert (t["mcause"], t["mepc"], t["extra"]) == (MEI, addr(rv, "mark_after8"), 10)
    assert rv.symbols["uart_iir"].read() & 0x0F == 0x02     # IIR: THR empty
    assert claims(rv) == [10]
    ev = kinds(rv.take_events(), "pend", "claim", "complete")
    assert ev == [("pend", 10, 4), ("claim", 10, 0), ("complete", 10, 0)]  # 4: a device


def test_reading_iir_clears_the_interrupt(rv):
    rv.call("set_mie", 0)
    rv.call("write8", IER, 0x02)
    assert rv.plic.source(10).level
    assert rv.call("read8", IIR) & 0x0F == 0x02
    assert not rv.plic.source(10).level
    assert rv.call("read8", IIR) & 0x0F == 0x01             # no interrupt pending


def test_thr_write_raises_it_again_while_enabled(rv):
    rv.call("set_mie", 0)
    rv.call("write8", IER, 0x02)
    rv.call("read8", IIR)
    rv.call("write8", UART, ord("x"))                       # sent at once: empty again
    assert rv.plic.source(10).level
    rv.call("write8", IER, 0)
    assert not rv.plic.source(10).level


def test_fifo_bits_in_iir(rv):
    rv.call("write8", FCR, 0x07)
    assert rv.call("read8", IIR) == 0xC1

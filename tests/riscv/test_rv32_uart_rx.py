"""The NS16550A's receive path (sim/native/dev/ns16550a.c; NS16550A data sheet, QEMU
hw/char/serial.c): console input from Python (Machine.console_input), LSR.DR and RBR, the
received-data and character-timeout interrupts with IIR's priorities. The firmware
(tests/riscv/fw/uart_rx.c) runs on irqsim and, where it is installed, on QEMU with its input
on stdin: both must print the same."""

import pytest

from rv_helpers import build_console_fw, build_rv, needs_qemu, run_dialogue, run_qemu_dialogue
from sim import ConfigError, Machine

UART = 0x10000000
RBR, IER, IIR, FCR, LCR, LSR = 0, 1, 2, 2, 3, 5
DIALOGUE = [("ready polled\n", "hello\n"), ("ready irq\n", "world\n"),
            ("ready timeout\n", "abc\n")]
EXPECTED = ("lsr_dr_idle 0\nready polled\npolled: hello\nlsr_dr_after 0\n"
            "ready irq\nirq: world\nrx_irqs_seen 1\n"
            "ready timeout\ntimeout: abc\ncti_irqs_seen 1\nrdi_irqs_below_trigger 0\n")
CHAR_TICKS = 251      # console_init: divisor 1, 8N1: 10 bits at 399193 baud, 10 MHz ticks


@pytest.fixture(scope="module")
def rx_image():
    return build_console_fw("rvuartrx", "uart_rx.c")


def test_receive_firmware_on_irqsim(rx_image):
    m = Machine.load(rx_image, "virt")
    stop = run_dialogue(m, DIALOGUE)
    assert (stop.reason, stop.exit_code) == ("exit", 0)
    assert m.console == EXPECTED
    # at trigger level 1 each byte is a received-data interrupt; the gateway holds the level
    # while the source is claimed, so no interrupt finds IIR empty
    assert m.symbols["rdi_seen"].read() == len("world\n")
    assert m.symbols["other_irqs"].read() == 0 and m.symbols["cti_irqs"].read() == 1
    assert not [e for e in m.events if e.kind == "guest-error"]


def test_bytes_arrive_one_character_time_apart(rx_image):
    """In the interrupt phase the firmware waits in wfi: each byte pends source 10 at the
    tick it arrives, one character time after the last (trigger level 1)."""
    m = Machine.load(rx_image, "virt")
    run_dialogue(m, DIALOGUE[:1])
    while "ready irq\n" not in m.console:
        m.run(ticks=1000)
    m.take_events()
    at = m.ticks
    m.console_input("ab\n")
    m.run(ticks=5 * CHAR_TICKS)
    pends = [e.tick for e in m.events if e.kind == "pend" and e.num == 10]
    assert pends == [at + CHAR_TICKS, at + 2 * CHAR_TICKS, at + 3 * CHAR_TICKS]


@pytest.fixture
def idle():
    """A machine whose firmware touches no device (it waits in wfi with interrupts masked):
    the UART is set up from Python at 8N1, divisor 1 (one character: CHAR_TICKS ticks)."""
    m = Machine.load(build_rv("rvidle", "idle.c"), "virt")
    m.mmio_write(UART + LCR, 0x83, 1)                 # DLAB
    m.mmio_write(UART + RBR, 1, 1)                    # DLL = 1
    m.mmio_write(UART + LCR, 0x03, 1)                 # 8N1
    return m


def reg(m, off):
    return m.mmio_read(UART + off, 1)


def test_a_byte_arrives_one_character_time_after_it_is_sent(idle):
    at = idle.ticks
    idle.console_input(b"k")
    idle.run(ticks=CHAR_TICKS - 1)
    assert reg(idle, LSR) & 1 == 0
    idle.run(ticks=10)                                # (the run ends idle once it arrived)
    assert at + CHAR_TICKS <= idle.ticks <= at + CHAR_TICKS + 2
    assert reg(idle, LSR) & 1 == 1
    assert reg(idle, RBR) == ord("k")
    assert reg(idle, LSR) & 1 == 0 and reg(idle, RBR) == 0   # empty reads 0


def test_iir_reports_received_data_before_thr_empty(idle):
    idle.mmio_write(UART + IER, 0x03, 1)              # ERBFI, ETBEI: THR empty is pending
    idle.console_input(b"k")
    idle.run(ticks=2 * CHAR_TICKS)
    assert idle.plic.source(10).level
    assert reg(idle, IIR) == 0x04                     # received data (FIFOs off)
    assert reg(idle, IIR) == 0x04                     # reading IIR does not clear it
    assert reg(idle, RBR) == ord("k")
    assert reg(idle, IIR) == 0x02                     # then THR empty, cleared by this read
    assert reg(idle, IIR) == 0x01 and not idle.plic.source(10).level


def test_fifo_trigger_level_and_character_timeout(idle):
    idle.mmio_write(UART + FCR, 0x81, 1)              # FIFOs on, trigger level 8
    idle.mmio_write(UART + IER, 0x01, 1)
    at = idle.ticks
    idle.console_input(b"abcd")
    idle.run(ticks=4 * CHAR_TICKS + 1)
    assert reg(idle, LSR) & 1 and reg(idle, IIR) == 0xC1     # 4 < 8: no interrupt yet
    idle.run(ticks=at + 8 * CHAR_TICKS - idle.ticks - 1)
    assert reg(idle, IIR) == 0xC1                     # four character times after the last
    idle.run(ticks=2)                                 # (a deadline is seen at the boundary
    assert reg(idle, IIR) == 0xCC and idle.plic.source(10).level   # at or after its tick)
    assert reg(idle, RBR) == ord("a")                 # a read clears the timeout ...
    assert reg(idle, IIR) == 0xC1
    idle.run(ticks=4 * CHAR_TICKS + 2)                # ... and restarts it
    assert reg(idle, IIR) == 0xCC                     # (and it comes before received data)
    assert reg(idle, RBR) == ord("b")
    idle.console_input(b"efghij")
    idle.run(ticks=6 * CHAR_TICKS + 2)                # 2 + 6 = 8 bytes: the trigger level
    assert reg(idle, IIR) == 0xC4
    assert bytes(reg(idle, RBR) for _ in range(8)) == b"cdefghij"
    assert reg(idle, IIR) == 0xC1 and not idle.plic.source(10).level


def test_character_timeout_comes_before_received_data(idle):
    """At trigger level 1 both hold once bytes sat unread for four character times: IIR
    reports the timeout, as QEMU's serial_update_irq orders them (the data sheet gives both
    the second priority level)."""
    idle.mmio_write(UART + FCR, 0x01, 1)
    idle.mmio_write(UART + IER, 0x01, 1)
    idle.console_input(b"ab")
    idle.run(ticks=2 * CHAR_TICKS + 2)
    assert reg(idle, IIR) == 0xC4
    idle.run(ticks=4 * CHAR_TICKS)
    assert reg(idle, IIR) == 0xCC
    assert reg(idle, RBR) == ord("a") and reg(idle, IIR) == 0xC4   # the read cleared it


def test_the_fifo_holds_16_and_the_rest_waits(idle):
    idle.mmio_write(UART + FCR, 0x01, 1)
    data = bytes(range(65, 65 + 20))
    idle.console_input(data)
    idle.run(ticks=30 * CHAR_TICKS)
    got = bytes(reg(idle, RBR) for _ in range(16))
    assert reg(idle, LSR) & 1 == 0                    # 16 read: empty until the next arrives
    idle.run(ticks=10 * CHAR_TICKS)
    got += bytes(reg(idle, RBR) for _ in range(4))
    assert got == data and reg(idle, LSR) & 1 == 0    # nothing lost: flow control


def test_fifo_reset_empties_the_receiver(idle):
    idle.mmio_write(UART + FCR, 0x01, 1)
    idle.console_input(b"xyz")
    idle.run(ticks=4 * CHAR_TICKS)
    idle.mmio_write(UART + FCR, 0x03, 1)              # RFR
    assert reg(idle, LSR) & 1 == 0


def test_no_console_device_and_full_queue(rx_image, tmp_path):
    m = Machine.load(rx_image, "virt")
    with pytest.raises(ConfigError, match="took 65536 of 70000"):
        m.console_input(b"z" * 70000)
    text = m.board.path.read_text().replace('kind = "ns16550a"', 'kind = "ack"\n#')
    p = tmp_path / "nouart.toml"
    p.write_text(text.replace("irq = 10\n", "", 1))
    with pytest.raises(ConfigError, match="no device that takes console input"):
        Machine.load(rx_image, str(p)).console_input(b"x")


@needs_qemu
def test_receive_firmware_on_qemu_prints_the_same(rx_image):
    code, out = run_qemu_dialogue(rx_image, DIALOGUE)
    assert code == 0
    assert out.replace("\r", "") == EXPECTED

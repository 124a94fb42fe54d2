"""The mps2-an385 devices (sim/native/dev/), checked from inside the guest (fw/dev_tests.c),
and the same images on QEMU 7.2's mps2-an385 where qemu-system-arm is installed: the logs
must agree.

Each test names the behaviour it checks (CMSDK TRM DDI 0479C, or QEMU where the TRM is silent;
docs/devices.md).
"""

import logging
import shutil
import subprocess

import pytest

import sim

from dev_test_names import DEV_TESTS

ENTER = lambda n: 0x100 | n  # noqa: E731
DONE = 0xEE
QEMU = shutil.which("qemu-system-arm")


def qemu_log(elf, console_input="", board="mps2-an385"):
    """QEMU's console for `elf` on machine `board`, with -icount shift=0 (deterministic virtual
    time), UART0 on stdin/stdout; `console_input` is what UART0 receives."""
    r = subprocess.run([QEMU, "-M", board, "-nographic", "-semihosting", "-monitor",
                        "none", "-serial", "stdio", "-icount", "shift=0", "-kernel", str(elf)],
                       input=console_input, capture_output=True, text=True, timeout=60)
    return r.stdout + r.stderr, r.returncode


def log_text(log):
    return "".join(f"{v:08x}\n" for v in log)


def _timer_log(irq):
    isr = [ENTER(irq), 1, 0]
    return [0, 0, 0, 0, 3000, 9] + isr * 3 + [0x5705, 3, DONE]


@pytest.mark.parametrize("name,irq", [("timer0", 8), ("timer1", 9)])
def test_timer_interrupts_every_reload_plus_one_and_intclear_drops_it(dev_guest, name, irq):
    g = dev_guest(name)
    assert g.run(ticks=100_000).reason == "exit"
    assert g.log == _timer_log(irq)
    pends = [e.tick for e in g.kinds("pend") if e.num == 16 + irq]
    # the first 1 -> 0 transition 3000 cycles after EN, then every RELOAD + 1 = 3001
    assert len(pends) == 3
    assert [b - a for a, b in zip(pends, pends[1:])] == [3001, 3001]
    assert not g.kinds("guest-error")


def test_timer_with_reload_0_interrupts_once_and_stays_at_0(dev_guest):
    g = dev_guest("timer_oneshot")
    assert g.run(ticks=100_000).reason == "exit"
    assert g.log == [ENTER(8), 1, 0, 0, 0, 1, 0, DONE]


def test_timer_id_registers_and_silent_wrap_without_irqen(dev_guest):
    g = dev_guest("timer_regs")
    assert g.run(ticks=100_000).reason == "exit"
    ids = [0x04, 0, 0, 0, 0x22, 0xB8, 0x1B, 0, 0x0D, 0xF0, 0x05, 0xB1]
    assert g.log == ids + [0, 77, 100, 0, DONE]


def test_priority_write_that_loses_bits_warns_once_naming_register_and_variant(dev_guest,
                                                                               caplog):
    g = dev_guest("prio")
    with caplog.at_level(logging.WARNING, logger="sim.guest"):
        assert g.run(ticks=100_000).reason == "exit"
    assert g.log == [0xE0, 0x40, 0x00, DONE], "3 bits: the low 5 read as zero"
    warned = [r.getMessage() for r in caplog.records if r.name == "sim.guest"]
    assert len(warned) == 1 and g.m.notes == warned, "one warning, for the first write"
    note = warned[0]
    for part in ("priority 0xff written to NVIC_IPR0 (IRQ 3, byte at 0xe000e403)",
                 "reads back 0xe0", "implements 3 priority bits (mask 0xe0)",
                 "board 'mps2-an385-qemu'"):
        assert part in note, note
    g.m.run(ticks=1000)
    assert len([r for r in caplog.records if r.name == "sim.guest"]) == 1


def test_priority_warning_comes_while_the_firmware_spins_in_its_assert(dev_guest):
    g = dev_guest("prio_assert")
    seen = []

    class AtTick(logging.Handler):
        def emit(self, record):
            seen.append(g.m.ticks)

    h = AtTick(logging.WARNING)
    logging.getLogger("sim.guest").addHandler(h)
    try:
        stop = g.run(ticks=2_000_000)
    finally:
        logging.getLogger("sim.guest").removeHandler(h)
    # the assert loop masks interrupts and branches to itself: the run ends as stuck
    assert stop.reason == "stuck", "it spins in the assert loop"
    assert len(seen) == 1 and seen[0] < 10_000, "logged at once, not when the run ends"
    assert "NVIC_IPR0 (IRQ 3" in g.m.notes[0]
    g2 = dev_guest("prio_assert", board="mps2-an385-qemu")
    assert g2.run(ticks=2_000_000).reason == "exit" and g2.log == [0x0A, DONE]


def test_qemu_board_keeps_8_priority_bits_and_says_nothing(dev_guest, caplog):
    g = dev_guest("prio", board="mps2-an385-qemu")
    with caplog.at_level(logging.WARNING, logger="sim.guest"):
        assert g.run(ticks=100_000).reason == "exit"
    assert g.log == [0xFF, 0x45, 0x11, DONE]
    assert not g.m.notes and not [r for r in caplog.records if r.name == "sim.guest"]
    assert sim.boards.get_board("mps2-an385-qemu").controller["prio_bits"] == 8


def test_qemu_board_is_the_silicon_board_but_its_priority_bits():
    from dataclasses import asdict
    a = asdict(sim.boards.get_board("mps2-an385"))
    b = asdict(sim.boards.get_board("mps2-an385-qemu"))
    assert a.pop("controller") | {"prio_bits": 8} == b.pop("controller")
    for k in ("name", "path", "summary", "prio_variant"):
        a.pop(k), b.pop(k)
    assert a == b


def test_a_board_extending_a_board_that_does_not_exist_is_a_config_error(tmp_path):
    f = tmp_path / "b.toml"
    f.write_text('extends = "no-such-board"\nname = "b"\n')
    with pytest.raises(sim.errors.ConfigError, match="extends = 'no-such-board' names no board"):
        sim.boards.get_board(str(f))
    f.write_text('extends = "b.toml"\nname = "b"\n')
    with pytest.raises(sim.errors.ConfigError, match="names no board file"):
        sim.boards.get_board(str(f))


def test_shpr_write_that_loses_bits_names_the_system_handler(dev_image):
    m = sim.Machine.load(dev_image)
    m.mem_write(0xE000ED23, b"\x45")     # SHPR3's SysTick byte, through the SCS model
    m.run(ticks=10)
    assert len(m.notes) == 1
    assert "0x45 written to SHPR3 (SysTick, byte at 0xe000ed23)" in m.notes[0], m.notes
    assert "reads back 0x40" in m.notes[0]


def test_basepri_that_loses_bits_is_noted_when_the_model_reads_it(dev_image, caplog):
    m = sim.Machine.load(dev_image)
    m.set_reg("basepri", 0x45)
    m.mem_write(0xE000E100, (1 << 5).to_bytes(4, "little"))   # NVIC_ISER0: IRQ 5 enabled
    m.pulse_irq(5)
    with caplog.at_level(logging.WARNING, logger="sim.guest"):
        m.run(ticks=100)
    assert len(m.notes) == 1 and "0x45 written to BASEPRI" in m.notes[0], m.notes
    assert "reads back 0x40" in m.notes[0]


def test_uart_tx_interrupt_when_the_byte_leaves_on_console_and_other_uarts(dev_guest):
    g = dev_guest("uart_tx")
    assert g.run(ticks=100_000).reason == "exit"
    tx = [1, 0]
    assert g.log == [0x21, 0, ENTER(1), *tx, ENTER(1), *tx, ENTER(3), *tx, 0, 0x0201, DONE]
    assert g.m.console.startswith("U\n"), "UART0 is the console; UART1's 'x' goes nowhere"
    assert "x" not in g.m.console


def test_console_input_arrives_byte_by_byte_with_rx_interrupts(dev_guest):
    g = dev_guest("uart_rx")
    g.m.console_input(b"irq!")
    assert g.run(ticks=100_000).reason == "exit"
    rx = lambda ch: [ENTER(0), 2, ord(ch)]  # noqa: E731
    assert g.log == [v for ch in "irq!" for v in rx(ch)] + [0xB, DONE]
    assert g.m.mmio_read(0x40004004) == 0, "STATE: RXFULL cleared by the last read"
    assert g.m.mmio_read(0x4000400C) == 0, "INTSTATUS: nothing left"
    # one character time each (10 bits of BAUDDIV = 16 cycles), the first from RX_EN
    pends = [e.tick for e in g.kinds("pend") if e.num == 16]
    assert len(pends) == 4
    assert all(b - a >= 160 for a, b in zip(pends, pends[1:]))


def test_console_input_before_rx_is_enabled_waits_and_more_can_follow(dev_guest):
    g = dev_guest("uart_rx")
    g.m.console_input("ir")
    g.run(ticks=2_000)
    assert g.m.symbols["runs"].read("<I") == 2
    g.m.console_input(b"q!")
    assert g.run(ticks=100_000).reason == "exit"
    assert [g.log[i] for i in range(2, 12, 3)] == [ord(ch) for ch in "irq!"]


def test_console_input_without_a_console_receiver_is_a_config_error(dev_image, tmp_path):
    f = tmp_path / "bare.toml"
    f.write_text('extends = "mps2-an385"\nname = "bare"\ndevices = []\n')
    m = sim.Machine.load(dev_image, board=str(f))
    with pytest.raises(sim.errors.ConfigError, match="has no device that takes console input"):
        m.console_input(b"x")


def test_dualtimer_periodic_oneshot_prescaled_ris_and_integration_output(dev_guest):
    g = dev_guest("dualtimer")
    assert g.run(ticks=200_000).reason == "exit"
    reset = [0x20, 0xFFFFFFFF, 0, 0]
    t1, t2 = [ENTER(10), 0x10, 0], [ENTER(10), 0x11, 0]
    assert g.log == (reset * 2 + [0x23, 0xE2] + t1 * 2 + [2000, 0x12340064] + t2 +
                     [0x12340000, 0x12340000, 0x10, ENTER(10), 0x1C, 4, DONE])
    pends = [e.tick for e in g.kinds("pend") if e.num == 16 + 10]
    assert pends[1] - pends[0] == 2001, "periodic: every LOAD + 1 counts"
    assert not g.kinds("guest-error")


def test_watchdog_raises_nmi_reloads_on_clear_and_ignores_writes_while_locked(dev_guest):
    g = dev_guest("watchdog")
    assert g.run(ticks=200_000).reason == "exit"
    nmi = [0x2A, 1, 0]
    assert g.log == ([0xFFFFFFFF, 0, 0, 0, 0x24, 1, 0xFFFFFFFF, 0] + nmi * 2 +
                     [0x2C, 3, DONE])
    errors = g.kinds("guest-error")
    assert [e.arg for e in errors] == [0x40008000], "the LOAD write while locked"
    entries = [e.tick for e in g.kinds("entry", "preempt") if e.num == 2]
    assert len(entries) == 3 and entries[1] - entries[0] > 3000


def test_watchdog_second_expiry_with_resen_is_a_guest_error_and_stops(dev_image):
    m = sim.Machine.load(dev_image)
    m.mmio_write(0x40008000, 100)           # WDOGLOAD
    m.mmio_write(0x40008008, 3)             # INTEN | RESEN; the firmware never clears it
    m.run(ticks=50)
    m.mmio_write(0x40008000 + 0xC00, 0)     # locked: the NMI handler's clear is refused
    m.run(ticks=400)
    assert m.mmio_read(0x40008010) == 1     # WDOGRIS
    assert m.mmio_read(0x40008004) == 0, "stopped at 0 by the reset it does not model"
    # the refused WDOGINTCLR write, then the reset at the second expiry
    assert [e.arg for e in m.events if e.kind == "guest-error"] == [0x4000800C, 0x40008008]


def test_fpgaio_leds_buttons_registers_and_counters(dev_guest):
    g = dev_guest("fpgaio")
    assert g.run(ticks=2_000_000).reason == "exit"
    assert g.log == [0, 3, 0, 0x5A, 5, 99, 1, 1, DONE]
    assert not g.kinds("guest-error")
    # CLK100HZ moves once every clock_hz / 100 ticks: the run waited for one step
    assert g.m.ticks >= 25_000_000 // 100


def test_fpgaio_counter_counts_prescale_plus_one_ticks_and_buttons_are_set_from_python(
        dev_image):
    m = sim.Machine.load(dev_image)
    io = 0x40028000
    m.mmio_write(io + 0x1C, 9)             # PRESCALE
    m.mmio_write(io + 0x20, 4)             # PSCNTR
    m.mmio_write(io + 0x18, 0)             # COUNTER
    t0 = m.ticks
    m.run(ticks=100)
    n = m.ticks - t0
    # 4 ticks to reach 0, then one increment every PRESCALE + 1 = 10 ticks
    assert m.mmio_read(io + 0x18) == (n - 4 + 9) // 10
    assert m.mmio_read(io + 0x20) == 9 - (n - 4 + 9) % 10
    m.mmio_write(io + 0x08, 2)             # a user presses button 1
    assert m.mmio_read(io + 0x08) == 2
    assert m.mmio_read(io + 0x00) == 0     # LEDs as the firmware left them


def test_fpgaio_button_write_from_the_firmware_and_a_switch_read_are_guest_errors(dev_image):
    m = sim.Machine.load(dev_image)
    m.mem_write(0x40028008, b"\x01\0\0\0")  # as a guest store would (Unicorn's MMIO path)
    m.mem_read(0x40028028, 4)                 # SWITCH: AN505 only
    m.run(ticks=10)
    assert [e.arg for e in m.events if e.kind == "guest-error"] == [0x40028008, 0x40028028]
    assert m.mmio_read(0x40028008) == 0


def test_scc_ids_reset_values_and_sys_cfg_oscillators(dev_guest):
    g = dev_guest("scc")
    assert g.run(ticks=100_000).reason == "exit"
    osc = [1, 50_000_000, 1, 24_576_000, 1, 25_000_000, 3, 25_000_000]
    assert g.log == ([0x41043850, 0x00200008, 2, 0, 0, 0x100000, 0xFFFF0001, 3] + osc +
                     [1, 12345678, 0x100002, DONE])
    assert not g.kinds("guest-error")


# the tests that need the board with QEMU 7.2's behaviour (8 priority bits)
QEMU_BOARD = {"prio", "prio_assert"}
# what UART0 receives, per test
CONSOLE_INPUT = {"uart_rx": "irq!"}


@pytest.mark.skipif(QEMU is None, reason="qemu-system-arm is not installed")
@pytest.mark.parametrize("board", ["mps2-an385", "mps2-an386", "mps2-an500"])
@pytest.mark.parametrize("name", DEV_TESTS)
def test_device_log_matches_qemu(name, board, dev_build):
    """The M3 device suite on each MPS2 machine (the same devices; the SCC's ID differs)."""
    elf = dev_build(name)
    m = sim.Machine.load(elf, board=board + "-qemu" if name in QEMU_BOARD else board)
    m.console_input(CONSOLE_INPUT.get(name, ""))
    stop = m.run(ticks=2_000_000)
    out, rc = qemu_log(elf, CONSOLE_INPUT.get(name, ""), board)
    assert out == m.console, f"{name}: QEMU and irqsim disagree"
    assert rc == stop.exit_code == 0
    assert out.endswith("000000ee\n")


@pytest.mark.skipif(QEMU is None, reason="qemu-system-arm is not installed")
def test_demo_on_the_qemu_board_prints_what_qemu_prints():
    from sim.demo import demo_image
    elf = demo_image("mps2-an385-qemu")
    m = sim.Machine.load(elf, board="mps2-an385-qemu")
    stop = m.run(ticks=10_000_000)
    out, rc = qemu_log(elf)
    assert out == m.console and rc == stop.exit_code == 0
    assert not m.notes, "the demo's priorities fit 3 bits: nothing to warn about"

"""The Goldfish RTC of virt (sim/native/dev/goldfish_rtc.c, QEMU hw/rtc/goldfish_rtc.c): time
in ns from the board's epoch and the simulated time, and the alarm on PLIC source 11. The
firmware (tests/riscv/fw/rtc.c) prints what it observed; QEMU, whose RTC follows the host's
clock, must print the same, which holds because only orders and counts are printed."""

import pytest

from rv_helpers import build_console_fw, needs_qemu, run_qemu
from sim import Machine

RTC = 0x00101000
TIME_LOW, TIME_HIGH, ALARM_LOW, ALARM_HIGH = 0x00, 0x04, 0x08, 0x0C
IRQ_ENABLED, CLEAR_ALARM, ALARM_STATUS, CLEAR_INTERRUPT = 0x10, 0x14, 0x18, 0x1C
EPOCH_NS = 1767225600 * 10**9       # sim/boards/virt.toml: 2026-01-01 00:00:00 UTC
NS_PER_TICK = 100                   # clock_hz 10 MHz

EXPECTED = {
    "time_monotonic": 1, "time_after_2020": 1,
    "irq_enabled_at_reset": 0, "alarm_status_at_reset": 0, "irq_enabled_readback": 1,
    "alarm_status_armed": 1, "alarm_readback": 1, "irqs_before_alarm": 0,
    "alarm_irqs": 1, "alarm_status_fired": 0, "handler_time_at_or_after_alarm": 1,
    "past_alarm_status": 0, "past_alarm_pending": 1, "past_alarm_irqs": 2,
    "cleared_alarm_status": 0, "cleared_alarm_irqs": 2,
    "masked_alarm_status": 0, "masked_alarm_irqs": 2, "masked_alarm_pending": 0,
    "unmasked_alarm_pending": 1, "unmasked_alarm_irqs": 3,
    "order_n": 2, "order_0": 11, "order_1": 7,
    "other_irqs": 0,
}


@pytest.fixture(scope="module")
def rtc_image():
    return build_console_fw("rvrtc", "rtc.c")


def parse(text):
    return {k: int(v) for k, v in (ln.split() for ln in text.replace("\r", "").splitlines()
                                   if ln.strip())}


def now_ns(m):
    lo = m.mmio_read(RTC + TIME_LOW)
    return m.mmio_read(RTC + TIME_HIGH) << 32 | lo


def test_rtc_firmware_on_irqsim(rtc_image):
    m = Machine.load(rtc_image, "virt")
    stop = m.run(ticks=5_000_000)
    assert (stop.reason, stop.exit_code) == ("exit", 0)
    assert parse(m.console) == EXPECTED
    assert not [e for e in m.events if e.kind == "guest-error"]


def test_time_is_the_epoch_plus_simulated_time(rtc_image):
    m = Machine.load(rtc_image, "virt")
    assert now_ns(m) == EPOCH_NS
    m.run(ticks=12_345)
    assert now_ns(m) == EPOCH_NS + m.ticks * NS_PER_TICK
    m.mmio_write(RTC + TIME_HIGH, 0)                    # the firmware may set the time
    assert now_ns(m) == (EPOCH_NS + m.ticks * NS_PER_TICK) & 0xFFFFFFFF


def test_alarm_pends_source_11_at_the_computed_tick(rtc_image):
    """The firmware waits for its first alarm in wfi, so time skips to the alarm's tick: the
    pend of source 11 is at the least tick whose time reaches the alarm."""
    m = Machine.load(rtc_image, "virt")
    m.run(ticks=5_000_000)
    alarm = m.symbols["alarm_at"].read("<Q")
    tick = -(-(alarm - EPOCH_NS) // NS_PER_TICK)        # ceil
    pends = [e.tick for e in m.events if e.kind == "pend" and e.num == 11]
    assert pends[0] == tick
    claims = [e.tick for e in m.events if e.kind == "claim" and e.num == 11]
    assert len(pends) == len(claims) == 4 and claims[0] > tick   # alarm_irqs + 3 more


def test_alarm_from_python_and_clear_interrupt(rtc_image):
    m = Machine.load(rtc_image, "virt")
    m.mmio_write(RTC + IRQ_ENABLED, 1)
    m.mmio_write(RTC + ALARM_HIGH, (EPOCH_NS + 5000) >> 32)
    m.mmio_write(RTC + ALARM_LOW, (EPOCH_NS + 5000) & 0xFFFFFFFF)   # tick 50
    assert m.mmio_read(RTC + ALARM_STATUS) == 1
    m.run(ticks=200)
    assert m.mmio_read(RTC + ALARM_STATUS) == 0
    assert m.plic.source(11).level and m.plic.source(11).pending
    pend = [e.tick for e in m.events if e.kind == "pend" and e.num == 11]
    assert len(pend) == 1 and 50 <= pend[0] < 50 + 16            # the next block boundary
    m.mmio_write(RTC + CLEAR_INTERRUPT, 0)
    assert not m.plic.source(11).level


def test_clear_alarm_disarms(rtc_image):
    m = Machine.load(rtc_image, "virt")
    m.mmio_write(RTC + IRQ_ENABLED, 1)
    m.mmio_write(RTC + ALARM_HIGH, (EPOCH_NS + 5000) >> 32)
    m.mmio_write(RTC + ALARM_LOW, (EPOCH_NS + 5000) & 0xFFFFFFFF)
    m.mmio_write(RTC + CLEAR_ALARM, 0)
    m.run(ticks=200)
    assert not m.plic.source(11).level
    assert not [e for e in m.events if e.kind == "pend" and e.num == 11]


@pytest.mark.parametrize("op", ["read8", "read_clear", "write_status", "write_past_end"])
def test_bad_accesses_are_guest_errors(rtc_image, op):
    m = Machine.load(rtc_image, "virt")
    if op == "read8":
        assert m.mmio_read(RTC + TIME_LOW, 1) == 0
    elif op == "read_clear":
        assert m.mmio_read(RTC + CLEAR_INTERRUPT) == 0
    elif op == "write_status":
        m.mmio_write(RTC + ALARM_STATUS, 1)
    else:
        m.mmio_write(RTC + 0x20, 1)
    assert [e.kind for e in m.events] == ["guest-error"]


@needs_qemu
def test_rtc_firmware_on_qemu_prints_the_same(rtc_image):
    # QEMU's RTC on its virtual clock, which -icount drives by instructions: the firmware's
    # 1 ms windows then do not depend on how busy the host is
    proc = run_qemu(rtc_image, extra=("-icount", "shift=0", "-rtc", "clock=vm"))
    assert proc.returncode == 0, proc.stderr
    assert parse(proc.stdout.decode()) == EXPECTED

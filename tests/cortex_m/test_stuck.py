"""The stuck rule (docs/semantics.md, "Stuck"): a loop that nothing can ever leave ends the run
as soon as it is seen, named by its function; a loop an interrupt could still leave runs on.
Guest images from fw/stuck_tests.c, one per test number."""

from pathlib import Path

import pytest

import sim
from sim import toolchain

FW = Path(__file__).parent / "fw"
CM = toolchain.firmware_dir() / "cortex_m"

TESTS = {"assert_masked": 1, "hardfault_b_dot": 2, "systick_leaves": 3, "enabled_line": 4,
         "disabled_line": 5}


@pytest.fixture(scope="module")
def stuck_image():
    def build(name):
        srcs = [CM / "startup.c", FW / "stuck_tests.c",
                toolchain.firmware_dir() / "common" / "semihost.c"]
        return toolchain.build_image("cortex-m3", f"stuck-{name}", srcs,
                                     linker_script=CM / "link.ld", include_dirs=[CM],
                                     defines=[f"TEST={TESTS[name]}"])
    return build


def test_assert_loop_with_interrupts_masked_is_stuck_at_once(stuck_image):
    m = sim.Machine.load(stuck_image("assert_masked"))
    stop = m.run(ticks=10_000_000)
    assert stop.reason == "stuck" and stop.exit_status == 1
    assert stop.ticks < 2_000, "seen at its first iterations, not at the tick limit"
    assert stop.function.startswith("assert_failed+")
    start, end = stop.loop
    fn = m.symbols["assert_failed"]
    assert fn.address <= start < end <= fn.address + fn.size and end - start == 2   # b .
    assert "PRIMASK" in stop.detail and "(assert_failed+" in stop.detail
    assert stop.fault is None
    assert m.console == "stuck test\n"


def test_b_dot_in_the_hardfault_handler_is_a_fault_loop_with_the_fault_decoded(stuck_image):
    m = sim.Machine.load(stuck_image("hardfault_b_dot"))
    stop = m.run(ticks=10_000_000)
    assert stop.reason == "stuck" and stop.ticks < 2_000
    assert stop.function == "HardFault_Handler+0x0"
    f = stop.fault
    assert f["handler"] == "HardFault"
    assert f["cfsr"] == (1 << 9) | (1 << 15)              # PRECISERR, BFARVALID
    assert f["bfar"] == 0x10000000 and f["hfsr"] == 1 << 30   # FORCED: BusFault disabled
    assert f["function"].startswith("main+")
    assert stop.detail.startswith("fault loop: the HardFault handler spins")
    for text in ("PRECISERR, BFARVALID", "FORCED", "BFAR 0x10000000", "(main+"):
        assert text in stop.detail


def test_a_loop_that_systick_leaves_is_not_stuck(stuck_image):
    stop = sim.Machine.load(stuck_image("systick_leaves")).run(ticks=10_000_000)
    assert stop.reason == "exit" and stop.exit_code == 5
    assert stop.ticks > 4 * 1000                      # five SysTick periods of 1000 ticks


def test_an_enabled_line_with_a_request_still_to_come_keeps_the_loop_running(stuck_image):
    img = stuck_image("enabled_line")
    m = sim.Machine.load(img)
    m.pulse_irq(3, at=200_000)
    stop = m.run(ticks=10_000_000)
    assert stop.reason == "exit" and stop.exit_code == 7 and stop.ticks >= 200_000
    # with nothing to come, the same loop is stuck: an enabled line alone wakes nothing
    stop = sim.Machine.load(img).run(ticks=10_000_000)
    assert stop.reason == "stuck" and stop.function.startswith("spin+")
    assert "thread mode" in stop.detail


def test_a_request_on_a_disabled_line_cannot_leave_the_loop(stuck_image):
    m = sim.Machine.load(stuck_image("disabled_line"))
    m.pulse_irq(3, at=200_000)
    stop = m.run(ticks=10_000_000)
    assert stop.reason == "stuck" and stop.ticks < 200_000


def test_the_loop_is_found_in_a_run_split_into_chunks_too(stuck_image, monkeypatch):
    img = stuck_image("systick_leaves")
    whole = sim.Machine.load(img)
    a = whole.run()
    monkeypatch.setattr(sim.machine, "CHUNK_TICKS", 777)
    parts = sim.Machine.load(img)
    b = parts.run()
    assert (a.reason, a.ticks, a.exit_code) == (b.reason, b.ticks, b.exit_code)
    assert whole.events == parts.events


def test_a_wfi_wait_that_a_chunk_ends_goes_on_in_the_next(guest, monkeypatch):
    # the request wakes the core from WFI at tick 50,000: chunks of 997 ticks end inside the
    # wait many times, and the run must come out the same, tick for tick
    whole = guest("wfi")
    whole.m.pulse_irq(0, at=50_000)
    a = whole.run(ticks=1_000_000)
    monkeypatch.setattr(sim.machine, "CHUNK_TICKS", 997)
    parts = guest("wfi")
    parts.m.pulse_irq(0, at=50_000)
    b = parts.run(ticks=1_000_000)
    assert a.reason == b.reason == "idle" and a.ticks == b.ticks
    assert whole.m.events == parts.m.events and whole.log == parts.log
    assert "WFI" in b.detail and "can never come" in b.detail

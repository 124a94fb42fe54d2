"""A corpus of hostile firmware (fw/hostile.c, one case each) and the stop reason each must
give: a clear FirmwareError with its reason, or a clean stop, never a crash or a hang."""

import pytest

from sim.errors import FirmwareError

# case: (stop reason, what the case does)
CORPUS = {
    0: ("exit", "exits with code 3"),
    1: ("stuck", "spins in thread mode with nothing to interrupt it"),
    2: ("lockup", "faults inside HardFault"),
    3: ("runaway", "IRQ 0's handler never returns"),
    4: ("console-full", "SYS_WRITE flood"),
    5: ("lockup", "stack pointer below RAM, then SVC"),
    6: ("ticks", "fault loop: HardFault returns to the faulting load"),
    7: ("ticks", "trap storm: SVC in a loop"),
    8: ("idle", "WFI with interrupts masked"),
    9: ("ticks", "counts in memory for ever"),
}


@pytest.mark.parametrize("case", sorted(CORPUS), ids=[CORPUS[c][1] for c in sorted(CORPUS)])
def test_hostile_firmware_gives_its_stop_reason(hostile, case):
    want = CORPUS[case][0]
    m = hostile(case, console_limit=1 << 20)
    m.runaway_limit = 200_000
    m.pulse_irq(0, at=1_000)
    try:
        stop = m.run(ticks=3_000_000)
        reason = stop.reason
    except FirmwareError as e:
        reason = e.reason
        assert str(e).startswith("hostile.elf: ")
    assert reason == want
    if want == "exit":
        assert stop.exit_code == 3


def test_a_lockup_stays_a_lockup(hostile):
    m = hostile(2)
    with pytest.raises(FirmwareError, match="lockup") as first:
        m.run(ticks=1_000_000)
    ticks = m.ticks
    m.set_reg("pc", m.symbols["main"].address | 1)   # a state that could run on: it must not
    for _ in range(2):
        with pytest.raises(FirmwareError, match="lockup") as again:
            m.run(ticks=1_000_000)
        assert again.value.reason == "lockup" and str(again.value) == str(first.value)
    assert m.ticks == ticks                  # nothing ran after the lockup


def test_stacking_fault_names_the_address_below_ram(hostile):
    m = hostile(5)
    with pytest.raises(FirmwareError, match="stacked to or unstacked from unmapped memory, "
                                            "address 0x1fffffe0"):
        m.run(ticks=1_000_000)


def test_errors_show_the_last_events_even_with_a_trace_sink(hostile):
    m = hostile(3)
    m.runaway_limit = 10_000
    m.set_trace_sink(lambda raw: None)       # as a storm streams the trace
    m.pulse_irq(0, at=1_000)
    with pytest.raises(FirmwareError) as e:
        m.run(ticks=1_000_000)
    assert "last events: none" not in str(e.value)
    assert "entry 16" in str(e.value) and e.value.events


def test_a_riscv_lockup_stays_a_lockup():
    """Even when the state would let it run on (PC back at the entry point), a RISC-V machine
    that locked up (a trap with no trap vector) reports the lockup again and runs nothing."""
    import sim
    with sim.Machine.demo("virt") as m:
        m.set_reg("pc", 0x40000000)          # unmapped, before the firmware sets mtvec
        with pytest.raises(FirmwareError) as first:
            m.run(ticks=100_000)
        assert first.value.reason == "lockup"
        ticks = m.ticks
        m.set_reg("pc", m.entry)
        with pytest.raises(FirmwareError) as again:
            m.run(ticks=100_000)
        assert again.value.reason == "lockup" and m.ticks == ticks


RV_CODE = 0x80100000                         # free RAM of the virt demo


def _virt_at_main():
    import sim
    m = sim.Machine.demo("virt")
    m.symbols["demo_loops"].write("<I", 0)
    assert m.run(until="main").reason == "until"
    return m


def test_riscv_trap_loop_is_a_lockup_naming_it():
    """An illegal instruction at mtvec: every trap traps again at once."""
    import struct
    with _virt_at_main() as m:
        m.mem_write(RV_CODE, struct.pack("<I", 0))
        m.set_reg("mtvec", RV_CODE)
        m.set_reg("pc", RV_CODE)
        with pytest.raises(FirmwareError, match="trap loop: the trap handler traps again") as e:
            m.run(ticks=1_000_000)
        assert e.value.reason == "lockup"


def test_riscv_ecall_storm_ends_in_the_demo_trap_handler():
    """ecall in a loop: the demo's trap handler reports the unexpected exception and exits 70."""
    import struct
    with _virt_at_main() as m:
        m.mem_write(RV_CODE, struct.pack("<II", 0x00000073, 0xFFDFF06F))   # ecall; j .-4
        m.set_reg("pc", RV_CODE)
        stop = m.run(ticks=1_000_000)
        assert (stop.reason, stop.exit_code) == ("exit", 70)

"""Bad input and firmware that cannot go on: wrong-architecture images, lines out of range,
board files, traps with no usable trap vector, trap loops, the start-up code's defaults."""

import pytest

from rv_helpers import CLINT, MIP_MSIP, addr
from sim import ConfigError, FirmwareError, Machine
from sim.demo import demo_image


def test_arm_image_on_virt_is_refused():
    with pytest.raises(FirmwareError, match="RISC-V"):
        Machine.load(demo_image("mps2-an385"), "virt")


def test_riscv_image_on_an_arm_board_is_refused(rvtest_image):
    with pytest.raises(FirmwareError, match="ARM"):
        Machine.load(rvtest_image, "mps2-an385")


@pytest.mark.parametrize("line", [0, 97, -1, 1000])   # virt: sources 1..96
def test_lines_out_of_range(rv, line):
    for inject in (rv.pulse_irq, rv.raise_irq, rv.lower_irq):
        with pytest.raises(ConfigError, match="out of range"):
            inject(line)
    with pytest.raises(ConfigError):
        rv.schedule([100], [line], ["pulse"])


def test_board_without_a_plic(tmp_path, rvtest_image):
    text = (Machine.load(rvtest_image, "virt").board.path.read_text()
            .replace('kind = "plic"\nbase', 'kind = "something-else"\nbase'))
    p = tmp_path / "noplic.toml"
    p.write_text(text)
    with pytest.raises(ConfigError, match="plic"):
        Machine.load(rvtest_image, str(p))


def test_bad_mtime_rate(tmp_path, rvtest_image):
    text = Machine.load(rvtest_image, "virt").board.path.read_text()
    p = tmp_path / "rate.toml"
    p.write_text(text.replace("mtime_per_tick = 1 ", "mtime_per_tick = 0 "))
    with pytest.raises(ConfigError, match="mtime_per_tick"):
        Machine.load(rvtest_image, str(p))


def test_fractional_mtime_rate(tmp_path, rvtest_image):
    text = Machine.load(rvtest_image, "virt").board.path.read_text()
    p = tmp_path / "rate.toml"
    p.write_text(text.replace("mtime_per_tick = 1 ", 'mtime_per_tick = "1/10" '))
    m = Machine.load(rvtest_image, str(p))
    m.run(until="main", ticks=100_000)
    m0, t0 = m.clint.mtime, m.ticks
    m.call("spin", 1000)
    dt = m.ticks - t0
    assert dt // 10 <= m.clint.mtime - m0 <= dt // 10 + 1


def test_exception_with_no_usable_mtvec_names_pc_and_cause(rv):
    rv.call("set_mtvec", 0)
    with pytest.raises(FirmwareError) as e:
        rv.call("do_ecall")
    assert e.value.pc == addr(rv, "mark_ecall")
    msg = str(e.value)
    assert "no usable trap vector" in msg and "environment call from M-mode" in msg
    assert "mtvec 0x00000000" in msg


def test_interrupt_with_no_usable_mtvec(rv):
    rv.call("set_mie", MIP_MSIP)
    rv.call("set_mtvec", 0x40000001)              # vectored, unmapped
    rv.call("set_mstatus_mie", 1)
    with pytest.raises(FirmwareError, match="machine software interrupt") as e:
        rv.call("marked_store", CLINT, 1)
    assert e.value.pc == addr(rv, "mark_after")


def test_trap_at_the_trap_vector_is_a_trap_loop(rv):
    rv.call("use_bad_vector")
    with pytest.raises(FirmwareError, match="trap loop") as e:
        rv.call("do_ecall")
    assert e.value.pc == addr(rv, "bad_vector")
    assert "illegal instruction" in str(e.value)


def test_handler_that_keeps_faulting_is_a_trap_loop(rv):
    rv.call("use_bad_vector2")
    with pytest.raises(FirmwareError, match="trap loop") as e:
        rv.call("do_ecall")
    assert e.value.pc == addr(rv, "bad_vector2") + 2      # after its c.nop
    ev = [x for x in e.value.events if x.kind == "preempt"]
    assert ev and ev[-1].num == 256 + 2                  # nested illegal-instruction traps


def test_start_up_default_handler_reports_and_exits(noisr_image):
    m = Machine.load(noisr_image, "virt")
    stop = m.run(ticks=1_000_000)
    assert (stop.reason, stop.exit_code) == ("exit", 70)
    assert "unexpected trap" in m.console


def test_entry_outside_memory(tmp_path, rvtest_image):
    text = Machine.load(rvtest_image, "virt").board.path.read_text()
    p = tmp_path / "moved.toml"
    p.write_text(text.replace("base = 0x80000000", "base = 0x90000000"))
    with pytest.raises(FirmwareError):
        Machine.load(rvtest_image, str(p))

"""Host crashes (issue 12, class 1): sizes, the clock, the console, a closed machine. Each case
that crashed the host runs in a child process (conftest.run_isolated), so a regression fails
one test instead of killing pytest."""

import pytest

import sim
from sim.errors import ArgumentError, ClosedError, ConfigError, FirmwareError
from sim.machine import CONSOLE_LIMIT_DEFAULT, TRACE_CAPACITY_MAX

from .conftest import assert_clean, run_isolated


@pytest.mark.parametrize("cap", [(1 << 60) + 64, 1 << 62, TRACE_CAPACITY_MAX + 1, 0, -1, "64"])
def test_trace_capacity_beyond_the_limit_is_a_config_error(cap):
    p = run_isolated(f"""
import sim
try:
    sim.Machine.demo(trace_capacity={cap!r})
except sim.ConfigError as e:
    print("refused:", e)
""")
    assert_clean(p)
    assert "refused: Machine: trace_capacity must be" in p.stdout
    assert str(TRACE_CAPACITY_MAX) in p.stdout or "integer" in p.stdout


def test_set_trace_checks_the_capacity_too():
    with sim.Machine.demo() as m:
        with pytest.raises(ConfigError, match=f"1..{TRACE_CAPACITY_MAX}"):
            m.set_trace(True, 1 << 62)
        m.set_trace(True, 1024)       # a sane size still works
        assert m.run(ticks=1000).reason == "ticks"


def test_the_core_refuses_a_clock_that_semihosting_cannot_divide_by():
    from sim.native import ffi, lib
    import unicorn
    uc = unicorn.Uc(unicorn.UC_ARCH_ARM, unicorn.UC_MODE_THUMB)
    assert lib.core_new(uc._uch.value, lib.CORE_CLOCK_HZ_MIN - 1) == ffi.NULL
    c = lib.core_new(uc._uch.value, lib.CORE_CLOCK_HZ_MIN)
    assert c != ffi.NULL
    lib.core_free(c)


@pytest.mark.parametrize("clock", [0, 1, 99, -5, 1 << 40, 2.5, "fast", True])
def test_board_clock_hz_out_of_range_names_the_key_and_range(tmp_path, clock):
    text = (sim.boards.BOARD_DIR / "mps2-an385.toml").read_text()
    bad = tmp_path / "slow.toml"
    bad.write_text(text.replace("clock_hz = 25_000_000", f"clock_hz = {clock!r}".replace("'", '"')
                                if not isinstance(clock, bool) else "clock_hz = true"))
    p = run_isolated(f"""
import sim
try:
    sim.Machine.demo({str(bad)!r})
except sim.ConfigError as e:
    print("refused:", e)
""")
    assert_clean(p)
    assert f"board file {bad}: clock_hz must be an integer 100..4000000000" in p.stdout


def test_console_flood_stops_with_console_full(hostile):
    m = hostile(4, console_limit=1 << 20)
    with pytest.raises(FirmwareError, match=r"console output reached its limit of 1048576 bytes "
                                            r"\(console_limit\)") as e:
        m.run(ticks=50_000_000)
    assert e.value.reason == "console-full"
    assert len(m.console) == 1 << 20      # kept exactly up to the limit, nothing beyond


def test_console_limit_default_and_check():
    assert CONSOLE_LIMIT_DEFAULT == 64 << 20
    with pytest.raises(ArgumentError, match="console_limit"):
        sim.Machine.demo(console_limit=-1)


def test_closed_machine_refuses_every_method():
    m = sim.Machine.demo()
    sym = m.symbols["demo_loops"]
    m.close()
    m.close()                              # twice is fine
    assert m.closed
    calls = [lambda: m.run(ticks=10), lambda: m.ticks, lambda: m.pc, lambda: m.regs,
             lambda: m.mem_read(0, 4), lambda: m.mem_write(0x20000000, b"x"),
             lambda: m.pulse_irq(1), lambda: m.raise_irq(1, at=5), lambda: sym.read(),
             lambda: sym.write("<I", 1), lambda: m.console, lambda: m.nvic.irq(3),
             lambda: m.start_accounting(), lambda: m.thread_ticks(), lambda: m.line_masked(1),
             lambda: m.set_trace(True), lambda: m.call("main"), lambda: m.uc,
             lambda: m.mmio_read(0x40004000), lambda: m.schedule([1], [1], ["pulse"])]
    for call in calls:
        with pytest.raises(ClosedError, match="is closed: create a new one"):
            call()


def test_machine_is_a_context_manager_that_closes():
    with sim.Machine.demo() as m:
        assert m.run(ticks=1000).reason == "ticks"
    assert m.closed
    with pytest.raises(ClosedError):
        m.run(ticks=1)


def test_use_after_close_in_a_child_process_is_an_error_not_a_crash():
    p = run_isolated("""
import gc, sim
m = sim.Machine.demo()
nvic = m.nvic
m.close(); gc.collect()
for f in (lambda: nvic.irq(1), lambda: m.run(ticks=5), lambda: m.mem_read(0, 4)):
    try:
        f()
    except sim.errors.ClosedError:
        print("closed")
""")
    assert_clean(p)
    assert p.stdout.count("closed") == 3


def test_the_core_refuses_a_mapping_past_the_address_space():
    import unicorn
    from sim.native import lib
    uc = unicorn.Uc(unicorn.UC_ARCH_ARM, unicorn.UC_MODE_THUMB)
    c = lib.core_new(uc._uch.value, 1_000_000)
    try:
        assert lib.core_map(c, 0xFFFFF000, 1 << 63, 7) == -2     # base + size overflows
        assert lib.core_map(c, 0, 0, 7) == -2
        assert lib.core_map(c, 0x20000000, 0x1000, 7) == 0
    finally:
        lib.core_free(c)

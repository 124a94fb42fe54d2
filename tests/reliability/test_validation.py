"""Validation at the edge (issue 12, class 4): board files, scenario files, CLI options, API
arguments and ELF images are checked, with the file, the key and what is allowed; API errors are
sim.errors exceptions (ArgumentError is also a TypeError and a ValueError)."""

import struct

import pytest
from click.testing import CliRunner

import sim
from cli import main
from sim.boards import BOARD_DIR, get_board
from sim.errors import ArgumentError, ConfigError, FirmwareError
from sim.storm import load_scenario

AN385 = (BOARD_DIR / "mps2-an385.toml").read_text()
VIRT = (BOARD_DIR / "virt.toml").read_text()
MICROBIT = (BOARD_DIR / "microbit.toml").read_text()


def board_with(tmp_path, text, old, new):
    assert old in text
    p = tmp_path / "b.toml"
    p.write_text(text.replace(old, new))
    return p


@pytest.mark.parametrize("text,old,new,msg", [
    (AN385, 'name = "mps2-an385"', 'name = "x"\nflux = 3', "unknown key 'flux'; allowed:"),
    (AN385, "prio_bits = 3", "prio_bits = 3\nspeed = 1", "unknown key controller.'speed'"),
    (AN385, "prio_bits = 3", "prio_bits = 9", "controller.prio_bits must be 2..8"),
    (AN385, 'cpu = "cortex-m3"', 'cpu = "cortex-m85"',
     "cpu 'cortex-m85' is not a core the armv7m model has; one of cortex-m3, "),
    (AN385, "prio_bits = 3", 'prio_bits = "3"', "'prio_bits' must be a int"),
    (AN385, "entry = 12", "entry = -1", "controller.exception_ticks.entry must be an integer"),
    (AN385, "entry = 12", 'entry = "x"', "controller.exception_ticks.entry must be an integer"),
    (AN385, "entry = 12", "entry = 12, exit = 3", "unknown key controller.exception_ticks.exit"),
    (AN385, 'perms = "rwx"', 'perms = "rwz"', 'memory[0].perms must be letters of "rwx"'),
    (AN385, 'perms = "rwx"', "perms = 7", 'memory[0].perms must be letters of "rwx"'),
    (AN385, "base = 0x20000000", "base = -4096", "base >= 0"),
    (AN385, "base = 0x20000000\nsize = 0x00400000", "base = 0xE000E000\nsize = 0x1000",
     "overlaps the System Control Space (NVIC, SCB, SysTick) at 0xe000e000..0xe000f000"),
    (AN385, "base = 0x20000000", "base = 0x00001000", "overlaps memory ssram1"),
    (AN385, "base = 0x20000000", "base = 0xFFFFF000", "passes the end of the 32-bit address"),
    (AN385, "base = 0x40004000", "base = -4", "devices[2].base must be an address"),
    (AN385, "clock_hz = 25_000_000", "clock_hz = 50", "clock_hz must be an integer 100.."),
    (MICROBIT, "prio_bits = 2 ", "prio_bits = 3 ", "controller.prio_bits must be 2 on cortex-m0"),
    (MICROBIT, "num_irq = 32", "num_irq = 40", "controller.num_irq must be 1..32 on cortex-m0"),
    (MICROBIT, "vtor = false", 'vtor = "no"', "controller.vtor must be true or false"),
    (MICROBIT, 'systick = "cpu-clock"', "systick = 1",
     'controller.systick must be true or false or "cpu-clock"'),
    (MICROBIT, 'systick = "cpu-clock"', 'systick = "ref"', "controller.systick must be true"),
    (AN385, "prio_bits = 3", "prio_bits = 3\nvtor = false",
     "controller.vtor = false: cortex-m3 (ARMv7-M) always has VTOR"),
    (AN385, "prio_bits = 3", "prio_bits = 3\nsystick = false",
     "controller.systick = false: cortex-m3 (ARMv7-M) always has SysTick"),
    (VIRT, "contexts = 2", "contexts = 0", "controller.contexts must be 1..16"),
    (VIRT, "epoch = 1767225600", "epoch = -1", "devices[3].epoch must be an integer 0.."),
    (VIRT, "irq = 11", "irq = 1.5", "devices[3].irq must be an integer 0..2147483647"),
    (VIRT, "prio_bits = 3", "prio_bits = 40", "controller.prio_bits must be 1..8"),
    (VIRT, "mtime_per_tick = 1", "mtime_per_tick = inf", "controller.mtime_per_tick must be"),
    (VIRT, "mtime_per_tick = 1", "mtime_per_tick = nan", "controller.mtime_per_tick must be"),
    (VIRT, "mtime_per_tick = 1", "mtime_per_tick = 1e300", "controller.mtime_per_tick must be"),
], ids=lambda v: v if isinstance(v, str) and len(v) < 40 else "board")
def test_board_file_errors_name_the_file_the_key_and_what_is_allowed(tmp_path, text, old, new,
                                                                     msg):
    p = board_with(tmp_path, text, old, new)
    with pytest.raises(ConfigError) as e:
        get_board(str(p))
    assert str(e.value).startswith(f"board file {p}: ") and msg in str(e.value)


def test_a_folder_as_board_or_scenario_is_a_config_error(tmp_path):
    d = tmp_path / "dir.toml"
    d.mkdir()
    with pytest.raises(ConfigError, match="is a folder"):
        get_board(str(d))
    with pytest.raises(ConfigError, match="is a folder"):
        load_scenario(d)


def test_deeply_nested_toml_is_a_config_error(tmp_path):
    p = tmp_path / "deep.toml"
    p.write_text("x = " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_scenario(p)
    with pytest.raises(ConfigError, match="not valid TOML"):
        get_board(str(p))


SRC = '[[source]]\nkind = "poisson"\nline = 1\nrate_hz = 1000\n'


@pytest.mark.parametrize("body,msg", [
    ("ticks = 18446744073709551616\n" + SRC, "ticks: must be <= 18446744073709551615"),
    ("seed = 36893488147419103232\n" + SRC, "seed: must be <= "),
    ('[[source]]\nkind = "poisson"\nlines = [1, 2]\nweights = [inf, 1]\nrate_hz = 5\n',
     "weights: must be non-negative numbers"),
    ('[[source]]\nkind = "poisson"\nlines = [1, 2]\nweights = [nan, 1]\nrate_hz = 5\n',
     "weights: must be non-negative numbers"),
    (SRC + "[export]\nvcd = 5\n", "export.vcd: must be a file path, a string (got 5)"),
    ('[[source]]\nkind = "burst"\nline = 1\ncount = 100000000\nspacing = 0\ngap = 1\n',
     "source[0].count: must be 1..1048576"),
    (SRC + "[demo]\ntoggle_line = -1\n", "demo.toggle_line: must be >= 0"),
    ('[[source]]\nkind = "periodic"\nline = 1\nperiod = 18446744073709551616\n',
     "source[0].period: must be <= "),
])
def test_scenario_values_out_of_range_name_the_key(tmp_path, body, msg):
    p = tmp_path / "s.toml"
    p.write_text(body)
    with pytest.raises(ConfigError) as e:
        load_scenario(p)
    assert str(e.value).startswith(f"{p}: ") and msg in str(e.value)


def test_a_request_rate_beyond_the_limit_is_refused_up_front(tmp_path):
    p = tmp_path / "flood.toml"
    p.write_text('ticks = 5000\n[[source]]\nkind = "burst"\nline = 1\ncount = 1000\nspacing = 0'
                 '\ngap = 1\n')
    r = CliRunner().invoke(main, ["storm", "--scenario", str(p), "--jsonl", str(tmp_path / "t")])
    assert r.exit_code == 1
    assert "source[0], through its count, spacing and gap" in r.output
    assert "at most 16 per tick are allowed" in r.output


def test_a_trace_beyond_the_limit_is_refused_when_exporting(tmp_path):
    r = CliRunner().invoke(main, ["storm", "--ticks", str(1 << 42), "--vcd", str(tmp_path / "v")])
    assert r.exit_code == 1
    assert "the trace of this run would be about" in r.output and "at most 4 GiB" in r.output
    assert not (tmp_path / "v").exists()


@pytest.mark.parametrize("args", [
    ["run", "--ticks", "0"], ["run", "--ticks", "-5"], ["run", "--ticks", str(1 << 70)],
    ["storm", "--rate", "inf"], ["storm", "--rate", "nan"], ["storm", "--rate", "-1"],
    ["storm", "--ticks", "0"], ["storm", "--seed", "-1"], ["sweep", "--points", "100000000000"],
    ["sweep", "--points", "1"], ["sweep", "--from", "nan"], ["sweep", "--jobs", "0"],
])
def test_bad_options_are_usage_errors(args):
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 2, r.output
    assert "Invalid value" in r.output


@pytest.mark.parametrize("args,msg", [
    (["run", "--irq", "3@-5"], "at (a tick) must be in 0..18446744073709551614 (got -5)"),
    (["run", "--irq", "3@99999999999999999999999"], "at (a tick) must be in 0.."),
    (["run", "--irq", "999@5"], "IRQ 999 is out of range for board mps2-an385"),
    (["run", "--until", "-4"], "until (an address) must be in 0..4294967295"),
    (["run", "--until", "0x1ffffffff"], "until (an address) must be in 0..4294967295"),
])
def test_bad_option_values_are_one_line_errors(args, msg):
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 1, r.output
    assert r.output.startswith("irqsim: error: ") and msg in r.output
    assert "Traceback" not in r.output


def test_storm_on_an_image_that_is_not_the_demo_runs(tmp_path):
    from .conftest import build_hostile
    r = CliRunner().invoke(main, ["storm", str(build_hostile(9)), "--ticks", "100000"])
    assert r.exit_code == 0, r.output
    assert "thread progress" in r.output


@pytest.fixture(scope="module")
def m():
    with sim.Machine.demo() as m:
        yield m


@pytest.mark.parametrize("call,msg", [
    (lambda m: m.raise_irq("3"), "IRQ '3' is not a line: give an integer 0..31, or 'nmi'"),
    (lambda m: m.raise_irq(3.0), "IRQ 3.0 is not a line"),
    (lambda m: m.pulse_irq(1, at=-1), "at (a tick) must be in 0.."),
    (lambda m: m.pulse_irq(1, at="5"), "at (a tick) must be an integer"),
    (lambda m: m.schedule([1], ["x"], ["pulse"]), "schedule: line 'x' is not a line"),
    (lambda m: m.schedule([1.5], [1], ["pulse"]), "schedule: a tick must be an integer"),
    (lambda m: m.schedule([1], [1], ["blink"]), "schedule: kind 'blink' is not one of"),
    (lambda m: m.schedule(5, [1], ["pulse"]), "must be sequences"),
    (lambda m: m.schedule([1, 2], [1], ["pulse"]), "the same length"),
    (lambda m: m.mem_read(0, -1), "mem_read: size must be in"),
    (lambda m: m.mem_read(-4, 4), "mem_read: addr must be in"),
    (lambda m: m.mem_read(0, 1 << 40), "mem_read: size must be in"),
    (lambda m: m.mem_write(0x20000000, "text"), "mem_write: data must be bytes"),
    (lambda m: m.mem_write(1 << 33, b"x"), "mem_write: addr must be in"),
    (lambda m: m.symbols["demo_loops"].write("<1000I", *range(1000)),
     "4000 bytes do not fit the symbol's 4 bytes"),
    (lambda m: m.symbols["demo_loops"].write("<I", "x"), "demo_loops.write('<I', ...)"),
    (lambda m: m.symbols["demo_loops"].read("<Q!"), "demo_loops.read('<Q!')"),
    (lambda m: m.run(ticks=0), "ticks must be in 1.."),
    (lambda m: m.run(ticks="5"), "ticks must be an integer"),
    (lambda m: m.run(until=3.5), "until must be a symbol name or an address"),
    (lambda m: m.reg(5), "a register name must be a string"),
    (lambda m: m.reg("r99"), "unknown register 'r99' for armv7m"),
    (lambda m: m.set_reg("r0", -1), "set_reg('r0'): value must be in 0..4294967295"),
    (lambda m: m.set_trace(True, 1 << 62), "trace_capacity must be in 1.."),
])
def test_api_misuse_is_an_argument_error(m, call, msg):
    with pytest.raises(ArgumentError) as e:
        call(m)
    assert msg in str(e.value)
    assert isinstance(e.value, (TypeError, ValueError)) and isinstance(e.value, sim.SimError)


def test_add_source_names_the_limit_not_a_code():
    with sim.Machine.demo() as m:
        m.start_accounting()
        with pytest.raises(ArgumentError, match="add_source: 65 lines; a source has 1..64"):
            m.add_source("once", [1] * 65)
        with pytest.raises(ArgumentError, match="add_source: rate_hz must be a finite number"):
            m.add_source("poisson", [1], rate_hz=float("inf"))
        with pytest.raises(ConfigError, match="the weights are all zero"):
            m.add_source("once", [1, 2], weights=[0, 0])
        for _ in range(64):
            m.add_source("once", [1], start=10)
        with pytest.raises(ConfigError, match="more than 64 sources on one machine"):
            m.add_source("once", [1], start=10)


# ---- ELF images ------------------------------------------------------------------------------

def _phdr(data, i):
    phoff, = struct.unpack_from("<I", data, 28)
    phentsize, phnum = struct.unpack_from("<HH", data, 42)
    return phoff + i * phentsize, phnum


def _load_index(data):
    off, n = _phdr(data, 0)
    return [i for i in range(n) if struct.unpack_from("<I", data, _phdr(data, i)[0])[0] == 1]


def _patched(tmp_path, fn):
    data = bytearray(sim.demo.demo_image("mps2-an385").read_bytes())
    fn(data)
    p = tmp_path / "bad.elf"
    p.write_bytes(bytes(data))
    return p


def test_a_segment_past_the_end_of_the_file_names_it(tmp_path):
    def cut(d):
        i = _load_index(d)[0]
        off = _phdr(d, i)[0]
        struct.pack_into("<I", d, off + 4, len(d) + 0x1000)      # p_offset past the end
    with pytest.raises(FirmwareError, match=r"segment \d+ \(PT_LOAD\) ends at file offset .* past "
                                            r"the end of the file"):
        sim.Machine.load(_patched(tmp_path, cut), "mps2-an385")


def test_no_loadable_segment_is_a_firmware_error(tmp_path):
    def drop(d):
        for i in _load_index(d):
            struct.pack_into("<I", d, _phdr(d, i)[0], 0)         # PT_NULL
    with pytest.raises(FirmwareError, match=r"no loadable segment \(PT_LOAD\)"):
        sim.Machine.load(_patched(tmp_path, drop), "mps2-an385")


def test_a_bss_larger_than_the_ram_names_the_segment(tmp_path):
    def grow(d):
        i = _load_index(d)[-1]
        off = _phdr(d, i)[0]
        struct.pack_into("<I", d, off + 20, 512 << 20)            # p_memsz: 512 MiB
    with pytest.raises(FirmwareError, match=r"segment \d+ \(0x20000000 bytes at 0x[0-9a-f]+\) does "
                                            r"not fit the memory of board mps2-an385"):
        sim.Machine.load(_patched(tmp_path, grow), "mps2-an385")


def test_a_folder_as_image_is_a_firmware_error(tmp_path):
    with pytest.raises(FirmwareError, match="a folder"):
        sim.Machine.load(tmp_path, "mps2-an385")

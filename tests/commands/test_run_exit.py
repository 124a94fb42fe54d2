"""`irqsim run` as a CI gate: it runs until the firmware exits, streams the console as it
prints, and its exit status says how the run ended (the firmware's code; 124 for a tick or
time limit; 1 for a lockup, a fault loop or a stuck loop, with one line naming where)."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from sim import toolchain
from sim.trace import read_events

ROOT = Path(__file__).resolve().parents[2]
FW = ROOT / "tests" / "cortex_m" / "fw"
CM = toolchain.firmware_dir() / "cortex_m"
STUCK = {"assert_masked": 1, "hardfault_b_dot": 2, "enabled_line": 4}


def image(src, name, defines=()):
    common = toolchain.firmware_dir() / "common"
    return str(toolchain.build_image(
        "cortex-m3", name, [CM / "startup.c", FW / src, common / "semihost.c",
                            common / "console_common.c"],
        linker_script=CM / "link.ld", include_dirs=[CM], defines=list(defines)))


def stuck(name):
    return image("stuck_tests.c", f"stuck-{name}", [f"TEST={STUCK[name]}"])


def invoke(*args):
    return CliRunner().invoke(main, ["run", *args], catch_exceptions=False)


def test_the_default_runs_until_the_firmware_exits_with_its_code(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    r = invoke(image("semihost_tests.c", "semihost-tests"), "--semihost-root", str(root),
               "--args", "prog alpha beta")
    assert r.exit_code == 3                      # what main() returned
    assert "cmdline=prog alpha beta\n" in r.stdout and "open_w_ok=1\n" in r.stdout
    # a non-zero status gets its one line
    assert r.stderr.startswith("irqsim: the firmware exited with status 3 at tick ")
    assert r.stderr.count("\n") == 1 and "(semihost_call+0x" in r.stderr
    r = invoke()                                  # the demo exits 0: nothing said
    assert r.exit_code == 0 and r.stderr == ""


def test_a_stuck_assert_loop_exits_1_naming_the_loop():
    r = invoke(stuck("assert_masked"))
    assert r.exit_code == 1
    assert r.stdout == "stuck test\n"
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("irqsim: stuck at tick ")
    assert "(assert_failed+0x" in lines[0] and "PRIMASK" in lines[0]


def test_a_fault_loop_exits_1_with_the_fault_decoded():
    r = invoke(stuck("hardfault_b_dot"))
    assert r.exit_code == 1
    (line,) = r.stderr.splitlines()
    assert line.startswith("irqsim: fault loop: the HardFault handler spins")
    assert "CFSR 0x00008200 (PRECISERR, BFARVALID)" in line and "BFAR 0x10000000" in line
    assert "(main+0x" in line


def test_a_time_limit_exits_124_naming_the_function():
    # the line's request comes in 2^40 ticks: the loop is not stuck, only slow
    r = invoke(stuck("enabled_line"), "--irq", f"3@{1 << 40}", "--timeout", "0.3")
    assert r.exit_code == 124
    (line,) = r.stderr.splitlines()
    assert line.startswith("irqsim: time limit: 0.3 s of host time ran out at tick ")
    assert "(spin+0x0)" in line


def test_json_gives_the_stop_detail():
    r = invoke(stuck("hardfault_b_dot"), "--json")
    assert r.exit_code == 1
    out = json.loads(r.stdout)
    assert out["stop"] == "stuck" and out["exit_status"] == 1
    assert out["function"] == "HardFault_Handler+0x0"
    assert out["fault"]["bfar"] == 0x10000000 and out["fault"]["function"].startswith("main+")
    assert out["detail"].startswith("fault loop:") and out["loop"][1] - out["loop"][0] == 2


def test_trace_streams_the_events_to_a_file(tmp_path):
    path = tmp_path / "t.bin"
    r = invoke("--irq", "4@20000", "--trace", str(path))
    assert r.exit_code == 0
    events = list(read_events(path))
    assert [e.num for e in events if e.kind == "request"] == [4]
    assert any(e.kind == "dispatch" for e in events)
    assert not [p for p in tmp_path.iterdir() if p.name != "t.bin"], "no temporary left"


def test_the_console_streams_while_the_run_goes_on(monkeypatch):
    # the firmware prints, then spins until a request 2^40 ticks away; the run has 10M ticks,
    # five chunks: the line must be echoed after the first chunk, not at the end
    import click

    import sim
    machines, echoed = [], []
    real_run, real_echo = sim.Machine.run, click.echo

    def run(self, *a, **kw):
        machines.append(self)
        return real_run(self, *a, **kw)

    def echo(message=None, *a, **kw):
        if machines and not kw.get("err"):
            echoed.append((message, machines[0].ticks))
        return real_echo(message, *a, **kw)
    monkeypatch.setattr(sim.Machine, "run", run)
    monkeypatch.setattr(click, "echo", echo)
    r = invoke(stuck("enabled_line"), "--irq", f"3@{1 << 40}", "--ticks", "10000000")
    assert r.exit_code == 124
    assert echoed and echoed[0][0] == "stuck test\n"
    assert echoed[0][1] <= sim.machine.CHUNK_TICKS + 100 < machines[0].ticks, echoed


@pytest.mark.parametrize("opt", ["--ticks", "--timeout"])
def test_limits_must_be_positive(opt):
    r = CliRunner().invoke(main, ["run", opt, "0"])
    assert r.exit_code == 2 and "Invalid value" in r.output


def test_a_storm_that_ends_stuck_says_so_and_exits_1(tmp_path):
    sc = tmp_path / "stuck.toml"
    sc.write_text(f'image = "{stuck("assert_masked")}"\nticks = 200000\n'
                  '[[source]]\nkind = "periodic"\nlines = [5]\nperiod = 1000\n')
    r = CliRunner().invoke(main, ["storm", "--scenario", str(sc), "--json"])
    assert r.exit_code == 1
    out = json.loads(r.stdout)
    assert out["stop"] == "stuck" and "(assert_failed+0x" in out["stop_detail"]
    r = CliRunner().invoke(main, ["storm", "--scenario", str(sc)])
    assert r.exit_code == 1 and "stopped early: stuck at tick" in r.stdout


def test_without_trace_or_json_no_event_is_kept(monkeypatch):
    import sim

    seen = []
    real = sim.Machine.run

    def run(self, *a, **kw):
        seen.append(self)
        return real(self, *a, **kw)
    monkeypatch.setattr(sim.Machine, "run", run)
    r = invoke("--irq", "4@20000")
    assert r.exit_code == 0 and "line 4: handled 1" in r.stdout
    (m,) = seen
    assert m.events == [] and m.ticks > 20_000


def test_riscv_stuck_and_limits_have_the_same_statuses():
    riscv = toolchain.firmware_dir() / "riscv"
    common = toolchain.firmware_dir() / "common"
    elf = str(toolchain.build_image(
        "rv32imac", "stuck-rv-1", [riscv / "start.S", common / "semihost.c", FW / "stuck_tests.c"],
        linker_script=riscv / "link.ld", include_dirs=[riscv], defines=["TEST=1"]))
    r = invoke(elf, "--board", "virt")
    assert r.exit_code == 1 and "(assert_failed+0x" in r.stderr and "MIE clear" in r.stderr
    r = invoke("--board", "virt", "--ticks", "5000")
    assert r.exit_code == 124 and r.stderr.startswith("irqsim: tick limit: 5,000 ticks")


def test_a_lockup_exits_1_with_one_line_naming_the_pc():
    # nvic_tests.c's lockup test, selected at compile time (test_id 14: TESTS in its conftest)
    elf = str(toolchain.build_image(
        "cortex-m3", "nvic-test-lockup",
        [CM / "startup.c", FW / "nvic_tests.c", FW / "testlog.c",
         toolchain.firmware_dir() / "common" / "semihost.c"],
        linker_script=CM / "link.ld", include_dirs=[CM], defines=["TEST_ID=14u"]))
    r = invoke(elf)
    assert r.exit_code == 1
    (line,) = r.stderr.splitlines()
    assert line.startswith("irqsim: error: nvic-test-lockup.elf: lockup at pc 0x")
    assert "last events: not kept (the trace is off)" in line

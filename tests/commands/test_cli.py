"""The `irqsim` command through click's CliRunner: output, exit codes, one-line errors."""

import json
import re

import pytest
from click.testing import CliRunner

import sim
from cli import main
from sim import toolchain


@pytest.fixture
def run():
    def invoke(*args):
        return CliRunner().invoke(main, list(args), catch_exceptions=False)
    return invoke


def test_build_reports_the_demo_image(run):
    r = run("build", "--json")
    assert r.exit_code == 0
    images = json.loads(r.output)["images"]
    assert any(p.endswith("demo-mps2-an385.elf") for p in images)


def test_run_prints_the_demo_console_and_exits_with_its_code(run):
    r = run("run")
    assert r.exit_code == 0
    assert "irqsim demo (cortex-m3, mps2-an385)" in r.output
    assert "line 3: handled 0, unhandled 1" in r.output


def test_run_injects_requests_and_reports_json(run):
    # lines 4 and 5 pulse during the demo's loop: their handlers count
    r = run("run", "--irq", "4@20000", "--irq", "5@21000:pulse", "--json")
    assert r.exit_code == 0
    out = json.loads(r.output)
    assert out["stop"] == "exit" and out["exit_code"] == 0
    assert "line 4: handled 1, unhandled 0" in out["console"]
    assert [e["num"] for e in out["events"] if e["kind"] == "request"] == [4, 5]


def test_run_stops_at_the_tick_budget(run):
    # (exit status 124 since `run` became a CI gate: a limit is no clean exit, as timeout(1))
    r = CliRunner().invoke(main, ["run", "--ticks", "1000"])
    assert r.exit_code == 124
    # runs stop at the first block boundary at or after the budget, named by its function
    assert re.search(r"tick limit: 1,000 ticks ran out at tick 1,0(0\d|1[0-5]), "
                     r"pc 0x[0-9a-f]{8} \(\w+\+0x[0-9a-f]+\)", r.output), r.output


@pytest.mark.parametrize("args, message", [
    (["run", "--board", "nosuch"], "unknown board 'nosuch'"),
    (["run", "--irq", "40@100"], "IRQ 40 is out of range for board mps2-an385"),
    (["run", "--irq", "x@y"], "expected LINE@TICK"),
    (["run", "--until", "no_such_symbol"], "symbol 'no_such_symbol' not found"),
])
def test_bad_input_is_one_line_and_exit_1(args, message):
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 1
    assert r.output.startswith("irqsim: error: ") and message in r.output
    assert "Traceback" not in r.output


def test_not_an_elf_is_named(tmp_path):
    bad = tmp_path / "fw.bin"
    bad.write_bytes(b"\x00" * 64)
    r = CliRunner().invoke(main, ["run", str(bad)])
    assert r.exit_code == 1 and "not an ELF file" in r.output and str(bad) in r.output
    with pytest.raises(sim.FirmwareError, match="not an ELF"):
        sim.Machine.load(bad)


def test_elf_for_the_wrong_architecture_is_named():
    rv = toolchain.build_image("rv32imac", "handler_table",
                               [toolchain.handlertable_dir() / "handler_table.c"], link=False)
    r = CliRunner().invoke(main, ["run", str(rv)])
    assert r.exit_code == 1 and "needs a 32-bit ARM image" in r.output
    with pytest.raises(sim.FirmwareError, match="RISC-V|EM_RISCV"):
        sim.Machine.load(rv, board="mps2-an385")


def test_missing_compiler_is_one_line_naming_the_package(monkeypatch, tmp_path):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "ziglang" else real(name, *a))
    monkeypatch.setenv("IRQSIM_BUILD_DIR", str(tmp_path))
    r = CliRunner().invoke(main, ["build"])
    assert r.exit_code == 1
    assert "pip install ziglang==0.17.1" in r.output and len(r.output.strip().splitlines()) == 1


def test_broken_compiler_is_one_line(monkeypatch, tmp_path):
    monkeypatch.setattr(toolchain, "compiler", lambda: [str(tmp_path / "no-such-cc")])
    monkeypatch.setenv("IRQSIM_BUILD_DIR", str(tmp_path))
    r = CliRunner().invoke(main, ["build"])
    assert r.exit_code == 1 and "cannot run the cross compiler" in r.output


def test_compile_error_names_the_failing_command(tmp_path):
    src = tmp_path / "broken.c"
    src.write_text("int main(void) { return missing; }\n")
    with pytest.raises(sim.ToolchainError) as ei:
        toolchain.build_image("cortex-m3", "broken", [src], link=False, out_dir=tmp_path)
    assert "ziglang cc" in str(ei.value) and "missing" in str(ei.value)
    assert not (tmp_path / "cortex-m3" / "broken.o").exists(), "no half-written output"


def test_boards_lists_both_boards(run):
    r = run("boards")
    assert r.exit_code == 0 and "mps2-an385" in r.output and "virt" in r.output

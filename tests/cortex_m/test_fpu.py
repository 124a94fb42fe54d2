"""The FP extension on the Cortex-M4F (mps2-an386) and Cortex-M7 (mps2-an500): guest-side
tests (fw/fpu_tests.c), each run alone, checked against the architecture (ARMv7-M ARM B1.5.7,
B3.2.20-23) and compared line for line with QEMU 7.2's machine of the same name."""

import shutil
import subprocess

import pytest

import sim
from sim import toolchain
from sim.errors import ConfigError

from conftest import CM, FW

QEMU = shutil.which("qemu-system-arm")
BOARDS = {"mps2-an386": "cortex-m4f", "mps2-an500": "cortex-m7"}
TESTS = ["fpca", "lazy", "lazy_align", "lazy_unused", "eager", "eager_align", "basic", "nested",
         "nocp", "double", "nocp_store", "cpacr_priv", "nocp_window",
         "aspen_fpdscr", "tailchain", "nocp_ram", "nocp_patched"]


def build(board, name):
    srcs = [CM / "startup.c", FW / "fpu_tests.c", FW / "testlog.c",
            toolchain.firmware_dir() / "common" / "semihost.c"]
    return toolchain.build_image(BOARDS[board], f"fpu-test-{name}", srcs,
                                 linker_script=CM / "link.ld", include_dirs=[CM, FW],
                                 defines=[f"TEST_ID={TESTS.index(name)}u"])


def run(board, name):
    m = sim.Machine.load(build(board, name), board=board + "-qemu")
    stop = m.run(ticks=2_000_000)
    assert stop.reason == "exit", (name, stop)
    return m, [int(x, 16) for x in m.console.split()]


def qemu_console(board, elf):
    r = subprocess.run([QEMU, "-M", board, "-nographic", "-semihosting", "-monitor", "none",
                        "-serial", "stdio", "-kernel", str(elf)],
                       capture_output=True, text=True, timeout=60)
    return r.stdout + r.stderr


@pytest.mark.parametrize("board", BOARDS)
def test_first_fp_instruction_sets_fpca(board):
    _, log = run(board, "fpca")
    dp = board == "mps2-an500"
    assert log[:4] == [0, 0xC0000000, 0, 0]         # CPACR, FPCCR (ASPEN, LSPEN), FPCAR, FPDSCR
    assert log[4:7] == ([0x10110221, 0x12000011, 0x40] if dp else [0x10110021, 0x11000011, 0])
    assert log[7:10] == [0, 0, 4]                    # CONTROL.FPCA: after the first FP insn
    assert log[10] == 0x03C00000


@pytest.mark.parametrize("board", BOARDS)
def test_lazy_frame_reserved_then_filled_by_the_handlers_first_fp_instruction(board):
    m, log = run(board, "lazy")
    size, excret, hctl, fpccr, fpcar_off, aligned = log[:6]
    assert (size, excret, hctl & 4, fpcar_off, aligned) == (0x68, 0xFFFFFFE9, 0, 0x20, 0)
    assert fpccr & 1 and fpccr & (1 << 3)           # LSPACT, THREAD
    assert log[6:24] == [0xAAAAAAAA] * 18           # reserved, not written yet
    ctl_after, fpccr_after = log[24:26]
    assert ctl_after & 4 and not fpccr_after & 1    # FPCA set, LSPACT cleared
    thread = [0x11000000 + i * 0x01010101 for i in range(16)] + [0x10000000]
    assert log[26:43] == thread                      # s0-s15, FPSCR of the thread
    assert log[43] == 0xAAAAAAAA                     # the reserved word stays
    assert log[-2:] == [1, 0xEE]                     # the thread's registers came back
    f = m.nvic.fp()
    assert (f["extended_frames"], f["lazy_saves"], f["eager_saves"]) == (1, 1, 0)
    assert f["ticks"] == 17 + 17


@pytest.mark.parametrize("board", BOARDS)
def test_lazy_unused_skips_both_save_and_restore(board):
    m, log = run(board, "lazy_unused")
    assert log[0:2] == [0x68, 0xFFFFFFE9]
    assert log[6:24] == [0xAAAAAAAA] * 18
    assert not log[-5] & 1                           # LSPACT cleared by the return
    assert log[-2:] == [1, 0xEE]
    f = m.nvic.fp()
    assert (f["lazy_saves"], f["ticks"]) == (0, 0)


@pytest.mark.parametrize("board", BOARDS)
def test_aligned_extended_frame_takes_the_alignment_word(board):
    _, log = run(board, "lazy_align")
    assert log[0] == 0x6C and log[5] == 1 << 9


@pytest.mark.parametrize("board", BOARDS)
def test_eager_stacking_writes_the_frame_at_entry(board):
    m, log = run(board, "eager")
    assert log[:2] == [0x68, 0xFFFFFFE9] and not log[3] & 1
    thread = [0x11000000 + i * 0x01010101 for i in range(16)] + [0x10000000]
    assert log[6:23] == thread
    assert log[-2:] == [1, 0xEE]
    f = m.nvic.fp()
    assert (f["eager_saves"], f["lazy_saves"], f["ticks"]) == (1, 0, 17 + 17)


@pytest.mark.parametrize("board", BOARDS)
def test_no_fp_context_basic_frame(board):
    _, log = run(board, "basic")
    assert log[:2] == [0x20, 0xFFFFFFF9]
    assert log[3] & 4 and not log[4] & 4             # the handler's FPCA does not come back


@pytest.mark.parametrize("board", BOARDS)
def test_nested_fp_handlers_keep_both_contexts(board):
    _, log = run(board, "nested")
    assert log[:2] == [0xFFFFFFE9, 0xFFFFFFE1]
    assert log[2] >= 0x68                            # the low handler's frame and stack
    assert log[4:6] == [1, 1]
    assert not log[6] & 1


@pytest.mark.parametrize("board", BOARDS)
def test_nocp_usagefault_at_the_fp_instruction(board):
    _, log = run(board, "nocp")
    assert log[0] == 1 and log[1] == 1 << 19 and log[2] == 1
    assert log[3] == 0xFFFFFFF9                      # FPCA was clear: the insn did not run
    assert log[4] == 0x3F800000                      # ... and ran once enabled


@pytest.mark.parametrize("board", BOARDS)
def test_nocp_exact_in_code_placed_in_ram_at_run_time(board):
    """Code the image did not hold (copied to RAM by the firmware, over code that ran there
    before) is checked too: NOCP before its first FP instruction, none before."""
    _, log = run(board, "nocp_ram")
    assert log[:2] == [7, 0]                         # the plain function: no fault
    assert log[2:7] == [0x3F800000, 1, 1 << 19, 1, 0xF00000]


def test_m7_double_precision_m4f_undefined():
    _, log = run("mps2-an500", "double")
    assert log[:3] == [0x400B0000, 0, 0]             # 1.5 * 2.25 = 3.375
    _, log = run("mps2-an386", "double")
    assert log[2:4] == [1, 1 << 16]                  # UNDEFINSTR: single precision only


@pytest.mark.parametrize("board", BOARDS)
def test_nocp_exact_in_image_code_rewritten_by_mem_write(board):
    """Machine.mem_write over the image's scanned code scans it again: the FP instruction
    written there faults like one the image held (nocp_patched is not run on QEMU)."""
    _, log = run(board, "nocp_patched")
    assert log[:2] == [7, 0]                         # as built: a plain function
    m = sim.Machine.load(build(board, "nocp_patched"), board=board + "-qemu")
    fp = bytes.fromhex("01ee900a11ee900a7047")  # vmov s3, r0; vmov r0, s3; bx lr
    m.mem_write(m.symbols["patch_me"].address & ~1, fp)
    assert m.run(ticks=2_000_000).reason == "exit"
    assert [int(x, 16) for x in m.console.split()][:4] == [0x3F800000, 1, 1 << 19, 1]


# nocp_window writes CPACR and uses the FPU in the next instruction, without the ISB the
# architecture asks for before the change must be seen (B3.2.20): irqsim applies it at once,
# QEMU 7.2 from its next translation block (the instruction runs): both are allowed
@pytest.mark.skipif(QEMU is None, reason="qemu-system-arm is not installed")
@pytest.mark.parametrize("board", BOARDS)
@pytest.mark.parametrize("name", [t for t in TESTS if t not in ("nocp_window", "nocp_patched")])
def test_fpu_log_matches_qemu(board, name):
    m, _ = run(board, name)
    assert qemu_console(board, build(board, name)) == m.console, f"{board} {name}"


def test_fp_exception_ticks_rejected_on_a_core_without_fpu(tmp_path):
    p = tmp_path / "b.toml"
    p.write_text('extends = "mps2-an385"\nname = "x"\n[controller]\n'
                 'exception_ticks = { fp_lazy = 3 }\n')
    with pytest.raises(ConfigError, match="has no FPU"):
        sim.boards.get_board(str(p))


@pytest.mark.parametrize("bad, match", [("fp_entry = -1", "0..1000"),
                                        ("fp_lazyy = 1", "unknown key"),
                                        ("fp_return = 1.5", "integer")])
def test_fp_exception_ticks_validated(tmp_path, bad, match):
    p = tmp_path / "b.toml"
    p.write_text(f'extends = "mps2-an386"\nname = "x"\n[controller]\n'
                 f'exception_ticks = {{ {bad} }}\n')
    with pytest.raises(ConfigError, match=match):
        sim.boards.get_board(str(p))


@pytest.mark.parametrize("bits", [1, 9])
def test_fpu_board_prio_bits_out_of_range(tmp_path, bits):
    p = tmp_path / "b.toml"
    p.write_text(f'extends = "mps2-an386"\nname = "x"\n[controller]\nprio_bits = {bits}\n')
    with pytest.raises(ConfigError, match="prio_bits"):
        sim.boards.get_board(str(p))


@pytest.mark.parametrize("board", BOARDS)
def test_nocp_store_has_no_effect_until_allowed(board):
    _, log = run(board, "nocp_store")
    assert log[:5] == [1, 0x12345678, 0x40000000, 16, 0x40000000]


@pytest.mark.parametrize("board", BOARDS)
def test_cpacr_privileged_only(board):
    _, log = run(board, "cpacr_priv")
    assert log[:4] == [0x40000000, 0x40800000, 1, 1 << 19]   # 2.0, 4.0; one NOCP
    assert log[4:6] == [0, 0x500000]


@pytest.mark.parametrize("board", BOARDS)
def test_snapshot_inside_a_lazy_handler_keeps_the_fp_context(board):
    elf = build(board, "nested")
    whole = sim.Machine.load(elf, board=board + "-qemu")
    whole.run(ticks=2_000_000)
    entry = next(e.tick for e in whole.events if e.kind == "entry")
    m = sim.Machine.load(elf, board=board + "-qemu")
    m.run(ticks=entry + 30)                          # in the handler, LSPACT set
    assert m.nvic.fp()["fpccr"] & 1
    snap = m.snapshot()
    m.run(ticks=2_000_000)
    g = sim.Machine.load(elf, board=board + "-qemu")
    g.restore(snap)
    g.run(ticks=2_000_000)
    assert g.console == m.console == whole.console
    assert g.nvic.fp() == m.nvic.fp() == whole.nvic.fp()


@pytest.mark.parametrize("board", BOARDS)
def test_storm_on_an_fp_board_reports_fp_costs(board):
    from click.testing import CliRunner
    import json
    from cli import main
    runs = [CliRunner().invoke(main, ["storm", "--board", board, "--json"]) for _ in range(2)]
    assert all(r.exit_code == 0 for r in runs), runs[0].output
    assert runs[0].output == runs[1].output          # deterministic
    rep = json.loads(runs[0].output)
    n = rep["nesting"]
    assert rep["stop"] == "ticks" and n["fp_extended_frames"] > 0
    assert 0 < n["fp_lazy_saves"] <= rep["lines"]["5"]["handled"]
    assert n["fp_eager_saves"] == 0 and n["fp_ticks"] >= 17 * n["fp_lazy_saves"]
    text = CliRunner().invoke(main, ["storm", "--board", board]).output
    assert "FP context:" in text and "lazy preservations" in text


@pytest.mark.parametrize("board", BOARDS)
def test_nocp_in_the_block_that_disables_the_fpu(board):
    _, log = run(board, "nocp_window")
    assert log[:4] == [1, 1 << 19, 1, 0x40000000]


@pytest.mark.parametrize("board", BOARDS)
def test_fpdscr_seeds_a_new_context_and_aspen_clear_keeps_frames_basic(board):
    _, log = run(board, "aspen_fpdscr")
    assert log[:3] == [0xFFFFFFE9, 0x03C00000, 4]
    assert log[3:6] == [0, 0, 0xFFFFFFF9]
    assert log[6:8] == [0x20, 0]


@pytest.mark.parametrize("board", BOARDS)
def test_tail_chained_fp_handler_fills_the_lazy_frame(board):
    m, log = run(board, "tailchain")
    assert log[:3] == [0xFFFFFFE9, 0xFFFFFFE9, 1]    # one frame, its EXC_RETURN for both
    assert log[3] & 1 and log[4] == 0x20             # still lazy at the second handler
    assert log[5] & 4 == 0 and not log[6] & 1
    thread = [0x99000000 + i * 0x01010101 for i in range(16)] + [0x90000000]
    assert log[7:24] == thread and log[-3] == 1
    assert m.nvic.fp()["lazy_saves"] == 1 and m.nvic.counters()["tail_chains"] == 1


@pytest.mark.parametrize("board", BOARDS)
def test_m3_image_on_an_fp_board_traces_as_on_the_m3(board, tmp_path):
    """An image built for the Cortex-M3 never enables the FPU: on an FP board (CPACR denies
    throughout, the NOCP check watching) its storm trace is the M3 board's, bit for bit (the
    boards agree on everything it uses: memory, devices, priority bits, exception ticks)."""
    from dataclasses import replace
    from sim import storm
    from sim.demo import demo_image
    sc = replace(storm.default_scenario("mps2-an385"), ticks=600_000,
                 image=str(demo_image("mps2-an385")))
    traces = []
    for b in ("mps2-an385", board):
        p = tmp_path / f"{b}.trace"
        rep = storm.run_storm(replace(sc, board=b), baseline=False, trace_path=p)
        assert rep.nesting["exceptions_taken"] > 0 and not rep.nesting.get("fp_extended_frames")
        traces.append(p.read_bytes())
    assert len(traces[0]) > 1000 and traces[0] == traces[1]

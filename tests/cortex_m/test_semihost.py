"""Semihosting as newlib's rdimon and picolibc use it (sim/native/semihost.c): every operation
called by guest firmware (fw/semihost_tests.c, built for Cortex-M3 and for RV32), its results
checked, host files kept below the directory the user names, and the same image compared with
QEMU (qemu-system-arm mps2-an385, qemu-system-riscv32 virt) where it is installed."""

import logging
import os
import shutil
import subprocess
from pathlib import Path

import pytest

import sim
from sim import toolchain

FW = Path(__file__).parent / "fw"
FWDIR = toolchain.firmware_dir()
ARGS = "prog alpha beta"
# per architecture: the firmware target, start-up, linker script folder, board, QEMU command
ARCHES = {
    "armv7m": ("cortex-m3", [FWDIR / "cortex_m" / "startup.c"], FWDIR / "cortex_m",
               "mps2-an385", ["qemu-system-arm", "-M", "mps2-an385"]),
    "rv32": ("rv32imac", [FWDIR / "riscv" / "start.S"], FWDIR / "riscv", "virt",
             ["qemu-system-riscv32", "-M", "virt", "-bios", "none"]),
}


def build(arch, for_qemu=False):
    target, start, folder, _, _ = ARCHES[arch]
    srcs = [*start, FW / "semihost_tests.c", FWDIR / "common" / "semihost.c",
            FWDIR / "common" / "console_common.c"]
    return toolchain.build_image(target, "semihost-tests" + ("-qemu" if for_qemu else ""),
                                 srcs, linker_script=folder / "link.ld", include_dirs=[folder],
                                 defines=["FOR_QEMU=1"] if for_qemu else [])


@pytest.fixture(scope="module", params=sorted(ARCHES))
def arch(request):
    return request.param


@pytest.fixture(scope="module")
def image(arch):
    return build(arch)


@pytest.fixture(scope="module")
def board(arch):
    return ARCHES[arch][3]


def lines(console):
    return dict(ln.split("=", 1) for ln in console.splitlines() if "=" in ln)


def make_root(tmp_path):
    root = tmp_path / "root"
    root.mkdir(parents=True)
    (tmp_path / "secret.txt").write_text("outside the root\n")
    os.symlink(tmp_path / "secret.txt", root / "link_out")
    return root


def run_fw(image, tmp_path, feed=None, board=None, **kw):
    root = make_root(tmp_path)
    board = board or ("virt" if "riscv" in str(image) or "rv32" in str(image) else "mps2-an385")
    m = sim.Machine.load(image, board=board, semihost_root=root, semihost_args=ARGS, **kw)
    if feed is not None:
        m.semihost_input(feed)
    stop = m.run(ticks=5_000_000)
    return m, stop, root


def test_every_operation_gives_what_the_spec_and_qemu_give(image, tmp_path):
    m, stop, root = run_fw(image, tmp_path)
    assert stop.reason == "exit" and stop.exit_code == 3
    v = lines(m.console)
    expect = {
        "open_w_ok": "1", "write_left": "0", "istty_file": "0", "close": "0",
        "flen": "18", "read_left": "0", "seek": "0", "read_short_left": "88",
        "read_eof_left": "10", "write_to_read_only_left": "1", "append_left": "0",
        "~flen_appended": "23", "close_again": "-1", "close_again_errno": "9",
        "rename": "0", "open_old_name": "-1", "open_old_name_errno": "2",
        "iserror_neg": "1", "iserror_zero": "0", "open_bad_mode": "-1",
        "remove": "0", "remove_again": "-1", "remove_again_errno": "2",
        "tmpnam": "0", "tmpnam_too_small": "-1",
        "cmdline_ret": "0", "cmdline_len": str(len(ARGS)),
        "cmdline_too_small": "-1", "heapinfo": "0", "heap_ordered": "1", "elapsed": "0",
        "tickfreq_positive": "1", "~istty_tt": "1", "~tickfreq": str(m.board.clock_hz),
    }
    assert {k: v.get(k) for k in expect} == expect
    assert "read_left=0\nhello\nseek=0\nread_short_left=88\nsemihosting\n" in m.console
    assert v["cmdline"] == ARGS
    assert m.console.endswith("WRITE0 done\n")
    assert not any(root.iterdir()) or [p.name for p in root.iterdir()] == ["link_out"]


def test_time_is_simulated_and_deterministic(image, tmp_path):
    m, _, _ = run_fw(image, tmp_path)
    v = lines(m.console)
    lo, hi = m.symbols["elapsed"].read("<2I")
    elapsed = lo | hi << 32
    assert 0 < elapsed < m.ticks
    assert int(v["~clock"]) == m.ticks * 100 // m.board.clock_hz == 0   # a few ms simulated
    assert v["~time"] == "0"
    m2, _, _ = run_fw(image, tmp_path / "again")
    assert m2.console == m.console and m2.ticks == m.ticks


def test_clock_on_the_slowest_board_counts_centiseconds(image, board, tmp_path):
    """SYS_CLOCK on a 100 Hz board (the slowest a board file may give, README "Limits"): one
    tick per centisecond, no division by zero in clock_hz / 100."""
    text = (Path(sim.boards.__file__).parent / "boards" / f"{board}.toml").read_text()
    slow = tmp_path / "slow.toml"
    hz = sim.boards.get_board(board).clock_hz
    slow.write_text(text.replace(f"clock_hz = {hz:_}", "clock_hz = 100"))
    assert f"clock_hz = {hz:_}" in text
    m, stop, _ = run_fw(image, tmp_path, board=slow)
    v = lines(m.console)
    assert stop.exit_code == 3
    # centiseconds and seconds of 100-tick seconds, read a little before the run ended
    clock, secs = int(v["~clock"]), int(v["~time"])
    assert 0 < clock <= m.ticks
    assert clock // 100 <= secs <= m.ticks // 100


def test_heapinfo_comes_from_the_elf_and_the_board(image, tmp_path):
    m, _, _ = run_fw(image, tmp_path)
    heap_base, heap_limit, stack_base, stack_limit = m.symbols["heapinfo"].read("<4I")
    assert (heap_base, heap_limit, stack_base, stack_limit) == m.heap_info()
    bss_end = m.symbols["__bss_end"].address
    assert heap_base == (bss_end + 7) & ~7
    assert stack_base == m.initial_sp == m.symbols["_estack"].address   # Cortex-M: vector word 0
    assert stack_limit == heap_limit == stack_base - 64 * 1024


def test_the_console_input_is_what_python_feeds(image, tmp_path):
    m, _, _ = run_fw(image, tmp_path, feed=b"abcde")
    v = lines(m.console)
    assert v["~tt_in_left"] == "0" and v["~tt_in"] == "abc"
    assert v["~readc"] == str(ord("d")) and v["~readc_more"] == str(ord("e"))
    m, _, _ = run_fw(image, tmp_path / "empty")
    v = lines(m.console)
    assert v["~tt_in_left"] == "3" and v["~readc"] == "-1"


def test_paths_out_of_the_root_system_and_bad_pointers_are_guest_errors(image, board, tmp_path,
                                                                        caplog):
    caplog.set_level(logging.WARNING, logger="sim.guest")
    m, stop, _ = run_fw(image, tmp_path)
    v = lines(m.console)
    assert v["~escape_dotdot"] == v["~escape_absolute"] == v["~escape_link"] == "-1"
    assert v["~escape_dotdot_errno"] == "13"          # EACCES
    assert v["~escape_link_errno"] == "40"            # ELOOP: links are not followed
    assert v["~escape_rename"] == "-1"
    assert not (tmp_path / "outside.txt").exists()
    assert v["~write_bad_pointer_left"] == "4" and v["~write_bad_pointer_errno"] == "14"
    assert v["~system"] == "-1" and v["~system_errno"] == "1"       # EPERM
    assert v["~unknown_op"] == "-1" and v["~bad_block"] == "-1"
    # 31 handles at once (1..31): the report's, so 30 more, then EMFILE
    assert v["~opened_until_full"] == "30" and v["~full_errno"] == "24"
    assert "~appended to tt\n~append_tt_close=0\n" in m.console
    kinds = [e for e in m.events if e.kind == "guest-error"]
    assert len(kinds) >= 8
    assert "not implemented" in caplog.text or "NUL" in caplog.text or "semihosting" in caplog.text
    with pytest.raises(sim.FirmwareError, match="semihosting"):
        sim.Machine.load(image, board=board, strict=True,
                         semihost_root=make_root(tmp_path / "s")).run(ticks=5_000_000)


def test_without_a_root_every_file_operation_fails_in_the_guest(image, board, caplog):
    caplog.set_level(logging.WARNING, logger="sim.guest")
    m = sim.Machine.load(image, board=board)
    stop = m.run(ticks=5_000_000)
    v = lines(m.console)
    assert stop.exit_code == 3
    assert v["open_w_ok"] == "0" and v["rename"] == "-1" and v["remove"] == "-1"
    assert v["open_old_name_errno"] == "13"
    assert v["cmdline_ret"] == "0" and v["~istty_tt"] == "1"
    assert v["cmdline"] == str(m.image)          # the default: the image, as QEMU's fallback


def test_a_root_that_is_no_directory_is_a_config_error(image, board, tmp_path):
    with pytest.raises(sim.ConfigError, match="semihost_root"):
        sim.Machine.load(image, board=board, semihost_root=tmp_path / "missing")


def _comparable(text):
    return [ln for ln in text.splitlines() if not ln.startswith("~")]


def test_the_same_image_on_qemu_prints_the_same(arch, tmp_path):
    qemu = ARCHES[arch][4]
    if shutil.which(qemu[0]) is None:
        pytest.skip(f"{qemu[0]} is not installed")
    elf = build(arch, for_qemu=True)
    q = tmp_path / "q" / "root"
    q.mkdir(parents=True)
    r = subprocess.run([*qemu, "-nographic", "-monitor", "none",
                        "-serial", "none", "-semihosting-config",
                        "enable=on,target=native," + ",".join(f"arg={a}" for a in ARGS.split()),
                        "-kernel", str(elf)],
                       capture_output=True, text=True, timeout=60, cwd=q,
                       stdin=subprocess.DEVNULL)
    m, stop, _ = run_fw(elf, tmp_path / "i")
    assert r.returncode == stop.exit_code == 3
    assert _comparable(r.stdout + r.stderr) == _comparable(m.console)
    assert len(_comparable(m.console)) > 30

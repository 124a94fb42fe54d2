"""handler_table.{h,c} as firmware and plain C programs use them.

* cross-compiles warning-free (-Werror) for each firmware target with zig cc, and
  the object needs no atomic library calls (no __atomic_* / __sync_*), which
  freestanding firmware would have to provide;
* the header can be included from assembly (C parts under #ifndef __ASSEMBLER__);
* with the host compiler, tables from HANDLER_TABLE_DEFINE / HANDLER_TABLE_INIT
  follow the crate's README example, and a zero-slot table does not compile.
"""

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

import handlertable

SRC = handlertable.source_dir()
HERE = Path(__file__).resolve().parent

FIRMWARE_TARGETS = {
    "cortex_m3": ["-target", "thumb-freestanding-eabi", "-mcpu=cortex_m3"],
    "cortex_m0": ["-target", "thumb-freestanding-eabi", "-mcpu=cortex_m0"],
    "rv32imac": ["-target", "riscv32-freestanding-none", "-mcpu=generic_rv32+m+a+c"],
}
STRICT = ["-std=c11", "-ffreestanding", "-Os", "-Wall", "-Wextra", "-Werror", "-pedantic"]

needs_zig = pytest.mark.skipif(
    importlib.util.find_spec("ziglang") is None, reason="ziglang (zig cc) is not installed"
)


def zig_cc(*args):
    return subprocess.run(
        [sys.executable, "-m", "ziglang", "cc", *args], capture_output=True, text=True, timeout=300
    )


def host_cc():
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if cc is None:
        pytest.skip("no host C compiler (cc, gcc or clang) on PATH")
    return cc


def undefined_symbols(obj: Path):
    with obj.open("rb") as f:
        symtab = ELFFile(f).get_section_by_name(".symtab")
        return {s.name for s in symtab.iter_symbols() if s.name and s["st_shndx"] == "SHN_UNDEF"}


@needs_zig
@pytest.mark.parametrize("ordering", [[], ["-DHANDLER_TABLE_CRATE_ORDERING"]], ids=["ours", "crate"])
@pytest.mark.parametrize("target", FIRMWARE_TARGETS)
def test_table_compiles_warning_free_without_atomic_libcalls(tmp_path, target, ordering):
    obj = tmp_path / "handler_table.o"
    r = zig_cc(*FIRMWARE_TARGETS[target], *STRICT, *ordering, "-c", str(SRC / "handler_table.c"), "-o", str(obj))
    assert r.returncode == 0, r.stderr
    libcalls = {s for s in undefined_symbols(obj) if s.startswith(("__atomic_", "__sync_"))}
    assert not libcalls, f"{target}: atomics were not inlined: {sorted(libcalls)}"


@needs_zig
@pytest.mark.parametrize("target", FIRMWARE_TARGETS)
def test_header_can_be_included_from_assembly(tmp_path, target):
    asm = tmp_path / "startup.S"
    asm.write_text(
        '#include "handler_table.h"\n'
        "#ifndef HANDLERTABLE_HANDLER_TABLE_H_\n#error guard not defined\n#endif\n"
        "    .text\n    .globl f\nf:\n    nop\n"
    )
    r = zig_cc(*FIRMWARE_TARGETS[target], f"-I{SRC}", "-c", str(asm), "-o", str(tmp_path / "startup.o"))
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("ordering", [[], ["-DHANDLER_TABLE_CRATE_ORDERING"]], ids=["ours", "crate"])
def test_static_tables_follow_crate_readme_in_c(tmp_path, ordering):
    exe = tmp_path / "c_api_smoke"
    build = subprocess.run(
        [host_cc(), "-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O2", *ordering,
         f"-I{SRC}", str(HERE / "c_api_smoke.c"), str(SRC / "handler_table.c"), "-o", str(exe)],
        capture_output=True, text=True, timeout=300,
    )
    assert build.returncode == 0, build.stderr
    run = subprocess.run([str(exe)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert "c_api_smoke: ok" in run.stdout


def test_zero_slot_table_is_rejected_at_compile_time(tmp_path):
    src = tmp_path / "zero.c"
    src.write_text('#include "handler_table.h"\nHANDLER_TABLE_DEFINE(empty_table, 0);\n')
    r = subprocess.run(
        [host_cc(), "-std=c11", f"-I{SRC}", "-c", str(src), "-o", str(tmp_path / "zero.o")],
        capture_output=True, text=True, timeout=300,
    )
    assert r.returncode != 0
    assert "at least one slot" in r.stderr

"""Cross-compiling firmware with the pip-installed compiler (`ziglang`, pinned in pyproject).

One entry point, `build_image`, compiles C and assembly sources and links them with a linker
script into an ELF for one target. Builds are cached: a stamp beside each image holds a hash of
the command lines and of every input file, and an image whose stamp matches is not rebuilt.
Output goes under `build_dir()`, which git ignores.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from .errors import ToolchainError

ZIG_PIN = "0.17.1"


@dataclass(frozen=True)
class Target:
    name: str
    triple: str
    cpu: str
    arch: str  # "arm" or "riscv"
    runtime: tuple = ()   # sources (below firmware/) every linked image of the target gets


TARGETS = {
    "cortex-m3": Target("cortex-m3", "thumb-freestanding-eabi", "cortex_m3", "arm"),
    "cortex-m0": Target("cortex-m0", "thumb-freestanding-eabi", "cortex_m0", "arm",
                        runtime=("cortex_m/aeabi_v6m.c",)),   # no divide instruction
    # zig 0.17.1's cortex_m4 / cortex_m7 have no FPU feature by themselves (the code calls the
    # soft-float library even with -mfloat-abi=hard); the feature suffix gives hard-float FP code
    # (checked in tests/cortex_m/test_fpu.py): FPv4-SP on the M4F, FPv5 with doubles on the M7
    "cortex-m4f": Target("cortex-m4f", "thumb-freestanding-eabihf", "cortex_m4+vfp4d16sp", "arm"),
    "cortex-m7": Target("cortex-m7", "thumb-freestanding-eabihf", "cortex_m7+fp_armv8d16", "arm"),
    # soft-float: no FP instructions (zig's cortex_m33 has no FPU; the eabi triple keeps the
    # soft-float calling convention), as long as irqsim models no v8-M FP context
    "cortex-m33": Target("cortex-m33", "thumb-freestanding-eabi", "cortex_m33", "arm"),
    "rv32imac": Target("rv32imac", "riscv32-freestanding-none", "generic_rv32+m+a+c+zicsr", "riscv"),
}

COMMON_CFLAGS = [
    "-std=c11", "-ffreestanding", "-nostdlib", "-Os", "-g",
    "-Wall", "-Wextra", "-Werror",
    "-fno-unwind-tables", "-fno-asynchronous-unwind-tables", "-fno-stack-protector",
    "-ffunction-sections", "-fdata-sections",
]


def package_root() -> Path:
    """The folder holding the `firmware` and `handlertable` source packages."""
    return Path(__file__).resolve().parent.parent


def firmware_dir() -> Path:
    return package_root() / "firmware"


def handlertable_dir() -> Path:
    return package_root() / "handlertable"


def build_dir() -> Path:
    """Where images go: $IRQSIM_BUILD_DIR, else build/firmware in a source checkout, else a cache."""
    env = os.environ.get("IRQSIM_BUILD_DIR")
    if env:
        return Path(env)
    root = package_root()
    if (root / "pyproject.toml").exists() and os.access(root, os.W_OK):
        return root / "build" / "firmware"
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "irqsim" / "firmware"


def compiler() -> list[str]:
    """The command that runs the cross compiler, or ToolchainError saying how to install it."""
    if importlib.util.find_spec("ziglang") is None:
        raise ToolchainError(
            f"the cross compiler is not installed: run `pip install ziglang=={ZIG_PIN}` "
            "(or reinstall irqsim, which pins it)")
    return [sys.executable, "-m", "ziglang", "cc"]


def build_image(target: str, name: str, sources, *, linker_script=None, include_dirs=(),
                defines=(), extra_flags=(), out_dir=None, link=True) -> Path:
    """Compile `sources` for `target` and link them into `<out_dir>/<target>/<name>.elf`.

    With link=False the objects are archived into nothing: the single source is compiled to
    `<name>.o` (used to inspect what the compiler made of one file). Unchanged inputs skip the
    build. Compiler errors raise ToolchainError with the failing command and its output.
    """
    if target not in TARGETS:
        raise ToolchainError(f"unknown firmware target {target!r}; known: {', '.join(TARGETS)}")
    t = TARGETS[target]
    out = Path(out_dir or build_dir()) / target
    out.mkdir(parents=True, exist_ok=True)
    sources = [Path(s) for s in sources]
    if link:
        sources += [firmware_dir() / r for r in t.runtime]
    flags = ["-target", t.triple, f"-mcpu={t.cpu}", *COMMON_CFLAGS]
    flags += [f"-I{d}" for d in (firmware_dir() / "common", handlertable_dir(), *include_dirs)]
    flags += [f"-D{d}" for d in defines] + list(extra_flags)
    image = out / (f"{name}.elf" if link else f"{name}.o")
    if link:
        if linker_script is None:
            raise ToolchainError(f"{name}: a linked image needs a linker script")
        cmd = [*compiler(), *flags, f"-T{linker_script}", "-Wl,--gc-sections",
               "-Wl,--entry=Reset_Handler", *map(str, sources), "-o", str(image)]
        ld_dir = Path(linker_script).parent   # and the scripts it may INCLUDE from above
        inputs = [*sources, Path(linker_script), *sorted(ld_dir.glob("*.ld")),
                  *sorted(ld_dir.parent.glob("*.ld"))]
    else:
        cmd = [*compiler(), *flags, "-c", *map(str, sources), "-o", str(image)]
        inputs = list(sources)
    inputs += _headers(flags)
    stamp = image.with_suffix(image.suffix + ".stamp")
    digest = _digest(cmd, inputs)
    if image.exists() and stamp.exists() and stamp.read_text() == digest:
        return image
    # a name of this process's own: two builds of one image at once (graders in parallel)
    # each write their own file, and os.replace puts either one, whole, in place
    tmp = image.with_suffix(f"{image.suffix}.{os.getpid()}.tmp")
    cmd[-1] = str(tmp)
    try:
        # the linker finds a script's INCLUDEs in its working directory
        cwd = Path(linker_script).parent if link else None
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd)
    except OSError as e:
        raise ToolchainError(f"cannot run the cross compiler ({e}); reinstall with "
                             f"`pip install ziglang=={ZIG_PIN}`") from None
    if proc.returncode != 0:
        tmp.unlink(missing_ok=True)
        msg = (proc.stderr or proc.stdout).strip()
        if "No module named ziglang" in msg:
            raise ToolchainError(f"the cross compiler is not installed: run "
                                 f"`pip install ziglang=={ZIG_PIN}`")
        raise ToolchainError(f"building {name} for {target} failed: {' '.join(cmd)}\n{msg}")
    os.replace(tmp, image)
    stamp.write_text(digest)
    return image


def _headers(flags):
    """Every header in the include folders: a changed header rebuilds the images."""
    found = []
    for f in flags:
        if f.startswith("-I"):
            found += sorted(Path(f[2:]).glob("*.h"))
    return found


def _digest(cmd, inputs) -> str:
    h = hashlib.sha256("\0".join(cmd[:-1]).encode())
    for p in inputs:
        h.update(str(p).encode())
        h.update(Path(p).read_bytes())
    return h.hexdigest()

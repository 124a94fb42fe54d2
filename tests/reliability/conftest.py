"""Fixtures of the reliability tests: the hostile firmware image, and running a snippet in a
child process, where a host crash (a segfault, a SIGFPE, an abort) fails one test instead of
killing pytest."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

import sim
from sim import toolchain

ROOT = Path(__file__).resolve().parents[2]
FW = Path(__file__).parent / "fw"
CM = toolchain.firmware_dir() / "cortex_m"


def build_hostile(case=None):
    """fw/hostile.c built, with `case` compiled in (for the CLI) or chosen at run time."""
    srcs = [CM / "startup.c", FW / "hostile.c", toolchain.firmware_dir() / "common" / "semihost.c"]
    name, defines = ("hostile", []) if case is None else (f"hostile-{case}",
                                                          [f"HOSTILE_CASE={case}"])
    return toolchain.build_image("cortex-m3", name, srcs, linker_script=CM / "link.ld",
                                 include_dirs=[CM, toolchain.firmware_dir() / "common"],
                                 defines=defines)


@pytest.fixture(scope="session")
def hostile_image():
    return build_hostile()


@pytest.fixture
def hostile(hostile_image):
    """hostile(case, **Machine kwargs) -> a Machine running that case of fw/hostile.c."""
    made = []

    def make(case, **kw):
        m = sim.Machine.load(hostile_image, board="mps2-an385", **kw)
        m.symbols["hostile_case"].write("<I", case)
        made.append(m)
        return m
    yield make
    for m in made:
        m.close()


def run_isolated(code: str, timeout: float = 60, env=None) -> subprocess.CompletedProcess:
    """Runs Python `code` in a child process with the project on the path; a host crash shows
    as a negative returncode there."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})


def assert_clean(p: subprocess.CompletedProcess):
    """The child ended by itself (no signal) and printed no traceback."""
    assert p.returncode >= 0, f"host crash: signal {-p.returncode}\n{p.stderr[-2000:]}"
    assert "Traceback" not in p.stderr, p.stderr[-3000:]

"""ThreadSanitizer: our orderings hand data over race-free, the crate's do not.

tsan_stress.c passes plain variables between two threads using only the table
(register -> handle in "publish", register <-> unregister in "handoff"). TSan checks
happens-before, so a missing release/acquire edge is reported on the first round
whatever the timing. The program is built twice with the host gcc: with
-DHANDLER_TABLE_CRATE_ORDERING (the Rust crate's Acquire-only compare-exchange and
exchange) TSan must report races on exactly the handed-over variables; with our
acq_rel/acquire orderings it must report nothing.

Skipped, naming what is missing, only when a trivial TSan program cannot be built or
run. Kernels with more mmap randomisation than TSan supports ("unexpected memory
mapping") are retried under `setarch -R` (ASLR off for that process).
"""

import os
import platform
import shutil
import subprocess
from pathlib import Path

import pytest

import handlertable

SRC = handlertable.source_dir()
HERE = Path(__file__).resolve().parent
ROUNDS = 200

TSAN_CFLAGS = ["-fsanitize=thread", "-O1", "-g", "-pthread", "-std=c11", "-Wall", "-Wextra"]
TSAN_ENV = {**os.environ, "TSAN_OPTIONS": "halt_on_error=0 exitcode=66"}
RACE = "WARNING: ThreadSanitizer: data race"

# mode -> the plain variables that cross between the threads in that mode
HANDED_OVER = {"publish": ["payload", "reply"], "handoff": ["a_to_b", "b_to_a"]}

PROBE = r"""
#include <pthread.h>
static int x;
static void *run(void *arg) { (void)arg; x = 1; return 0; }
int main(void) { pthread_t t; pthread_create(&t, 0, run, 0); pthread_join(t, 0); return x - 1; }
"""


def _compile(gcc, out, sources, defines=()):
    return subprocess.run(
        [gcc, *TSAN_CFLAGS, *defines, f"-I{SRC}", *map(str, sources), "-o", str(out)],
        capture_output=True, text=True, timeout=300,
    )


@pytest.fixture(scope="module")
def tsan(tmp_path_factory):
    """(run prefix, {"ours": exe, "crate": exe}); skips if TSan is unusable here."""
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.skip("gcc is not on PATH (needed for -fsanitize=thread)")
    tmp = tmp_path_factory.mktemp("tsan")
    probe_c = tmp / "probe.c"
    probe_c.write_text(PROBE)
    build = _compile(gcc, tmp / "probe", [probe_c])
    if build.returncode != 0:
        pytest.skip(f"gcc cannot build a -fsanitize=thread program (libtsan missing?): {build.stderr.strip()[:300]}")
    prefixes = [[]]
    setarch = shutil.which("setarch")
    if setarch:
        prefixes.append([setarch, platform.machine(), "-R"])
    failures = []
    for prefix in prefixes:
        run = subprocess.run([*prefix, str(tmp / "probe")], capture_output=True, text=True, env=TSAN_ENV, timeout=60)
        if run.returncode == 0 and "ThreadSanitizer" not in run.stderr:
            break
        failures.append(f"{' '.join(prefix) or 'plain'}: rc={run.returncode} {run.stderr.strip()[:200]}")
    else:
        pytest.skip("a trivial TSan program does not run here: " + "; ".join(failures))

    exes = {}
    for name, defines in (("ours", []), ("crate", ["-DHANDLER_TABLE_CRATE_ORDERING"])):
        exe = tmp / f"tsan_stress_{name}"
        build = _compile(gcc, exe, [HERE / "tsan_stress.c", SRC / "handler_table.c"], defines)
        assert build.returncode == 0, build.stderr
        exes[name] = exe
    return prefix, exes


def _run(tsan, build, mode):
    prefix, exes = tsan
    return subprocess.run(
        [*prefix, str(exes[build]), mode, str(ROUNDS)], capture_output=True, text=True, env=TSAN_ENV, timeout=300
    )


@pytest.mark.parametrize("mode", HANDED_OVER)
def test_release_acquire_orderings_hand_over_data_race_free(tsan, mode):
    r = _run(tsan, "ours", mode)
    assert "ThreadSanitizer" not in r.stderr, r.stderr
    assert r.returncode == 0, r.stderr
    assert f"{mode}: {ROUNDS} rounds ok" in r.stdout


@pytest.mark.parametrize("mode", HANDED_OVER)
def test_crate_orderings_race_on_handed_over_data(tsan, mode):
    r = _run(tsan, "crate", mode)
    assert RACE in r.stderr, r.stderr
    assert r.returncode == 66, r.stderr  # TSan's exit code: the program itself succeeded
    assert f"{mode}: {ROUNDS} rounds ok" in r.stdout
    for var in HANDED_OVER[mode]:
        assert f"Location is global '{var}'" in r.stderr, f"no race reported on {var}"

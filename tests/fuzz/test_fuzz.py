"""Property tests (issue 12, class 6): hostile ELF images, board files, scenario files and CLI
options give a clean run or a clear sim.errors error, never a traceback, a crash or a hang. Each
case runs in a forked child (harness.in_child). Bounded for CI: each test stays well under 20 s;
tests/fuzz/run.py runs the same properties for as long as you like."""

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from . import harness as h

CI = settings(max_examples=int(os.environ.get("IRQSIM_FUZZ_EXAMPLES", "150")), deadline=None,
              derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
BOARDS = {name: h.board_text(name) for name in ("mps2-an385", "virt", "microbit")}


@CI
@given(data=h.mutated_elf())
def test_mutated_elf_images_load_or_fail_clearly(data):
    h.in_child(h.elf_case, data)


@pytest.mark.parametrize("board", sorted(BOARDS))
@CI
@given(data=st.data())
def test_mutated_board_files_load_or_fail_clearly(board, data):
    table = data.draw(h.mutated_table(BOARDS[board]))
    h.in_child(h.board_case, h.to_toml(table), board)


@CI
@given(d=h.scenario_dict())
def test_scenario_files_run_or_fail_clearly(d):
    h.in_child(h.scenario_case, h.to_toml(d))


@CI
@given(args=h.cli_args())
def test_cli_options_run_or_fail_clearly(args):
    h.in_child(h.cli_case, args)


def test_the_harness_sees_a_crash_a_hang_and_a_traceback():
    """The property can fail: a child killed by a signal, one that never ends, and one that
    raises something other than a SimError are each a CaseFailed."""
    import signal
    import time
    with pytest.raises(h.CaseFailed, match="host crash: signal 11"):
        h.in_child(lambda: os.kill(os.getpid(), signal.SIGSEGV))
    with pytest.raises(h.CaseFailed, match="hang"):
        h.in_child(lambda: time.sleep(30), timeout=0.5)
    with pytest.raises(h.CaseFailed, match="ZeroDivisionError"):
        h.in_child(lambda: 1 / 0)
    assert h.in_child(lambda: "ok fine") == "ok fine"

"""The Cortex-M33 board from the command line: listed, built, stormed with no other options."""

import json

from click.testing import CliRunner

from cli import main

BOARD = "mps2-an505"


def test_boards_lists_the_m33_board():
    r = CliRunner().invoke(main, ["boards"])
    assert r.exit_code == 0
    line = next(ln for ln in r.output.splitlines() if ln.startswith(BOARD))
    assert "cortex-m33" in line and "Secure" in line


def test_build_builds_the_m33_demo():
    r = CliRunner().invoke(main, ["build", "--json"])
    assert r.exit_code == 0, r.output
    images = json.loads(r.output)["images"]
    assert any(p.endswith("cortex-m33/demo-mps2-an505.elf") for p in images)


def test_default_storm_on_the_m33_board_handles_and_accounts_for_every_request():
    r = CliRunner().invoke(main, ["storm", "--board", BOARD, "--json"])
    assert r.exit_code == 0, r.output
    rep = json.loads(r.output)
    assert rep["board"] == BOARD and rep["clock_hz"] == 20_000_000
    t = rep["totals"]
    assert t["handled"] > 1000 and t["unhandled"] > 0      # line 3's slot is empty
    outcomes = t["handled"] + t["unhandled"] + t["coalesced"] + t["pending"] + t["dropped"]
    assert outcomes == t["requests"]
    assert rep["nesting"]["preemptions"] > 0 and rep["nesting"]["tail_chains"] > 0
    # the main stack is SSRAM2+3's Secure alias: the frames are counted below its top
    assert rep["stack"]["initial_sp"] == 0x38400000 and rep["stack"]["peak_bytes"] > 32

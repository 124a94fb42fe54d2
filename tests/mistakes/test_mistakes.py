"""The mistake detectors (docs/mistakes.md): each fires on a small image that makes the mistake,
naming the line, the handler and the evidence, and stays quiet on the correct variant of the
same firmware and on the bundled demo's default storm, on both boards where it applies."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

import sim
from cli import main
from sim import explain, storm
from sim.codes import DET_REENTRIES
from sim.native import detectors

ARM, RV = "mps2-an385", "virt"
LEVEL, BASEPRI, PRIO, STACK, EMPTY = 1, 2, 3, 4, 5     # fw/mistakes_*.c MODE_*


@pytest.fixture
def boot(cm_image, rv_image):
    def make(board, mode, correct=False):
        m = sim.Machine.load(cm_image if board == ARM else rv_image, board)
        for name, v in (("mode", mode), ("correct", int(correct)),
                        ("ack_addr", m.ack_register())):
            m.symbols[name].write("<I", v)
        return m
    return make


# what each mode's test does to the machine: (kind, line, first tick, step) of its requests
STIMULUS = {LEVEL: ("raise", 5, 20_000, 5_000), BASEPRI: ("pulse", 2, 20_000, 7_001),
            PRIO: ("pulse", 4, 20_000, 0), STACK: ("pulse", 6, 50_000, 0),
            EMPTY: ("pulse", 9, 20_000, 10_000)}


def drive(m, mode, ticks=200_000):
    """Makes the requests of `mode` (STIMULUS) and runs `ticks`."""
    kind, line, first, step = STIMULUS[mode]
    at = range(first, ticks, step) if step else [first]
    if mode == EMPTY:
        at = at[:2]
    m.schedule(at, [line] * len(at), [kind] * len(at))
    m.run(ticks=ticks)
    return m


def only(m, kind):
    """The one mistake m found, which must be of `kind`."""
    found = m.mistakes()
    assert [x.kind for x in found] == [kind], [x.text for x in found]
    return found[0]


# ---- a level source its handler never clears ----------------------------------------------------

@pytest.mark.parametrize("board", [ARM, RV])
def test_level_never_cleared_is_named_with_its_handler_and_count(boot, board):
    x = only(drive(boot(board, LEVEL), LEVEL), "level-stuck")
    assert (x.line, x.handler) == (5, "on_level")
    assert x.text.startswith("line 5: a level source its handler on_level never clears: "
                             "re-entered ")
    assert x.tick >= 20_000 and "back to back with the level still asserted" in x.text


@pytest.mark.parametrize("board,mode,handled", [
    (ARM, LEVEL, 36), (RV, LEVEL, 36), (ARM, BASEPRI, 26), (ARM, PRIO, 1), (RV, PRIO, 1),
    (ARM, STACK, 0), (RV, STACK, 1), (ARM, EMPTY, 2), (RV, EMPTY, 2)])
def test_the_correct_variant_of_the_same_firmware_is_no_mistake(boot, board, mode, handled):
    m = drive(boot(board, mode, correct=True), mode)
    line = STIMULUS[mode][1]
    count = m.symbols["handled"].read("<16I")[0 if board == RV and mode in (PRIO, STACK, EMPTY)
                                                else line]
    assert count == handled
    assert m.mistakes() == []


def test_level_held_shorter_than_the_threshold_is_no_mistake(boot):
    # a source that drops its level by itself after a few handler runs (a storm's hold)
    m = boot(ARM, LEVEL)
    m.raise_irq(5, at=20_000)
    m.lower_irq(5, at=21_000)
    m.run(ticks=100_000)
    assert 1 < m.symbols["handled"].read("<16I")[5] < DET_REENTRIES
    assert m.mistakes() == []


# ---- BASEPRI 0 as a mask (Cortex-M) -----------------------------------------------------------

def test_basepri_zero_as_a_mask_names_the_line_taken_inside_and_both_writes(boot):
    m = boot(ARM, BASEPRI)
    assert len(m.mask_sites) == 3          # the image's MSR BASEPRI instructions, each hooked
    x = only(drive(m, BASEPRI), "basepri-zero")
    assert (x.line, x.handler) == (2, "on_basepri")
    assert "BASEPRI written 0 at pc 0x" in x.text and "(main+0x" in x.text
    assert "while it was 0 already" in x.text and "IRQ2 (on_basepri) was taken inside" in x.text
    assert "masks nothing" in x.text


def test_an_image_without_msr_basepri_gets_no_hook():
    m = sim.Machine.demo(ARM)
    assert m.mask_sites == []


# ---- priority bits the controller does not implement -----------------------------------------

@pytest.mark.parametrize("board,text", [
    (ARM, "line 4: priority 0x90 written to NVIC_IPR1 byte at 0xe000e404 (handler on_prio) at "
          "tick "),
    (RV, "line 4: priority 0x09 written to PLIC priority of source 4 at 0x0c000010 (handler "
         "on_other) at tick ")])
def test_priority_in_unimplemented_bits_is_one_line_with_what_it_kept(boot, board, text):
    x = only(drive(boot(board, PRIO), PRIO), "prio-bits")
    assert x.line == 4 and x.text.startswith(text), x.text
    assert f"keeps only {0x80 if board == ARM else 1:#04x}: board {board} implements 3 " \
           "priority bits" in x.text


# ---- the stack reaching its end while nested ---------------------------------------------------

def test_stack_near_its_end_names_depth_and_every_active_line_cortex_m(boot):
    m = drive(boot(ARM, STACK), STACK)     # (line 6 is not enabled: the thread pends 14)
    x = only(m, "stack-end")
    assert x.line == 10 and x.handler == "on_nest10"
    assert ("the stack reached SP 0x203feef0 at tick " in x.text and
            "240 bytes above its end (0x203fee00, __StackLimit) while nested 5 deep" in x.text)
    assert ("line 14 (on_nest14), line 13 (on_nest13), line 12 (on_nest12), line 11 "
            "(on_nest11), line 10 (on_nest10)") in x.text
    # it fired before the frame went past the end: nothing is corrupted yet
    assert m.nvic.counters()["min_frame_sp"] > m.stack_end


def test_stack_near_its_end_riscv(boot):
    x = only(drive(boot(RV, STACK), STACK), "stack-end")
    assert (x.line, x.handler) == (6, "on_other")
    assert "above its end (0x87ffc000, __StackLimit) while nested 1 deep" in x.text


# ---- an interrupt enabled with no handler ---------------------------------------------------------

@pytest.mark.parametrize("board", [ARM, RV])
def test_empty_table_slot_when_taken(boot, board):
    x = only(drive(boot(board, EMPTY), EMPTY), "empty-slot")
    assert x.line == 9 and x.handler is None and x.count == 2
    assert x.text.startswith("line 9: taken 2 time(s) (ticks 2")
    assert "with its handler table slot 9 empty (irq_table): no handler is registered" in x.text


def test_enabled_line_whose_vector_is_the_default_handler(no_vector_image):
    m = sim.Machine.load(no_vector_image(False), ARM)
    m.run(ticks=10_000)
    x = only(m, "no-vector")
    assert (x.line, x.handler) == (7, "DefaultHandler")
    assert x.text.startswith("line 7: enabled at tick ")
    assert "is the default handler (DefaultHandler): no handler is installed" in x.text
    ok = sim.Machine.load(no_vector_image(True), ARM)
    ok.run(ticks=10_000)
    assert ok.mistakes() == []


# ---- the bundled demo, storms and the CLI --------------------------------------------------------

@pytest.mark.parametrize("board", [ARM, RV])
def test_default_storm_finds_no_mistake_and_its_report_has_no_key(board):
    report = storm.run_storm(storm.default_scenario(board), baseline=False)
    assert report.mistakes == []
    assert "mistakes" not in report.to_dict() and "mistakes" not in report.format()


def test_the_demos_empty_line_is_expected_not_reported():
    m = sim.Machine.demo(ARM)
    m.run(ticks=100_000)                    # its self-test takes line 3, whose slot is empty
    assert m.mistakes() == []
    assert ("empty-slot", 3) in m.expected_mistakes


def test_storm_report_lists_mistakes_in_text_and_json(tmp_path):
    # the demo's line 6 held high by its source far longer than its handler takes: the
    # handler cannot clear it, and is re-entered back to back
    sc = tmp_path / "level.toml"
    sc.write_text(f'board = "{ARM}"\nticks = 300000\n[[source]]\nkind = "once"\nline = 6\n'
                  'at = 100000\ntrigger = "level"\nhold = 100000\n')
    r = CliRunner().invoke(main, ["storm", "--scenario", str(sc)])
    assert "mistakes (1; docs/mistakes.md):\n  line 6: a level source its handler " \
           "demo_handler_6 never clears: re-entered " in r.output, r.output
    r = CliRunner().invoke(main, ["storm", "--scenario", str(sc), "--json"])
    [x] = json.loads(r.output)["mistakes"]
    assert (x["kind"], x["line"], x["handler"]) == ("level-stuck", 6, "demo_handler_6")
    assert x["tick"] >= 100_000


def test_run_prints_each_mistake_on_stderr_and_in_json(no_vector_image):
    elf = str(no_vector_image(False))
    r = CliRunner().invoke(main, ["run", elf, "--ticks", "10000"])
    assert "irqsim: mistake: line 7: enabled at tick " in r.stderr
    r = CliRunner().invoke(main, ["run", elf, "--ticks", "10000", "--json"])
    assert [x["kind"] for x in json.loads(r.output)["mistakes"]] == ["no-vector"]


def test_mistakes_survive_a_snapshot(boot):
    m = drive(boot(ARM, EMPTY), EMPTY, ticks=40_000)
    snap = m.snapshot()
    other = m.fork()
    assert [x.text for x in other.mistakes()] == [x.text for x in m.mistakes()]
    m.restore(snap)
    assert len(m.mistakes()) == 1


def test_expect_mistake_checks_its_kind(boot):
    m = boot(ARM, EMPTY)
    with pytest.raises(sim.errors.ArgumentError, match="is not one of level-stuck"):
        m.expect_mistake("typo", 9)


def test_explain_ends_with_the_mistakes_of_its_run(tmp_path):
    sc = tmp_path / "level.toml"
    sc.write_text(f'board = "{ARM}"\nticks = 300000\n[[source]]\nkind = "once"\nline = 6\n'
                  'at = 10000\ntrigger = "level"\nhold = 100000\n')
    steps = explain.explain(scenario=str(sc))
    assert steps[-1].kind == "mistake" and steps[-1].facts["kind"] == "level-stuck"
    assert steps[-1].text.startswith("line 6: a level source its handler demo_handler_6 ")
    assert [s.kind for s in explain.explain()].count("mistake") == 0


def test_a_fork_of_the_demo_keeps_what_it_expects():
    m = sim.Machine.demo(ARM)
    m.run(ticks=100_000)
    assert m.fork().mistakes() == []


def test_the_msr_hooks_leave_the_trace_as_it_is(boot, monkeypatch):
    hooked = drive(boot(ARM, BASEPRI), BASEPRI, ticks=100_000)
    monkeypatch.setattr(detectors, "_MSR_BASEPRI", re.compile(rb"(?!)"))    # finds no site
    bare = boot(ARM, BASEPRI)
    assert bare.mask_sites == [] and len(hooked.mask_sites) == 3
    drive(bare, BASEPRI, ticks=100_000)
    assert bare.events == hooked.events and bare.ticks == hooked.ticks
    assert bare.mistakes() == []

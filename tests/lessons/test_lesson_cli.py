"""`irqsim lesson` through click's CliRunner: the list, a run (pausing only on a terminal),
--check's exit status and output, batch grading, and one-line errors for bad input."""

import json

import pytest
from click.testing import CliRunner

import cli
from sim import lessons

L1 = lessons.get_lesson(1)
L2 = lessons.get_lesson(2)


def _run(*args, input=None):
    return CliRunner().invoke(cli.main, ["lesson", *args], input=input)


def _one_line_error(r, *phrases):
    assert r.exit_code == 1, r.output
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    out = r.output.strip()
    assert len(out.splitlines()) == 1 and "Traceback" not in out, out
    for p in phrases:
        assert p in out, out


def test_the_list_names_every_lesson_its_boards_and_what_it_shows():
    r = _run()
    assert r.exit_code == 0
    rows = r.output.splitlines()
    assert len(rows) == len(lessons.all_lessons())
    assert rows[0].split()[0] == "1" and "Priority and preemption" in rows[0]
    assert any("mps2-an385, virt" in row for row in rows)
    data = json.loads(_run("--json").output)
    assert {d["number"] for d in data} == {x.number for x in lessons.all_lessons()}
    assert set(data[0]) == {"number", "title", "boards", "shows", "answer"}


def test_a_lesson_prints_text_narration_task_and_questions_without_pausing_when_piped():
    r = _run("3")
    assert r.exit_code == 0, r.output
    assert r.output.startswith("[1] Lesson 3: Tail-chaining and late arrival (on mps2-an385)")
    assert "Late arrival: IRQ5 during IRQ0's stacking" in r.output
    assert "Tail-chain from IRQ5 into IRQ2" in r.output
    assert "Your task" in r.output and "Questions\n1. " in r.output
    assert "press Enter" not in r.output


def test_on_a_terminal_it_pauses_unless_no_pause(monkeypatch):
    monkeypatch.setattr(cli, "_interactive", lambda: True)
    n = len(lessons.run(8))
    r = _run("8", input="\n" * n)
    assert r.exit_code == 0 and r.output.count("press Enter") == n - 1
    assert "press Enter" not in _run("8", "--no-pause").output


def test_board_picks_the_architecture_and_a_board_the_lesson_lacks_is_an_error():
    r = _run("5", "--board", "virt", "--no-pause")
    assert r.exit_code == 0 and "(on virt)" in r.output and "PLIC claim" in r.output
    _one_line_error(_run("8", "--board", "mps2-an385"), "lesson 8 runs on virt")


def test_check_exit_status_is_0_only_for_a_right_answer():
    r = _run("1", "--check", str(L1.reference))
    assert r.exit_code == 0 and r.output.rstrip().endswith("PASS: the answer is right")
    r = _run("1", "--check", str(L1.wrong[0].file))
    assert r.exit_code == 1 and "  WRONG: " in r.output and "FAIL:" in r.output
    d = json.loads(_run("1", "--check", str(L1.wrong[0].file), "--json").output)
    assert d["ok"] is False and any(not i["right"] for i in d["items"])


def test_batch_grading_of_a_folder_of_answers(tmp_path):
    """What docs/teaching.md shows: one check per file, graded by exit status."""
    (tmp_path / "alice.c").write_text(L2.reference.read_text())
    (tmp_path / "bob.c").write_text(L2.wrong[0].file.read_text())
    grades = {p.stem: _run("2", "--check", str(p)).exit_code
              for p in sorted(tmp_path.glob("*.c"))}
    assert grades == {"alice": 0, "bob": 1}


def test_a_c_answer_that_does_not_compile_is_the_compilers_message_shortened(tmp_path):
    bad = tmp_path / "broken.c"
    bad.write_text('#include "cm3.h"\nvoid lesson_setup(void) { SCB_AIRCR = ; }\n')
    r = _run("2", "--check", str(bad))
    _one_line_error(r, "broken.c: does not compile:", "line 2:", "error")
    assert len(r.output) < 500


def test_a_c_answer_without_the_function_the_lesson_calls_is_a_link_error(tmp_path):
    bad = tmp_path / "empty.c"
    bad.write_text("int unrelated;\n")
    _one_line_error(_run("4", "--check", str(bad)), "empty.c: does not compile:", "lesson_mask")


@pytest.mark.parametrize("args,phrases", [
    (["1", "--check", "no/such/answer.toml"], ["no such file", "a scenario file (.toml)"]),
    (["2", "--check", "answer.toml"], ["no such file"]),
    (["99"], ["there is no lesson 99"]),
])
def test_bad_arguments_are_one_line_errors(args, phrases):
    _one_line_error(_run(*args), *phrases)


def test_wrong_kind_of_file_and_folders_are_one_line_errors(tmp_path):
    toml = tmp_path / "a.toml"
    toml.write_text("ticks = 10\n")
    _one_line_error(_run("2", "--check", str(toml)), "takes a C file (.c), not a .toml")
    _one_line_error(_run("1", "--check", str(tmp_path)), "is not a file")


def _bad_answer(tmp_path, name, text, lesson, *phrases):
    f = tmp_path / name
    f.write_text(text)
    _one_line_error(_run(lesson, "--check", str(f)), *phrases)


ONCE = '[[source]]\nkind = "once"\nline = 1\nat = 10\n'


@pytest.mark.parametrize("name,text,lesson,phrases", [
    ("bad.toml", "tickz = 5\n" + ONCE, "1", ["tickz", "unknown key"]),
    ("img.toml", 'image = "my.elf"\n' + ONCE, "1", ["runs its own firmware"]),
    ("x.toml", "[[[", "1", ["not valid TOML"]),
    ("long.toml", "ticks = 99000000\n" + ONCE, "1", ["at most 2,000,000"]),
    ("virt.toml", 'board = "virt"\n' + ONCE, "1", ["lesson 1 runs on mps2-an385"]),
    ("board.toml", 'extends = "mps2-an385"\nname = "x"\nprio_bitz = 5\n', "10", ["prio_bitz"]),
    ("rv.toml", 'extends = "virt"\nname = "my-virt"\n', "10", ["the same architecture"]),
])
def test_a_toml_answer_the_lesson_cannot_take_is_a_one_line_error(tmp_path, name, text, lesson,
                                                                  phrases):
    _bad_answer(tmp_path, name, text, lesson, *phrases)


def test_check_without_a_lesson_number_is_an_error():
    _one_line_error(_run("--check", "x.toml"), "needs a lesson number")


def test_a_check_leaves_no_build_folder_behind(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile
    monkeypatch.setattr(tempfile, "tempdir", None)
    bad = tmp_path / "broken.c"
    bad.write_text("void lesson_setup(void) { nope }\n")
    _run("2", "--check", str(bad))
    _run("2", "--check", str(L2.reference))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.c"]


def test_a_lesson_as_json_has_its_sections_and_the_narrations_steps():
    d = json.loads(_run("9", "--json").output)
    assert d["lesson"] == 9
    titles = [s["title"] for s in d["sections"]]
    assert titles[0].startswith("Lesson 9:") and titles[-2:] == ["Your task", "Questions"]
    entry = next(s["step"] for s in d["sections"] if "step" in s and s["step"]["kind"] == "entry")
    assert entry["facts"]["mtvec"] & 3 == 1        # the starter's vectored mode, read from the run


def _grade(args):
    from sim import lessons as ls
    return ls.check(*args).ok


def test_graders_in_parallel_on_a_cold_build_folder_all_get_their_verdict(tmp_path,
                                                                         monkeypatch):
    """Batch grading with xargs -P: several checks build the same lesson image at once into an
    empty build folder; each build writes a file of its own before putting it in place."""
    import multiprocessing

    monkeypatch.setenv("IRQSIM_BUILD_DIR", str(tmp_path / "build"))
    jobs = [(2, str(L2.reference)), (2, str(L2.wrong[0].file))] * 2
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        assert pool.map(_grade, jobs) == [True, False, True, False]


def test_html_writes_the_trace_viewers_page_of_the_lessons_run_or_the_answers(tmp_path):
    page = tmp_path / "lesson3.html"
    r = _run("3", "--no-pause", "--html", str(page))
    assert r.exit_code == 0 and r.output.rstrip().endswith(f"wrote html: {page}")
    text = page.read_text()
    assert text.startswith("<!DOCTYPE html>") and "03_tailchain/run.toml" in text
    mine = tmp_path / "answer.html"
    r = _run("1", "--check", str(L1.wrong[0].file), "--html", str(mine))
    assert r.exit_code == 1 and "FAIL" in r.output and mine.is_file()
    assert "urgent_first.toml" in mine.read_text()
    r = _run("1", "--check", str(L1.reference), "--html", str(tmp_path / "no" / "p.html"))
    _one_line_error(r, "p.html")
    assert _run("1", "--html", str(tmp_path)).exit_code == 2       # a folder: a usage error
    _one_line_error(_run("--html", str(page)), "--html needs a lesson number")

"""Every lesson is a test: it runs on each of its boards (narrated from the run, with its task
and questions), its reference answer passes --check, and each typical wrong answer fails it
with the explanation the lesson expects."""

import re

import pytest

from sim import lessons
from sim.lessons.grading import lesson_scenario

ALL = lessons.all_lessons()
ON_BOARDS = [pytest.param(x, b, id=f"{x.number:02d}-{b}") for x in ALL for b in x.boards]
WRONG = [pytest.param(x, w, b, id=f"{x.number:02d}-{w.file.stem}-{b}")
         for x in ALL for w in x.wrong for b in ([w.board] if w.board else x.boards)]


def test_at_least_nine_lessons_on_both_architectures():
    assert len(ALL) >= 9
    assert [x.number for x in ALL] == list(range(1, len(ALL) + 1))
    boards = {b for x in ALL for b in x.boards}
    assert {"mps2-an385", "virt"} <= boards
    for x in ALL:
        assert x.text and x.task and x.questions and x.wrong, x.name
        assert x.reference.is_file() and x.run.is_file(), x.name
        assert all(w.file.is_file() for w in x.wrong), x.name


@pytest.mark.parametrize("lesson,board", ON_BOARDS)
def test_the_lesson_runs_and_is_narrated_from_its_run(lesson, board):
    sections = lessons.run(lesson.number, board)
    assert sections[0].title == f"Lesson {lesson.number}: {lesson.title} (on {board})"
    assert sections[-1].title == "Questions" and sections[-2].title == "Your task"
    steps = [s.step for s in sections if s.step is not None]
    kinds = {s.kind for s in steps}
    if lesson.narrate:
        assert {"request", "arbitration", "dispatch", "latency"} <= kinds
        # the numbers are this run's: the first request is one of the lesson's scenario
        sc = lesson_scenario(lesson, board, None)
        first = min(t for s in sc.sources for t in (s.ticks or [s.start + s.phase]))
        assert steps[0].kind == "request" and steps[0].tick >= first
    if lesson.report:
        rep = next(s for s in sections if s.title == "The storm report of this run")
        assert f"irqsim storm on {board}" in rep.text
    assert f"irqsim lesson {lesson.number} --check FILE" in sections[-2].text


@pytest.mark.parametrize("lesson,board", ON_BOARDS)
def test_the_reference_answer_passes(lesson, board):
    v = lessons.check(lesson.number, lesson.reference, board)
    assert v.ok, v.format()
    assert v.format().endswith("PASS: the answer is right")


@pytest.mark.parametrize("lesson,wrong,board", WRONG)
def test_a_typical_wrong_answer_fails_with_its_explanation(lesson, wrong, board):
    v = lessons.check(lesson.number, wrong.file, board)
    assert not v.ok, v.format()
    wrong_lines = [t for ok, t in v.items if not ok]
    assert any(wrong.expect in t for t in wrong_lines), v.format()


@pytest.mark.parametrize("board", ["mps2-an385", "virt"])
def test_a_check_shows_what_the_mistake_detectors_found_in_the_answers_run(board):
    livelock = next(x for x in ALL if x.name.endswith("livelock"))
    wrong = next(w for w in livelock.wrong if w.file.stem == "never_clears")
    v = lessons.check(livelock.number, wrong.file, board)
    assert any(t.startswith("line 6: a level source its handler") and "never clears" in t
               for t in v.mistakes), v.format()
    assert "  mistake: line 6: a level source" in v.format()
    right = lessons.check(livelock.number, livelock.reference, board)
    assert right.ok and right.mistakes == [], right.format()


C_LESSONS = [x for x in ALL if x.answer == "c"]
HOSTILE = {
    "exit": '#include "semihost.h"\n{sig} {{ semihost_exit(3); }}\n',
    "fault": "#include <stdint.h>\n{sig} {{ ((void (*)(void))0xF0000001u)(); }}\n",
    "spin": '{sig} {{ for (;;) __asm__ volatile("" ::: "memory"); }}\n',
}


@pytest.mark.parametrize("how", sorted(HOSTILE))
@pytest.mark.parametrize("lesson", C_LESSONS, ids=lambda x: f"{x.number:02d}")
def test_an_answer_that_exits_faults_or_spins_is_judged_wrong_not_a_crash(tmp_path, lesson,
                                                                          how):
    """Every function the starter defines, made hostile: the check runs it and says WRONG."""
    sigs = re.findall(r"^void \w+\(void\)$", lesson.starter.read_text(), re.MULTILINE)
    assert sigs, lesson.starter
    f = tmp_path / f"{how}.c"
    f.write_text("".join(HOSTILE[how].format(sig=s) for s in sigs))
    v = lessons.check(lesson.number, f, lesson.boards[0])
    assert not v.ok and any(not ok for ok, _ in v.items), v.format()
    if how == "exit":
        assert any("the run stopped early" in t and "exited with status 3" in t
                   for _, t in v.items), v.format()


@pytest.mark.parametrize("number", [1, 8])
def test_the_narrations_ticks_are_the_lessons_own_run(number):
    """Each entry the lesson narrates is a trace record of its scenario run independently."""
    from sim import storm
    from sim.boards import get_board
    from sim.lessons.firmware import lesson_image

    lesson = lessons.get_lesson(number)
    board = lesson.boards[0]
    image = lesson_image(lesson, get_board(board)) if lesson.starter or lesson.firmware else None
    sc = lesson_scenario(lesson, board, image)
    m = storm.prepare_machine(sc, trace=True)
    m.run(ticks=sc.ticks)
    taken = {e.tick for e in m.events if e.kind in ("entry", "preempt", "tail-chain")}
    claims = {e.tick for e in m.events if e.kind == "claim"}
    steps = [s.step for s in lessons.run(number, board) if s.step is not None]
    entries = [s.tick for s in steps if s.kind in ("entry", "preempt", "tail-chain")]
    assert entries and set(entries) <= taken
    assert {s.tick for s in steps if s.kind == "claim"} <= claims


def test_a_lesson_says_the_same_twice():
    one, two = lessons.run(3), lessons.run(3)
    assert [(s.title, s.text, s.step) for s in one] == [(s.title, s.text, s.step) for s in two]

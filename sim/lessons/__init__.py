"""Lessons: `irqsim lesson` lists them, `irqsim lesson N` runs one (its firmware and scenario,
narrated by sim/explain from this run, the storm report where the lesson reads it, and the
questions), `irqsim lesson N --check FILE` runs a student's answer and judges it from the
trace and the report.

    from sim import lessons
    for l in lessons.all_lessons(): print(l.number, l.title, l.boards)
    verdict = lessons.check(1, "answer.toml")        # Verdict: .ok, .items [(ok, text)]

Each lesson is data in a folder of its own, sim/lessons/NN_name/:
  lesson.toml    number, title, boards, shows (one line), answer (scenario | board | c), judge
                 (a function of sim/lessons/judges.py) and its [params], text, questions,
                 run (the scenario `irqsim lesson N` runs), narrate / report, code (functions
                 whose instructions it shows beside the narration), firmware (the
                 lesson's own C files, in firmware/), starter (the C file a student starts from),
                 reference (the reference answer), [[wrong]] (typical wrong answers and a phrase
                 of the explanation each must get)
  firmware/      C built into the lesson's image (sim/lessons/firmware.py)
  reference/, wrong/, run.toml, starter.c
Answers are read, run and judged in grading.py (the judges in judges.py); present.py makes what
`irqsim lesson N` prints. The tests (tests/lessons/) run every lesson on its boards, check that
its reference passes and that each wrong answer fails with its phrase.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ConfigError

HERE = Path(__file__).resolve().parent
ANSWER_KINDS = ("scenario", "board", "c")
LESSON_KEYS = {"number", "title", "boards", "shows", "answer", "judge", "params", "text",
               "questions", "run", "narrate", "report", "firmware", "starter", "reference",
               "wrong", "task", "code"}


@dataclass
class Wrong:
    file: Path
    expect: str
    board: str | None = None


@dataclass
class Lesson:
    number: int
    name: str
    folder: Path
    title: str
    boards: list
    shows: str
    answer: str
    judge: str
    task: str
    text: str
    questions: list
    run: Path
    reference: Path
    params: dict = field(default_factory=dict)
    narrate: bool = True
    report: bool = False
    firmware: list = field(default_factory=list)
    starter: Path | None = None
    wrong: list = field(default_factory=list)
    code: list = field(default_factory=list)   # functions whose code the lesson shows

    def board_for(self, board: str | None) -> str:
        """`board` if this lesson runs on it (default: its first board); else a ConfigError."""
        if board is None:
            return self.boards[0]
        if board not in self.boards:
            raise ConfigError(f"lesson {self.number} runs on {' and '.join(self.boards)}, not "
                              f"on {board!r}")
        return board


def _load(folder: Path) -> Lesson:
    d = tomllib.loads((folder / "lesson.toml").read_text())
    bad = set(d) - LESSON_KEYS
    assert not bad, f"{folder}/lesson.toml: unknown keys {bad}"
    assert d["answer"] in ANSWER_KINDS, d["answer"]
    return Lesson(
        number=d["number"], name=folder.name, folder=folder, title=d["title"],
        boards=list(d["boards"]), shows=d["shows"], answer=d["answer"], judge=d["judge"],
        task=d["task"].strip(), text=d["text"].strip(), questions=list(d["questions"]),
        run=folder / d["run"], reference=folder / d["reference"], params=d.get("params", {}),
        narrate=d.get("narrate", True), report=d.get("report", False),
        firmware=[folder / "firmware" / f for f in d.get("firmware", [])],
        starter=folder / d["starter"] if "starter" in d else None,
        wrong=[Wrong(folder / w["file"], w["expect"], w.get("board")) for w in d.get("wrong", [])],
        code=list(d.get("code", [])))


_CACHE: dict[int, Lesson] = {}


def all_lessons() -> list[Lesson]:
    """Every bundled lesson, by number."""
    if not _CACHE:
        for f in sorted(HERE.glob("[0-9][0-9]_*/lesson.toml")):
            lesson = _load(f.parent)
            assert lesson.number not in _CACHE, f"two lessons numbered {lesson.number}"
            _CACHE[lesson.number] = lesson
    return [_CACHE[n] for n in sorted(_CACHE)]


def get_lesson(number: int) -> Lesson:
    found = {x.number: x for x in all_lessons()}
    if number not in found:
        raise ConfigError(f"there is no lesson {number}: the lessons are "
                          f"{', '.join(map(str, sorted(found)))} (`irqsim lesson` lists them)")
    return found[number]


def check(number: int, answer, board: str | None = None, html=None):
    """Runs the answer (a file) to lesson `number` and judges it: a Verdict. With `html`, the
    trace viewer's page of the answer's run is written there too."""
    from .grading import check_answer
    return check_answer(get_lesson(number), Path(answer), board, html)


def page(number: int, html, board: str | None = None) -> str:
    """Writes the trace viewer's page of lesson `number`'s own run; returns its board."""
    from .grading import write_page
    return write_page(get_lesson(number), board, html)


def run(number: int, board: str | None = None):
    """The sections of lesson `number` on `board`: [(title, text or Step)]."""
    from .present import lesson_sections
    return lesson_sections(get_lesson(number), board)


__all__ = ["ANSWER_KINDS", "Lesson", "all_lessons", "check", "get_lesson", "page", "run"]

"""`irqsim lesson N`: what the student reads, in order: the lesson's text (what to look at), the
run of its firmware and scenario narrated by sim/explain (this run's numbers), the storm report
of the same scenario where the lesson reads it, the task and the questions."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from .. import storm
from ..boards import get_board
from .firmware import lesson_image
from .grading import lesson_scenario

WIDTH = 100                  # the task's paragraphs are wrapped as explain wraps its prose
ANSWER_HOW = {"scenario": "a scenario file (TOML, as `irqsim storm` reads; its board and image "
                          "are the lesson's)",
              "board": "a board file (TOML, `extends` the lesson's board)",
              "c": "a C file, built with the bundled compiler into the lesson's firmware"}


@dataclass
class Section:
    title: str
    text: str = ""
    step: object = None          # a sim.explain Step (the narration), else plain text

    def to_dict(self) -> dict:
        """{title, text} or {title, step: the Step as explain --json gives it}."""
        if self.step is not None:
            return {"title": self.title, "step": self.step.to_dict()}
        return {"title": self.title, "text": self.text}


def lesson_sections(lesson, board: str | None) -> list[Section]:
    from ..explain import explain
    board = lesson.board_for(board)
    b = get_board(board)
    image = lesson_image(lesson, b) if (lesson.firmware or lesson.starter) else None
    out = [Section(f"Lesson {lesson.number}: {lesson.title} (on {board})", lesson.text)]
    if lesson.narrate:
        steps = explain(board, image=image, scenario=lesson.run)
        out += [Section(s.title, step=s) for s in steps]
    if lesson.code:
        from ..explain.common import code_step
        m = storm.prepare_machine(lesson_scenario(lesson, board, image), trace=False)
        out += [Section(f"The code of {fn}", step=code_step(
            m, fn, 0, f"{fn}, as this image has it (the lesson asks about it).")) for fn in
            lesson.code]
    if lesson.report:
        rep = storm.run_storm(lesson_scenario(lesson, board, image))
        out.append(Section("The storm report of this run", rep.format()))
    how = f"Your answer is {ANSWER_HOW[lesson.answer]}."
    if lesson.starter is not None:
        how += (f" Start from {lesson.starter} (the firmware this run used): copy it and edit "
                "the copy.")
    check = f"irqsim lesson {lesson.number} --check FILE" + (
        f" --board {board}" if len(lesson.boards) > 1 else "")
    out.append(Section("Your task", f"{lesson.task}\n\n{textwrap.fill(how, WIDTH)}\n"
                                    f"Check it with:\n  {check}"))
    out.append(Section("Questions", "\n".join(f"{i}. {q.strip()}"
                                              for i, q in enumerate(lesson.questions, 1))))
    return out

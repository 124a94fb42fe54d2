"""`irqsim lesson N --check FILE`: the answer is read (a scenario, a board or a C file, as the
lesson asks), run on the lesson's firmware, and judged from the trace and the report by the
lesson's judge (sim/lessons/judges.py). Bad input is a ConfigError (one line in the CLI)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from .. import storm
from ..boards import get_board, read_toml
from ..errors import ConfigError, FirmwareError
from ..export import check_writable
from .firmware import lesson_image

SUFFIX = {"scenario": ".toml", "board": ".toml", "c": ".c"}
WHAT = {"scenario": "a scenario file (.toml)", "board": "a board file (.toml)",
        "c": "a C file (.c)"}
MAX_TICKS = 2_000_000          # a student's scenario runs at most this long


@dataclass
class Verdict:
    lesson: object
    board: str
    answer: Path
    items: list = field(default_factory=list)     # [(right: bool, text)]
    # what the mistake detectors found in the answer's run (docs/mistakes.md): shown beside
    # the judgement, not part of it
    mistakes: list = field(default_factory=list)  # [text]

    @property
    def ok(self) -> bool:
        return bool(self.items) and all(ok for ok, _ in self.items)

    def format(self) -> str:
        head = (f"lesson {self.lesson.number} ({self.lesson.title}) on {self.board}: "
                f"{self.answer}")
        rows = [f"  {'right' if ok else 'WRONG'}: {text}" for ok, text in self.items]
        rows += [f"  mistake: {text}" for text in self.mistakes]
        tail = ("PASS: the answer is right" if self.ok else
                f"FAIL: {sum(not ok for ok, _ in self.items)} of {len(self.items)} wrong")
        return "\n".join([head, *rows, tail])

    def to_dict(self) -> dict:
        return {"lesson": self.lesson.number, "board": self.board, "answer": str(self.answer),
                "ok": self.ok, "items": [{"right": ok, "text": t} for ok, t in self.items],
                "mistakes": list(self.mistakes)}


@dataclass
class Run:
    """What a judge reads: the machine after the run, its trace, its report, the probes' states
    (name -> what the probe read), and the scenario."""
    m: object
    sc: object
    events: list
    report: object
    stop: object
    probes: dict
    failure: str | None = None      # the run ended with a FirmwareError: its message


def _answer_file(lesson, path: Path):
    if not path.exists():
        raise ConfigError(f"{path}: no such file; lesson {lesson.number} takes "
                          f"{WHAT[lesson.answer]}")
    if not path.is_file():
        raise ConfigError(f"{path} is not a file; lesson {lesson.number} takes "
                          f"{WHAT[lesson.answer]}")
    if path.suffix != SUFFIX[lesson.answer]:
        raise ConfigError(f"{path}: lesson {lesson.number} takes {WHAT[lesson.answer]}, not a "
                          f"{path.suffix or 'file without suffix'}")


def lesson_scenario(lesson, board: str, image: Path | None):
    """The lesson's own scenario (its run file) on `board` with `image`."""
    sc = storm.load_scenario(lesson.run)
    sc.board = board
    sc.image = str(image) if image else storm.DEMO_IMAGE
    return sc


def _scenario_answer(lesson, path: Path, board: str | None):
    d = read_toml(path, "scenario file")
    sc = storm.scenario_from_dict(d, str(path))        # unknown keys and bad values: here
    if board is None and "board" in d:
        board = d["board"]
    board = lesson.board_for(board)
    if sc.image != storm.DEMO_IMAGE:
        raise ConfigError(f"{path}: image: lesson {lesson.number} runs its own firmware; "
                          "remove the image key")
    if sc.export:
        raise ConfigError(f"{path}: export: a lesson's check writes no files; remove [export]")
    if sc.ticks > MAX_TICKS:
        raise ConfigError(f"{path}: ticks: a lesson's scenario runs at most {MAX_TICKS:,} "
                          f"ticks (got {sc.ticks:,})")
    sc.board = board
    b = get_board(board)
    storm.check_against_board(sc, b)
    image = lesson_image(lesson, b) if lesson.firmware or lesson.starter else None
    sc.image = str(image) if image else storm.DEMO_IMAGE
    return sc, board, None


def prepare(lesson, path: Path, board: str | None):
    """The answer read (and built, when it is C) into the scenario it is judged under:
    (scenario, board name, a temporary folder to remove after the run or None)."""
    _answer_file(lesson, path)
    if lesson.answer == "scenario":
        return _scenario_answer(lesson, path, board)
    if lesson.answer == "c":
        board = lesson.board_for(board)
        image = lesson_image(lesson, get_board(board), answer=path)
        return lesson_scenario(lesson, board, image), board, image.parent.parent
    b = get_board(path)                                     # unknown keys: here
    if not any(get_board(n).arch == b.arch for n in lesson.boards):
        raise ConfigError(f"{path}: lesson {lesson.number} runs on "
                          f"{' or '.join(lesson.boards)}: the board must be of the same "
                          f"architecture (extends = \"{lesson.boards[0]}\")")
    image = lesson_image(lesson, b) if lesson.firmware or lesson.starter else None
    return lesson_scenario(lesson, str(path), image), b.name, None


def check_answer(lesson, path: Path, board: str | None = None, html=None) -> Verdict:
    """Runs the answer and judges it; with `html`, also writes the trace viewer's page of the
    same run there (sim/view), unless the run failed."""
    from .judges import JUDGES
    if html is not None:
        check_writable(html)                 # before the build and the run, not after them
    sc, board, tmp = prepare(lesson, path, board)
    try:
        run = execute(sc, lesson.params)
        if html is not None and run.failure is None:
            storm.run_storm_with_exports(sc, {"html": html}, baseline=False)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    items = JUDGES[lesson.judge](run, lesson.params)
    if run.failure is None and run.stop is not None and run.stop.reason != "ticks":
        items.append((False, f"the run stopped early, at tick {run.m.ticks:,} of {sc.ticks:,} "
                             f"({run.stop.reason}: {run.stop.detail})"))
    return Verdict(lesson, board, path, items, [x.text for x in run.m.mistakes()])


def write_page(lesson, board: str | None, html) -> str:
    """The trace viewer's page (sim/view) of the lesson's own run on `board`; its board."""
    check_writable(html)
    board = lesson.board_for(board)
    b = get_board(board)
    image = lesson_image(lesson, b) if lesson.firmware or lesson.starter else None
    storm.run_storm_with_exports(lesson_scenario(lesson, board, image), {"html": html},
                                 baseline=False)
    return board


def execute(sc, params: dict) -> Run:
    """Runs scenario `sc` with the trace on; stops at each probe tick of `params["probe_at"]`
    to read the masks and priorities there; builds the report (with the no-request baseline
    when `params["baseline"]`)."""
    m = storm.prepare_machine(sc, trace=True)
    sp0 = storm.initial_sp(m)
    paint = storm.paint_stack(m, sp0)
    probes, stop, failure = {}, None, None
    try:
        for t in sorted(params.get("probe_at", [])):
            if t > m.ticks:
                stop = m.run(ticks=t - m.ticks)
                if stop.reason != "ticks":
                    break
            probes[t] = probe(m)
        if stop is None or stop.reason == "ticks":
            stop = m.run(ticks=max(1, sc.ticks - m.ticks))
    except FirmwareError as e:
        failure = str(e)
    if failure:
        return Run(m, sc, m.events, None, stop, probes, failure)
    base = storm.measure_baseline(sc, m.ticks) if params.get("baseline") else None
    report = storm.build_report(m, sc, stop, paint, sp0, base)
    return Run(m, sc, m.events, report, stop, probes)


def probe(m) -> dict:
    """The masks and the controller's settings now (what a judge explains an answer with)."""
    if m.arch == "armv7m":
        out = {r: m.reg(r) for r in ("primask", "basepri", "faultmask")}
        out["prigroup"] = m.nvic.counters()["prigroup"]
        return out
    return {"threshold": m.plic.threshold, "mtvec": m.csr("mtvec"),
            "mstatus": m.csr("mstatus"), "mie": m.csr("mie")}

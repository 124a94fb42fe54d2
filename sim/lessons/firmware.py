"""The lessons' firmware: the board's bundled demo with a hook (sim/lessons/firmware/hooks.c),
the lesson's own C files, and a student's C answer, built with the bundled compiler
(sim/toolchain.py). A lesson without C files runs the demo image itself."""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
from pathlib import Path

from .. import toolchain
from ..demo import board_link, demo_image, demo_sources
from ..errors import ConfigError, ToolchainError

HOOKS = Path(__file__).resolve().parent / "firmware" / "hooks.c"
RENAME = "demo_finish_boot=lesson_finish_boot"     # the demo main's call, into hooks.c
MAX_MESSAGE = 300                                   # characters of a compiler error shown


def lesson_image(lesson, board, answer: Path | None = None) -> Path:
    """The ELF a lesson runs on `board`: the demo when the lesson has no firmware and no C
    answer is given; else the demo with the hook, the lesson's firmware/*.c and `answer` (or
    the lesson's starter.c when there is no answer). An answer is built in a temporary folder
    of its own (the caller removes it; a failed build removes it here), so that two checks
    never share an image."""
    if not lesson.firmware and answer is None:
        return demo_image(board.name)
    sources, incs = demo_sources(board)
    ld, defines = board_link(board)
    main, rest = sources[2], sources[:2] + sources[3:]
    files = [*lesson.firmware]
    student = answer if answer is not None else lesson.starter
    if student is not None:
        files.append(Path(student).resolve())   # the linker runs in the linker script's folder
    out = None
    tag = "starter"
    if answer is not None:
        out = Path(tempfile.mkdtemp(prefix="irqsim-lesson-"))
        try:
            tag = hashlib.sha256(Path(answer).read_bytes()).hexdigest()[:12]
        except OSError as e:
            raise ConfigError(f"{answer}: cannot read it ({e.strerror})") from None
    target = board.firmware_target
    label = re.sub(r"[^\w.-]", "_", board.name)      # a student's board names the file
    try:
        # the demo's main as the demo builds it for this board, but for the call
        obj = toolchain.build_image(target, f"lesson-demo-main-{label}", [main],
                                    include_dirs=incs, defines=[*defines, RENAME], link=False)
        incs = [*incs, lesson.folder / "firmware"]
        return toolchain.build_image(target, f"lesson{lesson.number:02d}-{label}-{tag}",
                                     [obj, *rest, HOOKS, *files], linker_script=ld,
                                     include_dirs=incs, defines=defines, out_dir=out)
    except ToolchainError as e:
        if answer is None:
            raise
        shutil.rmtree(out, ignore_errors=True)
        raise ConfigError(f"{answer}: does not compile: {compiler_message(str(e), answer)}") \
            from None
    except BaseException:
        if out is not None:
            shutil.rmtree(out, ignore_errors=True)
        raise


def compiler_message(text: str, answer) -> str:
    """The compiler's first error about the answer, shortened to one line: "line:col: error:
    ..." without the path; or the first error line of any file (a link error)."""
    lines = text.splitlines()[1:]
    name = Path(answer).name
    errors = [ln for ln in lines if "error" in ln]
    mine = [ln for ln in errors if name in ln] or errors or lines or [text]
    msg = mine[0].strip()
    msg = re.sub(r"^\S*" + re.escape(name) + r":", "line ", msg)
    msg = re.sub(r"^(\S*/)+", "", msg)
    return msg[:MAX_MESSAGE] + ("..." if len(msg) > MAX_MESSAGE else "")

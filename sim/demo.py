"""The bundled demo firmware: sources per board, built on first use with the pinned compiler,
and what a storm sets and reads in it by symbol (firmware/common/demo.c). Nothing else in sim
knows the demo's symbols."""

from __future__ import annotations

from pathlib import Path

from . import toolchain
from .boards import get_board
from .errors import ConfigError


def board_link(board) -> tuple[Path, list[str]]:
    """The linker script and defines that link the bundled firmware (and guest test images)
    for `board`'s memory map: the architecture's link.ld, or with the board's `firmware_map`
    (say "mps2-an505") link_mps2_an505.ld, built with the board's external vector count
    (IRQSIM_NUM_IRQ), its console UART's base (CONSOLE_UART_BASE) and the names the demo's
    banner prints (DEMO_CPU, DEMO_BOARD)."""
    b = get_board(board)
    d = toolchain.firmware_dir() / b.adapter.firmware_folder
    if not b.firmware_map:
        return d / "link.ld", []
    ld = d / f"link_{b.firmware_map.replace('-', '_')}.ld"
    if not ld.is_file():
        raise ConfigError(f"board {b.name}: firmware_map {b.firmware_map!r} has no linker "
                          f"script {ld.name} in {d}")
    defines = [f"IRQSIM_NUM_IRQ={b.num_lines}", f'DEMO_CPU="{b.cpu}"',
               f'DEMO_BOARD="{b.firmware_map}"']
    console = [e for e in b.devices if e["kind"] == "cmsdk-uart" and e.get("console", 1)]
    if console:
        defines.append(f"CONSOLE_UART_BASE={console[0]['base']:#x}u")
    return ld, defines


def demo_sources(board) -> tuple[list[Path], list[Path]]:
    """The demo's sources and include folders: the architecture's start-up code and console
    (its adapter's firmware_folder and startup; board_console), the demo's main (third), the
    common demo, the table. The lessons (sim/lessons/firmware.py) build on the same list."""
    fw = toolchain.firmware_dir()
    common = [fw / "common" / n for n in ("semihost.c", "console_common.c", "demo.c")]
    table = toolchain.handlertable_dir() / "handler_table.c"
    a = board.adapter
    d = fw / a.firmware_folder
    return [d / a.startup, board_console(board), d / "demo_main.c", *common, table], [d]


def board_console(board) -> Path:
    """The console driver the bundled firmware links for `board`: console_<firmware_map>.c
    where the board's console is another UART than the architecture's (microbit: the nRF51
    UART), else the architecture's console.c."""
    b = get_board(board)
    d = toolchain.firmware_dir() / b.adapter.firmware_folder
    own = d / f"console_{b.firmware_map.replace('-', '_')}.c" if b.firmware_map else None
    return own if own is not None and own.is_file() else d / "console.c"


def demo_image(board="mps2-an385") -> Path:
    """Builds (or finds up to date) the demo image for `board` and returns its path."""
    b = get_board(board)
    if not b.firmware_target:
        raise ConfigError(f"board {b.name} has no bundled demo firmware (no firmware_target)")
    sources, incs = demo_sources(b)
    ld, defines = board_link(b)
    return toolchain.build_image(b.firmware_target, f"demo-{b.name}", sources, linker_script=ld,
                                 include_dirs=incs, defines=defines)


def build_all() -> list[Path]:
    """What `irqsim build` builds: the demo image of every bundled board that has one."""
    out = [demo_image(b) for b in ("mps2-an385", "mps2-an386", "mps2-an500", "microbit")]
    if (toolchain.firmware_dir() / "riscv" / "demo_main.c").exists():
        out.append(demo_image("virt"))
    out.append(demo_image("mps2-an505"))
    return out


# ---- the demo's settings and counters (firmware/common/demo.c) -----------------------------

STORM_SETTINGS = {"handler_work", "toggle_line", "toggle_period"}   # a scenario's [demo] keys


# the demo's line with no handler on purpose (demo_main.c DEMO_EMPTY): its requests show the
# unhandled outcome, so the empty-slot detector leaves it out (Machine.expect_mistake)
DEMO_EMPTY_LINE = 3


def expect_demo_mistakes(m) -> None:
    """Tells machine `m`, when it runs the demo, which mistakes the demo makes on purpose."""
    if is_demo(m):
        m.expect_mistake("empty-slot", DEMO_EMPTY_LINE)


def is_demo(m) -> bool:
    """Whether machine `m` runs the demo (or an image built on firmware/common/demo.c)."""
    return "demo_loops" in m.symbols and "handler_work" in m.symbols


def prepare_for_storm(m, settings: dict, origin: str) -> None:
    """Sets the demo up for a storm before boot: its main loop runs for the whole storm,
    handlers spin `handler_work[line]` iterations, the main loop toggles `toggle_line` every
    `toggle_period` iterations. `settings` are a scenario's [demo] table (from `origin`); on an
    image that is not the demo they are a ConfigError."""
    demo = is_demo(m)
    if demo:
        m.symbols["demo_loops"].write("<I", 0)
        expect_demo_mistakes(m)
    work = settings.get("handler_work", {})
    if not demo and (work or "toggle_line" in settings):
        raise ConfigError(f"{origin}: demo.{'handler_work' if work else 'toggle_line'}: the "
                          "image is not the irqsim demo (it has no demo_loops / handler_work "
                          "symbols)")
    for line, n in work.items():
        _write_elem(m, "handler_work", line, n)
    if "toggle_line" in settings:
        m.symbols["demo_toggle_line"].write("<I", settings["toggle_line"])
        # the line's handler comes and goes on purpose: requests meanwhile find the slot empty
        m.expect_mistake("empty-slot", settings["toggle_line"])
        m.symbols["demo_toggle_period"].write("<I", settings.get("toggle_period", 1000))


def set_ack_address(m, addr: int) -> None:
    """Tells the demo's handlers where to acknowledge their line (Machine.ack_register);
    nothing on an image that is not the demo."""
    if is_demo(m):
        m.symbols["demo_ack_addr"].write("<I", addr)


def thread_progress(m) -> int | None:
    """The main loop's iterations so far, or None on an image without the demo's counter."""
    return m.symbols["thread_progress"].read() if "thread_progress" in m.symbols else None


def _write_elem(m, name, index, value):
    sym = m.symbols[name]
    if not 0 <= index < sym.size // 4:
        raise ConfigError(f"{name}[{index}]: index out of range (0..{sym.size // 4 - 1})")
    vals = list(sym.read(f"<{sym.size // 4}I"))
    vals[index] = value
    sym.write(f"<{len(vals)}I", *vals)

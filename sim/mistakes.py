"""Firmware mistakes the detectors found (sim/native/detect.c; the rules and thresholds are in
docs/mistakes.md), each as one line naming the line, its handler and the evidence:

    m = sim.Machine.load("fw.elf", board="mps2-an385")
    m.run(ticks=1_000_000)
    for x in m.mistakes():
        print(x.text)     # "line 6: level source never cleared by its handler on_uart ..."

A Mistake's `kind` is one of KINDS; `line` the controller line (None: none), `handler` the
function that handles it as the image names it (None: none found), `tick` the first evidence.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .codes import (ARMV7M_PRIO_NOTE_REGS, DET_MAX_RECORDS, DET_NO_LINE, DET_REENTRIES,
                    MISTAKE_KINDS)

KINDS = tuple(MISTAKE_KINDS.values())
NO_LINE = 0xFFFFFFFF


@dataclass(frozen=True)
class Mistake:
    kind: str
    line: int | None
    handler: str | None
    tick: int
    count: int
    text: str

    def to_dict(self) -> dict:
        return asdict(self)


def _fn(m, addr) -> str | None:
    """The function at `addr` ("on_uart", "main+0x12"), None where the image has none."""
    if not addr:
        return None
    name = m.function_at(addr & ~m.adapter.code_bit)
    return name[:-4] if name and name.endswith("+0x0") else name


def handler_of(m, line) -> str | None:
    """The function that handles `line`: the handler table slot its last dispatch found,
    else the line's own vector (Cortex-M), else None."""
    if line is None:
        return None
    fn = _fn(m, m.table_handler(line))
    if fn is None:
        vec = m.adapter.line_vector(m, line)
        fn = _fn(m, vec) if vec else None
    return fn


def _label(m, line) -> str:
    return "no line" if line is None else f"line {line}"


def _who(m, line, handler) -> str:
    return f"{_label(m, line)} ({handler or 'no handler'})"


def _text(m, r, line, handler) -> str:
    kind = MISTAKE_KINDS[r["kind"]]
    where, lbl = m.where, _label(m, line)
    if kind == "level-stuck":
        return (f"{lbl}: a level source its handler {handler or '(unknown)'} never clears: "
                f"re-entered {r['value']} times back to back with the level still asserted "
                f"(ticks {r['tick']:,}..{r['last']:,}; {r['count']} such run(s) of "
                f"{DET_REENTRIES} or more); clear the source (its device register, the "
                "acknowledge register) before the handler returns")
    if kind == "basepri-zero":
        taken = m.adapter.exception_name(r["value"]) if m.arch == "armv7m" else r["value"]
        return (f"{lbl}: BASEPRI written 0 at {where(r['addr'])} (tick {r['tick']:,}) while it "
                f"was 0 already, as if to mask interrupts; {taken} ({handler or 'no handler'}) "
                f"was taken inside at tick {r['tick2']:,}, before 0 was written again at "
                f"{where(r['addr2'])}: BASEPRI 0 masks nothing; write the priority to mask "
                "from (e.g. 0x40) or use PRIMASK (cpsid i)")
    if kind == "prio-bits":
        written, kept = r["value"], r["value2"]
        bits = m.board.controller["prio_bits"]
        if m.arch == "armv7m":
            reg = ARMV7M_PRIO_NOTE_REGS.get(r["depth"], "priority")
            if reg == "NVIC_IPR":         # B3.4.9: a byte per IRQ, four per register
                reg += str((r["addr"] - 0xE000E400) // 4)
            elif reg == "SHPR":           # B3.2.10-12: SHPR1 holds exceptions 4-7
                reg += str((r["addr"] - 0xE000ED18) // 4 + 1)
            field = f"{reg} byte at {r['addr']:#010x}" if r["addr"] else reg
            mask = f"{(0xFF << (8 - bits)) & 0xFF:#04x}"
        else:
            field = f"PLIC priority of source {line} at {r['addr']:#010x}"
            mask = f"{(1 << bits) - 1:#x}"
        return (f"{lbl}: priority {written:#04x} written to {field} (handler "
                f"{handler or 'none'}) at tick {r['tick']:,} keeps only {kept:#04x}: board "
                f"{m.board.name} implements {bits} priority bits (mask {mask}); the other bits "
                "are dropped, so priorities meant to differ may be equal")
    if kind == "stack-end":
        sp, end = r["addr"], r["addr2"]
        gap = (f"{sp - end} bytes above its end" if sp >= end else
               f"{end - sp} bytes PAST its end")
        active = ", ".join(m.adapter.exception_name(num) if ln == DET_NO_LINE else
                           _who(m, ln, handler_of(m, ln)) for num, ln in r["active"]) or "none"
        return (f"{lbl}: the stack reached SP {sp:#010x} at tick {r['last']:,}, {gap} "
                f"({end:#010x}, {m.stack_end_name}) while nested {r['depth']} deep (active, "
                f"outermost first: {active}); below it lies other data: give the stack more "
                "room or nest less (fewer preemption levels, smaller handler frames)")
    if kind == "no-vector":
        return (f"{lbl}: enabled at tick {r['tick']:,}, but its vector {r['addr']:#010x} is "
                f"the default handler ({_fn(m, r['addr'])}): no handler is installed; define "
                "the line's handler or leave it disabled")
    if kind == "empty-slot":
        table = m.symbols.object_at(r["addr2"]) or f"the table at {r['addr2']:#010x}"
        return (f"{lbl}: taken {r['count']} time(s) (ticks {r['tick']:,}..{r['last']:,}) "
                f"with its handler table slot {r['value']} empty ({table}): no handler is "
                "registered, nothing serviced it; register one before enabling the line")
    return f"{lbl}: {kind}"


def mistakes(m) -> list[Mistake]:
    """The mistakes machine `m` found so far, in the order first seen, less those its
    firmware is known to make on purpose (Machine.expect_mistake)."""
    recs, found = m.mistake_records()
    out = []
    for r in sorted(recs, key=lambda r: (r["tick"], r["kind"])):
        line = None if r["line"] == NO_LINE else r["line"]
        kind = MISTAKE_KINDS[r["kind"]]
        if (kind, line) in m.expected_mistakes:
            continue
        handler = None if kind == "empty-slot" else handler_of(m, line)
        out.append(Mistake(kind, line, handler, r["tick"], r["count"],
                           _text(m, r, line, handler)))
    if found > len(recs):
        out.append(Mistake("more", None, None, 0, found - len(recs),
                           f"{found - len(recs)} more mistake record(s) not kept (at most "
                           f"{DET_MAX_RECORDS})"))
    return out

"""`monitor` commands (GDB's qRcmd packet): what a firmware developer asks an interrupt
simulator that no hardware probe can answer. Each returns the text GDB prints.

    irq pulse|raise|lower N   a line event on line N now (taken at the next block boundary)
    break irq N               stop at the first instruction of IRQ N's handler (Cortex-M: the
                              exception handler, entered; RISC-V: the handler-table handler of
                              PLIC source N, which the trap vector's dispatcher calls)
    break irq N off | clear   forget one, or all of them
    nvic | plic               the interrupt controller's state by meaning
    ticks                     simulated time
    trace last N              the last N trace records
"""

from __future__ import annotations

from ..errors import SimError

HELP = __doc__.split("\n\n", 1)[1].rstrip() + "\n"


class MonitorError(Exception):
    pass


def _number(text: str, what: str) -> int:
    try:
        return int(text, 0)
    except ValueError:
        raise MonitorError(f"{what} must be a number (got {text!r})") from None


def run(server, line: str) -> str:
    words = line.split()
    m = server.m
    try:
        if not words or words[0] == "help":
            return HELP
        if words[0] == "irq" and len(words) == 3 and words[1] in ("pulse", "raise", "lower"):
            n = words[2] if words[2] in m.adapter.named_lines else _number(words[2], "the line")
            getattr(m, f"{words[1]}_irq")(n)
            return f"irq {words[1]} {n} at tick {m.ticks}: taken at the next block boundary\n"
        if words[:2] == ["break", "irq"] and len(words) in (3, 4):
            if words[2] == "clear":
                server.irq_breaks.clear()
                return "no irq breakpoints\n"
            n = _number(words[2], "the IRQ")
            if not m.adapter.first_line <= n < m.num_lines:
                raise MonitorError(f"IRQ {n} is out of range: lines are "
                                   f"{m.adapter.first_line}..{m.num_lines - 1}")
            if len(words) == 4:
                if words[3] != "off":
                    raise MonitorError("use: break irq N [off]")
                server.irq_breaks.discard(n)
                return f"irq {n}: no longer stops\n"
            server.irq_breaks.add(n)
            return f"irq {n}: stops at its handler's first instruction\n"
        if words == ["ticks"]:
            return f"{m.ticks} ticks\n"
        if words[:2] == ["trace", "last"] and len(words) == 3:
            n = _number(words[2], "the count")
            evs = m.events[-n:] if n > 0 else []
            if n > 0 and not evs and m.recent_records:    # the trace goes to a sink
                evs = m.recent_records[-n:]
            return "".join(f"{e}\n" for e in evs) or "no trace records\n"
        if words == ["nvic"] and m.arch == "armv7m":
            return _nvic(m)
        if words == ["plic"] and m.arch == "rv32":
            return _plic(m)
        if words and words[0] in ("nvic", "plic"):
            raise MonitorError(f"this machine ({m.board.name}) has no {words[0].upper()}; "
                               f"try {'plic' if m.arch == 'rv32' else 'nvic'}")
        raise MonitorError(f"unknown monitor command {line!r}; try 'monitor help'")
    except SimError as e:
        raise MonitorError(str(e)) from None


def _table(head, items, label, flags, prio_fmt) -> str:
    """`head`, then one line per item with any of `flags` set (or a line saying none is)."""
    out = list(head)
    for s in items:
        on = [f for f in flags if getattr(s, f)]
        if on:
            out.append(f"  {label} {s.number:3d}  priority {s.priority:{prio_fmt}}  "
                       f"{' '.join(on)}")
    if len(out) == len(head):
        out.append(f"  no {label} {', '.join(flags[:-2])} or {flags[-2]}")
    return "\n".join(out) + "\n"


def _nvic(m) -> str:
    nv = m.nvic
    c = nv.counters()
    head = [(f"NVIC: {nv.num_irq} IRQs, execution priority {nv.execution_priority}, active "
             f"exception {c['active']}, PRIGROUP {c['prigroup']}, VTOR {c['vtor']:#010x}"),
            (f"  primask {m.reg('primask')} basepri {m.reg('basepri'):#x} faultmask "
             f"{m.reg('faultmask')}")]
    return _table(head, [nv.irq(n) for n in range(nv.num_irq)], "irq",
                  ("enabled", "pending", "active", "level"), "#04x")


def _plic(m) -> str:
    p = m.plic
    head = [(f"PLIC: {p.num_sources} sources, context 0 threshold {p.threshold}; mip "
             f"{m.csr('mip'):#x} mie {m.csr('mie'):#x} mstatus {m.csr('mstatus'):#x}")]
    return _table(head, p.sources(), "source", ("enabled", "pending", "claimed", "level"), "d")

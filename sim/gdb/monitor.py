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


def _nvic(m) -> str:
    nv = m.nvic
    c = nv.counters()
    out = [f"NVIC: {nv.num_irq} IRQs, execution priority {nv.execution_priority}, active "
           f"exception {c['active']}, PRIGROUP {c['prigroup']}, VTOR {c['vtor']:#010x}",
           f"  primask {m.reg('primask')} basepri {m.reg('basepri'):#x} faultmask "
           f"{m.reg('faultmask')}"]
    rows = [nv.irq(n) for n in range(nv.num_irq)]
    shown = [s for s in rows if s.enabled or s.pending or s.active or s.level]
    for s in shown:
        flags = [f for f in ("enabled", "pending", "active", "level") if getattr(s, f)]
        out.append(f"  irq {s.number:3d}  priority {s.priority:#04x}  {' '.join(flags)}")
    if not shown:
        out.append("  no IRQ enabled, pending or active")
    return "\n".join(out) + "\n"


def _plic(m) -> str:
    p = m.plic
    out = [f"PLIC: {p.num_sources} sources, context 0 threshold {p.threshold}; mip "
           f"{m.csr('mip'):#x} mie {m.csr('mie'):#x} mstatus {m.csr('mstatus'):#x}"]
    shown = [s for s in p.sources() if s.enabled or s.pending or s.claimed or s.level]
    for s in shown:
        flags = [f for f in ("enabled", "pending", "claimed", "level") if getattr(s, f)]
        out.append(f"  source {s.number:3d}  priority {s.priority}  {' '.join(flags)}")
    if not shown:
        out.append("  no source enabled, pending or claimed")
    return "\n".join(out) + "\n"

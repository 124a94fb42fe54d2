"""What both narrators say the same way: the request, the dispatch through the handler table
and its code, the return's place in the latency, and how a step is keyed for sorting."""

from __future__ import annotations

from ..codes import LINE_KIND_NAMES, PEND_SOURCES
from . import Step
from .code import CRITICAL_NOTE, TABLE_FUNCTIONS, listing, publish_note

TRIGGERS = {"pulse": "pulsed (an edge)", "raise": "raised (a level)", "lower": "lowered"}


def hx(v: int) -> str:
    return f"{v:#010x}"


def later(n: int) -> str:
    """"at once", "1 tick later", "5 ticks later"."""
    return "at once" if n == 0 else f"{n} tick{'s' if n != 1 else ''} later"


def request_step(f, events, what: str, facts: dict) -> Step:
    """The request record of Followed f; `what` names its interrupt ("IRQ5, exception 21")."""
    e = events[f.request]
    kind = LINE_KIND_NAMES.get(e.arg, str(e.arg))
    return Step("request", e.tick, f"Request on line {f.line} ({what})",
                f"At tick {e.tick:,} line {f.line} was {TRIGGERS.get(kind, kind)}. " +
                facts.pop("_text", ""),
                {"line": f.line, "trigger": kind, "request_tick": e.tick, **facts})


def pend_source(arg: int) -> str:
    return PEND_SOURCES.get(arg, str(arg))


def dispatch_step(m, f, events, st: dict, taken_tick: int, where: str) -> Step:
    """At handler_table_handle's first instruction: its arguments and the slot it reads."""
    e = events[f.dispatch]
    handler = m.symbols.at(st["slot"]) if st["slot"] else None
    filled = (f"slot {st['index']} holds {hx(st['slot'])} ({handler or 'no symbol'}): handle "
              "returns true after calling it" if st["slot"] else
              f"slot {st['index']} is empty (0): handle returns false and the request is "
              "counted as unhandled")
    text = (f"{where} called handler_table_handle(table {hx(st['table'])}"
            f"{' = ' + st['table_name'] if st['table_name'] else ''}, idx {st['index']}) at tick "
            f"{e.tick:,}, {e.tick - taken_tick} ticks after the handler's first instruction. The "
            f"table has len {st['len']} and its slots at {hx(st['slots'])}; the slot's address "
            f"is slots + 4 * idx = {hx(st['slot_addr'])}; {filled}.")
    return Step("dispatch", e.tick, f"Dispatch through the handler table: index {st['index']}",
                text, {**st, "handler": handler, "handled": bool(e.arg),
                       "ticks_from_entry": e.tick - taken_tick})


def dispatch_steps(m, f, events, st: dict, where: str, with_code: bool):
    """The dispatch step of Followed f (sorted at its record), and after it the code of
    handler_table_handle when `with_code` (the first dispatch of an explanation)."""
    out = [(f.dispatch, dispatch_step(m, f, events, st, events[f.taken].tick, where))]
    if with_code:
        out.append((f.dispatch + 0.1, code_step(m, "handler_table_handle",
                                                events[f.dispatch].tick,
                                                "handler_table_handle runs now.")))
    return out


def read_dispatch(m, table_reg: str, index_reg: str) -> dict:
    """What handler_table_handle is about to read (the table layout of handler_table.h:
    {size_t len; slot *slots;}, 32-bit words on both targets)."""
    table, idx = m.reg(table_reg), m.reg(index_reg)
    length = int.from_bytes(m.mem_read(table, 4), "little")
    slots = int.from_bytes(m.mem_read(table + 4, 4), "little")
    slot_addr = slots + 4 * idx
    slot = int.from_bytes(m.mem_read(slot_addr, 4), "little") if idx < length else 0
    name = next((n for n in m.symbols if m.symbols[n].address == table
                 and m.symbols[n].kind == "OBJECT"), None)
    return {"table": table, "table_name": name, "index": idx, "len": length, "slots": slots,
            "slot_addr": slot_addr, "slot": slot, "tick": m.ticks}


def code_step(m, function: str, tick: int, why: str) -> Step:
    """A table function's instructions from the image, each with its role."""
    insns = listing(m, function)
    width = max(len(i.text) for i in insns)
    lines = [f"  {i.address:#010x}  {i.text:<{width}}  {i.role}".rstrip() for i in insns]
    text = (f"{why} Its {len(insns)} instructions, disassembled (capstone) from the image's "
            f"{function} symbol ({m.symbols[function].size} bytes):\n" + "\n".join(lines))
    critical = any("critical section" in i.role for i in insns)
    v8 = any(i.text.split()[0] in ("lda", "ldaex", "stl", "stlex") for i in insns)
    if function != "handler_table_handle":
        text += "\n" + publish_note(m.arch, critical, v8)
    elif v8:
        text += ("\nOne load-acquire of the slot (LDA, ARMv8-M): the acquire is in the load "
                 "itself, no DMB, and it pairs with the store-release (STLEX) of "
                 "handler_table_register. No loop and no lock: wait-free in an interrupt "
                 "handler. " + publish_note(m.arch, False, True))
    elif critical or not any("barrier" in i.role for i in insns):
        text += ("\nOne load of the slot, and no barrier: an aligned word load is single-copy "
                 "atomic, and this build (ARMv6-M: the stores are made in critical sections) "
                 "needs no ordering on one core. No loop and no lock: wait-free in an interrupt "
                 "handler. " + CRITICAL_NOTE)
    else:
        text += ("\nOne load of the slot, then a barrier: the acquire that pairs with the "
                 "release of handler_table_register. No loop and no lock: wait-free in an "
                 "interrupt handler. " + publish_note(m.arch))
    return Step("code", tick, f"The code of {function}", text,
                {"function": function, "instructions": [i.to_dict() for i in insns]})


MAX_TABLE_CALLS = 6     # table calls in the explained span narrated one by one


def _span(followed) -> tuple[int, int]:
    """The records from the first followed request to the last end (or request)."""
    return followed[0].request, max((f.end or f.request) for f in followed)


def table_calls(followed, events) -> list[int]:
    """The handler_table_register / unregister records inside the explained span: the walk
    stops at each (their first instruction) to read the call's arguments."""
    lo, hi = _span(followed)
    return [i for i in range(lo, hi + 1) if events[i].kind == "table"][:MAX_TABLE_CALLS]


def read_table_call(m) -> dict:
    """At the first instruction of handler_table_register / unregister: (table, idx[, fn])
    in the argument registers and what the slot holds before the call."""
    table, idx, fn = (m.reg(r) for r in m.adapter.arg_regs[:3])
    slots = int.from_bytes(m.mem_read(table + 4, 4), "little")
    slot = int.from_bytes(m.mem_read(slots + 4 * idx, 4), "little")
    return {"tick": m.ticks, "table": table, "index": idx, "fn": fn,
            "fn_name": m.symbols.at(fn), "slot_before": slot, "pc": m.pc,
            "in": m.symbols.at(m.reg(m.adapter.link_reg))}


def table_code_steps(m, followed, events, first_dispatch, states) -> list[tuple[float, Step]]:
    """handler_table_register / unregister where they ran: each call in the explained span
    (its arguments as read there), and the change that filled or emptied the first dispatched
    slot before the request (at boot, say); the code of each function once."""
    out = []
    shown = set()
    lo, hi = _span(followed)
    for i, e in enumerate(events[:hi + 1]):
        if e.kind != "table":
            continue
        fn = TABLE_FUNCTIONS[1] if e.arg else TABLE_FUNCTIONS[2]
        last_change = (first_dispatch is not None and i < lo
                       and e.num == events[first_dispatch].num
                       and not any(x.kind == "table" and x.num == e.num
                                   for x in events[i + 1:lo]))
        if (i >= lo or last_change) and fn not in shown and fn in m.symbols:
            shown.add(fn)
            how = (f"this is how slot {e.num} got its handler" if e.arg else
                   f"this is why slot {e.num} is empty")
            why = (f"{fn}(idx {e.num}) ran at tick {e.tick:,}"
                   + (f", before the request: {how}." if i < lo else "."))
            # the slot's registration reads best after the dispatch that used it
            out.append((first_dispatch + 0.2 if i < lo else i + 0.1,
                        code_step(m, fn, e.tick, why)))
        st = states.get(("table", i))
        if st is not None:
            call = (f"{fn}(table {hx(st['table'])}, idx {st['index']}"
                    + (f", fn {hx(st['fn'])} = {st['fn_name']}" if e.arg else "") + ")")
            out.append((i, Step(
                "table", e.tick, f"{fn}(idx {st['index']})",
                f"At tick {e.tick:,} {st['in'] or 'the code'} called {call}; the slot held "
                f"{hx(st['slot_before'])} ({m.symbols.at(st['slot_before']) or 'empty'}) "
                f"before the call. " + ("A request dispatched on this slot between here and "
                                         "the store sees the old value; one after it, the new."),
                {**st, "function": fn})))
    calls = [i for i in range(lo, hi + 1) if events[i].kind == "table"]
    if len(calls) > MAX_TABLE_CALLS:
        rest = calls[MAX_TABLE_CALLS:]
        out.append((rest[0], Step(
            "table", events[rest[0]].tick, f"{len(rest)} more table calls",
            f"handler_table_register / unregister ran {len(rest)} more times between ticks "
            f"{events[rest[0]].tick:,} and {events[rest[-1]].tick:,} (the trace's `table` "
            "records).", {"more": len(rest), "ticks": [events[i].tick for i in rest]})))
    return out


def latency_step(f, events, parts: list[tuple[str, int, str]], taken_tick, end_tick) -> Step:
    """The request's latency in ticks and what it is made of: `parts` are (name, ticks,
    why), summing to the entry latency."""
    r = events[f.request].tick
    entry_latency = taken_tick - r
    assert sum(p[1] for p in parts) == entry_latency, (parts, entry_latency)
    rows = "\n".join(f"  {n:<28} {t:>6}  {w}" for n, t, w in parts)
    text = (f"Entry latency {entry_latency} tick{'s' if entry_latency != 1 else ''} (request "
            f"at {r:,}, handler's first instruction at {taken_tick:,}), made of:\n{rows}")
    facts = {"line": f.line, "request_tick": r, "entry_tick": taken_tick,
             "entry_latency": entry_latency,
             "parts": [{"name": n, "ticks": t, "why": w} for n, t, w in parts]}
    if f.dispatch is not None:
        d = events[f.dispatch].tick
        text += f"\n  then {d - taken_tick} ticks to handler_table_handle (tick {d:,})"
        facts["dispatch_latency"] = d - r
    if end_tick is not None:
        text += (f"\nReturn latency {end_tick - r} ticks: the request to its handler's return "
                 f"(tick {end_tick:,}).")
        facts["return_latency"] = end_tick - r
        facts["return_tick"] = end_tick
    return Step("latency", end_tick if end_tick is not None else taken_tick,
                f"Latency of the request on line {f.line}", text, facts)

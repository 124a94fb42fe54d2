"""The lessons' judges: each reads one run of a student's answer (sim/lessons/grading.py: the
machine, its trace, its report, the probes) and returns [(right, text)], every text with the
numbers of this run. A lesson names its judge and parameters in its lesson.toml.

Trace facts used (sim/trace.py): on Cortex-M `entry`/`preempt` push an exception (a preempt's
arg is the one it preempted), `tail-chain` replaces the running one (arg: the one that
returned), `return` pops it; numbers are exceptions (line n is 16 + n). On RISC-V `entry` and
`return` carry mcause's code, `claim`/`complete` the PLIC source. `request` and `dispatch`
carry the line on both; a dispatch's arg is 1 when the slot held a handler."""

from __future__ import annotations

from ..codes import ARMV7M_EXC_IRQ0

PUSH, SWAP, POP = ("entry", "preempt"), ("tail-chain",), ("return",)


def fmt(n: int) -> str:
    return f"{n:,}"


def plural(n: int, what: str) -> str:
    return f"{n:,} {what}{'' if n == 1 else 's'}"


# ---- reading the trace -------------------------------------------------------------------------

def walk_both(events):
    """(index, event, active stack before it, active stack after it): exception (Cortex-M) or
    cause (RISC-V) numbers, innermost last."""
    stack: list[int] = []
    for i, e in enumerate(events):
        before = tuple(stack)
        if e.kind in PUSH:
            stack.append(e.num)
        elif e.kind in SWAP and stack:
            stack[-1] = e.num
        elif e.kind in POP and stack:
            stack.pop()
        yield i, e, before, tuple(stack)


def walk(events):
    """(index, event, stack of active exception/cause numbers before the event)."""
    for i, e, before, _ in walk_both(events):
        yield i, e, before


def max_depth(events) -> int:
    return max((len(after) for _, _, _, after in walk_both(events)), default=0)


def spans(events, num: int) -> list[tuple[int, int | None]]:
    """(start, end) ticks of each run of exception `num`'s handler (end None: still running)."""
    out, open_at = [], None
    for _, e, _, after in walk_both(events):
        active = num in after
        if active and open_at is None:
            open_at = e.tick
        elif not active and open_at is not None:
            out.append((open_at, e.tick))
            open_at = None
    if open_at is not None:
        out.append((open_at, None))
    return out


def requests(events, line: int) -> list[int]:
    return [e.tick for e in events if e.kind == "request" and e.num == line]


def first_taken_after(events, num: int, tick: int):
    """The first entry / preempt / tail-chain into `num` at or after `tick`: the event."""
    return next((e for e in events if e.tick >= tick and e.num == num
                 and e.kind in PUSH + SWAP), None)


def span_text(sp) -> str:
    if not sp:
        return "it never ran"
    shown = ", ".join(f"{a:,}..{b:,}" if b is not None else f"{a:,}.." for a, b in sp[:3])
    return f"it ran at ticks {shown}" + (f" and {len(sp) - 3} more times" if len(sp) > 3 else "")


def failed(run) -> list:
    return [(False, f"the run failed: {run.failure}")] if run.failure else []


# ---- Cortex-M: priorities, groups, preemption -----------------------------------------------

class Nvic:
    """The lines' priorities and PRIGROUP as the run ended (what the core implemented)."""

    def __init__(self, run):
        self.m = run.m
        self.prigroup = run.m.nvic.counters()["prigroup"]

    def prio(self, line: int) -> int:
        return self.m.nvic.irq(line).priority

    def group(self, line: int) -> int:
        return self.prio(line) & ~((2 << self.prigroup) - 1) & 0xFF

    def name(self, line: int) -> str:
        return f"line {line} (priority {self.prio(line):#04x})"

    def split(self, line: int) -> str:
        return (f"{self.prio(line):#04x} is group {self.group(line):#04x}, subpriority "
                f"{self.prio(line) & ((2 << self.prigroup) - 1):#x}")


def exc(line: int) -> int:
    return ARMV7M_EXC_IRQ0 + line


def preempted_at(events, lo: int, hi: int) -> list[int]:
    """Ticks where line hi's handler preempted line lo's (directly above it)."""
    return [e.tick for e in events if e.kind == "preempt" and e.num == exc(hi)
            and e.arg == exc(lo)]


def why_no_preemption(run, nv, lo: int, hi: int) -> str:
    """Why line hi never preempted line lo's handler in this run, from the trace."""
    ev = run.events
    reqs = [(e.tick, s) for _, e, s in walk(ev) if e.kind == "request" and e.num == hi]
    lo_spans = spans(ev, exc(lo))
    if not reqs:
        return (f"{nv.name(hi)} was never requested; line {lo}'s handler: "
                f"{span_text(lo_spans)}")
    for t, s in reqs:
        if s and s[-1] == exc(lo):
            took = first_taken_after(ev, exc(hi), t)
            how = (f"it waited and was taken at tick {took.tick:,} ({took.kind})" if took
                   else "it was still waiting at the end")
            return (f"{nv.name(hi)} was requested at tick {t:,} while line {lo}'s handler "
                    f"ran, but did not preempt it: under PRIGROUP {nv.prigroup} "
                    f"{nv.split(hi)} and {nv.split(lo)}; only a strictly lower (more urgent) "
                    f"group priority preempts (B1.5.4); {how}")
    t, s = reqs[0]
    where = ("the thread was running" if not s else
             f"the handler of {run.m.adapter.exception_name(s[-1])} was running")
    return (f"{nv.name(hi)} never arrived during line {lo}'s handler: at its first request "
            f"(tick {t:,}) {where}; line {lo}'s handler: {span_text(lo_spans)}. Request line "
            f"{hi} while line {lo}'s handler runs (make it longer with [demo] handler_work)")


def judge_preemption(run, p) -> list:
    """must: [[lo, hi]] pairs where hi must preempt lo's handler; must_not: pairs where it
    must not; depth: the nesting the run must reach."""
    if run.failure:
        return failed(run)
    nv, ev, out = Nvic(run), run.events, []
    for lo, hi in p.get("must", []):
        hit = preempted_at(ev, lo, hi)
        out.append((True, f"{nv.name(hi)} preempted the handler of {nv.name(lo)} at tick "
                          f"{hit[0]:,}: under PRIGROUP {nv.prigroup} {nv.split(hi)}, more "
                          f"urgent than {nv.split(lo)}") if hit
                   else (False, why_no_preemption(run, nv, lo, hi)))
    for lo, hi in p.get("must_not", []):
        hit = preempted_at(ev, lo, hi)
        if hit:
            out.append((False, f"{nv.name(hi)} preempted the handler of {nv.name(lo)} at tick "
                               f"{hit[0]:,}: under PRIGROUP {nv.prigroup} {nv.split(hi)} and "
                               f"{nv.split(lo)}: different groups, so the more urgent one "
                               "preempts"))
            continue
        waited = [(e.tick, s) for _, e, s in walk(ev) if e.kind == "request" and e.num == hi
                  and s and s[-1] == exc(lo)]
        if not waited:
            out.append((False, f"{nv.name(hi)} was never requested while line {lo}'s handler "
                               "ran: the lesson's scenario did not reach its test"))
            continue
        t = waited[0][0]
        took = first_taken_after(ev, exc(hi), t)
        same = nv.group(hi) == nv.group(lo)
        out.append((True, f"{nv.name(hi)}, requested at tick {t:,} during line {lo}'s handler, "
                          f"waited: under PRIGROUP {nv.prigroup} {nv.split(hi)} and "
                          f"{nv.split(lo)}: "
                          + ("the same group, no preemption" if same else
                             "a less urgent group, no preemption")
                          + (f"; it was taken at tick {took.tick:,} ({took.kind})"
                             if took else "")))
    if "depth" in p:
        d = max_depth(ev)
        out.append((d >= p["depth"], f"at most {plural(d, 'handler')} active at once (the "
                                     f"lesson asks for {p['depth']})"))
    return out


def judge_tailchain(run, p) -> list:
    """A tail-chain from line `from` 's handler into line `to` 's."""
    if run.failure:
        return failed(run)
    a, b = p["from"], p["to"]
    nv, ev, cost = Nvic(run), run.events, run.m.adapter.exception_ticks(run.m.board.controller)
    chained = [e for e in ev if e.kind == "tail-chain" and e.num == exc(b) and e.arg == exc(a)]
    if chained:
        e = chained[0]
        r = max((t for t in requests(ev, b) if t <= e.tick), default=None)
        waited = f"; line {b} had waited since its request at tick {r:,}" if r is not None else ""
        return [(True, f"line {a}'s handler ended at tick {e.tick:,} straight into line {b}'s: "
                       f"a tail-chain costs {cost['tail_chain']} ticks instead of "
                       f"{cost['return']} (unstacking) + {cost['entry']} (stacking again); the "
                       f"frame stays on the stack{waited}")]
    pre = preempted_at(ev, b, a)
    if pre:
        return [(False, f"{nv.name(a)} preempted the handler of {nv.name(b)} at tick "
                        f"{pre[0]:,}: the more urgent request came second. For a tail-chain "
                        f"the less urgent request must wait: request line {a} first, then line "
                        f"{b} while line {a}'s handler runs")]
    sa = spans(ev, exc(a))
    rb = requests(ev, b)
    return [(False, f"no tail-chain from line {a} to line {b}: line {a}'s handler: "
                    f"{span_text(sa)}; line {b} was requested at "
                    f"{', '.join(fmt(t) for t in rb[:3]) or 'no tick'}. Request line {b} while "
                    f"line {a}'s handler runs, so that it is pending when that handler returns")]


def judge_mask(run, p) -> list:
    """through: lines taken at once inside the critical section; held: lines that wait for
    its end; coalesce: a line whose second request is merged; after: [line, tick] of a
    request after the section that must be taken at once. probe_at[0] is inside it."""
    if run.failure:
        return failed(run)
    if len(run.probes) < len(p["probe_at"]):
        return []                   # the run stopped before the probes: grading says where
    nv, ev, out = Nvic(run), run.events, []
    inside = run.probes[min(run.probes)]
    masks = (f"PRIMASK {inside['primask']}, BASEPRI {inside['basepri']:#04x} at tick "
             f"{min(run.probes):,}")
    quick = p.get("quick", 100)

    def latency(line, at):
        took = first_taken_after(ev, exc(line), at)
        return (took.tick - at) if took else None

    for line in p["through"]:
        t = next(t for t in requests(ev, line) if t >= p["from"])
        lat = latency(line, t)
        ok = lat is not None and lat <= quick
        out.append((ok, f"{nv.name(line)}, requested at tick {t:,} inside the critical section, "
                        + (f"was taken {lat} ticks later: {masks} let it through" if ok else
                           f"waited {'to the end' if lat is None else fmt(lat) + ' ticks'}: "
                           f"{masks} held it off too (PRIMASK 1 masks every configurable "
                           "priority; BASEPRI masks the priorities numerically >= it)")))
    for line in p["held"]:
        t = next(t for t in requests(ev, line) if t >= p["from"])
        lat = latency(line, t)
        ok = lat is None or lat > quick
        out.append((ok, f"{nv.name(line)}, requested at tick {t:,} inside the critical section, "
                        + (f"waited {'to the end' if lat is None else fmt(lat) + ' ticks'}: "
                           f"held off by {masks}" if ok else
                           f"was taken {lat} ticks later: {masks} does not mask it"
                           + (" (BASEPRI 0 masks nothing: it turns BASEPRI masking off)"
                              if inside["basepri"] == 0 and not inside["primask"] else ""))))
    line = p["coalesce"]
    row = run.report.lines.get(line, {})
    ok = row.get("coalesced", 0) >= 1
    out.append((ok, f"line {line}: {row.get('requests', 0)} requests, {row.get('handled', 0)} "
                    f"handled, {row.get('coalesced', 0)} coalesced: "
                    + ("a request that arrives while the line is already pending is merged "
                       "into it: that request is lost as a request of its own" if ok else
                       "none was merged: each request was taken before the next came")))
    line, at = p["after"]
    lat = latency(line, at)
    ok = lat is not None and lat <= quick
    end = run.probes[max(run.probes)]
    out.append((ok, f"after the critical section {nv.name(line)}, requested at tick {at:,}, "
                    + (f"was taken {lat} ticks later: the mask was lifted" if ok else
                       f"{'was never taken' if lat is None else f'waited {lat:,} ticks'}: "
                       f"the mask stayed (PRIMASK {end['primask']}, BASEPRI "
                       f"{end['basepri']:#04x} at tick {max(run.probes):,})")))
    return out


# ---- both architectures: the report's accounting --------------------------------------------

def _row(run, line) -> dict:
    return run.report.lines.get(line, {"requests": 0, "handled": 0, "coalesced": 0,
                                       "unhandled": 0, "entries": 0, "masked": 0,
                                       "pending": 0})


def _sources_on(run, line):
    return [s for s in run.sc.sources if line in s.lines]


def _closest(ticks) -> int | None:
    return min((b - a for a, b in zip(ticks, ticks[1:])), default=None)


def judge_coalesce(run, p) -> list:
    """edge: a pulsed line with requests both handled and coalesced; level: a level line held
    until the handler acknowledges, every request handled."""
    if run.failure:
        return failed(run)
    out = []
    line = p["edge"]
    row, srcs = _row(run, line), _sources_on(run, line)
    if not srcs or any(s.trigger != "pulse" for s in srcs):
        out.append((False, f"line {line} needs edge requests: a source with lines = [{line}] "
                           "and trigger = \"pulse\" (the default)"))
    else:
        ok = row["coalesced"] >= 1 and row["handled"] >= 1
        gap = _closest(requests(run.events, line))
        served = (row.get("latency_return") or {}).get("p50")
        detail = (f"line {line}: {row['requests']} edges, {row['handled']} handled, "
                  f"{row['coalesced']} coalesced")
        out.append((ok, detail + (": an edge that comes while the line is already pending sets "
                                  "the pending bit that is already set, so it is merged"
                                  if ok else
                                  f": the closest two edges were {fmt(gap) if gap else '-'} "
                                  f"ticks apart and a request was served (request to return) "
                                  f"in {fmt(served) if served else '-'} ticks (median): send "
                                  "edges closer than that, while the line is still pending")))
    line = p["level"]
    row, srcs = _row(run, line), _sources_on(run, line)
    if not srcs or any(s.trigger != "level" or s.hold != "ack" for s in srcs):
        out.append((False, f"line {line} needs a level source held until the handler "
                           "acknowledges it: trigger = \"level\", hold = \"ack\" (got "
                           + (", ".join(f"trigger {s.trigger!r}, hold {s.hold!r}"
                                        for s in srcs) or "no source") + ")"))
    else:
        ok = row["requests"] > 0 and row["handled"] == row["requests"]
        out.append((ok, f"line {line}: {row['requests']} level requests, {row['handled']} "
                        f"handled, {row['coalesced']} coalesced"
                        + (": the line stays asserted until the handler clears its source, "
                           "so each request is seen" if ok else
                           f": not every request was handled ({row['masked'] + row['pending']} "
                           f"still waiting at the end, {row.get('dropped', 0)} dropped)")))
    return out


def judge_livelock(run, p) -> list:
    """line: a level line the handler must clear; progress: the thread's share of its
    baseline it must keep (the report's thread progress)."""
    if run.failure:
        return failed(run)
    line, out = p["line"], []
    row = _row(run, line)
    pr = run.report.progress
    rel = pr.get("relative")
    ok = rel is not None and rel >= p["progress"]
    loops = (f" ({fmt(pr['loops'])} main-loop iterations against {fmt(pr['loops_baseline'])} "
             "without interrupts)" if "loops" in pr else "")
    out.append((ok, f"the thread made {rel or 0:.1%} of its progress{loops}"
                    + ("" if ok else f": a livelock, the handler of line {line} took "
                                     f"{1 - pr['thread_share']:.1%} of the time")))
    ok = row["requests"] > 0 and row["entries"] <= row["requests"]
    out.append((ok, f"line {line}: {fmt(row['requests'])} requests, {fmt(row['entries'])} "
                    "handler entries" + (": one per request, the handler cleared the level"
                                         if ok else
                                         ", back to back: the handler returned with its level "
                                         "still high, so the line pended again at once (the "
                                         "source was never cleared: write the line number to "
                                         "the acknowledge register, demo_ack_addr)")))
    return out


def table_calls(run, idx: int):
    """(tick, register?, in a handler?) of each handler_table_register / unregister on idx."""
    return [(e.tick, bool(e.arg), bool(s)) for _, e, s in walk(run.events)
            if e.kind == "table" and e.num == idx]


def slot_value(m, idx: int) -> int:
    """What the demo's table slot `idx` holds now (handler_table.h: {len, slots})."""
    slots = int.from_bytes(m.mem_read(m.symbols["irq_table"].address + 4, 4), "little")
    return int.from_bytes(m.mem_read(slots + 4 * idx, 4), "little")


def judge_table_race(run, p) -> list:
    """line: the slot the thread unregisters and an interrupt handler registers; both must
    happen, requests on the line must find it both full and empty, and the slot must end as
    the order of the calls says."""
    if run.failure:
        return failed(run)
    line, out = p["line"], []
    calls = table_calls(run, line)
    isr_reg = [t for t, reg, isr in calls if reg and isr]
    thr_unreg = [t for t, reg, isr in calls if not reg and not isr]
    out.append((bool(isr_reg), f"handler_table_register({line}) ran {len(isr_reg)} times inside "
                               "an interrupt handler" + (f", first at tick {isr_reg[0]:,}"
                                                         if isr_reg else
                                                         ": request the line whose handler "
                                                         f"registers slot {line} "
                                                         f"(line {p['isr_line']})")))
    out.append((bool(thr_unreg), f"the thread called handler_table_unregister({line}) "
                                 f"{len(thr_unreg)} times" + (
                                     f", first at tick {thr_unreg[0]:,}" if thr_unreg else
                                     f": set [demo] toggle_line = {line} and a toggle_period")))
    row = _row(run, line)
    ok = row["handled"] >= 1 and row["unhandled"] >= 1
    out.append((ok, f"line {line}: {row['requests']} requests, {row['handled']} found the slot "
                    f"full (handled), {row['unhandled']} found it empty (unhandled)"
                    + (": each dispatch read 0 or the whole handler address, never a mix"
                       if ok else ": request the line often enough to see both")))
    state = True            # the demo registers the line at boot, before the thread loop
    for _, reg, _ in calls:
        state = state or reg if reg else False
    now = slot_value(run.m, line)
    ok = bool(now) == state
    out.append((ok, f"slot {line} ends {'full' if now else 'empty'} ({now:#010x}), as the order "
                    f"of the {len(calls)} register / unregister calls says"
                    + (": no update was lost" if ok else ": an update was lost")))
    return out


# ---- RISC-V: the PLIC and mtvec -------------------------------------------------------------

def judge_threshold(run, p) -> list:
    """taken: sources that must be claimed; held: sources that must wait (at or below the
    threshold)."""
    if run.failure:
        return failed(run)
    m, out = run.m, []
    th = m.plic.threshold
    for s in p["taken"] + p["held"]:
        prio, row = m.plic.source(s).priority, _row(run, s)
        want = s in p["taken"]
        waiting = row["masked"] + row["pending"]
        taken = row["handled"] > 0
        ok = taken if want else (row["requests"] > 0 and waiting > 0 and not taken)
        rule = f"priority {prio} {'>' if prio > th else '<='} threshold {th}"
        text = (f"source {s}: {plural(row['requests'], 'request')}, {row['handled']} claimed "
                f"and handled, {waiting} still waiting at the end: {rule}")
        if not ok:
            text += " (the lesson wants it " + ("taken)" if want else "held off)")
        out.append((ok, text))
    claims = sum(1 for e in run.events if e.kind == "claim")
    completes = sum(1 for e in run.events if e.kind == "complete")
    out.append((claims == completes, f"{claims} claims and {completes} completes: every "
                                     "claimed source was completed, which reopens its gateway"
                                     if claims == completes else
                                     f"{claims} claims but {completes} completes"))
    return out


def judge_vectored(run, p) -> list:
    """mtvec must be MODE `mode` on BASE `base` (a symbol); requests on `line` handled."""
    m, out = run.m, []
    v = m.csr("mtvec")
    base, mode = v & ~3, v & 3
    want = m.symbols[p["base"]].address
    where = m.function_at(base) or f"{base:#010x}"
    slot = base + 4 * 11
    if mode == p["mode"] and base == want:
        name = "direct" if mode == 0 else "vectored"
        out.append((True, f"mtvec = {v:#010x}: MODE {mode} ({name}), BASE {where}: every trap "
                          "enters at BASE, and the code there reads mcause to find the cause"))
    elif mode == 1:
        out.append((False, f"mtvec = {v:#010x}: MODE 1 (vectored): machine external interrupts "
                           f"(code 11) enter at BASE + 4 * 11 = {slot:#010x} "
                           f"({m.function_at(slot) or 'no symbol'}), not at the BASE of "
                           f"{p['base']}"))
    else:
        tv = m.symbols["trap_vectors"].address if "trap_vectors" in m.symbols else None
        slot0 = (" (slot 0 of the vector table: `j trap_exception`, the entry of synchronous "
                 "exceptions)" if base == tv else "")
        out.append((False, f"mtvec = {v:#010x}: MODE {mode} (direct), BASE {where}: every trap "
                           f"enters at BASE{slot0}, not at {p['base']}"))
    if run.failure:
        out.append((False, f"the run failed: {run.failure}"))
        return out
    row = _row(run, p["line"])
    ok = row["requests"] > 0 and row["handled"] == row["requests"]
    out.append((ok, f"source {p['line']}: {plural(row['requests'], 'request')}, "
                    f"{row['handled']} handled"))
    return out


JUDGES = {"preemption": judge_preemption, "tailchain": judge_tailchain, "mask": judge_mask,
          "coalesce": judge_coalesce, "livelock": judge_livelock,
          "table_race": judge_table_race, "threshold": judge_threshold,
          "vectored": judge_vectored}

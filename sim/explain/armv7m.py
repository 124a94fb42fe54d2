"""The Cortex-M narrator of `irqsim explain`: NVIC arbitration (B1.5.4), exception entry
(B1.5.6: the frame, the stack, EXC_RETURN, the vector), tail-chaining (B1.5.12), late arrival,
return (B1.5.8), with the numbers read from the machine at each moment (sim/explain/run.py)."""

from __future__ import annotations

from ..codes import ARMV7M_EXC_IRQ0, LINE_NMI
from . import Step
from .common import (
    dispatch_steps,
    hx,
    latency_step,
    later,
    pend_source,
    read_dispatch,
    request_step,
    table_code_steps,
)
from .mcores import (
    FPCCR_LSPACT,
    decode_exc_return_v8,
    find_lazy_fill,
    fp_entry_text,
    fp_frame_rows,
    fp_state,
    fp_unstacked,
    frame_names,
    v8_exc_return_text,
    v8_limit_text,
)
from .run import Moment, request_moments

FRAME = ("r0", "r1", "r2", "r3", "r12", "lr", "pc", "xpsr")    # B1.5.6, lowest address first
ENTRY_KINDS = ("entry", "preempt", "tail-chain")
EXC_NMI = 2
XPSR_ALIGN = 1 << 9


def decode_exc_return(v: int) -> dict:
    """EXC_RETURN's fields (B1.5.8, table B1-8)."""
    return {"value": v, "return_to": "thread" if v & 8 else "handler",
            "stack": "PSP" if v & 4 else "MSP", "fp_frame": not v & 0x10,
            "valid": v in (0xFFFFFFF1, 0xFFFFFFF9, 0xFFFFFFFD)}


class Narrator:
    def __init__(self, board):
        self.board = board
        self.a = board.adapter
        self.cost = self.a.exception_ticks(board.controller)
        self.prio_bits = board.controller["prio_bits"]
        prof = self.a.profile(board)
        self.v6 = prof.version == 6      # ARMv6-M: no PRIGROUP, BASEPRI, FAULTMASK
        self.v8 = prof.version == 8      # ARMv8-M Mainline: EXC_RETURN's fields, stack limits
        self.fp_core = bool(prof.fpu) and prof.version == 7   # the ARMv7-M FP context
        self.vtor = prof.vtor
        self._entry_ticks: dict = {}     # taken record -> the ticks its entry cost
        self._eager: set = set()         # taken records whose entry stacked FP eagerly

    def name(self, exc: int) -> str:
        return self.a.exception_name(exc)

    def exc_of(self, line: int) -> int:
        return EXC_NMI if line == LINE_NMI else ARMV7M_EXC_IRQ0 + line

    # ---- which records are the request's -----------------------------------------------

    def follow(self, f, events):
        num = self.exc_of(f.line)
        for j in range(f.request + 1, len(events)):
            e = events[j]
            if f.pend is None:
                if e.kind in ("pend", "coalesce") and e.num == num:
                    f.pend, f.coalesced = j, e.kind == "coalesce"
                    if f.coalesced:
                        return
                continue
            if f.taken is None:
                if e.kind in ENTRY_KINDS and e.num == num:
                    f.taken, stack = j, [num]
                continue
            if e.kind in ("entry", "preempt"):
                stack.append(e.num)
            elif e.kind == "tail-chain":
                if e.arg == num and stack[-1] == num:
                    f.end = j
                    return
                stack[-1] = e.num
            elif e.kind == "return":
                if stack[-1] == num and e.num == num:
                    f.end = j
                    return
                stack.pop()
            elif e.kind == "dispatch" and stack[-1] == num and f.dispatch is None:
                f.dispatch = j

    def moments(self, k, f, events):
        t = events[f.taken] if f.taken is not None else None
        pre = t.tick - self.cost["entry"] if t and t.kind != "tail-chain" else None
        out = request_moments(k, f, events, pre)
        if pre is not None and self.fp_core and self.cost["fp_entry"]:
            # an eager FP entry costs fp_entry more: its boundary is earlier. Both candidates
            # are optional (a fork checks the boundary exists); which one it was, the entry's
            # eager_saves count says (_costs)
            for mo in out:
                if mo.name == (k, "pre"):
                    mo.optional = True
            out.append(Moment(f.taken - 0.6, (k, "pre_eager"),
                              tick=pre - self.cost["fp_entry"], optional=True))
        return out

    # ---- what the machine shows at each moment ---------------------------------------------

    def snapshot(self, what, m) -> dict:
        if what == "dispatch":
            return read_dispatch(m, "r0", "r1")
        names = FRAME + ("sp", "msp", "psp", "control", "primask", "basepri", "faultmask")
        st = {"tick": m.ticks, "regs": {n: m.reg(n) for n in names}}
        if self.fp_core:
            st["fp"] = fp_state(m)
        if self.v8:
            st["limits"] = m.nvic.stack_limits()
        c = m.nvic.counters()
        st.update(active=c["active"], prigroup=c["prigroup"], vtor=c["vtor"],
                  exec_priority=m.nvic.execution_priority)
        st["pending"] = [(s.number, s.priority, s.enabled) for s in
                         (m.nvic.irq(n) for n in range(m.nvic.num_irq)) if s.pending]
        irqs = [m.nvic.irq(n) for n in range(m.nvic.num_irq)]
        st["prio"] = {s.number: s.priority for s in irqs}
        st["enabled"] = {s.number: s.enabled for s in irqs}
        if what == "entry":
            words = len(frame_names(st["regs"]["lr"], self.fp_core))
            st["frame"] = [int.from_bytes(m.mem_read(st["regs"]["sp"] + 4 * i, 4), "little")
                           for i in range(words)]
            if self.fp_core and st["fp"]["fpccr"] & FPCCR_LSPACT:
                st["lazy"] = find_lazy_fill(m, len(m.events))
            n = st["regs"]["xpsr"] & 0x1FF
            st["vector_addr"] = c["vtor"] + 4 * n
            st["vector"] = int.from_bytes(m.mem_read(st["vector_addr"], 4), "little")
            st["handler"] = m.symbols.at(st["vector"])
            st["interrupted"] = m.symbols.at(st["frame"][6])
        return st

    # ---- priorities (B1.5.4) ---------------------------------------------------------------

    def split(self, prio: int, prigroup: int) -> tuple[int, int]:
        """(group priority, subpriority) of priority byte `prio` under PRIGROUP."""
        sub_mask = (1 << (prigroup + 1)) - 1
        return prio & ~sub_mask & 0xFF, prio & sub_mask

    def prio_text(self, exc, prio, prigroup) -> str:
        if exc < ARMV7M_EXC_IRQ0:
            return f"{self.name(exc)} has the fixed priority {prio}"
        g, s = self.split(prio, prigroup)
        hi = 8 - self.prio_bits
        if self.v6:
            return (f"{self.name(exc)} has priority {prio:#04x} (ARMv6-M implements the top "
                    f"{self.prio_bits} bits, 7:{hi}; the rest read 0). ARMv6-M has no "
                    "PRIGROUP: the whole priority is the group priority (B1.5.4)")
        return (f"{self.name(exc)} has priority {prio:#04x} (this NVIC implements the top "
                f"{self.prio_bits} bits, 7:{hi}; the rest read 0). PRIGROUP {prigroup} splits "
                f"it into group priority bits 7:{prigroup + 1} = {g:#04x} and subpriority bits "
                f"{prigroup}:0 = {s:#x}")

    def exec_text(self, st) -> str:
        r = st["regs"]
        act = st["active"]
        parts = [f"the running {self.name(act)} (priority {st['prio'].get(act - 16, 0):#04x})"
                 if act >= ARMV7M_EXC_IRQ0 else
                 (f"the running {self.name(act)}" if act else "thread mode, nothing active")]
        parts.append(f"PRIMASK {r['primask'] & 1} (ARMv6-M has no BASEPRI or FAULTMASK)"
                     if self.v6 else f"PRIMASK {r['primask'] & 1}, FAULTMASK "
                     f"{r['faultmask'] & 1}, BASEPRI {r['basepri']:#04x}")
        return f"The execution priority is {st['exec_priority']}: " + "; ".join(parts)

    def precedence(self, win, exc, st) -> str:
        """Why pending exception `win` is taken before `exc` (B1.5.4)."""
        pw, pe = (st["prio"].get(x - ARMV7M_EXC_IRQ0, 0) for x in (win, exc))
        (gw, sw), (ge, se) = self.split(pw, st["prigroup"]), self.split(pe, st["prigroup"])
        if gw != ge:
            rule = f"its group priority {gw:#04x} is lower than {ge:#04x}"
        elif sw != se:
            rule = (f"same group priority {gw:#04x}, and its subpriority {sw:#x} is lower than "
                    f"{se:#x}")
        else:
            rule = f"same priority {pw:#04x}: the lower exception number ({win} < {exc}) wins"
        return f"{self.name(win)} is taken first at this boundary: {rule} (B1.5.4)"

    def why_waiting(self, exc, st, prio, winner=None) -> str:
        r = st["regs"]
        g, _ = self.split(prio, st["prigroup"])
        if r["faultmask"] & 1:
            return "FAULTMASK is set: only NMI can be taken (execution priority -1)"
        if r["primask"] & 1:
            return ("PRIMASK is set (cpsid i): the execution priority is 0, and no "
                    "configurable priority is below 0, so it waits for cpsie i")
        if r["basepri"] and g >= self.split(r["basepri"], st["prigroup"])[0]:
            return (f"BASEPRI {r['basepri']:#04x} masks group priorities {r['basepri']:#04x} "
                    "and above (numerically): it waits until BASEPRI is lowered")
        if exc >= ARMV7M_EXC_IRQ0 and not st["enabled"].get(exc - ARMV7M_EXC_IRQ0, True):
            return ("it is not enabled (NVIC ISER): pending stays set, and it is taken only "
                    "once the firmware enables it")
        if winner is not None:
            return self.precedence(winner, exc, st)
        act = st["active"]
        if act:
            return (f"its group priority {g:#04x} is not lower than the running "
                    f"{self.name(act)}'s: no preemption (only a strictly lower group priority "
                    "preempts, B1.5.4); it waits until that handler returns")
        return ("another pending exception has precedence (lower group priority, then "
                "subpriority, then number)")

    # ---- the steps ----------------------------------------------------------------------------

    def steps(self, followed, events, states, m) -> list[Step]:
        return [s for _, s in self.placed_steps(followed, events, states, m)]

    def placed_steps(self, followed, events, states, m) -> list[tuple[float, Step]]:
        """(position, step) in order: the position is the index of the record the step
        is about (a fraction after it: what follows from that record)."""
        out: list[tuple[float, Step]] = []
        self._costs(followed, states)
        first_dispatch = next((f.dispatch for f in followed if f.dispatch is not None), None)
        shown_code = False
        for k, f in enumerate(followed):
            exc = self.exc_of(f.line)
            nm = self.name(exc)
            out.append((f.request, request_step(f, events, f"{nm}, exception {exc}", {
                "exception": exc, "name": nm,
                "_text": f"External line n is exception 16 + n (B1.5.2): {nm} is exception "
                         f"{exc}, its vector word {exc} of the vector table."})))
            if f.pend is None:
                out.append((f.request + 0.2, Step("waiting", m.ticks, f"{nm} never pending",
                            f"By tick {m.ticks:,} the request had not made {nm} pending.",
                            {"exception": exc})))
                continue
            out.append((f.pend, self._pending(f, events, exc, states.get((k, "pend")))))
            if f.coalesced:
                continue
            st = states.get((k, "pend"))
            out.append((f.pend + 0.3, self._arbitration(f, events, exc, st)))
            if f.taken is None:
                masked = m.line_masked(f.line) if f.line != LINE_NMI else False
                out.append((len(events), Step(
                    "waiting", m.ticks, f"{nm} still pending at the end",
                    f"{nm} was still pending at tick {m.ticks:,}, "
                    f"{'held off by a mask or disabled' if masked else 'not yet taken'}.",
                    {"exception": exc, "masked": masked})))
                continue
            pre = states.get((k, "pre_eager" if f.taken in self._eager else "pre"))
            out += self._entry(f, events, exc, pre, states[(k, "entry")])
            if f.dispatch is not None:
                where = f"The handler {states[(k, 'entry')]['handler']} read IPSR ({exc}) and"
                out += dispatch_steps(m, f, events, states[(k, "dispatch")], where,
                                      not shown_code)
                shown_code = True
            if f.end is not None:
                out.append((f.end, self._end(f, events, exc, states[(k, "end")],
                                             states[(k, "entry")])))
            out.append((f.end + 0.9 if f.end is not None else len(events),
                        self._latency(f, events)))
        out += table_code_steps(m, followed, events, first_dispatch, states)
        return sorted(out, key=lambda x: x[0])

    def _costs(self, followed, states):
        """The ticks each followed entry and return cost: the board's exception_ticks, with
        fp_entry for an entry that stacked the FP context eagerly (its eager_saves count grew
        from the earlier boundary) and fp_return for a return that unstacked it."""
        self._entry_ticks, self._eager, self._return_ticks = {}, set(), {}
        for k, f in enumerate(followed):
            post, pe = states.get((k, "entry")), states.get((k, "pre_eager"))
            if f.taken is None or post is None or "fp" not in post:
                continue
            if pe is not None and post["fp"]["eager_saves"] > pe["fp"]["eager_saves"]:
                self._eager.add(f.taken)
                self._entry_ticks[f.taken] = self.cost["entry"] + self.cost["fp_entry"]
            end = states.get((k, "end"))
            if (f.end is not None and end is not None and not post["regs"]["lr"] & 0x10
                    and fp_unstacked(post, end, f.taken in self._eager)):
                self._return_ticks[f.end] = self.cost["return"] + self.cost["fp_return"]

    def _taken_cost(self, i: int, t) -> int:
        """The ticks of the entry (or tail-chain) at record i."""
        if t.kind == "tail-chain":
            return self.cost["tail_chain"]
        return self._entry_ticks.get(i, self.cost["entry"])

    def _pending(self, f, events, exc, st) -> Step:
        e, r = events[f.pend], events[f.request]
        nm = self.name(exc)
        if f.coalesced:
            return Step("pending", e.tick, f"{nm} was already pending: coalesced",
                        f"At the block boundary of tick {e.tick:,} {nm} was already pending, so "
                        "the NVIC merged this request into it (one pending bit per exception): "
                        "the handler that serves the pending one serves both.",
                        {"exception": exc, "coalesced": True, "sampled_tick": e.tick})
        others = [p for p in (st or {}).get("pending", []) if ARMV7M_EXC_IRQ0 + p[0] != exc]
        return Step("pending", e.tick, f"{nm} pending",
                    f"Interrupts are recognised at translation-block boundaries: the first at or "
                    f"after tick {r.tick:,} was at tick {e.tick:,} ({later(e.tick - r.tick)})"
                    f", where {nm} became pending (ISPR, cause: {pend_source(e.arg)}). "
                    + (f"Also pending: {', '.join(f'IRQ{p[0]}' for p in others)}."
                       if others else "Nothing else is pending."),
                    {"exception": exc, "sampled_tick": e.tick, "sampling_delay": e.tick - r.tick,
                     "also_pending": [p[0] for p in others], "coalesced": False})

    def _arbitration(self, f, events, exc, st) -> Step:
        e = events[f.pend]
        nm = self.name(exc)
        taken = events[f.taken] if f.taken is not None else None
        boundary = taken.tick - self._taken_cost(f.taken, taken) if taken else None
        facts = {"exception": exc}
        if st is None:
            return Step("arbitration", e.tick, f"Arbitration for {nm}",
                        f"{nm} pended at tick {e.tick:,} inside another exception's entry; it "
                        "is arbitrated at the next boundary (see the entry below).", facts)
        prio = st["prio"].get(exc - ARMV7M_EXC_IRQ0, -2 if exc == EXC_NMI else 0)
        g, s = self.split(prio, st["prigroup"])
        facts.update(priority=prio, group=g, subpriority=s, prigroup=st["prigroup"],
                     exec_priority=st["exec_priority"], active=st["active"],
                     primask=st["regs"]["primask"] & 1, basepri=st["regs"]["basepri"],
                     faultmask=st["regs"]["faultmask"] & 1)
        text = f"{self.prio_text(exc, prio, st['prigroup'])}. {self.exec_text(st)}. "
        if taken is not None and taken.kind != "tail-chain" and boundary == e.tick:
            how = "preempts the running handler" if st["active"] else "preempts the thread"
            if self.v6:
                text += (f"Its priority {g:#04x} is lower (more urgent) than "
                         f"{st['exec_priority']}: it {how} at once. (ARMv6-M B1.5.4: only a "
                         "priority strictly lower than the execution priority preempts; among "
                         "pending exceptions the lowest priority wins, then the lowest number; "
                         "PRIMASK is the only mask.)")
            else:
                text += (f"Its group priority {g:#04x} is lower (more urgent) than "
                         f"{st['exec_priority']}: it {how} at once. (B1.5.4: only a group "
                         "priority strictly lower than the execution priority preempts; among "
                         "pending exceptions the lowest group priority wins, then the lowest "
                         "subpriority, then the lowest number.)")
            facts.update(outcome="taken", taken_kind=taken.kind)
        else:
            j = next((i for i in range(f.pend + 1, len(events))
                      if events[i].kind in ("entry", "preempt")), None)
            first = events[j] if j is not None else None
            winner = first.num if first is not None and first.num != exc and \
                first.tick - self._taken_cost(j, first) == e.tick else None
            why = self.why_waiting(exc, st, prio, winner)
            text += f"{nm} waits: {why}."
            if taken is not None:
                text += (f" It is taken at tick {boundary:,}"
                         f"{' by a tail-chain' if taken.kind == 'tail-chain' else ''}, "
                         f"{boundary - e.tick} ticks later.")
            facts.update(outcome="waits", reason=why, waited=(boundary - e.tick) if taken else None)
        return Step("arbitration", e.tick, f"Arbitration: {nm} "
                    f"{'wins' if facts['outcome'] == 'taken' else 'waits'}", text, facts)

    def _entry(self, f, events, exc, pre, post):
        t = events[f.taken]
        nm = self.name(exc)
        r = post["regs"]
        out = []
        if t.kind == "tail-chain":
            frm = self.name(t.arg)
            text = (f"When {frm}'s handler returned (a branch to EXC_RETURN {hx(r['lr'])}), {nm} "
                    f"was pending with a group priority above the context being returned to, "
                    f"so the core tail-chained (B1.5.12): no unstacking and restacking. The frame "
                    f"at SP {hx(r['sp'])} stays for {nm}'s own return, LR keeps "
                    f"{hx(r['lr'])}, IPSR becomes {exc}, and the vector at "
                    f"{'VTOR' if self.vtor else 'the table at 0 (no VTOR)'} + 4 * {exc} = "
                    f"{hx(post['vector_addr'])} gives {hx(post['vector'])} "
                    f"({post['handler']}). {self.cost['tail_chain']} ticks instead of "
                    f"{self.cost['return']} (return) + {self.cost['entry']} (entry).")
            return [(f.taken, Step("tail-chain", t.tick, f"Tail-chain from {frm} into {nm}",
                                   text, {"exception": exc, "from": t.arg, "sp": r["sp"],
                                          "frame": post["frame"],
                                          "exc_return": decode_exc_return(r["lr"]),
                                          "vector_addr": post["vector_addr"],
                                          "vector": post["vector"],
                                          "ticks": self.cost["tail_chain"]}))]
        p = pre["regs"]
        late = self._late_arrival(f, events, exc)
        if late:
            out.append((f.request + 0.05, late))
        from_handler = t.kind == "preempt"
        stack = "MSP" if from_handler or not p["control"] & 2 else "PSP"
        frame = post["frame"]
        names = frame_names(r["lr"], self.fp_core)
        size = 4 * len(names)
        pad = bool(p["sp"] & 4) if size == 0x20 else p["sp"] - r["sp"] != size
        rows = []
        for i, (name, val) in enumerate(zip(FRAME, frame)):
            note = {"pc": " (the return address: the next instruction of the interrupted code"
                          f"{', in ' + post['interrupted'] if post['interrupted'] else ''})",
                    "xpsr": f" (bit 9 = {int(bool(val & XPSR_ALIGN))}"
                            f"{': 4 bytes of padding' if pad else ''})"}.get(name, "")
            rows.append(f"  {hx(r['sp'] + 4 * i)}  {name:<4} {hx(val)}{note}")
        eager = f.taken in self._eager
        fp_text, fp_facts = "", None
        if self.fp_core:
            fp_text, fp_facts = fp_entry_text(post, pre, eager, self.cost, events[f.taken + 1:],
                                              t.tick, self.a.profile(self.board).fpu == 2)
            if len(frame) > 8:
                lazy_unwritten = fp_facts["stacking"] == "lazy"
                rows += fp_frame_rows(frame, r["sp"], lazy_unwritten)
        if pad and size > 0x20:
            rows.append(f"  {hx(r['sp'] + size)}  (padding: the 4 bytes that align the frame "
                        "to 8)")
        er = decode_exc_return(r["lr"])
        if self.v8:
            er = decode_exc_return_v8(r["lr"])
            er_text = ("\n" + v8_exc_return_text(er) + v8_limit_text(stack, r["sp"], p["sp"],
                                                                    post.get("limits")))
        elif self.v6:
            er_text = (f"\nLR = EXC_RETURN {hx(r['lr'])} (B1.5.8): bit 3 = "
                       f"{int(er['return_to'] == 'thread')} return to {er['return_to']} mode, "
                       f"bit 2 = {int(er['stack'] == 'PSP')} unstack from {er['stack']}. ")
        elif self.fp_core:
            er_text = (f"\nLR = EXC_RETURN {hx(r['lr'])} (B1.5.8): bit 3 = "
                       f"{int(er['return_to'] == 'thread')} return to {er['return_to']} mode, "
                       f"bit 2 = {int(er['stack'] == 'PSP')} unstack from {er['stack']}, bit 4 "
                       f"(FType) = {int(not er['fp_frame'])}: "
                       + ("an extended frame, the FP context is on the stack (B1.5.7). "
                          if er["fp_frame"] else "a basic frame, no FP context. ") + fp_text)
        else:
            er_text = (f"\nLR = EXC_RETURN {hx(r['lr'])} (B1.5.8): bit 3 = "
                       f"{int(er['return_to'] == 'thread')} return to {er['return_to']} mode, "
                       f"bit 2 = {int(er['stack'] == 'PSP')} unstack from {er['stack']}, bit 4 "
                       "= 1 no floating-point frame. ")
        entry_ticks = self._taken_cost(f.taken, t)
        text = (f"At the block boundary of tick {pre['tick']:,} the core took {nm} "
                f"({'over ' + self.name(t.arg) if from_handler else 'from thread mode'}); "
                f"{self.exec_text(pre)[0].lower()}{self.exec_text(pre)[1:]} there. "
                f"Stacking (B1.5.6): SP was {hx(p['sp'])} ({stack}"
                f"{', handler mode always uses MSP' if from_handler else ''}); "
                + (("it is not 8-byte aligned, so CCR.STKALIGN adds 4 bytes of padding and "
                    "sets bit 9 of the stacked xPSR. " if pad else
                    "it is 8-byte aligned: no padding, bit 9 of the stacked xPSR is 0. ")
                   if size == 0x20 else
                   (f"SP - {size:#x} = {hx(p['sp'] - size)} is not 8-byte aligned: the frame "
                    "goes 4 bytes lower (always, for an extended frame) and bit 9 of the "
                    "stacked xPSR is 1. " if pad else
                    f"SP - {size:#x} = {hx(r['sp'])} is 8-byte aligned: no padding, bit 9 of "
                    "the stacked xPSR is 0. "))
                + f"The {len(names)}-word frame at {hx(r['sp'])}:\n" + "\n".join(rows)
                + er_text
                + ("The vector: the table at 0 (this core has no VTOR) + 4 * "
                   if not self.vtor else f"The vector: VTOR {hx(post['vtor'])} + 4 * ")
                + f"{exc} = {hx(post['vector_addr'])} "
                f"holds {hx(post['vector'])} (bit 0: Thumb), so PC = {hx(r['pc'])} "
                f"({post['handler']}). IPSR = {exc}; the execution priority is now "
                f"{post['exec_priority']}. "
                + (f"Entry costs {self.cost['entry']} + {self.cost['fp_entry']} = {entry_ticks} "
                   "ticks (board exception_ticks.entry + fp_entry)" if eager else
                   f"Entry costs {entry_ticks} ticks (board exception_ticks.entry)")
                + f": the handler's first instruction runs at tick {t.tick:,}.")
        facts = {"exception": exc, "from": "handler" if from_handler else "thread",
                 "preempted": t.arg if from_handler else None, "stack": stack,
                 "sp_before": p["sp"], "sp": r["sp"], "padding": pad,
                 "frame": [{"name": n, "address": r["sp"] + 4 * i, "value": v}
                           for i, (n, v) in enumerate(zip(names, frame))],
                 "before": {n: p[n] for n in FRAME}, "exc_return": er,
                 "vtor": post["vtor"], "vector_addr": post["vector_addr"],
                 "vector": post["vector"], "handler": post["handler"], "pc": r["pc"],
                 "interrupted": post["interrupted"],
                 "ipsr": r["xpsr"] & 0x1FF, "ticks": entry_ticks,
                 "handler_tick": t.tick}
        if self.fp_core or self.v8:
            facts.update(frame_bytes=size, frame_words=len(names))
        if fp_facts is not None:
            facts["fp"] = fp_facts
        title = (f"Preemption: {nm} over {self.name(t.arg)}" if from_handler
                 else f"Exception entry: {nm}")
        out.append((f.taken, Step("preempt" if from_handler else "entry", t.tick, title, text,
                                  facts)))
        return out

    def _late_arrival(self, f, events, exc):
        """A request that arrived during another exception's stacking and preempted it at once:
        a late arrival on hardware."""
        t, r = events[f.taken], events[f.request]
        if t.kind != "preempt":
            return None
        other = next((e for e in reversed(events[:f.taken]) if e.kind in ("entry", "preempt")
                      and e.num == t.arg), None)
        if other is None or not other.tick - self.cost["entry"] < r.tick <= other.tick \
                or t.tick - self.cost["entry"] != other.tick:
            return None
        nm, on = self.name(exc), self.name(other.num)
        return Step("late-arrival", r.tick, f"Late arrival: {nm} during {on}'s stacking",
                    f"{nm} was requested at tick {r.tick:,}, while the core was stacking for "
                    f"{on} (ticks {other.tick - self.cost['entry']:,}..{other.tick:,}). A "
                    f"Cortex-M3 would take the higher-priority {nm} as a late arrival: the frame "
                    f"already pushed is kept and {nm}'s vector is fetched instead, {on} pending "
                    f"behind it. irqsim takes an entry as one step at a block boundary, so {nm} "
                    f"preempts {on} at its first instruction: a second frame and "
                    f"{self.cost['entry']} more ticks (docs/semantics.md, Time).",
                    {"exception": exc, "during": other.num, "request_tick": r.tick,
                     "stacking": [other.tick - self.cost["entry"], other.tick]})

    def _end(self, f, events, exc, st, entry) -> Step:
        e = events[f.end]
        nm = self.name(exc)
        r = st["regs"]
        if e.kind == "tail-chain":
            return Step("return", e.tick, f"{nm} returns into a tail-chain",
                        f"{nm}'s handler returned at tick {e.tick - self.cost['tail_chain']:,} "
                        f"with {self.name(e.num)} pending: the core tail-chained into it "
                        f"(B1.5.12) instead of unstacking; {self.name(e.num)} will return "
                        "through the same frame.",
                        {"exception": exc, "tail_chained_to": e.num, "return_tick": e.tick})
        sp0 = entry["regs"]["sp"]
        pad = bool(entry["frame"][7] & XPSR_ALIGN)
        to = "thread mode" if not e.arg else self.name(e.arg)
        lr = entry["regs"]["lr"]
        extended = self.fp_core and not lr & 0x10
        unstacked = f.end in self._return_ticks
        ticks = self._return_ticks.get(f.end, self.cost["return"])
        what = (f"the {len(entry['frame'])}-word extended frame" if extended else "the 8 words")
        text = (f"At tick {e.tick - ticks:,} {nm}'s handler branched to EXC_RETURN "
                f"{hx(lr)} (B1.5.8{'; ARMv8-M: DDI 0553 B3.23' if self.v8 else ''}): "
                f"the core unstacked {what} at {hx(sp0)} "
                f"({'PSP' if lr & 4 else 'MSP'}), SP = {hx(sp0)} + "
                f"{'0x68' if extended else '0x20'}"
                f"{' + 4 (xPSR bit 9: the padding)' if pad else ''} = {hx(r['sp'])}, PC = "
                f"the stacked {hx(entry['frame'][6])}, xPSR {hx(r['xpsr'])}; back in {to}, "
                f"execution priority {st['exec_priority']}. ")
        facts = {"exception": exc, "to": e.arg, "sp": r["sp"], "pc": r["pc"],
                 "xpsr": r["xpsr"], "exec_priority": st["exec_priority"],
                 "ticks": ticks, "return_tick": e.tick - ticks, "resume_tick": e.tick}
        if extended:
            base = sp0 + 0x20
            how = ("stacked at entry" if f.taken in self._eager else
                   "filled by the lazy preservation")
            text += ("EXC_RETURN bit 4 = 0: the frame holds the FP context. " + (
                f"LSPACT was 0 (the FP words were {how}), so "
                f"s0-s15 and FPSCR were loaded back from {hx(base)}..{hx(base + 0x43)} (s0 now "
                f"{hx(st['fp']['s'][0])}, FPSCR {hx(st['fp']['fpscr'])}); CONTROL.FPCA = NOT "
                f"EXC_RETURN bit 4 = {int(bool(r['control'] & 4))} (CONTROL "
                f"{hx(r['control'])}). The return costs "
                f"{self.cost['return']} + {self.cost['fp_return']} = {ticks} ticks (board "
                "exception_ticks.return + fp_return)" if unstacked else
                "LSPACT was still 1 (the handler used no FP instruction): the return cleared it "
                "and loaded nothing back; s0-s15 still hold the interrupted code's values. The "
                f"return costs {ticks} ticks")
                + f": the interrupted code goes on at tick {e.tick:,}.")
            facts.update(fp_unstacked=unstacked, s_after=st["fp"]["s"],
                         fpscr_after=st["fp"]["fpscr"], fpccr_after=st["fp"]["fpccr"])
        else:
            text += (f"The return costs {ticks} ticks: the interrupted code goes on at tick "
                     f"{e.tick:,}.")
        return Step("return", e.tick, f"Return from {nm}", text, facts)

    def _latency(self, f, events) -> Step:
        r, p = events[f.request], events[f.pend]
        t = events[f.taken] if f.taken is not None else None
        if t is None:
            return Step("latency", p.tick, f"Latency of the request on line {f.line}",
                        "Not taken: no latency.", {"entry_latency": None})
        b = t.tick - self._taken_cost(f.taken, t)
        parts = []
        if p.tick > r.tick:
            parts.append(("wait for a block boundary", p.tick - r.tick,
                          ("requests are sampled between translation blocks (and after an "
                           "entry's stacking)")))
        if b > max(p.tick, r.tick):
            parts.append(("wait to be taken", b - max(p.tick, r.tick),
                          "held off (priority or mask: see the arbitration)"))
        parts.append(("tail-chain" if t.kind == "tail-chain" else "entry (stacking, vector)",
                      t.tick - max(b, r.tick), "board exception_ticks"
                      + (" (entry + fp_entry: eager FP stacking)" if f.taken in self._eager
                         else "")))
        end = None          # the handler's branch to EXC_RETURN, as the accounting counts it
        if f.end is not None:
            e = events[f.end]
            end = e.tick - (self.cost["tail_chain"] if e.kind == "tail-chain" else
                            self._return_ticks.get(f.end, self.cost["return"]))
        return latency_step(f, events, parts, t.tick, end)

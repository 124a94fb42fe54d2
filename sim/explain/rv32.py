"""The RISC-V narrator of `irqsim explain`: the PLIC's gateway, priorities and threshold (PLIC
spec 1.0.0), the hart's mstatus.MIE / mie / mip (privileged spec 3.1.6.1, 3.1.9), the trap
(mcause, mepc, mstatus MIE/MPIE/MPP, mtvec mode and slot, 3.1.7), claim/complete and mret,
with the numbers read from the machine at each moment (sim/explain/run.py)."""

from __future__ import annotations

from ..arch.rv32 import mcause_name
from . import Step
from .code import disassemble
from .common import (dispatch_steps, hx, latency_step, later, pend_source, read_dispatch,
                     request_step, table_code_steps)
from .run import request_moments

# mstatus fields (privileged spec 3.1.6.1) and the interrupt enable bits of mie/mip (3.1.9)
MSTATUS_MIE, MSTATUS_MPIE, MSTATUS_MPP_SHIFT = 1 << 3, 1 << 7, 11
MEI = 11                                  # machine external interrupt: mcause code 11
PRIV = {0: "U", 1: "S", 3: "M"}
VECTORED, DIRECT = "vectored: interrupts jump to BASE + 4 * code", "direct: every trap to BASE"


def mstatus_fields(v: int) -> dict:
    return {"MIE": int(bool(v & MSTATUS_MIE)), "MPIE": int(bool(v & MSTATUS_MPIE)),
            "MPP": (v >> MSTATUS_MPP_SHIFT) & 3}


def _fields_text(v: int) -> str:
    f = mstatus_fields(v)
    return f"{hx(v)} (MIE {f['MIE']}, MPIE {f['MPIE']}, MPP {f['MPP']} = {PRIV.get(f['MPP'], '?')})"


class Narrator:
    def __init__(self, board):
        self.board = board
        self.a = board.adapter

    # ---- which records are the request's -----------------------------------------------

    def follow(self, f, events):
        stack: list[int] = []          # indices of the traps open at each point
        for j, e in enumerate(events):
            if e.kind in ("entry", "preempt"):
                stack.append(j)
            elif e.kind == "return" and stack:
                if f.taken is not None and stack[-1] == f.taken:
                    f.end = j
                    return
                stack.pop()
            if j <= f.request:
                continue
            if f.pend is None:
                if e.kind in ("pend", "coalesce") and e.num == f.line:
                    f.pend, f.coalesced = j, e.kind == "coalesce"
                    if f.coalesced:
                        return
            elif f.claim is None:
                if e.kind == "claim" and e.num == f.line and stack:
                    f.claim, f.taken = j, stack[-1]
            else:
                if e.kind == "dispatch" and f.dispatch is None and stack[-1] == f.taken:
                    f.dispatch = j
                elif e.kind == "complete" and e.num == f.line and f.complete is None:
                    f.complete = j

    def moments(self, k, f, events):
        # a trap entered after the pend: its boundary (trap entry costs no tick)
        pre = events[f.taken].tick if f.taken is not None and f.taken > f.pend else None
        return request_moments(k, f, events, pre)

    # ---- what the machine shows at each moment ---------------------------------------------

    def snapshot(self, what, m) -> dict:
        st = {"tick": m.ticks, "pc": m.pc, "depth": m.hart.depth}
        for csr in ("mstatus", "mie", "mip", "mtvec", "mcause", "mepc"):
            st[csr] = m.csr(csr)
        st["threshold"] = m.plic.threshold
        st["sources"] = {s.number: {"priority": s.priority, "pending": s.pending,
                                    "enabled": s.enabled, "claimed": s.claimed}
                         for s in m.plic.sources()}
        if what == "dispatch":
            st.update(read_dispatch(m, "a0", "a1"))
        if what == "entry":
            _, mn, ops = disassemble("rv32", m.mem_read(st["pc"], 4), st["pc"])[0]
            st["slot_insn"] = f"{mn} {ops}"
            if mn in ("j", "c.j"):      # capstone shows the offset: name the target
                target = st["pc"] + int(ops, 0)
                st["slot_insn"] += f" (to {hx(target)}, {m.symbols.at(target)})"
            st["where"] = m.symbols.at(st["pc"])
            st["interrupted"] = m.symbols.at(st["mepc"])
        return st

    # ---- the steps ----------------------------------------------------------------------------

    def steps(self, followed, events, states, m) -> list[Step]:
        return [s for _, s in self.placed_steps(followed, events, states, m)]

    def placed_steps(self, followed, events, states, m) -> list[tuple[float, Step]]:
        """(position, step) in order: the position is the index of the record the step
        is about (a fraction after it: what follows from that record)."""
        out: list[tuple[float, Step]] = []
        first_dispatch = next((f.dispatch for f in followed if f.dispatch is not None), None)
        shown_code = False
        for k, f in enumerate(followed):
            out.append((f.request, request_step(f, events, f"PLIC source {f.line}", {
                "source": f.line,
                "_text": "Line n is PLIC source n; its gateway turns the request into the "
                         "source's pending bit (PLIC spec: gateways)."})))
            if f.pend is None:
                continue
            pend_st = states.get((k, "pend"))
            out.append((f.pend, self._pending(f, events, pend_st)))
            if f.coalesced:
                continue
            out.append((f.pend + 0.3, self._arbitration(f, events, pend_st)))
            if f.taken is None:
                masked = m.plic.source_masked(f.line)
                out.append((len(events), Step(
                    "waiting", m.ticks, f"Source {f.line} still pending at the end",
                    f"Source {f.line} was not claimed by tick {m.ticks:,}"
                    + (": held off by a mask (disabled, priority, threshold, MEIE or MIE)."
                       if masked else "."),
                    {"source": f.line, "masked": masked})))
                continue
            if (k, "entry") in states:
                out.append((f.taken, self._entry(f, events, states.get((k, "pre")),
                                                 states[(k, "entry")])))
            disp = states.get((k, "dispatch"))
            out.append((f.claim, self._claim(f, events, disp)))
            if f.dispatch is not None:
                out += dispatch_steps(m, f, events, disp, "riscv_mei_handler", not shown_code)
                shown_code = True
            if f.complete is not None:
                c = events[f.complete]
                out.append((f.complete, Step(
                    "complete", c.tick, f"PLIC complete: source {f.line}",
                    f"At tick {c.tick:,} the handler wrote {f.line} to the claim/complete "
                    f"register: the gateway of source {f.line} may forward its next request "
                    "(a level still high pends again now).",
                    {"source": f.line, "complete_tick": c.tick})))
            if f.end is not None:
                out.append((f.end, self._end(f, events, states[(k, "end")],
                                             states.get((k, "entry")))))
            out.append((f.end + 0.9 if f.end is not None else len(events),
                        self._latency(f, events)))
        out += table_code_steps(m, followed, events, first_dispatch, states)
        return sorted(out, key=lambda x: x[0])

    def _pending(self, f, events, st) -> Step:
        e, r = events[f.pend], events[f.request]
        if f.coalesced:
            return Step("pending", e.tick, f"Source {f.line} was already pending: coalesced",
                        f"Source {f.line}'s pending bit was already set (or its gateway held a "
                        "request while claimed): the PLIC keeps one pending bit per source, so "
                        "this request merged into it.",
                        {"source": f.line, "coalesced": True, "sampled_tick": e.tick})
        others = sorted(n for n, s in (st or {}).get("sources", {}).items()
                        if s["pending"] and n != f.line)
        return Step("pending", e.tick, f"Source {f.line} pending",
                    f"The core delivers requests at translation-block boundaries: the first at "
                    f"or after tick {r.tick:,} was at tick {e.tick:,} ({later(e.tick - r.tick)}), "
                    f"where source {f.line}'s pending bit was set (cause: "
                    f"{pend_source(e.arg)}). "
                    + (f"Also pending: {', '.join(map(str, others))}." if others
                       else "No other source is pending."),
                    {"source": f.line, "sampled_tick": e.tick, "sampling_delay": e.tick - r.tick,
                     "also_pending": others, "coalesced": False})

    def _arbitration(self, f, events, st) -> Step:
        e = events[f.pend]
        if st is None:
            return Step("arbitration", e.tick, f"Arbitration for source {f.line}",
                        "The state at this boundary was not reachable.", {"source": f.line})
        src = st["sources"][f.line]
        th = st["threshold"]
        ms = mstatus_fields(st["mstatus"])
        meie = int(bool(st["mie"] & (1 << MEI)))
        meip = int(bool(st["mip"] & (1 << MEI)))
        rivals = sorted(((s["priority"], -n, n) for n, s in st["sources"].items()
                         if s["pending"] and s["enabled"] and s["priority"] > th), reverse=True)
        best = rivals[0][2] if rivals else None
        text = (f"PLIC: source {f.line} has priority {src['priority']}, is "
                f"{'enabled' if src['enabled'] else 'NOT enabled'} for context 0 (hart 0 M-mode), "
                f"threshold {th}: a source interrupts only with priority > threshold. "
                + (f"The best pending source is {best} (highest priority, ties to the lowest "
                   f"id), so the PLIC drives MEIP = {meip}. " if best is not None else
                   f"No source qualifies: MEIP = {meip}. ")
                + f"Hart: mstatus {_fields_text(st['mstatus'])}, mie.MEIE {meie}, mip.MEIP "
                f"{meip}; in M-mode an interrupt is taken when mstatus.MIE = 1 and its mie bit "
                f"and mip bit are set (privileged spec 3.1.6.1, 3.1.9). ")
        taken = events[f.taken] if f.taken is not None else None
        facts = {"source": f.line, "priority": src["priority"], "enabled": src["enabled"],
                 "threshold": th, "best_source": best, "mstatus": st["mstatus"],
                 "MIE": ms["MIE"], "MEIE": meie, "MEIP": meip, "depth": st["depth"]}
        if taken is not None and taken.tick == e.tick and f.taken > f.pend:
            text += "All hold: the hart takes the machine external interrupt at this boundary."
            facts["outcome"] = "taken"
        else:
            if not src["enabled"] or src["priority"] <= th:
                why = "the PLIC holds it (disabled, or priority not above the threshold)"
            elif not meie:
                why = "mie.MEIE is clear"
            elif not ms["MIE"]:
                who = ("inside a trap: entry cleared it" if st["depth"]
                       else "the firmware masked interrupts")
                why = (f"mstatus.MIE is clear ({who}), so it waits for MIE to be set again (an "
                       "mret or csrs mstatus)")
            else:
                bp = st["sources"][best]["priority"] if best is not None else None
                tie = ", the same: the lower id wins" if bp == src["priority"] else ""
                why = (f"source {best} wins the PLIC arbitration first (priority {bp} against "
                       f"{src['priority']}{tie})")
            text += f"Source {f.line} waits: {why}."
            waited = None
            if taken is not None:
                at = max(taken.tick, e.tick)
                waited = at - e.tick
                text += (f" It is claimed in the trap taken at tick {taken.tick:,}"
                         + (f", {waited} ticks later." if waited else "."))
            facts.update(outcome="waits", reason=why, waited=waited)
        return Step("arbitration", e.tick, f"Arbitration: source {f.line} "
                    f"{'wins' if facts['outcome'] == 'taken' else 'waits'}", text, facts)

    def _entry(self, f, events, pre, post) -> Step:
        t = events[f.taken]
        before = pre["mstatus"] if pre else None
        mtvec = post["mtvec"]
        mode = mtvec & 3
        base = mtvec & ~3
        code = post["mcause"] & 0x7FFFFFFF
        slot = base + 4 * code if mode == 1 else base
        nested = t.kind == "preempt"
        text = (f"At tick {t.tick:,} the hart took the trap"
                f"{' over the running one (its handler had set MIE)' if nested else ''}: "
                f"mcause = {hx(post['mcause'])} (bit 31: interrupt; code {code}: "
                f"{mcause_name(post['mcause'])}), mepc = {hx(post['mepc'])} "
                f"(the interrupted instruction, in {post['interrupted'] or 'no function'}, not "
                "yet run: it runs after mret"
                + (f"; PC was {hx(pre['pc'])} at the boundary" if pre else "") + "). "
                f"mstatus {_fields_text(before) if before is not None else '?'} -> "
                f"{_fields_text(post['mstatus'])}: MPIE takes the old MIE, MIE is cleared, MPP "
                f"records the privilege (3.1.6.1). mtvec = {hx(mtvec)}: MODE {mode} "
                f"({VECTORED if mode == 1 else DIRECT}, 3.1.7), BASE {hx(base)}, so PC = "
                f"{hx(slot)} ({post['where']}), which holds "
                f"`{post['slot_insn']}`. The hardware stacks nothing and the trap costs no "
                "tick: the trap entry code saves the registers.")
        return Step("preempt" if nested else "entry", t.tick,
                    f"Trap entry: {mcause_name(post['mcause'])}", text,
                    {"mcause": post["mcause"], "code": code, "mepc": post["mepc"],
                     "pc_before": pre["pc"] if pre else None,
                     "mstatus_before": before, "mstatus_after": post["mstatus"],
                     "fields_before": mstatus_fields(before) if before is not None else None,
                     "fields_after": mstatus_fields(post["mstatus"]), "mtvec": mtvec,
                     "mode": "vectored" if mode == 1 else "direct", "base": base,
                     "vector_slot": slot, "pc": post["pc"], "slot_insn": post["slot_insn"],
                     "ticks": 0})

    def _claim(self, f, events, disp) -> Step:
        c = events[f.claim]
        st = disp["sources"][f.line] if disp else None
        text = (f"At tick {c.tick:,} riscv_mei_handler read the claim register of context "
                f"{c.arg}: it returned {c.num}, the best pending source, and cleared its "
                "pending bit; until the complete, the gateway forwards no new request from it "
                "(PLIC spec: claim/complete).")
        if st is not None:
            text += (f" At the dispatch (tick {disp['tick']:,}) source {f.line} is claimed "
                     f"{int(st['claimed'])}, pending {int(st['pending'])}.")
        return Step("claim", c.tick, f"PLIC claim: source {c.num}", text,
                    {"source": c.num, "context": c.arg, "claim_tick": c.tick,
                     "claimed": st["claimed"] if st else None,
                     "pending_after": st["pending"] if st else None})

    def _end(self, f, events, st, entry) -> Step:
        e = events[f.end]
        mepc = entry["mepc"] if entry else None
        text = (f"At tick {e.tick:,} the trap exit code restored mepc and mstatus from its frame "
                f"and executed mret (3.3.2): PC = mepc {hx(st['pc'])}"
                + (f" (= the mepc stacked at entry, {hx(mepc)})" if mepc is not None else "")
                + f", mstatus {_fields_text(st['mstatus'])}: MIE takes MPIE, MPIE is set, MPP "
                f"drops to the least privilege. Trap depth now {st['depth']}.")
        return Step("return", e.tick, "mret", text,
                    {"pc": st["pc"], "mstatus": st["mstatus"],
                     "fields": mstatus_fields(st["mstatus"]), "depth": st["depth"],
                     "return_tick": e.tick})

    def _latency(self, f, events) -> Step:
        r, p, t = events[f.request], events[f.pend], events[f.taken]
        c = events[f.claim]
        # the accounting's rule (rv32/hart.c hart_claimed): the handler started at its trap's
        # first instruction, or at the claim when the request came after that
        start = t.tick if r.tick <= t.tick else c.tick
        parts = []
        if p.tick > start:
            # it pended after the trap that claims it began (the handler claims in a loop):
            # the accounting counts from that trap's first instruction
            parts.append(("wait to be taken", start - r.tick,
                          f"pended at tick {p.tick:,}, after the trap began; claimed in it"))
        elif p.tick > r.tick:
            parts.append(("wait for a block boundary", p.tick - r.tick,
                          "requests are delivered between translation blocks"))
        if start > p.tick:
            parts.append(("wait to be taken" if start == t.tick else "wait for the claim",
                          start - max(p.tick, r.tick), "see the arbitration"))
        parts.append(("trap entry", 0, "the hardware stacks nothing"))
        step = latency_step(f, events, parts, start,
                            events[f.end].tick if f.end is not None else None)
        step.text += (f"\nThe claim came {c.tick - start} ticks after the handler's first "
                      "instruction.")
        step.facts["claim_latency"] = c.tick - r.tick
        return step

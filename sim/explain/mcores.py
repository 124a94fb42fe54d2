"""What the Cortex-M cores after the M3 change in `irqsim explain` (sim/explain/armv7m.py
narrates; this file reads and words the differences), from the machine at each moment:

- Cortex-M4F / M7 (ARMv7-M with the FP extension, ARMv7-M ARM B1.5.6-B1.5.8, B3.2.20-23):
  EXC_RETURN bit 4 (FType), the extended frame (r0-r3, r12, lr, pc, xPSR, s0-s15, FPSCR, a
  reserved word: 0x68 bytes) when CONTROL.FPCA was 1 at entry, eager stacking (FPCCR.LSPEN = 0:
  the FP words written at entry) or lazy (LSPEN = 1: the space reserved, FPCAR pointing at it,
  LSPACT set, filled by the handler's first FP instruction), and the FP ticks charged.
- Cortex-M33 (ARMv8-M Mainline, Secure state; ARMv8-M ARM DDI 0553): EXC_RETURN's v8-M fields
  and the stack-limit check of the frame (B3.19).
The Cortex-M0's differences (ARMv6-M: PRIMASK only, no PRIGROUP, no VTOR) are words in the
narrator itself (Narrator.v6)."""

from __future__ import annotations

from .code import disassemble
from .common import hx

BASIC = ("r0", "r1", "r2", "r3", "r12", "lr", "pc", "xpsr")     # B1.5.6, lowest address first
S_REGS = tuple(f"s{i}" for i in range(16))
EXTENDED = BASIC + S_REGS + ("fpscr", "reserved")               # B1.5.7, 26 words
EXTENDED_BYTES = 4 * len(EXTENDED)                               # 0x68
FPCCR_ASPEN, FPCCR_LSPEN, FPCCR_LSPACT = 1 << 31, 1 << 30, 1     # B3.2.21
# what UpdateFPCCR records of the preempted context (B3.2.21): its mode and privilege, and
# whether HardFault, MemManage and BusFault could have been taken there
FPCCR_CONTEXT_BITS = (("USER", 1), ("THREAD", 3), ("HFRDY", 4), ("MMRDY", 5), ("BFRDY", 6))
CONTROL_FPCA = 1 << 2                                            # B1.4.4
MAX_FILL_STEPS = 20_000      # instructions searched for the handler's first FP instruction


def frame_names(exc_return: int, fp_core: bool) -> tuple[str, ...]:
    """The words of the frame an entry that set LR = `exc_return` stacked, lowest first."""
    return EXTENDED if fp_core and not exc_return & 0x10 else BASIC


def fp_state(m) -> dict:
    """The FP context now: the SCB's FP registers and counters (Machine.nvic.fp()), s0-s15 and
    FPSCR."""
    return {**m.nvic.fp(), "s": [m.reg(r) for r in S_REGS], "fpscr": m.reg("fpscr")}


def find_lazy_fill(m, n_events: int) -> dict:
    """Where the handler now starting fills the lazily reserved FP space: a fork of machine m
    (m itself does not move) runs one instruction at a time until a lazy preservation is
    counted (its first FP instruction), LSPACT is cleared without one (the return of a handler
    that used no FP) or MAX_FILL_STEPS. `n_events` is the index the fork's new trace records
    start at; the caller checks them against the recorded run (stepping samples requests at
    every instruction, not at block boundaries, so a request in between could differ)."""
    f = m.fork()
    try:
        base = f.nvic.fp()["lazy_saves"]
        for _ in range(MAX_FILL_STEPS):
            pc, tick = f.pc, f.ticks
            stop = f.step()
            fp = f.nvic.fp()
            if fp["lazy_saves"] > base:
                code = f.mem_read(pc, 4)
                insn = next(iter(disassemble(m.arch, code, pc)), None)
                words = [int.from_bytes(f.mem_read(fp["fpcar"] + 4 * i, 4), "little")
                         for i in range(17)]
                return {"filled": True, "tick": tick, "pc": pc, "after_tick": f.ticks,
                        "insn": f"{insn[1]} {insn[2]}".strip() if insn else None,
                        "function": m.symbols.at(pc), "words": words, "fpccr": fp["fpccr"],
                        "events": f.events[n_events:]}
            if stop.reason != "step" or not fp["fpccr"] & FPCCR_LSPACT:
                return {"filled": False, "tick": f.ticks, "events": f.events[n_events:],
                        "why": "the handler returned before any FP instruction: its return cleared "
                        "LSPACT" if stop.reason == "step" else f"the run stopped: {stop.reason}"}
        return {"filled": False, "tick": f.ticks, "events": f.events[n_events:],
                "why": f"no FP instruction in {MAX_FILL_STEPS} instructions"}
    finally:
        f.close()


def decode_exc_return_v8(v: int) -> dict:
    """EXC_RETURN on ARMv8-M (DDI 0553 B3.20; the field names of its EXC_RETURN pseudocode)."""
    return {"value": v, "prefix": v >> 24, "res1_ok": (v >> 7) & 0x1FFFF == 0x1FFFF,
            "s": v >> 6 & 1, "dcrs": v >> 5 & 1, "ftype": v >> 4 & 1, "mode": v >> 3 & 1,
            "spsel": v >> 2 & 1, "res0": v >> 1 & 1, "es": v & 1,
            "return_to": "thread" if v & 8 else "handler", "stack": "PSP" if v & 4 else "MSP",
            "fp_frame": not v & 0x10}


def v8_exc_return_text(er: dict) -> str:
    dcrs = ("default callee register stacking, r4-r11 are not on the frame" if er["dcrs"] else
            "r4-r11 and the integrity signature were stacked")
    return (f"LR = EXC_RETURN {er['value']:#010x}, decoded as ARMv8-M defines it (DDI 0553 "
            f"B3.20): PREFIX bits 31:24 = {er['prefix']:#04x}, bits 23:7 "
            f"{'all ones (RES1)' if er['res1_ok'] else 'NOT all ones (RES1: UNPREDICTABLE)'}; "
            f"S (bit 6) = {er['s']}: the frame is on the "
            f"{'Secure' if er['s'] else 'Non-secure'} stack; DCRS (bit 5) = {er['dcrs']}: "
            f"{dcrs}"
            f"; FType (bit 4) = {er['ftype']}: "
            f"{'a standard frame, no FP context' if er['ftype'] else 'an extended (FP) frame'}"
            f"; Mode (bit 3) = {er['mode']}: return to {er['return_to']} mode; SPSEL (bit 2) = "
            f"{er['spsel']}: unstack from {er['stack']}; bit 1 RES0 = {er['res0']}; ES (bit 0) "
            f"= {er['es']}: the exception was taken to the "
            f"{'Secure' if er['es'] else 'Non-secure'} state. The values are the ARMv7-M ones "
            "here because this board runs one security state (Secure) with no FP context. ")


def v8_limit_text(stack: str, frame: int, sp_before: int, limits: dict | None = None) -> str:
    """The stack-limit check of an entry that stacked normally (B3.19); `limits`: MSPLIM and
    PSPLIM as the firmware set them (Nvic.stack_limits), read right after the entry."""
    lim = "PSPLIM" if stack == "PSP" else "MSPLIM"
    text = (f"ARMv8-M checks the frame against the stack limit before stacking (DDI 0553 B3.19): "
            f"the frame at {frame:#010x} ({sp_before - frame} bytes below SP) goes to {stack}, "
            f"so {lim} applies; below it the entry would have set SP to the limit, stacked "
            "nothing and pended a STKOF UsageFault (CFSR bit 20). ")
    if limits is None:
        return text + f"This entry stacked, so {lim} <= {frame:#010x}. "
    value = limits[lim.lower()]
    return text + (f"{lim} is {value:#010x}: the frame is {frame - value:,} bytes above it"
                   + (" (a limit of 0: no limit set)" if value == 0 else "") + ". ")


# ---- the FP context in words (Cortex-M4F, M7) ---------------------------------------------

def fp_entry_text(post: dict, pre: dict, eager: bool, cost: dict, after, taken_tick: int,
                  double: bool) -> tuple[str, dict]:
    """What an entry did with the FP context (the extended frame's FP words, lazy or eager,
    FPCAR, the fill), as text after the frame listing, and its facts. `post`/`pre`: the
    narrator's snapshots right after the entry and at the boundary before it; `after`: the
    recorded trace from the record after the entry (the fill found by find_lazy_fill counts
    only where its fork recorded the same)."""
    r, fp, fp0 = post["regs"], post["fp"], pre["fp"]
    base = r["sp"]
    fpccr = fp["fpccr"]
    regs_note = " (d0-d7 on this core: the double-precision view of the same registers)" \
        if double else ""
    facts = {"fpca_at_entry": bool(pre["regs"]["control"] & CONTROL_FPCA),
             "fpccr": fpccr, "fpcar": fp["fpcar"], "lspen": bool(fpccr & FPCCR_LSPEN),
             "aspen": bool(fpccr & FPCCR_ASPEN), "lspact": bool(fpccr & FPCCR_LSPACT),
             "s_at_entry": fp["s"], "fpscr_at_entry": fp["fpscr"],
             "fp_ticks_at_entry": fp["ticks"] - fp0["ticks"]}
    if r["lr"] & 0x10:
        facts["stacking"] = "none"
        return ("CONTROL.FPCA was 0 at entry (no FP instruction since the last entry, B1.4.4): "
                "the basic frame, nothing of the FP context on the stack. "), facts
    s_addr = base + 0x20
    if eager:
        same = post["frame"][8:25] == fp["s"] + [fp["fpscr"]]
        facts.update(stacking="eager", fp_words_equal_registers=same)
        text = (f"CONTROL.FPCA was 1 at entry, so the frame is the extended one (B1.5.7): the 8 "
                f"basic words, then s0-s15{regs_note}, FPSCR and a reserved word, 26 words "
                f"({EXTENDED_BYTES:#x} bytes). FPCCR {fpccr:#010x}: LSPEN = 0, eager stacking "
                f"(B3.2.21): s0-s15 and FPSCR were written at entry at {hx(s_addr)}.."
                f"{hx(s_addr + 0x43)}, "
                + ("each word the register's value at entry" if same else
                   "NOT all equal to the registers read at entry")
                + " (the reserved word is not written). That costs exception_ticks.fp_entry = "
                f"{cost['fp_entry']} ticks more. ")
        return text, facts
    lazy = post.get("lazy") or {}
    if lazy and lazy["events"] != list(after[:len(lazy["events"])]):
        lazy = {"filled": False, "why": "the instruction-by-instruction copy of the run "
                "recorded other events than the run: where the fill happened is not shown"}
    facts.update(stacking="lazy", fpcar_is_frame_plus_0x20=fp["fpcar"] == s_addr,
                 **{n.lower(): fpccr >> b & 1 for n, b in FPCCR_CONTEXT_BITS})
    text = (f"CONTROL.FPCA was 1 at entry, so the frame is the extended one (B1.5.7): the 8 "
            f"basic words, then s0-s15{regs_note}, FPSCR and a reserved word, 26 words "
            f"({EXTENDED_BYTES:#x} bytes). FPCCR {fpccr:#010x}: ASPEN = "
            f"{int(bool(fpccr & FPCCR_ASPEN))}, LSPEN = 1: lazy stacking (B1.5.7, B3.2.21-22). "
            f"The space is reserved but not written yet: FPCAR = {hx(fp['fpcar'])} (the frame + "
            f"0x20), LSPACT = {int(bool(fpccr & FPCCR_LSPACT))}, and what was preempted: "
            + ", ".join(f"{n} = {fpccr >> b & 1}" for n, b in FPCCR_CONTEXT_BITS)
            + "; the words there now are what "
            "the stack held before, and s0-s15 still hold the interrupted code's values "
            f"(s0 {hx(fp['s'][0])}, FPSCR {hx(fp['fpscr'])}). A lazy entry costs the basic "
            f"{cost['entry']} ticks. ")
    if lazy.get("filled"):
        same = lazy["words"] == fp["s"] + [fp["fpscr"]]
        facts.update(fill_tick=lazy["tick"], fill_pc=lazy["pc"], fill_insn=lazy["insn"],
                     fill_words=lazy["words"], fill_words_equal_registers=same,
                     fill_ticks=cost["fp_lazy"])
        where = f"{lazy['function']}" if lazy["function"] else "the handler"
        text += (f"The handler's first FP instruction, {lazy['insn']} at {hx(lazy['pc'])} "
                 f"({where}), at tick {lazy['tick']:,} ({lazy['tick'] - taken_tick} ticks "
                 "after the handler's first instruction), filled it before it ran "
                 f"(PreserveFPState): s0-s15 and FPSCR written at FPCAR {hx(fp['fpcar'])}.."
                 f"{hx(fp['fpcar'] + 0x43)}, "
                 + ("each the value the register held at entry" if same else
                    "NOT all the values the registers held at entry")
                 + f"; LSPACT cleared; exception_ticks.fp_lazy = {cost['fp_lazy']} ticks "
                 "charged. ")
    elif lazy:
        facts["fill_tick"] = None
        text += (f"The reserved space was not filled in the narrated window ({lazy['why']}). ")
    return text, facts


def fp_frame_rows(frame: list[int], base: int, lazy_unwritten: bool) -> list[str]:
    """The listing rows of the extended frame's words 8..25."""
    rows = []
    for i in range(8, len(frame)):
        name = EXTENDED[i]
        note = (" (reserved: not written)" if name == "reserved" else
                " (not written yet: lazy)" if lazy_unwritten else "")
        rows.append(f"  {hx(base + 4 * i)}  {name:<8} {hx(frame[i])}{note}")
    return rows


def fp_unstacked(entry: dict, end: dict, eager: bool) -> bool:
    """Whether the return from an extended frame loaded s0-s15 and FPSCR back: LSPACT was 0 then
    (stacked eagerly, or filled by a lazy preservation since the entry)."""
    return eager or end["fp"]["lazy_saves"] > entry["fp"]["lazy_saves"]

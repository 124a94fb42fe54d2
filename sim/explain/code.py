"""The handler table's functions as the image holds them: disassembled with capstone from the
bytes of each function's symbol range, each instruction with its role in the table's protocol
(handlertable/handler_table.c: acquire load, compare-exchange, exchange, the barriers).

    listing(m, "handler_table_handle")   # -> [Insn(address, text, role), ...]

Roles are found from the instructions themselves (mnemonics and their neighbours), so an image
built another way (ARMv6-M's PRIMASK critical sections, another compiler) is described by what
it contains, not by what the demo's compiler happened to emit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import capstone

from ..errors import FirmwareError

TSAN_TEST = "tests/handlertable/test_handler_table_tsan.py"
TABLE_FUNCTIONS = ("handler_table_handle", "handler_table_register", "handler_table_unregister")


@dataclass(frozen=True)
class Insn:
    address: int
    text: str           # "ldrex r1, [r0]"
    role: str           # what it does for the table ("" for bookkeeping)

    def to_dict(self):
        return {"address": self.address, "text": self.text, "role": self.role}


def _engine(arch: str):
    if arch == "rv32":
        return capstone.Cs(capstone.CS_ARCH_RISCV,
                           capstone.CS_MODE_RISCV32 | capstone.CS_MODE_RISCVC)
    return capstone.Cs(capstone.CS_ARCH_ARM, capstone.CS_MODE_THUMB | capstone.CS_MODE_MCLASS)


def disassemble(arch: str, code: bytes, address: int) -> list[tuple[int, str, str]]:
    """(address, mnemonic, operands) of each instruction of `code` placed at `address`."""
    return [(i.address, i.mnemonic, i.op_str) for i in _engine(arch).disasm(code, address)]


def listing(m, function: str) -> list[Insn]:
    """The instructions of `function` in machine m's image, with their roles."""
    sym = m.symbols[function]
    if sym.size == 0:
        raise FirmwareError(f"{m.image.name}: {function} has no size in the symbol table: "
                            "cannot tell where its code ends")
    start = sym.address & ~m.adapter.code_bit
    raw = disassemble(m.arch, m.mem_read(start, sym.size), start)
    return with_roles(m.arch, raw)


def with_roles(arch: str, raw: list[tuple[int, str, str]]) -> list[Insn]:
    role = _rv32_role if arch == "rv32" else _thumb_role
    return [Insn(a, f"{mn} {ops}".strip(), role(raw, i)) for i, (a, mn, ops) in enumerate(raw)]


def _near(raw, i, span, pred):
    """Whether an instruction within `span` of i (negative: before) satisfies pred."""
    rng = range(i + 1, min(len(raw), i + 1 + span)) if span > 0 else range(max(0, i + span), i)
    return any(pred(raw[j][1], raw[j][2]) for j in rng)


_REG_OFFSET = re.compile(r"\[\w+, \w+\]$")     # [r3, r4]: slots + idx * 4 computed before
_NO_OFFSET = re.compile(r"\[\w+\]$")


def _is_load(mn, ops=""):
    return mn.startswith("ldr") and not mn.startswith("ldrex")


_EXCLUSIVE = ("ldrex", "strex", "ldaex", "stlex")


# ARMv8-M's acquire / release instructions (ARMv8-M ARM C2.4: LDA, LDAEX, STL; STLEX below)
_V8M_ROLES = {
    "lda": ("load-acquire of the slot (slots[idx], ARMv8-M): the acquire itself, no barrier "
            "needed; nothing after it (the call of the handler) is done before it"),
    "ldaex": ("load-acquire exclusive: reads the slot with acquire order and arms the local "
              "exclusive monitor for its address (ARMv8-M ARM C2.4)"),
    "stl": "store-release of the slot: the release, no barrier needed",
}


def _thumb_role(raw, i) -> str:
    _, mn, ops = raw[i]
    if mn in _V8M_ROLES:
        return _V8M_ROLES[mn]
    if mn == "stlex":
        rd = ops.split(",")[0]
        return (f"store-release exclusive: the release (everything written before it is visible "
                f"before the slot changes), stored only while the monitor is armed; {rd} = 0 "
                "stored, 1 lost and the loop tries again")
    if mn == "ldrex":
        return ("load-exclusive: reads the slot and arms the local exclusive monitor for its "
                "address (ARMv7-M ARM A3.4)")
    if mn == "strex":
        rd = ops.split(",")[0]
        return (f"store-exclusive: stores only while the monitor is still armed; {rd} = 0 "
                f"stored, 1 lost (an exception return or another exclusive access cleared it) "
                "and the loop tries again")
    if mn == "clrex":
        return "clears the exclusive monitor: the slot was not empty, nothing is stored"
    if mn == "dmb":
        if _near(raw, i, 3, lambda m2, o: m2 in ("ldrex", "strex")):     # before the loop
            return ("barrier before the store: the release; everything written before the call "
                    "(the handler's data) is visible before the slot changes")
        if _near(raw, i, -2, lambda m2, o: _is_load(m2, o) and "lsl #2" in o):
            return ("barrier after the slot's load: the acquire; nothing after it (the call of "
                    "the handler) is done before the load")
        return "barrier after the store: the acquire half of acq_rel"
    if mn in ("cpsid", "cpsie") or (mn in ("mrs", "msr") and "primask" in ops):
        what = {"cpsid": "masks interrupts (PRIMASK = 1)", "cpsie": "unmasks (PRIMASK = 0)",
                "mrs": "saves PRIMASK", "msr": "restores PRIMASK"}[mn]
        return (f"ARMv6-M critical section: {what}; with no exclusive access the "
                "read-modify-write is atomic because no interrupt can come between")
    if _is_load(mn, ops):
        first = not any(_is_load(m2, o) for _, m2, o in raw[:i])
        if "lsl #2" in ops or _REG_OFFSET.search(ops) or not first and _NO_OFFSET.search(ops):
            acq = _near(raw, i, 2, lambda m2, o: m2 == "dmb")
            return "loads the slot (slots[idx])" + (": the acquire load" if acq else "")
        if ops.endswith("#4]"):
            return "loads t->slots (the slot array)"
        return "loads t->len"
    if mn == "str" and _near(raw, i, -8, lambda m2, o: m2 == "cpsid"):
        return "stores the slot while interrupts are masked"
    if mn == "cmp" and _near(raw, i, 3, lambda m2, o: m2.endswith("hs") or m2 == "bhs"):
        return "bounds check: idx >= len returns false"
    if mn in ("cbz", "cbnz") and _near(raw, i, -2, lambda m2, o: m2 in ("ldrex", "ldaex")):
        return "the slot is not empty: the compare fails"
    if mn in ("cbz", "cbnz") and _near(raw, i, -2, lambda m2, o: m2 == "strex"):
        return "did the store-exclusive succeed?"
    if mn == "cmp" and _near(raw, i, -1, lambda m2, o: m2 == "stlex"):
        return "did the store-exclusive succeed?"
    if mn == "cbz" and _near(raw, i, -2, lambda m2, o: m2 in ("dmb", "lda")):
        return "empty slot (0): return false"
    if mn == "blx":
        return "calls the handler"
    if mn == "bx" and ops == "lr" or (mn == "pop" and "pc" in ops) or mn.startswith("bx"):
        return "returns"
    if mn in ("bne", "beq") and _near(raw, i, -4, lambda m2, o: m2 in _EXCLUSIVE):
        return "retry: the exclusive store failed (the slot did not change)"
    return ""


def _rv32_role(raw, i) -> str:
    _, mn, ops = raw[i]
    ordering = {"aqrl": "acquire and release", "aq": "acquire", "rl": "release"}
    suffix = mn.rsplit(".", 1)[-1]
    order = ordering.get(suffix, "")
    if mn.startswith("lr."):
        return ("load-reserved: reads the slot and registers a reservation on it (A "
                f"extension){'; .' + suffix + ': ' + order if order else ''}")
    if mn.startswith("sc."):
        rd = ops.split(",")[0]
        return (f"store-conditional: stores only while the reservation holds; {rd} = 0 "
                f"stored, else retry{'; .' + suffix + ': ' + order if order else ''}")
    if mn.startswith("amoswap"):
        return (f"atomic swap: the old handler out, 0 in, in one instruction"
                f"{'; .' + suffix + ': ' + order if order else ''}")
    if mn == "fence":
        if ops.replace(" ", "") == "r,rw":
            return ("fence r,rw after the slot's load: the acquire; no later load or store "
                    "(the call of the handler) moves before it")
        if ops.replace(" ", "") == "rw,w":
            return "fence rw,w before the store: the release"
        return f"fence {ops}: orders memory accesses"
    if mn in ("lw", "c.lw"):
        if ops.endswith(("4(a0)", "4(a3)")):
            return "loads t->slots (the slot array)"
        if _near(raw, i, -3, lambda m2, o: "slli" in m2):
            acq = _near(raw, i, 2, lambda m2, o: m2 == "fence")
            return "loads the slot (slots[idx])" + (": the acquire load" if acq else "")
        return "loads t->len"
    if mn == "bgeu":
        return "bounds check: idx >= len returns false"
    if mn in ("c.bnez", "bnez") and _near(raw, i, -1, lambda m2, o: m2.startswith("sc.")):
        return "retry when the store-conditional failed"
    if mn in ("c.bnez", "bnez") and _near(raw, i, -1, lambda m2, o: m2.startswith("lr.")):
        return "the slot is not empty: the compare fails"
    if mn in ("c.beqz", "beqz") and _near(raw, i, -2, lambda m2, o: m2 == "fence"):
        return "empty slot (0): return false"
    if mn in ("c.jalr", "jalr"):
        return "calls the handler"
    if mn in ("c.jr", "ret") or (mn == "jalr" and ops.startswith("zero")):
        return "returns"
    return ""


CRITICAL_NOTE = (
    "Why a critical section: ARMv6-M has no exclusive access (no LDREX/STREX), so the table's "
    "ARMv6-M build makes each read-modify-write atomic by masking interrupts around it "
    "(MRS PRIMASK, CPSID I ... MSR PRIMASK, which restores the caller's mask, so it nests). "
    "No barrier: on one core an interrupt sees program order. It is correct on single-core "
    "ARMv6-M parts only: PRIMASK is per core (an RP2040's second core is not held off), and a "
    "spinlock instead would deadlock against an interrupt handler on the same core.")


def publish_note(arch: str, critical: bool = False, v8: bool = False) -> str:
    """Why the table publishes with release (or, in the ARMv6-M build, why it masks
    interrupts instead), for the narration; `v8`: the build uses ARMv8-M's acquire/release
    instructions instead of DMB."""
    if critical:
        return CRITICAL_NOTE
    how = ("STLEX, a store-release on ARMv8-M" if v8 else "the DMB before STREX"
           if arch != "rv32" else "the .rl of sc.w / the .aqrl of amoswap")
    return (f"Why release ({how}): handler_table_register publishes a handler, and the handler "
            "reads data written before it was registered. The seed crate's compare-exchange is "
            "Acquire only, which orders nothing before the store: the slot can become visible "
            "before the data, and a dispatch that sees the handler may see stale data. "
            f"{TSAN_TEST} shows the data race under ThreadSanitizer with the crate's ordering "
            "and none with acq_rel. On one core an interrupt sees program order anyway; the "
            "barriers matter on a multi-core part or a core that reorders.")

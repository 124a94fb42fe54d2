"""RISC-V RV32 (`virt` machines): the adapter, and the PLIC, CLINT and hart views of the native
models (sim/native/rv32/, the hart; sim/native/dev/plic.c, clint.c).

    m = sim.Machine.demo("virt")
    m.pulse_irq(5, at=20_000)              # an edge on PLIC source 5 at tick 20000
    m.clint.mtimecmp = m.clint.mtime + 500 # a machine timer interrupt 500 mtime units from now
    m.run(ticks=100_000)
    m.plic.source(5)                       # PlicSource(priority=.., pending=.., enabled=.., ...)
    m.csr("mip")                           # MSIP/MTIP/MEIP as the hart sees them

Numbering: line n is PLIC source n, 1..num_sources (source 0 does not
exist, so line 0 is out of range). The hart-local interrupts are mcause interrupt codes: 3
machine software (MSI, the CLINT's msip), 7 machine timer (MTI, mtime >= mtimecmp), 11 machine
external (MEI, the PLIC's context 0). Synchronous exceptions are mcause exception codes (2
illegal instruction, 3 breakpoint, 11 ecall from M-mode, ...); the tables are in sim/codes.py,
and how these numbers appear in the trace is told in sim/trace.py.

Follows the RISC-V Privileged Architecture (20211203) and the RISC-V PLIC specification 1.0.0;
the choices where they leave one are in docs/riscv.md and at the top of each native file.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import unicorn
from elftools.elf.elffile import ELFFile
from unicorn import riscv_const

from ..codes import (LINE_KINDS, LINE_MSIP, RV32_EXCEPTION_NAMES,
                     RV32_INTERRUPT_NAMES, RV32_MACHINE_INTERRUPTS, RV32_MCAUSE_INTERRUPT,
                     RV32_NUM_EXCEPTION, RV32_NUM_LOCAL)
from ..errors import ConfigError, FirmwareError
from ..native import ffi, lib
from .base import Arch, read_struct

EM_RISCV = 243
PF_X = 1


class Rv32(Arch):
    name = "rv32"
    elf_machine = (EM_RISCV, "RISC-V")
    firmware_folder = "riscv"
    startup = "start.S"

    regs = ("ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4",
            "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11",
            "t3", "t4", "t5", "t6", "pc")
    general_regs = regs[:-1]
    _reg_consts = riscv_const
    _reg_prefix = "UC_RISCV_REG_"

    arg_regs = ("a0", "a1", "a2", "a3")     # the standard calling convention; result in a0
    link_reg = "ra"

    first_line = 1                          # PLIC source 0 does not exist
    line_labels = {LINE_MSIP: "msip"}

    # ---- boards -------------------------------------------------------------------------------

    controller_keys = frozenset({"kind", "num_sources", "prio_bits", "contexts",
                                 "mtime_per_tick"})
    # the PLIC model's limits (PLIC_MAX_SOURCES, PLIC_MAX_CONTEXTS and prio_bits in dev/plic.c)
    LIMITS = {"num_sources": (1, 1023), "prio_bits": (1, 8), "contexts": (1, 16)}

    def check_controller(self, ctrl, need, bad):
        if need("kind", str) != "plic":
            raise bad("controller.kind must be \"plic\" on rv32")
        for key, (lo, hi) in self.LIMITS.items():
            if key == "num_sources" or key in ctrl:
                v = need(key, int)
                if not lo <= v <= hi:
                    raise bad(f"controller.{key} must be {lo}..{hi} (got {v})")
        if _mtime_rate(ctrl.get("mtime_per_tick", 1)) is None:
            raise bad("controller.mtime_per_tick must be a positive finite number below 2^32 "
                      f"(an integer, a float or a fraction such as \"1/10\"; got "
                      f"{ctrl['mtime_per_tick']!r})")

    def num_lines(self, controller):
        return controller["num_sources"] + 1

    # ---- the engine and the machine -----------------------------------------------------------

    def new_engine(self, board):
        return unicorn.Uc(unicorn.UC_ARCH_RISCV, unicorn.UC_MODE_RISCV32)

    def init(self, m):
        """The hart, then the board's [[devices]] (the CLINT and PLIC among them, which take
        their parameters from [controller]); attaches m.plic, m.clint, m.hart and m.csr(name)."""
        b = m.board
        c = b.controller
        kinds = {d.get("kind") for d in b.devices}
        for kind in ("clint", "plic"):
            if kind not in kinds:
                raise ConfigError(f"board {b.name}: an rv32 board needs a [[devices]] entry with "
                                  f"kind = {kind!r} and an integer base")
        rate = _mtime_rate(c.get("mtime_per_tick", 1))
        if rate is None:
            raise ConfigError(f"board {b.name}: controller.mtime_per_tick must be a positive "
                              "number (an integer, a float or a fraction such as \"1/10\")")
        options = {"plic": {"num_sources": c["num_sources"], "prio_bits": c.get("prio_bits", 3),
                            "contexts": c.get("contexts", 2)},
                   "clint": {"mtime_num": rate.numerator, "mtime_den": rate.denominator}}
        if lib.rv32_init(m._core):
            raise ConfigError(f"board {b.name}: cannot set the RISC-V hart up")
        m.add_devices(lambda d: options.get(d.get("kind"), {}))
        if lib.rv32_reset(m._core, m.entry):
            raise FirmwareError(f"{m.image}: the entry point {m.entry:#010x} is not in the memory "
                                f"of board {b.name}; was the image linked for it?", pc=m.entry)
        for addr, size in _code_ranges(m):
            if lib.rv32_scan(m._core, addr, size) < 0:
                raise FirmwareError(f"{m.image}: too many reads of mip to watch "
                                    f"(more than 4096) in {addr:#010x}..{addr + size:#010x}")
        m.plic = Plic(m)
        m.clint = Clint(m)
        m.hart = Hart(m)
        m.csr = m.hart.csr

    def nesting(self, m):
        return m.hart.nesting_counters()

    def fault_detail(self, m):
        return m.hart.fault_detail()

    def stuck_detail(self, m):
        h = m.hart
        mstatus, mie, mcause = h.csr("mstatus"), h.csr("mie"), h.csr("mcause")
        in_trap = h.depth > 0
        parts = [f"in the trap handler of {mcause_name(mcause)}" if in_trap else
                 "outside any trap"]
        if not mstatus & (1 << 3):
            parts.append("mstatus.MIE clear (interrupts masked)")
        parts.append(f"mie {mie:#x}, and no enabled interrupt can come")
        why = ", ".join(parts)
        if not in_trap or mcause & RV32_MCAUSE_INTERRUPT:
            return why, None
        mepc, mtval = h.csr("mepc"), h.csr("mtval")
        text = (f"{mcause_name(mcause)} (mcause {mcause:#x}) at {m.where(mepc)}, mtval "
                f"{mtval:#010x}")
        return why, {"handler": "trap", "pc": mepc, "function": m.function_at(mepc),
                     "mcause": mcause, "mtval": mtval, "text": text}

    # ---- trace numbers ------------------------------------------------------------------------

    def exception_name(self, num):
        """"MEI" for code 11 (or a local pend's 0x8000 | 11), "illegal instruction" for
        256 + 2."""
        if num >= RV32_NUM_LOCAL:
            num &= ~RV32_NUM_LOCAL
        if num >= RV32_NUM_EXCEPTION:
            code = num - RV32_NUM_EXCEPTION
            return RV32_EXCEPTION_NAMES.get(code, f"exception {code}")
        cause = RV32_MACHINE_INTERRUPTS.get(num)
        return cause[0] if cause else f"interrupt {num}"

    def fault_name(self, num):
        # a fault record's num is the exception code itself, or the trace number of a trap
        # that could not be taken
        if num >= RV32_NUM_EXCEPTION:
            return self.exception_name(num)
        return RV32_EXCEPTION_NAMES.get(num, f"exception {num}")

    def span_args(self, num):
        return {"cause": num}

    def coalesced(self, num):
        if num & RV32_NUM_LOCAL:
            return self.exception_name(num), {"code": num & ~RV32_NUM_LOCAL}
        return f"source {num}", {"source": num}

    def _vcd_own_vars(self):
        out = [("cause3_msi_line", "wire", 1, 0)]
        for code, (_, stem) in RV32_MACHINE_INTERRUPTS.items():
            if code != 11:                   # MEI pends through the PLIC, by source
                out.append((f"{stem}_pending", "wire", 1, 0))
            out.append((f"{stem}_active", "wire", 1, 0))
        out.append(("exec_priority", "integer", 16, 0))
        return out

    def vcd_targets(self, var, num_lines):
        sources = range(self.first_line, num_lines)
        line_of = {n: var[f"line{n}"] for n in sources}
        line_of[LINE_MSIP] = var["cause3_msi_line"]
        pend_of = {n: var[f"pending{n}"] for n in sources}
        trap_of = {c: var[f"{stem}_active"] for c, (_, stem) in RV32_MACHINE_INTERRUPTS.items()}
        claim_of = {n: var[f"active{n}"] for n in sources}
        # PLIC sources stop pending when claimed; MSIP/MTIP are shown pending until the trap
        # is taken (the model records no event when the firmware clears them)
        taken_clears = {}
        for c in (3, 7):
            pend_of[RV32_NUM_LOCAL | c] = taken_clears[c] = \
                var[f"{RV32_MACHINE_INTERRUPTS[c][1]}_pending"]
        return line_of, pend_of, trap_of, taken_clears, claim_of


ADAPTER = Rv32()


def mcause_name(mcause: int) -> str:
    """`mcause_name(0x8000000b)` -> 'machine external interrupt'."""
    code = mcause & ~RV32_MCAUSE_INTERRUPT
    if mcause & RV32_MCAUSE_INTERRUPT:
        return RV32_INTERRUPT_NAMES.get(code, f"interrupt {code}") + " interrupt"
    return RV32_EXCEPTION_NAMES.get(code, f"exception {code}")


def _code_ranges(m):
    """The executable segments of the image (all loaded segments if none is marked)."""
    with open(m.image, "rb") as f:
        elf = ELFFile(f)
        segs = [(s["p_paddr"], s["p_filesz"], s["p_flags"]) for s in elf.iter_segments()
                if s["p_type"] == "PT_LOAD" and s["p_filesz"]]
    code = [(a, n) for a, n, fl in segs if fl & PF_X]
    return code or [(a, n) for a, n, _ in segs]


def _mtime_rate(rate) -> Fraction | None:
    """A board's mtime_per_tick as a fraction (numerator and denominator below 2^32), or None
    when it is no positive finite number."""
    if isinstance(rate, bool) or not isinstance(rate, (int, float, str)):
        return None
    try:
        rate = Fraction(rate).limit_denominator(1 << 20) if not isinstance(rate, str) \
            else Fraction(rate)
    except (ValueError, ZeroDivisionError, TypeError, OverflowError):
        return None
    if rate <= 0 or rate.numerator >= 1 << 32 or rate.denominator >= 1 << 32:
        return None
    return rate


@dataclass(frozen=True)
class PlicSource:
    """One PLIC source by meaning. `enabled` is for the context asked about (0 = hart 0
    M-mode); `level` is the source's input (a raised line or a device output)."""
    number: int
    priority: int
    pending: bool
    enabled: bool
    claimed: bool
    level: bool


class Plic:
    """The PLIC of an rv32 machine, read from the native model.

    `read`/`write` access its registers by offset exactly as the firmware would (a read of a
    claim register claims, a write completes); the rest only inspects."""

    PRIORITY = 0x000000
    PENDING = 0x001000
    ENABLE = 0x002000
    CONTEXT = 0x200000

    def __init__(self, m):
        self._m = m
        c = m.board.controller
        self.num_sources = c["num_sources"]
        self.contexts = c.get("contexts", 2)
        self.base = {d.get("kind"): d for d in m.board.devices}["plic"]["base"]
        self._dev = m.device("plic")

    def _snapshot(self, ctx):
        n = self.num_sources + 1
        arrs = [ffi.new("uint8_t[]", n) for _ in range(5)]
        lib.plic_state(self._m._core, self._dev, ctx, *arrs, n)
        return [list(a) for a in arrs]

    def _check_ctx(self, ctx):
        if not 0 <= ctx < self.contexts:
            raise ConfigError(f"PLIC context {ctx} is out of range: this PLIC has contexts "
                              f"0..{self.contexts - 1}")

    def source(self, n: int, context: int = 0) -> PlicSource:
        if not 1 <= n <= self.num_sources:
            raise ConfigError(f"PLIC source {n} is out of range: sources are "
                              f"1..{self.num_sources}")
        self._check_ctx(context)
        prio, pend, en, claimed, level = self._snapshot(context)
        return PlicSource(n, prio[n], bool(pend[n]), bool(en[n]), bool(claimed[n]),
                          bool(level[n]))

    def sources(self, context: int = 0) -> list[PlicSource]:
        self._check_ctx(context)
        prio, pend, en, claimed, level = self._snapshot(context)
        return [PlicSource(n, prio[n], bool(pend[n]), bool(en[n]), bool(claimed[n]),
                           bool(level[n])) for n in range(1, self.num_sources + 1)]

    @property
    def threshold(self) -> int:
        """The priority threshold of context 0 (hart 0 M-mode)."""
        return lib.plic_threshold(self._m._core, self._dev, 0)

    def source_masked(self, n: int) -> bool:
        """Whether a request pending on source n is held off by a mask, as opposed to waiting
        to be taken: disabled for context 0, priority 0 or at or below the threshold, MEIE
        clear, or MIE clear in M-mode. A source claimed and not completed is not masked (its
        gateway holds the request until completion). The PLIC model decides (dev/plic.c)."""
        if not 1 <= n <= self.num_sources:
            return False
        return self._m.line_masked(n)

    def context_threshold(self, ctx: int) -> int:
        self._check_ctx(ctx)
        return lib.plic_threshold(self._m._core, self._dev, ctx)

    def read(self, offset: int) -> int:
        return self._m.hart.mmio_read(self.base + offset)

    def write(self, offset: int, value: int):
        self._m.hart.mmio_write(self.base + offset, value)

    def claim(self, ctx: int = 0) -> int:
        """Claims as the firmware would (the source, or 0); traced as a claim."""
        self._check_ctx(ctx)
        return self.read(self.CONTEXT + 0x1000 * ctx + 4)

    def complete(self, source: int, ctx: int = 0):
        self._check_ctx(ctx)
        self.write(self.CONTEXT + 0x1000 * ctx + 4, source)


def _u64_register(read, write, what):
    """A 64-bit CLINT register as a property: read(core, dev) -> value, write(core, dev,
    value)."""
    return property(lambda self: read(self._m._core, self._dev),
                    lambda self, v: write(self._m._core, self._dev, _u64(v, what)),
                    doc=f"{what}, 0..2**64-1")


class Clint:
    """The CLINT of hart 0: msip, mtime and mtimecmp. Setting one takes effect at once (the
    next run arbitrates); `set_msip(v, at=tick)` schedules it as a line event instead."""

    def __init__(self, m):
        self._m = m
        self._dev = m.device("clint")

    mtime = _u64_register(lib.clint_mtime, lib.clint_set_mtime, "mtime")
    mtimecmp = _u64_register(lib.clint_mtimecmp, lib.clint_set_mtimecmp, "mtimecmp")

    @property
    def msip(self) -> int:
        return lib.clint_msip(self._m._core, self._dev)

    @msip.setter
    def msip(self, v: int):
        lib.clint_set_msip(self._m._core, self._dev, 1 if v else 0)

    def set_msip(self, value: int, at: int | None = None):
        """Sets (1) or clears (0) msip at tick `at` (now if None), as a scheduled event."""
        tick = self._m.ticks if at is None else int(at)
        if tick < 0:
            raise ConfigError(f"tick {tick} is negative")
        if lib.core_schedule(self._m._core, tick, LINE_MSIP,
                             LINE_KINDS["raise" if value else "lower"]):
            raise MemoryError("cannot schedule more line events")


class Hart:
    """Hart 0: CSRs as the firmware sees them, trap counters, register access to devices."""

    def __init__(self, m):
        self._m = m

    def csr(self, name: str) -> int:
        """A machine CSR by name ("mstatus", "mie", "mip", "mcause", "mepc", "mtval", "mtvec",
        "mscratch", ...). mip includes MSIP/MTIP/MEIP as the CLINT and PLIC drive them."""
        key = name.lower()
        reg = getattr(riscv_const, "UC_RISCV_REG_" + key.upper(), None)
        if reg is None or not key.startswith(("m", "s", "u", "priv")):
            raise ConfigError(f"unknown CSR {name!r}; try mstatus, mie, mip, mcause, mepc, "
                              "mtval, mtvec, mscratch")
        if key in ("pc", "priv"):
            return self._m.uc.reg_read(reg)
        return lib.rv32_csr(self._m._core, reg)

    def cache_check(self) -> int:
        """Whether the privilege, mstatus and mie that the core keeps between the instructions
        that change them are what the hart holds: 2 they agree, 1 nothing is kept now, 0 they
        differ (a bug in the model)."""
        return lib.rv32_hart_cache_check(self._m._core)

    def counters(self) -> dict:
        """interrupts, exceptions, preemptions, max_depth, depth, mrets, hooked_sites, mip
        (struct hart_counters)."""
        return read_struct(lib.rv32_counters, self._m, "struct hart_counters")

    def nesting_counters(self) -> dict:
        """Nesting for sim.storm reports, in the Cortex-M report's terms (RISC-V has no
        tail-chaining)."""
        c = self.counters()
        return {"max_depth": c["max_depth"], "preemptions": c["preemptions"], "tail_chains": 0,
                "exceptions_taken": c["interrupts"] + c["exceptions"]}

    @property
    def depth(self) -> int:
        """Traps taken and not yet returned from (0 = thread)."""
        return self.counters()["depth"]

    def watch_code(self, addr: int, size: int) -> int:
        """Scans [addr, addr + size) for reads of mip, as the image's code is scanned at load:
        call it for code the firmware copies or writes at run time that reads mip (CSR writes,
        mret and sret need nothing: they are found in each block as it runs). Returns the
        number of sites watched in all."""
        n = lib.rv32_scan(self._m._core, addr, size)
        if n < 0:
            raise ConfigError(f"cannot watch {addr:#010x}..{addr + size:#010x}: not in memory, "
                              "or more than 4096 sites")
        return n

    def mmio_read(self, addr: int, size: int = 4) -> int:
        """A device register read as the firmware would make it (Machine.mmio_read)."""
        return self._m.mmio_read(addr, size)

    def mmio_write(self, addr: int, value: int, size: int = 4):
        """A device register write as the firmware would make it (Machine.mmio_write)."""
        self._m.mmio_write(addr, value, size)

    def fault_detail(self) -> str:
        """The last trap taken or refused, for a lockup's message."""
        cause, tval, tvec = (ffi.new("uint32_t *") for _ in range(3))
        lib.rv32_trap_info(self._m._core, cause, tval, tvec)
        return (f" (the trap: mcause {cause[0]:#010x}, {mcause_name(cause[0])}; mtval "
                f"{tval[0]:#x}; {self._m.where(tvec[0], 'mtvec')})")


def _u64(v, what) -> int:
    v = int(v)
    if not 0 <= v < 1 << 64:
        raise ConfigError(f"{what} must be 0..2**64-1, not {v}")
    return v

"""RISC-V `virt` machines: the Python side of the native RV32 model (sim/native/rv32/,
sim/native/dev/plic.c, clint.c, ns16550a.c).

    m = sim.Machine.demo("virt")
    m.pulse_irq(5, at=20_000)              # an edge on PLIC source 5 at tick 20000
    m.clint.mtimecmp = m.clint.mtime + 500 # a machine timer interrupt 500 mtime units from now
    m.run(ticks=100_000)
    m.plic.source(5)                       # PlicSource(priority=.., pending=.., enabled=.., ...)
    m.csr("mip")                           # MSIP/MTIP/MEIP as the hart sees them

Numbering (defined once here): line n is PLIC source n, 1..num_sources (source 0 does not
exist, so line 0 is out of range). The hart-local interrupts are mcause interrupt codes: 3
machine software (MSI, the CLINT's msip), 7 machine timer (MTI, mtime >= mtimecmp), 11 machine
external (MEI, the PLIC's context 0). Synchronous exceptions are mcause exception codes (2
illegal instruction, 3 breakpoint, 11 ecall from M-mode, ...). How these appear in the trace
is described in sim/trace.py.

Follows the RISC-V Privileged Architecture (20211203) and the RISC-V PLIC specification 1.0.0;
the choices where they leave one are in docs/riscv.md and at the top of the files in
sim/native/rv32/ and sim/native/dev/.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from elftools.elf.elffile import ELFFile
from unicorn import riscv_const

from .errors import ConfigError, FirmwareError
from .native import ffi, lib

# mcause codes (Privileged 3.1.15, table 3.6)
INTERRUPT_NAMES = {1: "supervisor software", 3: "machine software", 5: "supervisor timer",
                   7: "machine timer", 9: "supervisor external", 11: "machine external"}
EXCEPTION_NAMES = {0: "instruction address misaligned", 1: "instruction access fault",
                   2: "illegal instruction", 3: "breakpoint", 4: "load address misaligned",
                   5: "load access fault", 6: "store/AMO address misaligned",
                   7: "store/AMO access fault", 8: "environment call from U-mode",
                   9: "environment call from S-mode", 11: "environment call from M-mode"}
MCAUSE_INTERRUPT = 1 << 31
MIP_MACHINE = (1 << 3) | (1 << 7) | (1 << 11)
PF_X = 1


def mcause_name(mcause: int) -> str:
    """`mcause_name(0x8000000b)` -> 'machine external interrupt'."""
    code = mcause & ~MCAUSE_INTERRUPT
    if mcause & MCAUSE_INTERRUPT:
        return INTERRUPT_NAMES.get(code, f"interrupt {code}") + " interrupt"
    return EXCEPTION_NAMES.get(code, f"exception {code}")


def init_rv32(m) -> None:
    """Sets up the native RV32 model of machine `m` (board arch "rv32") and attaches the views
    `m.plic`, `m.clint`, `m.hart` and the function `m.csr(name)`."""
    b = m.board
    c = b.controller
    devices = {d.get("kind"): d for d in b.devices}
    for kind in ("clint", "plic", "ns16550a"):
        if kind not in devices or not isinstance(devices[kind].get("base"), int):
            raise ConfigError(f"board {b.name}: an rv32 board needs a [[devices]] entry with "
                              f"kind = {kind!r} and an integer base")
    rate = c.get("mtime_per_tick", 1)
    try:
        rate = Fraction(rate).limit_denominator(1 << 20) if not isinstance(rate, str) \
            else Fraction(rate)
    except (ValueError, ZeroDivisionError, TypeError):
        rate = Fraction(0)
    if rate <= 0 or rate.numerator >= 1 << 32 or rate.denominator >= 1 << 32:
        raise ConfigError(f"board {b.name}: controller.mtime_per_tick must be a positive number "
                          "(an integer, a float or a fraction such as \"1/10\")")
    for d in b.devices:
        irq = d.get("irq", 0)
        if isinstance(irq, int) and not 0 <= irq <= c["num_sources"]:
            raise ConfigError(f"board {b.name}: the {d.get('kind')!r} device's irq must be a "
                              f"PLIC source 0..{c['num_sources']}: {d}")
    if lib.rv32_init(m._core):
        raise MemoryError("cannot allocate the RV32 hart")
    plic_opts = {"num_sources": c["num_sources"], "prio_bits": c.get("prio_bits", 3),
                 "contexts": c.get("contexts", 2)}
    m._devices = m._add_devices({"plic": plic_opts, "clint": {"mtime_num": rate.numerator,
                                                               "mtime_den": rate.denominator}})
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
    m._fault_detail = m.hart._fault_detail


def _code_ranges(m):
    """The executable segments of the image (all loaded segments if none is marked)."""
    with open(m.image, "rb") as f:
        elf = ELFFile(f)
        segs = [(s["p_paddr"], s["p_filesz"], s["p_flags"]) for s in elf.iter_segments()
                if s["p_type"] == "PT_LOAD" and s["p_filesz"]]
    code = [(a, n) for a, n, fl in segs if fl & PF_X]
    return code or [(a, n) for a, n, _ in segs]


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
        self._dev = m._devices["plic"][0]

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
        gateway holds the request until completion)."""
        if not 1 <= n <= self.num_sources:
            return False
        return lib.core_line_masked(self._m._core, n) == 1

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


class Clint:
    """The CLINT of hart 0: msip, mtime and mtimecmp. Setting one takes effect at once (the
    next run arbitrates); `set_msip(v, at=tick)` schedules it as a line event instead."""

    def __init__(self, m):
        self._m = m
        self._dev = m._devices["clint"][0]

    @property
    def mtime(self) -> int:
        return lib.clint_mtime(self._m._core, self._dev)

    @mtime.setter
    def mtime(self, v: int):
        lib.clint_set_mtime(self._m._core, self._dev, _u64(v, "mtime"))

    @property
    def mtimecmp(self) -> int:
        return lib.clint_mtimecmp(self._m._core, self._dev)

    @mtimecmp.setter
    def mtimecmp(self, v: int):
        lib.clint_set_mtimecmp(self._m._core, self._dev, _u64(v, "mtimecmp"))

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
        if lib.core_schedule(self._m._core, tick, lib.LINE_MSIP, 1 if value else 2):
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

    def counters(self) -> dict:
        out = ffi.new("struct hart_counters *")
        lib.rv32_counters(self._m._core, out)
        return {k: getattr(out, k) for k in ("interrupts", "exceptions", "preemptions",
                                             "max_depth", "depth", "mrets", "hooked_sites")}

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
        ok = ffi.new("int *")
        v = lib.core_mmio(self._m._core, addr, size, 0, 0, ok)
        if ok[0]:
            raise ConfigError(f"{addr:#010x} is not a device register")
        self._m._drain()
        return v

    def mmio_write(self, addr: int, value: int, size: int = 4):
        ok = ffi.new("int *")
        lib.core_mmio(self._m._core, addr, size, value & 0xFFFFFFFF, 1, ok)
        if ok[0]:
            raise ConfigError(f"{addr:#010x} is not a device register")
        self._m._drain()

    def _fault_detail(self) -> str:
        cause, tval, tvec = (ffi.new("uint32_t *") for _ in range(3))
        lib.rv32_trap_info(self._m._core, cause, tval, tvec)
        return (f" (the trap: mcause {cause[0]:#010x}, {mcause_name(cause[0])}; mtval "
                f"{tval[0]:#x}; mtvec {tvec[0]:#010x})")


def _u64(v, what) -> int:
    v = int(v)
    if not 0 <= v < 1 << 64:
        raise ConfigError(f"{what} must be 0..2**64-1, not {v}")
    return v

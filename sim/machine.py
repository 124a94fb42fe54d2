"""A simulated board running one firmware image: load, inject, run, inspect.

    m = sim.Machine.load("fw.elf", board="mps2-an385")   # or sim.Machine.demo()
    m.pulse_irq(3, at=10_000)                           # edge request on line 3 at tick 10000
    stop = m.run(ticks=1_000_000)                       # -> Stop(reason, ticks, pc, exit_code)
    m.symbols["handled_count"].read("<32I")
    m.nvic.irq(3)                                       # IrqState(enabled, pending, active, ...)

Time is counted in ticks, one per retired instruction. The interrupt controller, exception
entry and return, and the event trace live in the native core (sim/native); this module sets it
up, passes line events in bulk and reads state back.
"""

from __future__ import annotations

import logging
import struct
import weakref
from dataclasses import dataclass
from pathlib import Path

import unicorn
from unicorn import arm_const, riscv_const

from . import trace as trace_mod
from .boards import Board, get_board
from .elf import load_elf
from .errors import ConfigError, FirmwareError, SymbolError
from .native import ffi, lib

guest_log = logging.getLogger("sim.guest")

STOP_REASONS = {1: "ticks", 2: "until", 3: "exit", 4: "idle", 5: "trace-full", 6: "lockup",
                7: "runaway", 8: "error"}
LINE_KINDS = {"raise": 1, "lower": 2, "pulse": 3}
FAULT_CAUSES = {
    1: "data access to unmapped or protected memory",
    2: "instruction fetch from unmapped memory",
    3: "undefined instruction",
    4: "exception frame stacked to or unstacked from unmapped memory",
    5: "vector table entry unreadable or not a Thumb address (bit 0 clear)",
    6: "illegal exception return (EXC_RETURN)",
    7: "breakpoint with no debugger attached",
    8: "SVC executed where SVCall cannot preempt",
    9: "emulator error",
    10: "trap with no usable trap vector (mtvec)",
    11: "trap loop: the trap handler traps again at once",
    12: "environment call",
    13: "misaligned access",
    14: "execution in ARM state (a branch to an even address: EPSR.T = 0)",
}
TRACE_CHUNK = 1 << 15


@dataclass(frozen=True)
class Stop:
    """Why a run stopped: reason is one of ticks, until, exit, idle."""
    reason: str
    ticks: int
    pc: int
    exit_code: int | None


@dataclass(frozen=True)
class Symbol:
    name: str
    address: int
    size: int
    kind: str
    machine: "Machine"

    def read(self, fmt: str = "<I"):
        """Reads the symbol with a struct format; one value, or a tuple for several."""
        data = self.machine.mem_read(self.address, struct.calcsize(fmt))
        vals = struct.unpack(fmt, data)
        return vals[0] if len(vals) == 1 else vals

    def write(self, fmt: str, *values):
        """Writes the symbol. Initialised data is patched in its load image too, so a value
        written before boot survives the startup code's copy of .data."""
        data = struct.pack(fmt, *values)
        m = self.machine
        if m.ticks == 0 and any(a <= self.address < a + n for a, n in m._zeroed):
            raise ConfigError(f"{self.name} is in .bss, which the firmware's start-up code zeroes: "
                              "a value written before boot would be lost. Run to main first "
                              "(m.run(until=\"main\")) or give it an initialiser (.data)")
        self.machine.mem_write(self.address, data)
        for vaddr, paddr, size in self.machine._copies:
            if vaddr <= self.address and self.address + len(data) <= vaddr + size:
                self.machine.mem_write(paddr + self.address - vaddr, data)


class Symbols:
    """The image's symbols by name: `m.symbols["name"]` -> Symbol; SymbolError if unknown."""

    def __init__(self, machine, table: dict[str, tuple[int, int, str]]):
        self._m = machine
        self._t = table

    def __getitem__(self, name) -> Symbol:
        try:
            addr, size, kind = self._t[name]
        except KeyError:
            raise SymbolError(f"symbol {name!r} not found in {self._m.image}; "
                              "check the name (C symbols are not mangled) and that it was not "
                              "garbage-collected by the linker") from None
        return Symbol(name, addr, size, kind, self._m)

    def __contains__(self, name):
        return name in self._t

    def __iter__(self):
        return iter(self._t)

    def address(self, name_or_addr) -> int:
        if isinstance(name_or_addr, int):
            return name_or_addr
        return self[name_or_addr].address


class Machine:
    """One board, one image, one native core."""

    def __init__(self, image, board, *, trace_capacity: int = 1 << 16, strict: bool = False):
        self.board: Board = get_board(board)
        self.image = Path(image)
        loaded = load_elf(self.image, self.board)
        self.arch = self.board.arch
        self.symbols = Symbols(self, loaded.symbols)
        self.entry = loaded.entry
        self._copies = loaded.copies
        self._zeroed = loaded.zeroed
        self.num_lines = self.board.num_lines
        self.events: list = []          # drained trace records (Event) unless a sink is set
        self._sink = None
        self._observers = []
        self.strict = strict             # guest errors raise FirmwareError instead of a warning
        self._console = bytearray()
        self.exit_code: int | None = None
        self._warned_guest = 0

        if self.arch == "armv7m":
            self.uc = unicorn.Uc(unicorn.UC_ARCH_ARM, unicorn.UC_MODE_THUMB)
            # UC_MODE_MCLASS gives an M33 whatever the model; THUMB + model gives an M3.
            self.uc.ctl_set_cpu_model(arm_const.UC_CPU_ARM_CORTEX_M3)
        else:
            self.uc = unicorn.Uc(unicorn.UC_ARCH_RISCV, unicorn.UC_MODE_RISCV32)
        core = lib.core_new(self.uc._uch.value, self.board.clock_hz)
        if core == ffi.NULL:
            raise MemoryError("cannot allocate the native core")
        self._core = core
        # one finalizer frees the core, then drops the engine it holds: hooks are removed
        # from a live engine (GC would otherwise be free to close the engine first)
        self._finalizer = weakref.finalize(self, _release, core, self.uc)
        for r in self.board.memory:
            if lib.core_map(self._core, r.base, r.size, _perms(r.perms)):
                raise ConfigError(f"board {self.board.name}: cannot map {r.name} at {r.base:#x}")
        for seg_addr, data in loaded.segments:
            self.uc.mem_write(seg_addr, data)
        self._init_controller()
        lib.core_set_trace(self._core, 1, trace_capacity)
        self._trace_buf = ffi.new("struct trace_rec[]", TRACE_CHUNK)
        if "handler_table_handle" in self.symbols:
            lib.core_set_dispatch(self._core, self.symbols["handler_table_handle"].address)
        if "handler_table_register" in self.symbols and "handler_table_unregister" in self.symbols:
            lib.core_set_table_hooks(self._core, self.symbols["handler_table_register"].address,
                                     self.symbols["handler_table_unregister"].address)
        flash = self.board.memory[0]
        self._call_return = flash.base + flash.size - 16   # mapped, never executed
        self.runaway_limit = 0

    # ---- construction ------------------------------------------------------------------

    @classmethod
    def load(cls, image, board="mps2-an385", **kw) -> "Machine":
        return cls(image, board, **kw)

    @classmethod
    def demo(cls, board="mps2-an385", **kw) -> "Machine":
        """The bundled demo firmware for `board`, built on first use."""
        from .demo import demo_image
        return cls(demo_image(board), board, **kw)

    def _init_controller(self):
        c = self.board.controller
        if self.arch == "armv7m":
            if lib.armv7m_init(self._core, c["num_irq"], c["prio_bits"]):
                raise ConfigError(f"board {self.board.name}: bad NVIC parameters {c}")
            if lib.armv7m_reset(self._core):
                raise FirmwareError(f"{self.image}: the reset vector (word 1 at address 0) is "
                                    "not a Thumb address; is the vector table at the start of "
                                    "flash?", pc=0)
            costs = c.get("exception_ticks", {})
            lib.armv7m_set_costs(self._core, costs.get("entry", 12), costs.get("tail_chain", 6),
                                 costs.get("return", 10))
            self.nvic = Nvic(self)
        else:
            from .rv32 import init_rv32
            init_rv32(self)

    def _add_devices(self, options: dict) -> dict:
        """Instantiates the board's [[devices]] in board-file order (after the architecture is
        installed: a device's irq goes to its interrupt controller, which is a device listed
        before it). `options`: kind -> options that do not come from the entry itself (a PLIC's
        from the [controller] table). Returns kind -> the device indices of that kind."""
        index: dict = {}
        for d in self.board.devices:
            kind, base, irq = d.get("kind"), d.get("base"), d.get("irq", -1)
            opts = {k: v for k, v in d.items() if k not in ("kind", "base", "irq")}
            opts.update(options.get(kind, {}))
            if not isinstance(kind, str) or not isinstance(base, int) or not isinstance(irq, int) \
                    or not all(isinstance(v, int) for v in opts.values()):
                raise ConfigError(f"board {self.board.name}: a [[devices]] entry needs a kind, an "
                                  f"integer base and integer options: {d}")
            keys = [ffi.new("char[]", k.encode()) for k in opts]   # alive during the call
            arr = ffi.new("struct dev_opt[]", max(1, len(opts)))
            for i, (k, v) in enumerate(zip(keys, opts.values())):
                arr[i].key, arr[i].value = k, v
            r = lib.core_add_device(self._core, kind.encode(), base, irq, arr, len(opts))
            if r == -4:
                raise MemoryError(f"cannot add the {kind} device")
            if r < 0:
                why = {-1: "is not a device kind irqsim models",
                       -2: f"has bad options {opts} (a PLIC has num_sources 1..1023, "
                           "prio_bits 1..8, contexts 1..16)" if kind == "plic" else
                           f"has bad options {opts}",
                       -3: "overlaps memory or another device",
                       -5: "has an irq, but no interrupt controller listed before it takes one"}
                raise ConfigError(f"board {self.board.name}: the {kind!r} device at {base:#x} "
                                  f"{why.get(r, f'cannot be added ({r})')}")
            index.setdefault(kind, []).append(r)
        return index

    # ---- memory and registers ------------------------------------------------------------

    def mem_read(self, addr: int, size: int) -> bytes:
        try:
            return bytes(self.uc.mem_read(addr, size))
        except unicorn.UcError:
            raise ConfigError(f"cannot read {size} bytes at {addr:#x}: not mapped on "
                              f"{self.board.name}") from None

    def mem_write(self, addr: int, data: bytes):
        try:
            self.uc.mem_write(addr, bytes(data))
        except unicorn.UcError:
            raise ConfigError(f"cannot write {len(data)} bytes at {addr:#x}: not mapped on "
                              f"{self.board.name}") from None

    def reg(self, name: str) -> int:
        return self.uc.reg_read(_reg_id(self.arch, name))

    def set_reg(self, name: str, value: int):
        self.uc.reg_write(_reg_id(self.arch, name), value)

    @property
    def regs(self) -> dict[str, int]:
        names = ARM_REGS if self.arch == "armv7m" else RV_REGS
        return {n: self.reg(n) for n in names}

    @property
    def pc(self) -> int:
        return self.reg("pc")

    @property
    def ticks(self) -> int:
        return lib.core_ticks(self._core)

    # ---- lines -------------------------------------------------------------------------

    def _line(self, line, kind, at):
        if line == "nmi" and self.arch == "armv7m":
            line = 0xFFFF
        elif not isinstance(line, int) or not 0 <= line < self.num_lines or (
                self.arch == "rv32" and line == 0):
            lo = 1 if self.arch == "rv32" else 0
            raise ConfigError(f"IRQ {line} is out of range for board {self.board.name}: lines "
                              f"are {lo}..{self.num_lines - 1}")
        tick = self.ticks if at is None else int(at)
        if tick < 0:
            raise ConfigError(f"tick {tick} is negative")
        if lib.core_schedule(self._core, tick, line, LINE_KINDS[kind]):
            raise MemoryError("cannot schedule more line events")

    def raise_irq(self, line, at=None):
        """Drives line high (level request) now or at tick `at`."""
        self._line(line, "raise", at)

    def lower_irq(self, line, at=None):
        self._line(line, "lower", at)

    def pulse_irq(self, line, at=None):
        """One edge request on line, now or at tick `at`."""
        self._line(line, "pulse", at)

    def schedule(self, ticks, lines, kinds):
        """Bulk scheduling: parallel sequences of ticks, lines and kinds ("pulse", ...)."""
        n = len(ticks)
        if not (len(lines) == len(kinds) == n):
            raise ConfigError("schedule: ticks, lines and kinds must have the same length")
        lo = 1 if self.arch == "rv32" else 0   # RISC-V: PLIC source 0 does not exist
        for line in set(lines):
            if not lo <= line < self.num_lines:
                raise ConfigError(f"IRQ {line} is out of range for board {self.board.name}")
        t = ffi.new("uint64_t[]", list(ticks))
        ln = ffi.new("uint32_t[]", list(lines))
        k = ffi.new("uint32_t[]", [LINE_KINDS[x] if isinstance(x, str) else x for x in kinds])
        if lib.core_schedule_many(self._core, t, ln, k, n):
            raise MemoryError("cannot schedule more line events")

    # ---- running -----------------------------------------------------------------------

    def run(self, ticks: int | None = None, until=None) -> Stop:
        """Runs for at most `ticks` ticks, until PC reaches `until` (symbol or address), until
        the firmware exits, or until it waits for an interrupt that can never come."""
        until_addr = 0
        if until is not None:
            until_addr = self.symbols.address(until) & ~1
        end = None if ticks is None else self.ticks + int(ticks)
        lib.core_set_runaway(self._core, self.runaway_limit)
        while True:
            budget = (1 << 63) if end is None else max(0, end - self.ticks)
            r = lib.core_run(self._core, budget, until_addr)
            self._drain()
            if r != 5:  # trace full: drained, go on
                break
        reason = STOP_REASONS.get(r, "error")
        if reason == "exit":
            self.exit_code = lib.core_exit_code(self._core)
        if reason in ("lockup", "runaway", "error"):
            raise self._firmware_error(reason)
        return Stop(reason, self.ticks, self.pc, self.exit_code)

    def _firmware_error(self, reason) -> FirmwareError:
        pc = ffi.new("uint64_t *")
        addr = ffi.new("uint64_t *")
        cause = ffi.new("uint32_t *")
        lib.core_fault_info(self._core, pc, addr, cause)
        last = self.events[-8:]
        where = self._where(pc[0])
        recent = "; ".join(str(e) for e in last[-4:]) or "none"
        if reason == "runaway":
            msg = (f"{self.image.name}: runaway handler: the core stayed in handler mode for more "
                   f"than {self.runaway_limit} ticks, now at {where}; last events: {recent}. "
                   "Raise runaway_limit if the handler is meant to run that long")
        elif reason == "lockup":
            msg = (f"{self.image.name}: lockup at {where}: {FAULT_CAUSES.get(cause[0], 'fault')}"
                   f", address {addr[0]:#010x}; last events: {recent}. Check the handler at that "
                   "PC and the stack pointer")
        else:
            msg = (f"{self.image.name}: the emulator stopped at {where} "
                   f"({FAULT_CAUSES.get(cause[0], 'unknown')}); last events: {recent}")
        detail = getattr(self, "_fault_detail", None)   # RISC-V: the trap, see sim/rv32.py
        if detail is not None and reason == "lockup":
            msg += detail()
        return FirmwareError(msg, pc=pc[0], address=addr[0], events=last)

    def _where(self, addr) -> str:
        best = None
        for name, (a, size, kind) in self.symbols._t.items():
            if kind == "FUNC" and a <= addr < a + max(size, 1):
                best = f"{name}+{addr - a:#x}"
        return f"pc {addr:#010x}" + (f" ({best})" if best else "")

    def _drain(self):
        n = lib.core_console_len(self._core)
        if n:
            buf = ffi.new("char[]", n)
            lib.core_console_take(self._core, buf, n)
            self._console += ffi.buffer(buf, n)[:]
        while True:
            got = lib.core_trace_take(self._core, self._trace_buf, TRACE_CHUNK)
            if not got:
                break
            raw = ffi.buffer(self._trace_buf, got * 16)[:]
            if self._sink is not None:
                self._sink(raw)
            else:
                self.events.extend(trace_mod.decode(raw, self.arch))
            if self._observers:
                for ev in trace_mod.decode(raw, self.arch):
                    for fn in self._observers:
                        fn(ev)
        errs = lib.core_guest_errors(self._core)
        if errs > self._warned_guest:
            new, self._warned_guest = errs - self._warned_guest, errs
            last = next((e for e in reversed(self.events) if e.kind == "guest-error"), None)
            where = f", the last at address {last.arg:#010x} (tick {last.tick})" if last else ""
            if self.strict:
                raise FirmwareError(f"{self.image.name}: {new} guest error(s): accesses the "
                                    f"model rejects{where}", address=last.arg if last else None)
            guest_log.warning("%s: %d guest error(s) (accesses the model rejects)%s",
                              self.image.name, new, where)

    def add_observer(self, fn):
        """Calls fn(event) for every trace event, in order, as the trace is drained in bulk
        (between blocks of execution, never from inside the emulator). Off by default; with no
        observer nothing is decoded for it."""
        self._observers.append(fn)

    def set_trace_sink(self, sink):
        """Sends raw trace chunks (bytes of 16-byte records) to `sink` instead of `events`."""
        self._sink = sink

    def take_events(self) -> list:
        ev, self.events = self.events, []
        return ev

    @property
    def console(self) -> str:
        self._drain()
        return self._console.decode("latin-1")

    # ---- the interrupt controller, whichever the board has -----------------------------------

    def line_masked(self, line: int) -> bool:
        """A pending request on `line` is held off now (disabled, masked, below threshold)."""
        return self.nvic.line_masked(line) if self.arch == "armv7m" else \
            self.plic.source_masked(line)

    def nesting(self) -> dict:
        """Maximum nesting depth, preemptions, tail-chains (Cortex-M), traps taken."""
        return self.nvic.nesting() if self.arch == "armv7m" else self.hart.nesting_counters()

    # ---- calling firmware functions ----------------------------------------------------------

    def call(self, function, *args, max_ticks: int = 10_000_000) -> int:
        """Calls a firmware function with up to four integer arguments; returns its result.

        The registers are saved and restored around the call; interrupts that are due are
        taken during it as on hardware."""
        if len(args) > 4:
            raise ConfigError("call: at most four arguments (passed in registers)")
        addr = self.symbols.address(function)
        arm = self.arch == "armv7m"
        names = ARM_REGS if arm else RV_REGS
        saved = {n: self.reg(n) for n in names}
        argregs = ("r0", "r1", "r2", "r3") if arm else ("a0", "a1", "a2", "a3")
        for r, v in zip(argregs, args):
            self.set_reg(r, v & 0xFFFFFFFF)
        self.set_reg("lr" if arm else "ra", self._call_return | (1 if arm else 0))
        self.set_reg("pc", addr | (1 if arm else 0))
        try:
            stop = self.run(ticks=max_ticks, until=self._call_return)
            if stop.reason != "until":
                raise FirmwareError(f"call to {function}: did not return within {max_ticks} "
                                    f"ticks (stopped: {stop.reason})", pc=stop.pc)
            return self.reg("r0" if arm else "a0")
        finally:
            for n, v in saved.items():
                if n not in ("msp", "psp", "control"):
                    self.set_reg(n, v)


class IrqState:
    __slots__ = ("number", "enabled", "pending", "active", "priority", "level")

    def __init__(self, number, enabled, pending, active, priority, level):
        self.number, self.enabled, self.pending = number, enabled, pending
        self.active, self.priority, self.level = active, priority, level

    def __repr__(self):
        return (f"IrqState(number={self.number}, enabled={self.enabled}, pending={self.pending}, "
                f"active={self.active}, priority={self.priority:#x}, level={self.level})")


class Nvic:
    """NVIC state by meaning (read from the native core in bulk)."""

    def __init__(self, m: Machine):
        self._m = m
        self.num_irq = m.board.controller["num_irq"]

    def _snapshot(self):
        n = 16 + self.num_irq
        arrs = [ffi.new("uint8_t[]", n) for _ in range(5)]
        lib.armv7m_state(self._m._core, *arrs, n)
        return [list(a) for a in arrs]

    def exception(self, number: int) -> IrqState:
        prio, en, pend, act, lvl = self._snapshot()
        p = prio[number]
        if number in (2, 3):
            p = p - 256  # fixed negative priorities come back as bytes
        return IrqState(number, bool(en[number]), bool(pend[number]), bool(act[number]), p,
                        bool(lvl[number]))

    def irq(self, n: int) -> IrqState:
        if not 0 <= n < self.num_irq:
            raise ConfigError(f"IRQ {n} is out of range: this NVIC has lines 0..{self.num_irq - 1}")
        s = self.exception(16 + n)
        s.number = n
        return s

    @property
    def execution_priority(self) -> int:
        return lib.armv7m_exec_priority(self._m._core)

    def counters(self) -> dict:
        out = ffi.new("uint64_t[8]")
        lib.armv7m_counters(self._m._core, out)
        return {"taken": out[0], "preemptions": out[1], "tail_chains": out[2],
                "max_depth": out[3], "min_frame_sp": out[4], "active": out[5],
                "prigroup": out[6], "vtor": out[7]}

    @property
    def active_exception(self) -> int:
        return self.counters()["active"]

    def line_masked(self, line: int) -> bool:
        """Would a pending request on `line` be held off now: disabled, or not above the
        execution priority (group priority against active handlers and masks)?"""
        group_mask = (0xFF << (self.counters()["prigroup"] + 1)) & 0xFF
        s = self.irq(line)
        return not s.enabled or (s.priority & group_mask) >= self.execution_priority

    def nesting(self) -> dict:
        c = self.counters()
        return {"max_depth": c["max_depth"], "preemptions": c["preemptions"],
                "tail_chains": c["tail_chains"], "exceptions_taken": c["taken"]}


ARM_REGS = ["r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11", "r12",
            "sp", "lr", "pc", "xpsr", "msp", "psp", "control", "primask", "basepri",
            "faultmask"]
RV_REGS = ["ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4",
           "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3",
           "t4", "t5", "t6", "pc"]


def _reg_id(arch, name):
    mod, prefix = (arm_const, "UC_ARM_REG_") if arch == "armv7m" else (riscv_const, "UC_RISCV_REG_")
    try:
        return getattr(mod, prefix + name.upper())
    except AttributeError:
        raise ConfigError(f"unknown register {name!r} for {arch}") from None


def _release(core, uc):
    lib.core_free(core)
    del uc


def _perms(p: str) -> int:
    v = 0
    if "r" in p:
        v |= unicorn.UC_PROT_READ
    if "w" in p:
        v |= unicorn.UC_PROT_WRITE
    if "x" in p:
        v |= unicorn.UC_PROT_EXEC
    return v

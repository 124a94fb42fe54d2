"""A simulated board running one firmware image: load, inject, run, inspect.

    m = sim.Machine.load("fw.elf", board="mps2-an385")   # or sim.Machine.demo()
    m.pulse_irq(3, at=10_000)                           # edge request on line 3 at tick 10000
    stop = m.run(ticks=1_000_000)                       # -> Stop(reason, ticks, pc, exit_code)
    m.symbols["handled_count"].read("<32I")
    m.nvic.irq(3)                                       # IrqState(enabled, pending, active, ...)

Time is counted in ticks, one per retired instruction. The interrupt controller, exception
entry and return, and the event trace live in the native core (sim/native); this module sets it
up, passes line events in bulk and reads state back. What differs between architectures (engine,
registers, line numbering, the controller views) it asks of the board's adapter (sim/arch).
Storms (sim/storm) build on its storm API: start_accounting, add_source, line_accounting,
latency_histogram, thread_ticks.
"""

from __future__ import annotations

import logging
import struct
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import unicorn

from . import arch as arch_mod
from . import trace as trace_mod
from .codes import (EVENT_KINDS, FAULT_CAUSES, HIST_BUCKETS, LATENCY_KINDS, LINE_KINDS, NO_TICK, SOURCE_KINDS,
                    STOP_REASONS, STOP_TRACE_FULL)
from .boards import Board, get_board
from .elf import load_elf
from .errors import ConfigError, FirmwareError, SymbolError
from .native import ffi, lib

guest_log = logging.getLogger("sim.guest")

TRACE_CHUNK = 1 << 15
EVENT_CODES = {name: code for code, name in EVENT_KINDS.items()}
_DEVICE_ERRORS = {-1: "no such device model (sim/native/dev/)",
                  -2: "bad or unknown options for this model",
                  -3: "its address range overlaps memory or another device",
                  -4: "out of memory (or more than 16 devices)",
                  -5: "it has an irq but the board has no controller that takes device outputs"}


@dataclass(frozen=True)
class Stop:
    """Why a run stopped: reason is one of ticks, until, exit, idle, event (run's stop_on)."""
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


@dataclass(frozen=True)
class LineAccount:
    """What a storm's accounting knows about one line (struct line_acct, sim/native/api.h):
    how its requests ended so far, its handler's entries and latencies, and the requests that
    hold its pending state or its running handler now."""
    line: int
    requests: int
    handled: int            # a handler ran from the table (or returned, without the table)
    unhandled: int          # the table slot was empty when the handler dispatched
    coalesced: int          # arrived while the same interrupt was already pending: merged
    cleared: int            # the firmware cleared the pending state
    lowered: int            # a level request withdrawn where the controller forgets it
    entries: int            # handler entries for the line's requests ...
    preempting: int         # ... of which over another handler
    tail_chained: int       # ... of which at another's return
    max_entry_latency: int  # ticks from a request to its handler's first instruction
    max_return_latency: int  # ticks from a request to its handler's return
    pending_since: int | None     # tick of the request holding the pending state, if any
    in_service_since: int | None  # tick of the request whose handler is running, if any
    dispatched: bool              # that handler has reached the table dispatch


class ThreadTicks(NamedTuple):
    """Ticks spent in thread mode and in handlers (traps) since reset."""
    thread: int
    handler: int


def latency_bucket_low(bucket: int) -> int:
    """The lowest latency (ticks) counted in histogram bucket `bucket` of
    Machine.latency_histogram: exact below 256 ticks, then 64 buckets per octave."""
    return lib.acct_bucket_low(bucket)


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

    def at(self, addr: int) -> str | None:
        """The function containing code address `addr` as "name" or "name+0x4", or None."""
        addr &= ~self._m.adapter.code_bit
        for name, (a, size, kind) in self._t.items():
            a &= ~self._m.adapter.code_bit
            if kind == "FUNC" and a <= addr < a + max(size, 1):
                return name if addr == a else f"{name}+{addr - a:#x}"
        return None

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
        self.arch = self.board.arch      # the architecture's name: "armv7m", "rv32"
        self.adapter = arch_mod.for_board(self.board)   # what is specific to it (sim.arch)
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

        self.uc = self.adapter.new_engine()
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
        self.devices: dict[str, list[int]] = {}   # device kind -> indices in the core
        self.adapter.init(self)          # the CPU, the controller and devices, their views
        self.set_trace(True, trace_capacity)
        self._accounting = False
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

    def add_devices(self, options=lambda entry: {}):
        """Instantiates the board's [[devices]] in the core, in the board file's order
        (`unimplemented` ranges last: they are mapped around the others). `options(entry)` gives
        the integer options of an entry beyond its own keys (the PLIC's from [controller]).
        Called by the architecture adapter once its CPU model is installed."""
        entries = sorted(self.board.devices, key=lambda d: d.get("kind") == "unimplemented")
        for d in entries:
            kind = d.get("kind")
            opts = {k: v for k, v in d.items() if k not in ("kind", "base", "irq")}
            opts.update(options(d))
            where = f"board {self.board.name}: [[devices]] kind = {kind!r}"
            if not isinstance(kind, str) or not isinstance(d.get("base"), int):
                raise ConfigError(f"{where}: needs a kind (a string) and an integer base")
            irq = d.get("irq", -1)
            if not isinstance(irq, int) or not all(isinstance(v, int) and v >= 0
                                                   for v in opts.values()):
                raise ConfigError(f"{where}: irq and the options must be integers >= 0 "
                                  f"(got {d})")
            if "irq" in d and not self.adapter.first_line <= irq < self.num_lines:
                raise ConfigError(f"{where}: irq {irq} is no line of the board's interrupt "
                                  f"controller (lines {self.adapter.first_line}.."
                                  f"{self.num_lines - 1})")
            keys = [ffi.new("char[]", k.encode()) for k in opts]
            arr = ffi.new("struct dev_opt[]", max(1, len(opts)))
            for i, (k, v) in enumerate(opts.items()):
                arr[i].key, arr[i].value = keys[i], v
            r = lib.core_add_device(self._core, kind.encode(), d["base"], irq, arr, len(opts))
            if r < 0:
                raise ConfigError(f"{where} at {d['base']:#x}: " + _DEVICE_ERRORS.get(
                    r, f"rejected by the core (code {r})"))
            self.devices.setdefault(kind, []).append(r)

    def mmio_read(self, addr: int, size: int = 4) -> int:
        """Reads a device register as the firmware would (a PLIC claim register claims)."""
        ok = ffi.new("int *")
        v = lib.core_mmio(self._core, addr, size, 0, 0, ok)
        if ok[0]:
            raise ConfigError(f"{addr:#010x} is no register of a device of board "
                              f"{self.board.name}")
        self._drain()
        return v

    def mmio_write(self, addr: int, value: int, size: int = 4):
        """Writes a device register as the firmware would (a PLIC claim register completes)."""
        ok = ffi.new("int *")
        lib.core_mmio(self._core, addr, size, value & 0xFFFFFFFF, 1, ok)
        if ok[0]:
            raise ConfigError(f"{addr:#010x} is no register of a device of board "
                              f"{self.board.name}")
        self._drain()

    def device(self, kind: str) -> int:
        """The core's index of the board's (first) device of `kind`; ConfigError if none."""
        if kind not in self.devices:
            raise ConfigError(f"board {self.board.name} has no {kind!r} device: add a "
                              f"[[devices]] entry with kind = {kind!r}")
        return self.devices[kind][0]

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
        return self.uc.reg_read(self.adapter.reg_id(name))

    def set_reg(self, name: str, value: int):
        self.uc.reg_write(self.adapter.reg_id(name), value)

    @property
    def regs(self) -> dict[str, int]:
        return {n: self.reg(n) for n in self.adapter.regs}

    @property
    def pc(self) -> int:
        return self.reg("pc")

    @property
    def ticks(self) -> int:
        return lib.core_ticks(self._core)

    # ---- lines -------------------------------------------------------------------------

    def _line(self, line, kind, at):
        lo = self.adapter.first_line
        named = self.adapter.named_lines.get(line) if isinstance(line, str) else None
        if named is not None:
            line = named
        elif not isinstance(line, int) or not lo <= line < self.num_lines:
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
        lo = self.adapter.first_line
        for line in set(lines):
            if not lo <= line < self.num_lines:
                raise ConfigError(f"IRQ {line} is out of range for board {self.board.name}")
        t = ffi.new("uint64_t[]", list(ticks))
        ln = ffi.new("uint32_t[]", list(lines))
        k = ffi.new("uint32_t[]", [LINE_KINDS[x] if isinstance(x, str) else x for x in kinds])
        if lib.core_schedule_many(self._core, t, ln, k, n):
            raise MemoryError("cannot schedule more line events")

    # ---- running -----------------------------------------------------------------------

    def run(self, ticks: int | None = None, until=None, stop_on=()) -> Stop:
        """Runs for at most `ticks` ticks, until PC reaches `until` (symbol or address), until
        the firmware exits, or until it waits for an interrupt that can never come.

        `stop_on`: trace record kinds ("entry", "preempt", "tail-chain", ...; sim.codes
        EVENT_KINDS) that end the run (reason "event") as soon as one is recorded, once the
        model has finished that step: after an exception entry the frame is stacked and PC is
        the handler's first instruction, not yet run. The records of that step end `events`."""
        until_addr = 0
        if until is not None:
            until_addr = self.symbols.address(until) & ~1
        end = None if ticks is None else self.ticks + int(ticks)
        lib.core_set_runaway(self._core, self.runaway_limit)
        mask = 0
        for kind in stop_on:
            if kind not in EVENT_CODES:
                raise ConfigError(f"stop_on: {kind!r} is no trace record kind; use one of "
                                  f"{', '.join(EVENT_CODES)}")
            mask |= 1 << EVENT_CODES[kind]
        lib.core_set_stop_on(self._core, mask)
        try:
            while True:
                budget = (1 << 63) if end is None else max(0, end - self.ticks)
                r = lib.core_run(self._core, budget, until_addr)
                self._drain()
                if r != STOP_TRACE_FULL:     # drained: go on
                    break
        finally:
            lib.core_set_stop_on(self._core, 0)
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
        if reason == "lockup":
            msg += self.adapter.fault_detail(self)
        return FirmwareError(msg, pc=pc[0], address=addr[0], events=last)

    def _where(self, addr) -> str:
        best = self.symbols.at(addr)
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
        """A pending request on `line` is held off now (disabled, masked, below threshold), as
        the controller of the line decides it (core_line_masked)."""
        r = lib.core_line_masked(self._core, line)
        if r < 0:
            raise ConfigError(f"line {line} is no input of board {self.board.name}'s controller")
        return bool(r)

    def nesting(self) -> dict:
        """Maximum nesting depth, preemptions, tail-chains (Cortex-M), traps taken."""
        return self.adapter.nesting(self)

    def ack_register(self) -> int:
        """The address of irqsim's acknowledge register, a device of the board file
        (`[[devices]]` kind "ack"): a handler stores its line there to lower a level request
        held until acknowledged (a storm source's hold = "ack")."""
        for d in self.board.devices:
            if d.get("kind") == "ack":
                return d["base"]
        raise ConfigError(f"board {self.board.name} has no acknowledge register, which a "
                          "source with hold = \"ack\" needs: add a [[devices]] entry with "
                          "kind = \"ack\" and a free base address")

    # ---- storms: sources in the core, and the accounting that follows every request --------

    def set_trace(self, enabled: bool, capacity: int = 1 << 16):
        """Turns the event trace on or off; `capacity` is how many records the core holds
        before a run pauses to drain them (into `events`, or the trace sink)."""
        if lib.core_set_trace(self._core, 1 if enabled else 0, capacity):
            raise MemoryError(f"cannot allocate a trace buffer of {capacity} records")

    def start_accounting(self):
        """Sets up storm sources and outcome accounting on every line (sim/native/storm/):
        from now on each request made by a source added with add_source is followed to exactly
        one outcome. Call once, before add_source."""
        if self._accounting:
            raise ConfigError("storm accounting is already started; reset_accounting() clears "
                              "its counts")
        if lib.storm_init(self._core, self.num_lines):
            raise MemoryError("cannot allocate the storm accounting")
        self._accounting = True

    def _need_accounting(self, what):
        if not self._accounting:
            raise ConfigError(f"{what}: no storm accounting on this machine; call "
                              "start_accounting() first (sim.storm.prepare_machine does)")

    def add_source(self, kind: str, lines, *, weights=None, trigger: str = "pulse",
                   hold: int = 0, start: int = 0, stop: int = 0, period: int = 0,
                   phase: int = 0, jitter: int = 0, rate_hz: float = 0.0, count: int = 0,
                   spacing: int = 0, gap: int = 0, ticks=(), seed: int = 0):
        """Adds a request source to the core, which makes its requests as the run reaches
        them. `kind` is once (at `start`), periodic (start + phase + k * period, +-jitter),
        poisson (`rate_hz` requests per simulated second), burst (`count` requests `spacing`
        apart, the next burst `gap` after the last) or replay (at `ticks`, ascending); none
        at or after `stop` (0: never stops). Each request goes to one of `lines`, chosen by
        `weights` (relative, default equal) with the randomness seeded by `seed`. `trigger`
        "pulse" is an edge; "level" holds the line high for `hold` ticks, or with hold 0
        until the handler acknowledges it (ack_register)."""
        self._need_accounting("add_source")
        spec = ffi.new("struct storm_spec *")
        spec.kind = SOURCE_KINDS[kind]
        spec.trigger = LINE_KINDS["raise" if trigger == "level" else "pulse"]
        spec.start, spec.stop = start, stop
        spec.period, spec.phase, spec.jitter = period, phase, jitter
        spec.rate_per_tick = rate_hz / self.board.clock_hz
        spec.burst, spec.spacing, spec.gap = count, spacing, gap
        spec.hold = hold
        spec.seed = seed
        spec.nlines = len(lines)
        spec.nreplay = len(ticks)
        # integer weights: the weights scaled to 2^32 in total, rounded (deterministic)
        w = weights or [1] * len(lines)
        total = float(sum(w))
        r = lib.core_add_source(self._core, spec, ffi.new("uint32_t[]", list(lines)),
                                ffi.new("uint64_t[]", [max(0, round(x / total * (1 << 32)))
                                                       for x in w]),
                                ffi.new("uint64_t[]", list(ticks) or [0]))
        if r:
            raise ConfigError(f"rejected by the core (code {r}): check its lines, weights and "
                              "rates")

    def line_accounting(self) -> list[LineAccount]:
        """The storm accounting of every line, 0..num_lines-1, as it stands now."""
        self._need_accounting("line_accounting")
        n = self.num_lines
        acct = ffi.new("struct line_acct[]", n)
        lib.core_storm_lines(self._core, acct, n)

        def tick(t):
            return None if t == NO_TICK else t
        return [LineAccount(line, a.requests, a.handled, a.unhandled, a.coalesced, a.cleared,
                            a.lowered, a.entries, a.preempting, a.tailchained,
                            a.max_entry_latency, a.max_return_latency, tick(a.pend_req),
                            tick(a.svc_req), bool(a.svc_dispatched))
                for line, a in enumerate(acct)]

    def latency_histogram(self, line: int, which: str = "entry") -> list[int]:
        """Counts of the latencies of `line`'s requests by bucket (see latency_bucket_low):
        `which` is "entry" (to the handler's first instruction) or "return" (to its return)."""
        self._need_accounting("latency_histogram")
        out = ffi.new("uint64_t[]", HIST_BUCKETS)
        if lib.core_storm_hist(self._core, line, LATENCY_KINDS[which], out):
            raise ConfigError(f"latency_histogram: line {line} is out of range for board "
                              f"{self.board.name} (0..{self.num_lines - 1})")
        return list(out)

    def reset_accounting(self):
        """Clears the storm accounting's counts and histograms (the sources go on)."""
        lib.core_storm_reset(self._core)

    def thread_ticks(self) -> ThreadTicks:
        """Ticks in thread mode and in handlers since reset (a handler still running counts
        up to now)."""
        th, hd = ffi.new("uint64_t *"), ffi.new("uint64_t *")
        lib.core_thread_ticks(self._core, th, hd)
        return ThreadTicks(th[0], hd[0])

    # ---- calling firmware functions ----------------------------------------------------------

    def call(self, function, *args, max_ticks: int = 10_000_000) -> int:
        """Calls a firmware function with up to four integer arguments; returns its result.

        The registers are saved and restored around the call; interrupts that are due are
        taken during it as on hardware."""
        if len(args) > 4:
            raise ConfigError("call: at most four arguments (passed in registers)")
        addr = self.symbols.address(function)
        a = self.adapter
        saved = {n: self.reg(n) for n in a.regs}
        for r, v in zip(a.arg_regs, args):
            self.set_reg(r, v & 0xFFFFFFFF)
        self.set_reg(a.link_reg, self._call_return | a.code_bit)
        self.set_reg("pc", addr | a.code_bit)
        try:
            stop = self.run(ticks=max_ticks, until=self._call_return)
            if stop.reason != "until":
                raise FirmwareError(f"call to {function}: did not return within {max_ticks} "
                                    f"ticks (stopped: {stop.reason})", pc=stop.pc)
            return self.reg(a.arg_regs[0])
        finally:
            for n, v in saved.items():
                if n not in a.call_keeps:
                    self.set_reg(n, v)


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

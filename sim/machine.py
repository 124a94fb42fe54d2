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

import collections
import logging
import signal
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import unicorn

from . import arch as arch_mod
from . import trace as trace_mod
from .checks import U32_MAX, U64_MAX, check_int, check_number, is_int
from .codes import (EVENT_KINDS, FAULT_CAUSES, HIST_BUCKETS, LATENCY_KINDS, LINE_KINDS, NO_TICK,
                    SOURCE_KINDS, STOP_REASONS, STOP_TICKS, STOP_TRACE_FULL)
from .boards import Board, get_board
from .elf import load_elf
from .errors import (ArgumentError, ClosedError, ConfigError, FirmwareError, Interrupted,
                     SnapshotError)
from .native import ffi, lib
from .testkit import TestKit
from .snapshot import Snapshot, image_digest
from .symbols import Symbol, Symbols  # noqa: F401  (Symbol: part of this module's API)
from .native.debugging import Debugging
from .native.detectors import Detectors

guest_log = logging.getLogger("sim.guest")

TRACE_CHUNK = 1 << 15
# ticks per core_run between drains (console streaming, time limit): ~20-50 ms of host time
CHUNK_TICKS = 2_000_000
TRACE_CAPACITY_MAX = lib.CORE_TRACE_CAP_MAX       # records in the core's trace buffer
CONSOLE_LIMIT_DEFAULT = lib.CORE_CONSOLE_LIMIT_DEFAULT   # console bytes a machine keeps
EVENT_CODES = {name: code for code, name in EVENT_KINDS.items()}
_DEVICE_ERRORS = {-1: "no such device model (sim/native/dev/)",
                  -2: "bad or unknown options for this model",
                  -3: "its address range overlaps memory or another device",
                  -4: "out of memory (or more than 16 devices)",
                  -5: "it has an irq but the board has no controller that takes device outputs"}
_SNAP_ERRORS = {
    lib.SNAP_ERR_NOMEM: "out of memory (the machine may be left halfway: restore again)",
    lib.SNAP_ERR_ARCH: "it was taken on another architecture or CPU model",
    lib.SNAP_ERR_LAYOUT: "another memory map, other devices or a storm on other lines",
    lib.SNAP_ERR_ENGINE: "Unicorn refused the CPU context",
    lib.SNAP_ERR_CORRUPT: "the snapshot does not read back as written (a bug: please report)"}
_SNAP_TYPE = ffi.typeof("struct snapshot *")
_SOURCE_ERRORS = {
    lib.SOURCE_ERR_FULL: f"more than {lib.STORM_MAX_SOURCES} sources on one machine",
    lib.SOURCE_ERR_LINES: f"a source needs 1..{lib.STORM_MAX_TARGETS} lines, each a line of the "
                          "board",
    lib.SOURCE_ERR_WEIGHTS: "the weights are all zero",
    lib.SOURCE_ERR_RATE: "a poisson rate must be > 0 and a periodic period >= 1 tick",
    lib.SOURCE_ERR_REPLAY: f"a replay source holds at most {lib.STORM_MAX_REPLAY} ticks"}


@dataclass(frozen=True)
class Stop:
    """Why a run stopped. `reason`: exit (the firmware exited, through semihosting or a test
    finisher: `exit_code`), ticks (the tick budget ended), timeout (the host-time bound ended),
    until (PC reached `until`), idle (WFI with nothing that can ever wake the core), stuck (a
    loop nothing can ever leave: `loop` is its [start, end) and `fault` the fault whose handler
    spins, for a fault loop), reset (the firmware asked a test finisher for a machine reset),
    event (a record of a kind `Machine.run(stop_on=...)` asked for was made).
    `detail` says why in one line, with every address named by its function (Machine.where);
    `function` is where PC is ("main+0x12"), None outside every function symbol."""
    reason: str
    ticks: int
    pc: int
    exit_code: int | None
    # what the stop says about itself: not part of a Stop's equality (outcomes compare)
    detail: str = field(default="", compare=False)
    function: str | None = field(default=None, compare=False)
    loop: tuple[int, int] | None = field(default=None, compare=False)
    fault: dict | None = field(default=None, compare=False)

    @property
    def exit_status(self) -> int:
        """The process exit status this stop maps to (`irqsim run`): the firmware's exit code,
        0 at `until`, 124 when a tick or time limit ended the run (as timeout(1)), else 1."""
        if self.reason == "exit":
            return self.exit_code & 0xFF if self.exit_code is not None else 1
        if self.reason == "until":
            return 0
        return 124 if self.reason in ("ticks", "timeout") else 1


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
    return lib.core_storm_bucket_low(bucket)


class Machine(TestKit, Debugging, Detectors):
    """One board, one image, one native core. The helpers tests read naturally
    (run_until_console, expect_handled, latencies, assert_no_lost_requests) are TestKit's;
    the debugging API the GDB server uses (breakpoints, watchpoints, steps, halt) is
    Debugging's (sim/native/debugging.py); the mistake detectors (set-up, mistakes,
    expect_mistake) are Detectors' (sim/native/detectors.py; docs/mistakes.md)."""

    def __init__(self, image, board, *, trace_capacity: int = 1 << 16, strict: bool = False,
                 semihost_root=None, semihost_args=None,
                 console_limit: int = CONSOLE_LIMIT_DEFAULT):
        self._closed = True              # until the core exists
        check_int("Machine: trace_capacity", trace_capacity, 1, TRACE_CAPACITY_MAX)
        check_int("Machine: console_limit", console_limit, 0, U64_MAX)
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
        self._recent = collections.deque(maxlen=20)  # the last trace events, wherever they went
        self.exit_code: int | None = None
        self._warned_guest = 0
        self.notes: list[str] = []       # guest notes logged on sim.guest, each once
        self.guest_note: str | None = None   # what the last noted guest error was about
        self._lockup: FirmwareError | None = None
        self.last_stop: Stop | None = None    # how the last run that returned ended

        uc = self.adapter.new_engine(self.board)
        core = lib.core_new(uc._uch.value, self.board.clock_hz)
        if core == ffi.NULL:
            raise MemoryError("cannot allocate the native core")
        self._uc, self._core_ptr, self._closed = uc, core, False
        # one finalizer frees the core, then drops the engine it holds: hooks are removed
        # from a live engine (GC would otherwise be free to close the engine first)
        self._finalizer = weakref.finalize(self, _release, core, uc)
        lib.core_set_console_limit(core, console_limit)
        self.console_limit = console_limit
        for r in self.board.memory:
            err = lib.core_map(self._core, r.base, r.size, _perms(r.perms))
            if err:
                why = {-1: "more than 8 memory regions, or the host is out of memory",
                       -2: "Unicorn refused the range (it overlaps another region or leaves "
                           "the 32-bit address space)"}.get(err, f"code {err}")
                raise ConfigError(f"board {self.board.name}: cannot map memory {r.name} at "
                                  f"{r.base:#x}..{r.base + r.size:#x}: {why}")
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
        self.initial_sp = self._find_initial_sp()
        self.expected_mistakes: set = set()   # (kind, line) the firmware makes on purpose
        self._setup_detectors(loaded.segments)
        self._setup_nocp(loaded.segments)
        self._setup_semihosting(semihost_root, semihost_args)
        self._options = {"trace_capacity": trace_capacity, "strict": strict,
                         "semihost_root": semihost_root, "semihost_args": semihost_args,
                         "console_limit": console_limit}
        self._digest = image_digest(self.image)

    # ---- lifetime ------------------------------------------------------------------------

    @property
    def _core(self):
        if self._closed:
            raise ClosedError(f"this Machine ({self.image.name}) is closed: create a new one")
        return self._core_ptr

    @property
    def uc(self):
        """The Unicorn engine (for what the Machine API does not cover)."""
        self._core         # noqa: B018 (raises ClosedError once closed)
        return self._uc

    def close(self):
        """Frees the native core and the engine; every later use raises ClosedError. Closing
        twice is allowed."""
        if not self._closed:
            self._closed = True
            self._finalizer()
            self._uc = self._core_ptr = None

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self):
        self._core         # noqa: B018
        return self

    def __exit__(self, *exc):
        self.close()

    # ---- snapshots (sim/snapshot.py; docs/testing.md, "Snapshots") ------------------------

    _PY_STATE = ("events", "_console", "_recent", "exit_code", "_warned_guest", "notes",
                 "guest_note", "_lockup", "_accounting", "expected_mistakes")

    def snapshot(self) -> Snapshot:
        """The whole state of the machine now, in memory: restore(s) puts it back (here, or in
        another machine of the same board and image), and the run from there gives the same
        trace, bit for bit, as the run from now. ClosedError on a closed machine."""
        core = self._core
        self._drain()                    # what the core holds undrained is Python's now
        blob = lib.core_snapshot(core)
        if blob == ffi.NULL:
            raise MemoryError("cannot take a snapshot: out of memory (or of host descriptors)")
        blob = ffi.gc(blob, lib.core_snapshot_free)
        py = {k: getattr(self, k) for k in self._PY_STATE}
        py.update(events=list(self.events), _console=bytes(self._console),
                  _recent=list(self._recent), notes=list(self.notes),
                  expected_mistakes=set(self.expected_mistakes))
        return Snapshot(self.board.name, self.image.name, self._digest, self.ticks,
                        lib.core_snapshot_size(blob), blob, py)

    def restore(self, snap: Snapshot):
        """Puts the machine back to `snap` (Machine.snapshot of this machine or of another of
        the same board and image): registers, memory, controller and devices, time, scheduled
        line events, storm sources and accounting, and `events` and the console as they were
        then. SnapshotError when it does not fit; ClosedError on a closed machine."""
        core = self._core
        if not isinstance(snap, Snapshot) or not isinstance(snap._blob, ffi.CData) or \
                ffi.typeof(snap._blob) is not _SNAP_TYPE or snap._blob == ffi.NULL:
            raise SnapshotError(f"restore needs a Snapshot from Machine.snapshot() (got "
                                f"{type(snap).__name__})")
        snap.check_fits(self.board.name, self.image.name, self._digest)
        r = lib.core_restore(core, snap._blob)
        if r:
            raise SnapshotError(f"{self.image.name}: cannot restore the snapshot of tick "
                                f"{snap.ticks}: " + _SNAP_ERRORS.get(r, f"code {r}"))
        py = dict(snap._py)
        py.update(events=list(py["events"]), _console=bytearray(py["_console"]),
                  _recent=collections.deque(py["_recent"], maxlen=self._recent.maxlen),
                  notes=list(py["notes"]), expected_mistakes=set(py["expected_mistakes"]))
        for k, v in py.items():
            setattr(self, k, v)

    def fork(self) -> Machine:
        """A new Machine on the same image, board and options, in this machine's state now
        (a snapshot applied): boot once, then fork (or restore) for each test."""
        other = type(self)(self.image, self.board.name, **self._options)
        try:
            other.restore(self.snapshot())
        except BaseException:
            other.close()
            raise
        return other

    # ---- construction ------------------------------------------------------------------

    def _find_initial_sp(self) -> int:
        """The stack pointer the firmware starts with: Cortex-M loads it from the vector table
        at reset; RISC-V start-up code sets it from the linker script's stack symbol."""
        sp = self.reg("sp")
        if sp:
            return sp
        for name in ("_estack", "__stack_top", "_stack_top", "__StackTop", "__stack"):
            if name in self.symbols:
                return self.symbols[name].address
        return 0

    def heap_info(self) -> tuple[int, int, int, int]:
        """What semihosting HEAPINFO returns: (heap base, heap limit, stack base, stack limit).

        Heap base: the first of the symbols __heap_start, __heap_base, __end__, _end, end,
        __bss_end, _ebss that the image defines, rounded up to 8 (else the start of the RAM
        holding the stack). Stack base: the initial stack pointer (Cortex-M: vector table word
        0; RISC-V: _estack / __stack_top / ...), else the end of that RAM. Stack limit:
        __stack_limit / __StackLimit / _sstack if defined, else the stack base less 64 KiB or
        half the room between heap and stack, whichever is less. Heap limit: __heap_end /
        __HeapLimit / __heap_limit if defined, else the stack limit."""
        def sym(*names):
            return next((self.symbols[n].address for n in names if n in self.symbols), None)
        stack_base = self.initial_sp
        ram = self.board.region_of(stack_base - 1) if stack_base else None
        base = sym("__heap_start", "__heap_base", "__end__", "_end", "end", "__bss_end", "_ebss")
        if base is None:
            base = ram.base if ram else 0
        base = (base + 7) & ~7
        if not stack_base:
            r = self.board.region_of(base)
            stack_base = r.base + r.size if r else base
        limit = sym("__stack_limit", "__StackLimit", "_sstack")
        if limit is None:
            room = max(0, stack_base - base)
            limit = (stack_base - min(64 * 1024, room // 2)) & ~7
        heap_limit = sym("__heap_end", "__HeapLimit", "__heap_limit")
        return base, limit if heap_limit is None else heap_limit, stack_base, limit

    def _setup_semihosting(self, root, args):
        if root is not None:
            root = Path(root)
            r = lib.core_semihost_root(self._core, str(root).encode())
            if r:
                import os
                raise ConfigError(f"semihost_root {root}: {os.strerror(-r)}; give an existing "
                                  "directory the firmware may use")
        if args is None:
            line = str(self.image)
        elif isinstance(args, str):
            line = args
        else:
            line = " ".join(str(a) for a in args)
        if "\0" in line or lib.core_semihost_cmdline(self._core, line.encode()):
            raise ConfigError("semihost_args: a command line without NUL characters")
        lib.core_semihost_heapinfo(self._core, *(v & 0xFFFFFFFF for v in self.heap_info()))

    def semihost_input(self, data):
        """Appends `data` (bytes or str) to the semihosting console input, which the firmware
        reads through READ of a `:tt` handle opened for reading and READC (a UART's receiver
        is console_input's)."""
        if isinstance(data, str):
            data = data.encode("latin-1")
        if lib.core_semihost_input(self._core, bytes(data), len(data)):
            raise MemoryError("cannot grow the console input")

    @classmethod
    def load(cls, image, board="mps2-an385", **kw) -> "Machine":
        return cls(image, board, **kw)

    @classmethod
    def demo(cls, board="mps2-an385", **kw) -> "Machine":
        """The bundled demo firmware for `board`, built on first use."""
        from .demo import demo_image, expect_demo_mistakes
        m = cls(demo_image(board), board, **kw)
        expect_demo_mistakes(m)
        return m

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
            irq = self.adapter.named_lines.get(irq, irq) if isinstance(irq, str) else irq
            if not isinstance(irq, int) or not all(isinstance(v, int) and v >= 0
                                                   for v in opts.values()):
                raise ConfigError(f"{where}: irq and the options must be integers >= 0 "
                                  f"(got {d})")
            # irq (a line number, or a named line such as "nmi") and the options naming more
            # interrupt outputs (tx_irq) must be lines of the controller
            lines = [("irq", irq)] if "irq" in d else []
            lines += [(k, v) for k, v in opts.items() if k.endswith("_irq")]
            for key, line in lines:
                if not (self.adapter.first_line <= line < self.num_lines
                        or line in self.adapter.named_lines.values()):
                    raise ConfigError(f"{where}: {key} {line} is no line of the board's "
                                      f"interrupt controller (lines {self.adapter.first_line}.."
                                      f"{self.num_lines - 1}"
                                      + "".join(f", {n!r}" for n in self.adapter.named_lines)
                                      + ")")
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
        check_int("mem_read: addr", addr, 0, U32_MAX)
        check_int("mem_read: size", size, 0, U32_MAX + 1 - addr)
        try:
            return bytes(self.uc.mem_read(addr, size))
        except unicorn.UcError:
            raise ConfigError(f"cannot read {size} bytes at {addr:#x}: not mapped on "
                              f"{self.board.name}") from None

    def mem_write(self, addr: int, data: bytes):
        check_int("mem_write: addr", addr, 0, U32_MAX)
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise ArgumentError(f"mem_write: data must be bytes (got {type(data).__name__})")
        check_int("mem_write: len(data)", len(data), 0, U32_MAX + 1 - addr)
        try:
            self.uc.mem_write(addr, bytes(data))
        except unicorn.UcError:
            raise ConfigError(f"cannot write {len(data)} bytes at {addr:#x}: not mapped on "
                              f"{self.board.name}") from None
        if data:
            # Unicorn 2.1.4's uc_mem_write leaves code translated from these bytes in place:
            # drop it, so code written here after it ran runs as written (a guest store
            # invalidates by itself); only where code ran (sim/native/tlb.c says why)
            lib.core_code_written(self._core, addr, len(data))
            if self.arch == "armv7m":    # FP code written there: NOCP watches it too
                lib.armv7m_fp_scan(self._core, addr, len(data), 0)

    def reg(self, name: str) -> int:
        return self.uc.reg_read(self._reg_id(name))

    def set_reg(self, name: str, value: int):
        reg = self._reg_id(name)
        self.uc.reg_write(reg, check_int(f"set_reg({name!r}): value", value, 0, U32_MAX))

    def _reg_id(self, name):
        if not isinstance(name, str) or not name.isidentifier():
            raise ArgumentError(f"a register name must be a string such as 'pc' (got {name!r})")
        return self.adapter.reg_id(name)

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

    def _check_line(self, line, what="IRQ"):
        """The core's number of `line`: an int in range, or a name the adapter knows."""
        lo = self.adapter.first_line
        named = self.adapter.named_lines.get(line) if isinstance(line, str) else None
        if named is not None:
            return named
        names = "".join(f", or {n!r}" for n in self.adapter.named_lines)
        if not is_int(line):
            raise ArgumentError(f"{what} {line!r} is not a line: give an integer "
                                f"{lo}..{self.num_lines - 1}{names}")
        if not lo <= line < self.num_lines:
            raise ArgumentError(f"{what} {line} is out of range for board {self.board.name}: "
                                f"lines are {lo}..{self.num_lines - 1}{names}")
        return line

    def _line(self, line, kind, at):
        line = self._check_line(line)
        tick = self.ticks if at is None else check_int("at (a tick)", at, 0, U64_MAX - 1)
        if lib.core_schedule(self._core, tick, line, LINE_KINDS[kind]):
            raise ConfigError(f"cannot schedule more than {lib.CORE_SCHED_MAX} line events "
                              "ahead: run the machine past some of them first")

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
        try:
            ticks, lines, kinds = list(ticks), list(lines), list(kinds)
        except TypeError:
            raise ArgumentError("schedule: ticks, lines and kinds must be sequences") from None
        n = len(ticks)
        if not (len(lines) == len(kinds) == n):
            raise ArgumentError("schedule: ticks, lines and kinds must have the same length")
        for t in ticks:
            check_int("schedule: a tick", t, 0, U64_MAX - 1)
        lines = [self._check_line(x, "schedule: line") for x in lines]
        codes = {**LINE_KINDS, **{v: v for v in LINE_KINDS.values()}}
        for x in kinds:
            if isinstance(x, bool) or not isinstance(x, (str, int)) or x not in codes:
                raise ArgumentError(f"schedule: kind {x!r} is not one of "
                                    f"{', '.join(LINE_KINDS)}")
        if lib.CORE_SCHED_MAX < n:
            raise ConfigError(f"schedule: {n} events; at most {lib.CORE_SCHED_MAX} wait at once")
        t = ffi.new("uint64_t[]", ticks or [0])
        ln = ffi.new("uint32_t[]", lines or [0])
        k = ffi.new("uint32_t[]", [codes[x] for x in kinds] or [0])
        if lib.core_schedule_many(self._core, t, ln, k, n):
            raise ConfigError(f"cannot schedule more than {lib.CORE_SCHED_MAX} line events "
                              "ahead: run the machine past some of them first")

    # ---- running -----------------------------------------------------------------------

    def run(self, ticks: int | None = None, until=None, *, timeout: float | None = None,
            on_chunk=None, stop_on=()) -> Stop:
        """Runs for at most `ticks` ticks (None: no bound), until PC reaches `until` (symbol or
        address), until the firmware exits, waits for an interrupt that can never come (idle)
        or spins in a loop nothing can leave (stuck), or until `timeout` seconds of host time
        have passed. The run goes in chunks of CHUNK_TICKS: between them the console and the
        trace are drained and `on_chunk(machine)` is called (to stream the console); chunks
        change neither the trace nor the timing.

        `stop_on`: trace record kinds ("entry", "preempt", "tail-chain", ...; sim.codes
        EVENT_KINDS) that end the run (reason "event") as soon as one is recorded, once the
        model has finished that step: after an exception entry the frame is stacked and PC is
        the handler's first instruction, not yet run. The records of that step end `events`.

        A lockup, a runaway handler, a full console
        or an emulator failure raises FirmwareError (a lockup stays one: every later run raises
        it again); SIGINT/SIGTERM raise Interrupted."""
        core = self._core
        if self._lockup is not None:     # a lockup stays a lockup
            raise self._lockup
        until_addr = 0
        if until is not None:
            if not (is_int(until) or isinstance(until, str)):
                raise ArgumentError(f"until must be a symbol name or an address (got {until!r})")
            until_addr = check_int("until (an address)", self.symbols.address(until), 0,
                                   U32_MAX) & ~1
        if ticks is not None:
            check_int("ticks", ticks, 1, U64_MAX - self.ticks)
        if timeout is not None and (isinstance(timeout, bool) or
                                    not isinstance(timeout, (int, float)) or
                                    not 0 < timeout < float("inf")):
            raise ArgumentError(f"timeout must be a positive number of seconds (got {timeout!r})")
        end = None if ticks is None else self.ticks + ticks
        deadline = None if timeout is None else time.monotonic() + float(timeout)
        check_int("runaway_limit", self.runaway_limit, 0, U64_MAX)
        lib.core_set_runaway(core, self.runaway_limit)
        if isinstance(stop_on, str):
            stop_on = (stop_on,)
        mask = 0
        for kind in stop_on:
            if kind not in EVENT_CODES:
                raise ArgumentError(f"stop_on: {kind!r} is no trace record kind; use one of "
                                    f"{', '.join(EVENT_CODES)}")
            mask |= 1 << EVENT_CODES[kind]
        lib.core_set_stop_on(core, mask)
        try:
            while True:
                left = (1 << 63) if end is None else max(0, end - self.ticks)
                r = lib.core_run(core, min(left, CHUNK_TICKS), until_addr)
                self._drain()
                if on_chunk is not None:
                    on_chunk(self)
                # the trace drained or a chunk done: go on, unless the budget or time is up
                if r not in (STOP_TRACE_FULL, STOP_TICKS) or (
                        r == STOP_TICKS and end is not None and self.ticks >= end):
                    break
                if deadline is not None and time.monotonic() >= deadline:
                    return self._stop("timeout", timeout=timeout)
        finally:
            lib.core_set_stop_on(core, 0)
        return self._finish(r, ticks=ticks, until=until)

    def _finish(self, r, *, ticks=None, until=None) -> Stop:
        """The Stop for core_run's result r, or the exception it stands for."""
        core = self._core
        reason = STOP_REASONS.get(r, "error")
        if reason == "exit":
            self.exit_code = lib.core_exit_code(core)
        if reason == "signal":
            sig = lib.core_signal_taken()
            name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else sig
            raise Interrupted(f"{self.image.name}: stopped by {name} at tick {self.ticks}, "
                              f"{self.where(self.pc)}", signum=sig, tick=self.ticks,
                              pc=self.pc)
        if reason in ("lockup", "runaway", "error", "console-full"):
            err = self._firmware_error(reason)
            if reason == "lockup":
                self._lockup = err
            raise err
        return self._stop(reason, ticks=ticks, until=until)

    def _stop(self, reason, *, ticks=None, until=None, timeout=None) -> Stop:
        """The Stop for `reason`, its one-line detail and what the architecture adds."""
        pc = self.pc
        at = f"at tick {self.ticks:,}, {self.where(pc)}"
        loop = fault = None
        if reason == "exit":
            detail = f"the firmware exited with status {self.exit_code} {at}"
        elif reason == "ticks":
            detail = f"tick limit: {ticks:,} ticks ran out {at}"
        elif reason == "timeout":
            detail = f"time limit: {timeout:g} s of host time ran out {at}"
        elif reason == "until":
            detail = f"reached {until if isinstance(until, str) else self.where(pc)} {at}"
        elif reason == "event":
            detail = f"a trace record of a stop_on kind was made {at}"
        elif reason in ("break", "step", "halt"):
            detail = {"break": "breakpoint", "step": "stepped", "halt": "halted"}[reason] + \
                f" {at}"
        elif reason == "watch":
            addr, kind = self.watch_hit
            detail = f"watchpoint: {kind} of {self.where(addr, 'address')} {at}"
        elif reason == "reset":
            detail = f"the firmware asked for a machine reset (test finisher) {at}"
        else:
            if reason == "stuck":
                start, end = ffi.new("uint64_t *"), ffi.new("uint64_t *")
                lib.core_loop_info(self._core, start, end)
                loop = (start[0], end[0])
            why, fault = self.adapter.stuck_detail(self)
            if fault is not None:
                detail = (f"fault loop: the {fault['handler']} handler spins {at}, after "
                          f"{fault['text']}")
            elif reason == "stuck":
                detail = (f"stuck {at}: the loop at {loop[0]:#010x}..{loop[1]:#010x} branches "
                          f"to itself and nothing can ever interrupt it ({why})")
            else:
                detail = (f"idle {at}: waiting for an interrupt (WFI) that can never come "
                          f"({why})")
        self.last_stop = Stop(reason, self.ticks, pc, self.exit_code, detail,
                              self.function_at(pc), loop, fault)
        return self.last_stop

    # ---- debugging: set_breakpoint, set_watchpoint, watch_hit, step, halt (sim/native/
    # debugging.py); the GDB server (sim/gdb; docs/testing.md "Debugging in GDB") --------------

    def serve_gdb(self, port: int = 1234, host: str = "127.0.0.1", on_listen=None) -> str:
        """Serves this machine to one GDB (sim.gdb) on host:port, halted where it is, and
        returns how the session ended: "detach", "kill" or "closed"."""
        from .gdb import serve
        return serve(self, port, host, on_listen)

    def fault_info(self) -> tuple[int, int, int]:
        """The last fault taken (or the lockup): its PC, the address it is about, its cause
        (a sim.codes.FAULT_CAUSES key; 0 for none)."""
        pc = ffi.new("uint64_t *")
        addr = ffi.new("uint64_t *")
        cause = ffi.new("uint32_t *")
        lib.core_fault_info(self._core, pc, addr, cause)
        return pc[0], addr[0], cause[0]

    def _firmware_error(self, reason) -> FirmwareError:
        pc, addr, cause = (ffi.new("uint64_t *", v) for v in self.fault_info())
        last = list(self._recent)
        where = self.where(pc[0])
        recent = "; ".join(str(e) for e in last[-4:]) or (
            "none" if self._trace_on else "not kept (the trace is off)")
        if reason == "console-full":
            where = self.where(self.pc)
            msg = (f"{self.image.name}: the console output reached its limit of "
                   f"{self.console_limit} bytes (console_limit) at tick {self.ticks}, {where}: a "
                   "write flood? Give Machine(..., console_limit=N) to keep more")
            return FirmwareError(msg, pc=self.pc, events=last, reason=reason)
        if reason == "runaway":
            msg = (f"{self.image.name}: runaway handler: the core stayed in handler mode for more "
                   f"than {self.runaway_limit} ticks, now at {where}; last events: {recent}. "
                   "Raise runaway_limit if the handler is meant to run that long")
        elif reason == "lockup":
            msg = (f"{self.image.name}: lockup at {where}: {self._cause(cause[0], addr[0])}"
                   f", {self.where(addr[0], 'address')}; last events: {recent}. Check the handler "
                   "at that "
                   "PC and the stack pointer")
        else:
            msg = (f"{self.image.name}: the emulator stopped at {where} "
                   f"({FAULT_CAUSES.get(cause[0], 'unknown')}); last events: {recent}")
        if reason == "lockup":
            msg += self.adapter.fault_detail(self)
        return FirmwareError(msg, pc=pc[0], address=addr[0], events=last, reason=reason)

    def _cause(self, cause: int, addr: int) -> str:
        """The fault cause in words; a fetch from mapped memory without execute permission
        says so (the core reports it as a bus fault on fetch, as for unmapped memory)."""
        r = self.board.region_of(addr)
        if cause == lib.FAULT_BUS_FETCH and r is not None and "x" not in r.perms:
            return (f"instruction fetch from memory {r.name}, which is mapped without execute "
                    f"permission (perms = {r.perms!r})")
        return FAULT_CAUSES.get(cause, "fault")

    def function_at(self, addr) -> str | None:
        """The function holding `addr`, as "name+0xoffset", or None (no function symbol)."""
        hit = self.symbols.containing(addr)
        return None if hit is None else f"{hit[0]}+{hit[1]:#x}"

    def where(self, addr, what: str = "pc") -> str:
        """`addr` for a message: "pc 0x000001a4 (main+0x10)", the function left out where the
        image has none there. Every address in a stop report or error goes through it."""
        fn = self.function_at(addr)
        return f"{what} {addr:#010x}" + (f" ({fn})" if fn else "")

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
            self._recent.extend(trace_mod.decode(raw[-16 * self._recent.maxlen:], self.arch))
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
            last = next((e for e in reversed(self._recent) if e.kind == "guest-error"), None)
            where = (f", the last at {self.where(last.arg, 'address')} (tick {last.tick})"
                     if last else "")
            note = ffi.new("char[]", 256)
            n = lib.core_guest_note_take(self._core, note, 256)
            if n:
                self.guest_note = ffi.buffer(note, n)[:].decode("latin-1")
                where += f": {self.guest_note}"
            if self.strict:
                raise FirmwareError(f"{self.image.name}: {new} guest error(s): accesses the "
                                    f"model rejects{where}", address=last.arg if last else None)
            guest_log.warning("%s: %d guest error(s) (accesses the model rejects)%s",
                              self.image.name, new, where)
        for note in self.adapter.guest_notes(self):
            if note not in self.notes:
                self.notes.append(note)
                guest_log.warning("%s", note)

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

    def console_input(self, data: bytes | str):
        """Sends `data` to the firmware's console: the receiver of the board's first device
        that takes console input (virt: the NS16550A UART; mps2-an385: UART0, the CMSDK UART
        that is the console), which delivers it at its line rate
        as the run goes on (a str is sent as latin-1). ConfigError when the board has no such
        device, or its input queue cannot take all of it (run the firmware so it reads)."""
        raw = data.encode("latin-1") if isinstance(data, str) else bytes(data)
        n = lib.core_console_input(self._core, raw, len(raw))
        if n < 0:
            raise ConfigError(f"board {self.board.name} has no device that takes console input "
                              "(a UART with a receive path, such as kind = \"ns16550a\")")
        if n < len(raw):
            raise ConfigError(f"console input: the receiver's queue took {n} of {len(raw)} "
                              "bytes; run the firmware so that it reads some, then send the rest")

    @property
    def console(self) -> str:
        self._drain()
        return self._console.decode("latin-1")

    def console_since(self, offset: int) -> str:
        """The console output from byte `offset` on (to stream it: offset = what was shown)."""
        self._drain()
        return self._console[offset:].decode("latin-1")

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
        before a run pauses to drain them (into `events`, or the trace sink): 1..
        TRACE_CAPACITY_MAX."""
        check_int("trace_capacity", capacity, 1, TRACE_CAPACITY_MAX)
        if lib.core_set_trace(self._core, 1 if enabled else 0, capacity):
            raise MemoryError(f"cannot allocate a trace buffer of {capacity} records")
        self._trace_on = bool(enabled)

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
        if kind not in SOURCE_KINDS or trigger not in ("pulse", "level"):
            raise ArgumentError(f"add_source: kind must be one of {', '.join(SOURCE_KINDS)} and "
                                f"trigger pulse or level (got {kind!r}, {trigger!r})")
        try:
            lines, ticks = list(lines), list(ticks)
            weights = None if weights is None else list(weights)
        except TypeError:
            raise ArgumentError("add_source: lines, weights and ticks must be sequences") from None
        if not 1 <= len(lines) <= lib.STORM_MAX_TARGETS:
            raise ArgumentError(f"add_source: {len(lines)} lines; a source has 1.."
                                f"{lib.STORM_MAX_TARGETS}")
        lines = [self._check_line(x, "add_source: line") for x in lines]
        for name, v in (("hold", hold), ("start", start), ("stop", stop), ("period", period),
                        ("phase", phase), ("jitter", jitter), ("spacing", spacing), ("gap", gap),
                        ("seed", seed)):
            check_int(f"add_source: {name}", v, 0, U64_MAX)
        check_int("add_source: count", count, 0, U32_MAX)
        check_number("add_source: rate_hz", rate_hz)
        for t in ticks:
            check_int("add_source: a replay tick", t, 0, U64_MAX)
        if weights is not None:
            if len(weights) != len(lines):
                raise ArgumentError("add_source: one weight per line")
            for w in weights:
                check_number("add_source: a weight", w)
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
        total = float(sum(w)) or 1.0
        r = lib.core_add_source(self._core, spec, ffi.new("uint32_t[]", list(lines)),
                                ffi.new("uint64_t[]", [max(0, round(x / total * (1 << 32)))
                                                       for x in w]),
                                ffi.new("uint64_t[]", list(ticks) or [0]))
        if r:
            raise ConfigError("add_source: " + _SOURCE_ERRORS.get(r, f"refused (code {r})"))

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

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
latency_histogram, thread_ticks (sim/native/storms.py).
"""

from __future__ import annotations

import collections
import logging
import time
import weakref
from pathlib import Path

import unicorn

from . import arch as arch_mod
from . import trace as trace_mod
from .checks import U32_MAX, U64_MAX, check_int, is_int
from .codes import EVENT_KINDS, STOP_TICKS, STOP_TRACE_FULL
from .boards import Board, get_board
from .elf import load_elf
from .errors import ArgumentError, ClosedError, ConfigError, FirmwareError, SnapshotError
from .native import ffi, lib
from .testkit import TestKit
from .snapshot import Snapshot, image_digest
from .symbols import Symbol, Symbols  # noqa: F401  (Symbol: part of this module's API)
from .native.debugging import Debugging
from .native.detectors import Detectors
from .native.lines import Lines
# Stop, LineAccount, ThreadTicks, latency_bucket_low: part of this module's API (sim/native/)
from .native.stops import Stop, Stops
from .native.storms import LineAccount, Storms, ThreadTicks, latency_bucket_low  # noqa: F401

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


class Machine(TestKit, Debugging, Detectors, Lines, Stops, Storms):
    """One board, one image, one native core. The helpers tests read naturally
    (run_until_console, expect_handled, latencies, assert_no_lost_requests) are TestKit's;
    the debugging API the GDB server uses (breakpoints, watchpoints, steps, halt, serve_gdb) is
    Debugging's (sim/native/debugging.py); the mistake detectors (set-up, mistakes,
    expect_mistake) are Detectors' (sim/native/detectors.py; docs/mistakes.md). Requests on
    the lines (raise_irq, pulse_irq, schedule, line_masked) are Lines' (sim/native/lines.py);
    how a run ends (the Stop and its detail, FirmwareError, where) is Stops'
    (sim/native/stops.py); the storm API (sources, accounting, ack_register) is Storms'
    (sim/native/storms.py)."""

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
        # Machine.regs' names, for this board's core (Cortex-M: with its FP registers)
        self.reg_names: tuple[str, ...] = self.adapter.reg_names(self.board)
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
        top = (1 << self.adapter.reg_bits(name)) - 1      # d0-d15: 64 bits
        self.uc.reg_write(reg, check_int(f"set_reg({name!r}): value", value, 0, top))

    def _reg_id(self, name):
        if not isinstance(name, str) or not name.isidentifier():
            raise ArgumentError(f"a register name must be a string such as 'pc' (got {name!r})")
        return self.adapter.reg_id(name)

    @property
    def regs(self) -> dict[str, int]:
        """Every register of the core by name (reg_names), as reg() reads them."""
        return {n: self.reg(n) for n in self.reg_names}

    @property
    def pc(self) -> int:
        return self.reg("pc")

    @property
    def ticks(self) -> int:
        return lib.core_ticks(self._core)

    # ---- running (how a run ends: the Stop, FirmwareError: sim/native/stops.py) -----------

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

    # ---- the trace and the console ------------------------------------------------------

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

    def set_trace(self, enabled: bool, capacity: int = 1 << 16):
        """Turns the event trace on or off; `capacity` is how many records the core holds
        before a run pauses to drain them (into `events`, or the trace sink): 1..
        TRACE_CAPACITY_MAX."""
        check_int("trace_capacity", capacity, 1, TRACE_CAPACITY_MAX)
        if lib.core_set_trace(self._core, 1 if enabled else 0, capacity):
            raise MemoryError(f"cannot allocate a trace buffer of {capacity} records")
        self._trace_on = bool(enabled)

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

    # ---- calling firmware functions ----------------------------------------------------------

    def call(self, function, *args, max_ticks: int = 10_000_000) -> int:
        """Calls a firmware function with up to four integer arguments; returns its result.

        The registers are saved and restored around the call; interrupts that are due are
        taken during it as on hardware."""
        if len(args) > 4:
            raise ConfigError("call: at most four arguments (passed in registers)")
        addr = self.symbols.address(function)
        a = self.adapter
        saved = self.regs
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

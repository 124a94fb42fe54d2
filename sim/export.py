"""Exporters of an irqsim trace: JSON Lines, VCD (GTKWave) and Chrome trace-event JSON (Perfetto).

Each exporter reads an iterable of `sim.trace.Event` (tick, kind, num, arg) once, in order, and
writes as it reads: a file of tens of millions of records (`sim.trace.read_events(path)`) goes
through in bounded memory. Each writes to a temporary file beside the destination and renames it
into place only when the whole stream has been written; if anything raises (the event iterator
included), the temporary file is removed and the destination is left as it was.

Numbering, defined once here (see sim/native/core.h for what each record kind records):

Cortex-M (arch "armv7m", ARMv7-M ARM B1.5.2): `num` is the exception number; external IRQ n is
exception 16+n. System exceptions keep their numbers: 2 NMI, 3 HardFault, 4 MemManage,
5 BusFault, 6 UsageFault, 11 SVCall, 12 DebugMonitor, 14 PendSV, 15 SysTick.
    request, lower                      num = line n (0xFFFF: the NMI input)
    pend, coalesce, entry, preempt,
    tail-chain, return, exec-priority,
    fault                               num = exception number
    dispatch, table                     num = handler-table index
RISC-V (arch "rv32", privileged spec 3.1.15 for mcause, PLIC spec 1.0.0; sim/native/rv32.c):
    request, lower                      num = PLIC source id (1..num_lines-1), or 0xFFFE
                                        for the CLINT's msip driven from Python
    claim, complete                     num = PLIC source id
    pend, coalesce                      num = PLIC source id, or 0x8000 | code for the
                                        hart-local MSIP (code 3) and MTIP (code 7)
    entry, preempt, return              num = interrupt code (3 MSI, 7 MTI, 11 MEI), or
                                        256 + exception code for a synchronous trap
    exec-priority                       arg = 0 outside a trap, else 1 + the entry's num

VCD signals (`write_vcd`), one flat scope `irqsim`:
    line<n>       the input: raise -> 1, lower -> 0, pulse -> 1 for one tick, then back
    pending<n>    armv7m: exception 16+n pending (pend -> 1; taken -> 0);
                  rv32: source n pending at the PLIC (pend -> 1; claimed -> 0)
    active<n>     armv7m: exception 16+n active (taken -> 1; returned, or left by a tail-chain
                  -> 0); rv32: source n claimed and not yet completed
    exc<k>_<name>_pending, exc<k>_<name>_active   armv7m system exceptions, e.g. exc15_systick_*;
                  exc2_nmi_line is the NMI input
    cause<k>_<name>_active   rv32 traps by interrupt code: cause3_msi, cause7_mti, cause11_mei;
    cause3_msi_pending, cause7_mti_pending   from their pend until the trap is taken;
    cause3_msi_line   the msip input when Python drives it (request num 0xFFFE)
    exec_priority armv7m: execution priority from the active exceptions (arg - 256; 256 means
                  thread mode with nothing active, -1 HardFault, -2 NMI); rv32: the arg as
                  recorded. A 16-bit two's complement integer: show it as signed decimal.
    depth         exceptions (traps) in progress: entry/preempt +1, return -1, tail-chain 0
Numbers outside the configured lines (and other exceptions) get no signal, though they count
in `depth`. The trace is taken to start at reset (lines low, nothing pending or active), as the
machine traces from boot. A state that lasts zero ticks (pended and taken at one tick) does not
show: a VCD holds one value per signal per timestamp. Software that clears a pending interrupt
(NVIC ICPR, PENDSTCLR; mtimecmp or msip writes) leaves no trace record, so `pending` stays high
until that exception is next taken.

Time in the VCD: one tick is 1/clock_hz seconds. The timescale is the coarsest of 1, 10, 100
{s, ms, us, ns, ps, fs} that divides the tick period exactly (25 MHz: 40 ns per tick, timescale
10 ns, 4 units per tick); when none does, it is 1 fs and times are rounded down to the
femtosecond. The header comment states the rule used. Some records carry the tick an event
happened rather than the tick the core noticed it (a line request; a RISC-V timer pend), so
they arrive after records of later ticks; the VCD writer puts them back in tick order through a
window of REORDER_TICKS (see in_tick_order). One older than that (a request scheduled for a
tick long past) shows at the latest time already written: VCD time never goes back.

Perfetto (`write_perfetto`): the JSON object form of the Chrome trace-event format, with the
`traceEvents` array written one event at a time. Process "irqsim <arch>"; track "cpu" holds a
"thread mode" span across the trace with the handler spans ("B"/"E") nested on it, so a
preempting handler nests inside the one it preempted; a tail-chain ends one span and begins the
next at the same time; spans still open at the end close at the last tick. Instants ("i") on
"cpu": unhandled dispatches (dispatch arg 0), faults, guest errors, exit, handler-table
changes, PLIC claims and completes; on "irq lines": requests (with line and kind) and
coalesces, at their own ticks. Counters: "depth" and "exec priority". Timestamps are
microseconds of simulated time (tick / clock_hz * 1e6), exact to the picosecond. B/E events
are in time order on their track, as the format requires.
"""

from __future__ import annotations

import json
import os
import secrets
from bisect import bisect_left, bisect_right
from contextlib import contextmanager
from fractions import Fraction
from typing import Callable, Iterable

from . import arch as arch_mod
from .codes import ARMV7M_SYSTEM_EXCEPTIONS, LINE_KIND_NAMES, LINE_KINDS, PEND_SOURCES
from .errors import ConfigError

__all__ = ["ARMV7M_SYSTEM_EXCEPTIONS", "REORDER_TICKS", "atomic_output", "exception_name",
           "export_all", "in_tick_order", "vcd_signal_names", "vcd_timescale", "write_jsonl",
           "write_perfetto", "write_vcd"]


# ---- shared ---------------------------------------------------------------------------------

@contextmanager
def atomic_output(path, mode: str = "w"):
    """Opens a temporary file beside `path` for writing ("w" text, "wb" binary) and renames it
    to `path` when the block ends normally; on any exception (KeyboardInterrupt too) the
    temporary file is removed and `path` is left untouched. The file gets the mode a plain
    `open` would give it (0666 less the umask)."""
    assert mode in ("w", "wb")
    dest = os.path.abspath(os.fspath(path))
    folder, name = os.path.split(dest)
    tmp = os.path.join(folder, f".{name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as e:
        raise ConfigError(f"cannot write {path}: {e.strerror} (does the folder {folder} exist "
                          "and is it writable?)") from None
    try:
        if mode == "wb":
            f = os.fdopen(fd, "wb")
        else:
            f = os.fdopen(fd, "w", encoding="utf-8", newline="\n")
        with f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, dest)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _check(arch, num_lines=None, clock_hz=None) -> arch_mod.Arch:
    """The adapter of `arch`, once the arguments are checked."""
    adapter = arch_mod.get(arch)
    if num_lines is not None and (not isinstance(num_lines, int) or num_lines < 1
                                  or num_lines > 0xFFFF):
        raise ConfigError(f"num_lines must be an integer in 1..65535, not {num_lines!r}")
    if clock_hz is not None:
        _check_clock(clock_hz)
    return adapter


def _check_clock(clock_hz):
    if not isinstance(clock_hz, int) or isinstance(clock_hz, bool) or clock_hz <= 0:
        raise ConfigError(f"clock_hz must be a positive integer (ticks per simulated second), "
                          f"not {clock_hz!r}; a board's is in its file (clock_hz)")


def exception_name(arch: str, num: int) -> str:
    """Display name of what an entry/preempt/return record's `num` means: armv7m "IRQ5" for
    exception 21, "SysTick" for 15; rv32 "MEI" for code 11 (or a local pend's 0x8000 | 11),
    "illegal instruction" for 256 + 2."""
    return arch_mod.get(arch).exception_name(num)


REORDER_TICKS = 4096


def in_tick_order(events: Iterable, window: int = REORDER_TICKS):
    """The events sorted by tick, in bounded memory: each is held until the stream has moved
    `window` ticks past it (records of one tick keep their order).

    The core records some events at the tick they happened rather than the tick they were
    noticed: a line request at the tick it was made, though the core samples it at the next
    block boundary (or after an exception entry's stacking cycles); a RISC-V timer pend at
    the tick mtime reached mtimecmp. Such a record comes after records of later ticks, by at
    most one translation block (Unicorn caps a block at 512 instructions) plus an exception
    entry, well inside the default window. A record later than the window (a request
    scheduled for a tick long past) comes out as soon as it is read: the consumer sees its tick
    go back."""
    buf: list = []
    top = None                      # the highest tick read so far
    for e in events:
        t = e[0]
        if top is None or t >= top:
            top = t
            buf.append(e)
            if buf[0][0] < top - 2 * window:
                cut = bisect_left(buf, top - window, key=_tick)
                yield from buf[:cut]
                del buf[:cut]
        else:
            buf.insert(bisect_right(buf, t, key=_tick), e)
    yield from buf


def _tick(e):
    return e[0]


def vcd_timescale(clock_hz: int) -> tuple[str, int | None]:
    """(timescale, units per tick) for a VCD of a clock_hz run; units per tick is None when no
    1/10/100 unit divides the tick period exactly (then the timescale is "1 fs" and times are
    rounded down to the femtosecond)."""
    _check_clock(clock_hz)
    period = Fraction(1, clock_hz)
    for exp, unit in ((0, "s"), (-3, "ms"), (-6, "us"), (-9, "ns"), (-12, "ps"), (-15, "fs")):
        for mag in (100, 10, 1):
            per = period / (mag * Fraction(10) ** exp)
            if per.denominator == 1:
                return f"{mag} {unit}", int(per)
    return "1 fs", None


def vcd_signal_names(arch: str, num_lines: int) -> list[str]:
    """The VCD variables write_vcd declares, in declaration order."""
    return [name for name, _, _, _ in _check(arch, num_lines).vcd_vars(num_lines)]


# ---- JSON Lines -----------------------------------------------------------------------------

def write_jsonl(events: Iterable, path) -> int:
    """One JSON object per event and line: {"tick", "kind", "num", "arg"}. Returns the count."""
    kinds: dict[str, str] = {}
    n = 0
    with atomic_output(path) as f:
        batch = []
        for tick, kind, num, arg in events:
            k = kinds.get(kind)
            if k is None:
                k = kinds[kind] = json.dumps(kind)
            batch.append(f'{{"tick":{int(tick)},"kind":{k},"num":{int(num)},"arg":{int(arg)}}}\n')
            if len(batch) >= 4096:
                f.writelines(batch)
                n += len(batch)
                batch.clear()
        f.writelines(batch)
        n += len(batch)
    return n


# ---- VCD ------------------------------------------------------------------------------------

class _VcdVar:
    __slots__ = ("ident", "size", "value", "bits")

    def __init__(self, ident, size, value):
        self.ident, self.size, self.value = ident, size, value
        self.bits = (f"0{ident}", f"1{ident}") if size == 1 else None

    def fmt(self, value):
        if self.bits:
            return self.bits[value]
        return f"b{value & ((1 << self.size) - 1):b} {self.ident}"


def _vcd_ident(i):
    """The i-th identifier code: printable ASCII 33..126, base 94 (IEEE 1364-2005 18.2.1)."""
    out = ""
    while True:
        i, r = divmod(i, 94)
        out += chr(33 + r)
        if not i:
            return out
        i -= 1


def write_vcd(events: Iterable, path, *, arch: str, num_lines: int, clock_hz: int) -> int:
    """A value-change dump (IEEE 1364-2005 clause 18) of lines, pending and active state,
    execution priority and nesting depth (signals and time as in the module docstring), for
    GTKWave. Returns the number of events read."""
    adapter = _check(arch, num_lines, clock_hz)
    timescale, per_tick = vcd_timescale(clock_hz)
    if per_tick is None:
        def vtime(tick):
            return tick * 10 ** 15 // clock_hz
        rule = f"time = tick * 10**15 // {clock_hz} fs"
    else:
        def vtime(tick):
            return tick * per_tick
        rule = f"time = tick * {per_tick} (x {timescale})"
    decls = adapter.vcd_vars(num_lines)
    var = {}
    for i, (name, typ, size, init) in enumerate(decls):
        var[name] = _VcdVar(_vcd_ident(i), size, init)

    with atomic_output(path) as f:
        f.write(f"$version irqsim $end\n"
                f"$comment irqsim trace, arch {arch}, clock {clock_hz} Hz: one tick (retired "
                f"instruction) = 1/{clock_hz} s; {rule} $end\n"
                f"$timescale {timescale} $end\n"
                "$scope module irqsim $end\n")
        for (name, typ, size, _), v in zip(decls, var.values()):
            f.write(f"$var {typ} {size} {v.ident} {name} $end\n")
        f.write("$upscope $end\n$enddefinitions $end\n")

        # what each record's num selects (module docstring): line, pending, in-progress vars
        line_of, pend_of, trap_of, taken_clears, claim_of = adapter.vcd_targets(var, num_lines)
        bias = adapter.exec_priority_bias
        raise_, lower, pulse = LINE_KINDS["raise"], LINE_KINDS["lower"], LINE_KINDS["pulse"]

        exec_var, depth_var = var["exec_priority"], var["depth"]
        level: dict = {}         # line variable -> level from raise/lower (pulses return to it)
        falls: dict = {}         # line variables pulsed at tick `cur`, in pulse order (a dict, not
                                 # a set: a set of objects iterates in address order, which made
                                 # the order of a timestamp's changes differ from run to run):
                                 # they fall at cur + 1
        stack: list[int] = []    # exceptions (causes) in progress, innermost last
        changes: dict = {}       # variable -> value at tick `cur`: last one wins
        cur = 0
        out: list[str] = []      # text not yet written
        dumped = False           # the initial values ($dumpvars at #0) are out

        def flush(t):
            nonlocal dumped
            if not dumped:
                dumped = True
                if t == 0:       # the changes at tick 0 are the initial values
                    for v, val in changes.items():
                        v.value = val
                    changes.clear()
                out.append("#0\n$dumpvars\n")
                out.extend(v.fmt(v.value) + "\n" for v in var.values())
                out.append("$end\n")
            lines = [v.fmt(val) for v, val in changes.items() if val != v.value]
            if lines:
                for v, val in changes.items():
                    v.value = val
                out.append(f"#{vtime(t)}\n")
                out.append("\n".join(lines))
                out.append("\n")
                if len(out) > 3000:
                    f.write("".join(out))
                    out.clear()
            changes.clear()

        def leave(e):
            """Exception e stops being in progress (return, or left by a tail-chain)."""
            for i in range(len(stack) - 1, -1, -1):
                if stack[i] == e:
                    del stack[i]
                    break
            v = trap_of.get(e)
            if v is not None and e not in stack:
                changes[v] = 0

        def enter(e):
            stack.append(e)
            v = trap_of.get(e)
            if v is not None:
                changes[v] = 1
            v = taken_clears.get(e)
            if v is not None:
                changes[v] = 0

        n = 0
        for n, (tick, kind, num, arg) in enumerate(in_tick_order(events), 1):
            if tick > cur:
                if changes or not dumped:
                    flush(cur)
                if falls:
                    changes.update({v: level.get(v, 0) for v in falls})
                    falls.clear()
                    if tick > cur + 1:
                        flush(cur + 1)
                    # else: the falls stay in `changes`, and events at cur + 1 override them
                cur = tick
            if kind == "request":
                v = line_of.get(num)
                if v is None:
                    continue
                if arg == raise_:
                    level[v] = 1
                    changes[v] = 1
                elif arg == lower:
                    level[v] = 0
                    changes[v] = 0
                elif arg == pulse:              # high for one tick
                    changes[v] = 1
                    falls[v] = None
            elif kind == "lower":
                v = line_of.get(num)
                if v is not None:
                    level[v] = 0
                    changes[v] = 0
            elif kind == "pend":
                v = pend_of.get(num)
                if v is not None:
                    changes[v] = 1
            elif kind == "unpend":              # the firmware cleared the pending state
                v = pend_of.get(num)
                if v is not None:
                    changes[v] = 0
            elif kind in ("entry", "preempt"):
                enter(num)
                changes[depth_var] = len(stack)
            elif kind == "tail-chain":
                leave(arg)
                enter(num)
                changes[depth_var] = len(stack)
            elif kind == "return":
                leave(num)
                changes[depth_var] = len(stack)
            elif kind == "exec-priority":
                changes[exec_var] = arg - bias
            elif kind == "claim":
                v = claim_of.get(num)           # num 0: nothing to claim (none on Cortex-M)
                if v is not None:
                    changes[pend_of[num]] = 0
                    changes[v] = 1
            elif kind == "complete":
                v = claim_of.get(num)
                if v is not None:
                    changes[v] = 0
        flush(cur)
        end = cur + 1
        if falls:
            changes.update({v: level.get(v, 0) for v in falls})
            flush(cur + 1)
            end = cur + 2
        out.append(f"#{vtime(end)}\n")
        f.write("".join(out))
    return n


# ---- Perfetto / Chrome trace-event JSON -----------------------------------------------------

PID = 1
TID_CPU = 1
TID_LINES = 2


def write_perfetto(events: Iterable, path, *, arch: str, clock_hz: int) -> int:
    """Chrome trace-event JSON for ui.perfetto.dev and chrome://tracing (layout in the module
    docstring), written as the events are read. Returns the number of events read."""
    adapter = _check(arch, clock_hz=clock_hz)
    name_of = adapter.exception_name
    bias = adapter.exec_priority_bias
    dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode

    def us(tick):
        # whole picoseconds, then one correctly rounded division: repr gives the exact
        # decimal (40 ns -> 0.04) wherever a double can hold it
        return (tick * 10 ** 12 // clock_hz) / 10 ** 6

    # Each output event is head + repr(ts) + tail; tails repeat, so they are built once.
    cpu_b = f'{{"ph":"B","pid":{PID},"tid":{TID_CPU},"ts":'
    cpu_e = f'{{"ph":"E","pid":{PID},"tid":{TID_CPU},"ts":'
    cpu_i = f'{{"ph":"i","s":"t","pid":{PID},"tid":{TID_CPU},"ts":'
    lines_i = f'{{"ph":"i","s":"t","pid":{PID},"tid":{TID_LINES},"ts":'
    counter = f'{{"ph":"C","pid":{PID},"ts":'
    tails: dict = {}

    def tail(key, make):
        t = tails.get(key)
        if t is None:
            if len(tails) > 65536:
                tails.clear()
            name, args = make()
            t = f',"name":{dumps(name)}' + (f',"args":{dumps(args)}}}' if args else "}")
            tails[key] = t
        return t

    def span_args(kind, e, other):
        args = adapter.span_args(e)
        args["how"] = kind
        if kind == "preempt":
            args["preempted"] = name_of(other)
        elif kind == "tail-chain":
            args["after"] = name_of(other)
        return name_of(e), args

    def request_tail(num, arg):
        how = LINE_KIND_NAMES.get(arg, str(arg))
        return f"{how} {adapter.line_name(num)}", {"line": adapter.line_arg(num), "kind": how}

    def coalesce_tail(num, arg):
        what, args = adapter.coalesced(num)
        args["why"] = PEND_SOURCES.get(arg, arg)
        return f"coalesced {what}", args

    with atomic_output(path) as f:
        other = {"arch": arch, "clock_hz": clock_hz, "generator": "irqsim",
                 "time": "ts is microseconds of simulated time: tick / clock_hz * 1e6"}
        f.write('{"displayTimeUnit":"ns","otherData":' + dumps(other) + ',"traceEvents":[\n')
        meta = [
            {"ph": "M", "pid": PID, "name": "process_name", "args": {"name": f"irqsim {arch}"}},
            {"ph": "M", "pid": PID, "tid": TID_CPU, "name": "thread_name", "args": {"name": "cpu"}},
            {"ph": "M", "pid": PID, "tid": TID_LINES, "name": "thread_name",
             "args": {"name": "irq lines"}},
            {"ph": "M", "pid": PID, "tid": TID_CPU, "name": "thread_sort_index",
             "args": {"sort_index": 0}},
            {"ph": "M", "pid": PID, "tid": TID_LINES, "name": "thread_sort_index",
             "args": {"sort_index": 1}},
        ]
        f.write(",\n".join(dumps(m) for m in meta))
        out: list[str] = []         # events not yet written

        def emit(text):
            out.append(text)
            if len(out) >= 4096:
                f.write(",\n")
                f.write(",\n".join(out))
                out.clear()

        def instant(name, ts, args):
            emit(f"{cpu_i}{ts!r},\"name\":{dumps(name)},\"args\":{dumps(args)}}}")

        stack: list[int] = []       # open handler spans, innermost last
        last = None                 # latest tick on the cpu track (kept monotonic)
        depth = 0

        def close_until(e, ts):
            """Ends the spans above and including e, innermost first (none if e is not open)."""
            if e not in stack:
                return
            while stack:
                top = stack.pop()
                emit(f"{cpu_e}{ts!r}" + tail(("E", top), lambda: (name_of(top), None)))
                if top == e:
                    break

        n = 0
        for n, (tick, kind, num, arg) in enumerate(events, 1):
            if kind == "request":
                emit(f"{lines_i}{us(tick)!r}" + tail(("request", num, arg),
                                                     lambda: request_tail(num, arg)))
                continue
            if kind == "coalesce":
                emit(f"{lines_i}{us(tick)!r}" + tail(("coalesce", num, arg),
                                                     lambda: coalesce_tail(num, arg)))
                continue
            if last is None:
                last = tick
                emit(f"{cpu_b}{us(tick)!r}" + tail("thread", lambda: ("thread mode", None)))
            elif tick < last:
                tick = last
            last = tick
            ts = us(tick)
            if kind in ("entry", "preempt", "tail-chain"):
                if kind == "entry" and stack:            # entered from thread mode: all closed
                    close_until(stack[0], ts)
                elif kind == "tail-chain":
                    close_until(arg, ts)
                stack.append(num)
                other_exc = arg if kind != "entry" else 0
                emit(f"{cpu_b}{ts!r}" + tail((kind, num, other_exc),
                                             lambda: span_args(kind, num, other_exc)))
            elif kind == "return":
                close_until(num, ts)
            elif kind == "exec-priority":
                emit(f'{counter}{ts!r},"name":"exec priority",'
                     f'"args":{{"exec priority":{arg - bias}}}}}')
            elif kind == "dispatch":
                if arg == 0:
                    emit(f"{cpu_i}{ts!r}" + tail(("unhandled", num), lambda: (
                        f"unhandled index {num}", {"index": num})))
            elif kind == "fault":
                instant(f"fault {adapter.fault_name(num)}", ts, {"fault": num, "address": f"{arg:#010x}"})
            elif kind == "guest-error":
                instant("guest error", ts, {"address": f"{arg:#010x}"})
            elif kind == "exit":
                instant(f"exit {arg}", ts, {"code": arg})
            elif kind == "table":
                instant(f"{'register' if arg else 'unregister'} {num}", ts, {"index": num})
            elif kind in ("claim", "complete"):
                emit(f"{cpu_i}{ts!r}" + tail((kind, num, arg), lambda: (
                    f"{kind} source {num}", {"source": num, "context": arg})))
            if len(stack) != depth:
                depth = len(stack)
                emit(f'{counter}{ts!r},"name":"depth","args":{{"depth":{depth}}}}}')
        if last is not None:
            ts = us(last)
            if stack:
                close_until(stack[0], ts)
            if depth:
                emit(f'{counter}{ts!r},"name":"depth","args":{{"depth":0}}}}')
            emit(f'{cpu_e}{ts!r},"name":"thread mode"}}')
        if out:
            f.write(",\n")
            f.write(",\n".join(out))
        f.write("\n]}\n")
    return n


# ---- all at once ----------------------------------------------------------------------------

def export_all(events_factory: Callable[[], Iterable], arch: str, num_lines: int, clock_hz: int,
               jsonl=None, vcd=None, perfetto=None) -> dict:
    """Writes each requested export (a path, or None to skip), reading a fresh event iterator
    from `events_factory()` for each. Returns {"jsonl"|"vcd"|"perfetto": path} of what it wrote.
    Each file is atomic by itself: if one export fails, those written before it stay."""
    _check(arch, num_lines, clock_hz)
    done = {}
    if jsonl is not None:
        write_jsonl(events_factory(), jsonl)
        done["jsonl"] = jsonl
    if vcd is not None:
        write_vcd(events_factory(), vcd, arch=arch, num_lines=num_lines, clock_hz=clock_hz)
        done["vcd"] = vcd
    if perfetto is not None:
        write_perfetto(events_factory(), perfetto, arch=arch, clock_hz=clock_hz)
        done["perfetto"] = perfetto
    return done

"""Exporters of an irqsim trace: JSON Lines, VCD (GTKWave) and Chrome trace-event JSON (Perfetto).

Each exporter reads an iterable of `sim.trace.Event` (tick, kind, num, arg) once, in order, and
writes as it reads: a file of tens of millions of records (`sim.trace.read_events(path)`) goes
through in bounded memory. Each writes to a temporary file beside the destination and renames it
into place only when the whole stream has been written; if anything raises (the event iterator
included), the temporary file is removed and the destination is left as it was.
One module per format (jsonl.py, vcd.py, perfetto.py); atomic.py is that writer, common.py
what the formats share, signals.py the VCD's signals as value changes (which the trace viewer,
sim/view, draws too). export_all writes several from one trace.

Numbering, told once here (the numbers are in sim/codes.py, the names in sim/arch/; see
sim/native/core.h for what each record kind records):

Cortex-M (arch "armv7m", ARMv7-M ARM B1.5.2): `num` is the exception number; external IRQ n is
exception 16+n. System exceptions keep their numbers: 2 NMI, 3 HardFault, 4 MemManage,
5 BusFault, 6 UsageFault, 11 SVCall, 12 DebugMonitor, 14 PendSV, 15 SysTick.
    request, lower                      num = line n (0xFFFF: the NMI input)
    pend, coalesce, entry, preempt,
    tail-chain, return, exec-priority,
    fault                               num = exception number
    dispatch, table                     num = handler-table index
RISC-V (arch "rv32", privileged spec 3.1.15 for mcause, PLIC spec 1.0.0; sim/native/rv32/, dev/plic.c):
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

from typing import Callable, Iterable

from ..codes import ARMV7M_SYSTEM_EXCEPTIONS
from .atomic import atomic_output, check_writable, output_kind
from .common import REORDER_TICKS, check, exception_name, in_tick_order
from .jsonl import write_jsonl
from .perfetto import write_perfetto
from .vcd import vcd_signal_names, vcd_timescale, write_vcd

__all__ = ["ARMV7M_SYSTEM_EXCEPTIONS", "REORDER_TICKS", "atomic_output", "check_writable",
           "exception_name", "output_kind",
           "export_all", "in_tick_order", "vcd_signal_names", "vcd_timescale", "write_jsonl",
           "write_perfetto", "write_vcd"]


def export_all(events_factory: Callable[[], Iterable], arch: str, num_lines: int, clock_hz: int,
               jsonl=None, vcd=None, perfetto=None) -> dict:
    """Writes each requested export (a path, or None to skip), reading a fresh event iterator
    from `events_factory()` for each. Returns {"jsonl"|"vcd"|"perfetto": path} of what it wrote.
    Each file is atomic by itself: if one export fails, those written before it stay."""
    check(arch, num_lines, clock_hz)
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

"""Every number that crosses between the native core (sim/native) and Python, defined once.

Every code that api.h (what cffi sees) defines is taken from `lib`, tables of names from the
enum members' own names. The few tables that name numbers no code computes with (the
architectures' exception numbers and mcause codes) mirror the C sources, named at each table;
tests/native/test_numbering.py reads the C sources and fails when a table here no longer
matches them. What the numbers mean in a trace is told in sim/trace.py and sim/export.
"""

from __future__ import annotations

from .native import lib


def _enum(prefix: str, *, skip=(), below=None) -> dict[int, str]:
    """{value: name} of the `lib` constants NAME_* of one api.h enum: the name after the prefix,
    lower case, '_' as '-' (STOP_TRACE_FULL -> "trace-full")."""
    out = {}
    for name in dir(lib):
        if name.startswith(prefix) and name[len(prefix):] not in skip:
            value = getattr(lib, name)
            if below is None or value < below:
                out[value] = name[len(prefix):].lower().replace("_", "-")
    return dict(sorted(out.items()))


# ---- the core (api.h) ------------------------------------------------------------------------

# Why core_run returned: enum core_stop.
STOP_REASONS = _enum("STOP_", skip=("NONE",))
STOP_TRACE_FULL = lib.STOP_TRACE_FULL   # the trace needs draining; core_run goes on when called
STOP_TICKS = lib.STOP_TICKS             # the budget ran out (Machine.run goes on to its own)

# Trace record kinds: enum core_event, the recorded ones (the others the accounting only sees).
EVENT_KINDS = _enum("EV_", skip=("RECORDED_END",), below=lib.EV_RECORDED_END)

# Line events (core_schedule, a request record's arg): enum line_kind.
LINE_KIND_NAMES = _enum("LINE_", skip=("NMI", "MSIP"))
LINE_KINDS = {v: k for k, v in LINE_KIND_NAMES.items()}

# Lines that are no controller input number.
LINE_NMI = lib.LINE_NMI         # Cortex-M: the NMI input
LINE_MSIP = lib.LINE_MSIP       # RISC-V: the CLINT's msip bit of hart 0

# Why an interrupt became pending (a pend or coalesce record's arg): enum pend_source.
PEND_SOURCES = _enum("PEND_")

# What core_fault_info reports: FAULT_* in api.h.
FAULT_CAUSES = {
    lib.FAULT_BUS_DATA: "data access to unmapped or protected memory",
    lib.FAULT_BUS_FETCH: "instruction fetch from unmapped memory",
    lib.FAULT_UNDEF: "undefined instruction",
    lib.FAULT_STACKING: "exception frame stacked to or unstacked from unmapped memory",
    lib.FAULT_BAD_VECTOR: "vector table entry unreadable or not a Thumb address (bit 0 clear)",
    lib.FAULT_EXC_RETURN: "illegal exception return (EXC_RETURN)",
    lib.FAULT_BKPT: "breakpoint with no debugger attached",
    lib.FAULT_SVC_PRIORITY: "SVC executed where SVCall cannot preempt",
    lib.FAULT_EMULATOR: "emulator error",
    lib.FAULT_NO_TRAP_VECTOR: "trap with no usable trap vector (mtvec)",
    lib.FAULT_TRAP_LOOP: "trap loop: the trap handler traps again at once",
    lib.FAULT_MISALIGNED: "misaligned access",
    lib.FAULT_INVSTATE: "execution in ARM state (a branch to an even address: EPSR.T = 0)",
    lib.FAULT_STACK_LIMIT: "stack limit violation (below MSPLIM/PSPLIM: STKOF)",
    lib.FAULT_SECURITY: "a change to the Non-secure state (BXNS/BLXNS to a Non-secure address, "
                        "FNC_RETURN): irqsim models the Secure state only",
    lib.FAULT_NOCP: "FP instruction with the FPU disabled (CPACR)",
}

# ---- storms (api.h; sim/native/storm/) ------------------------------------------------------

SOURCE_KINDS = {"once": lib.SRC_ONCE, "periodic": lib.SRC_PERIODIC, "poisson": lib.SRC_POISSON,
                "burst": lib.SRC_BURST, "replay": lib.SRC_REPLAY}
HIST_BUCKETS = lib.HIST_BUCKETS  # latency histogram: exact below 256 ticks, then 64 per octave
NO_TICK = lib.NO_TICK            # a tick field that holds none (struct line_acct)
# core_storm_hist's `which`: storm/acct.c's histograms, entry then return latency
LATENCY_KINDS = {"entry": 0, "return": 1}

# ---- mistake detectors (api.h; sim/native/detect.c, docs/mistakes.md) ----------------------

MISTAKE_KINDS = _enum("MISTAKE_")      # enum mistake_kind: "level-stuck", "basepri-zero", ...
DET_REENTRIES = lib.DET_REENTRIES      # level re-entries in a row that make a level-stuck
DET_STACK_MARGIN = lib.DET_STACK_MARGIN  # bytes above the stack's end at which stack-end fires
DET_MAX_RECORDS = lib.DET_MAX_RECORDS  # records the core keeps
DET_NO_LINE = lib.DET_NO_LINE          # a stack-end record's active handler of no line

# ---- Cortex-M trace numbers (ARMv7-M ARM B1.5.2; EXC_* in sim/native/armv7m/armv7m.h) -------------

ARMV7M_EXC_IRQ0 = lib.ARMV7M_EXC_IRQ0   # external IRQ n is exception 16 + n
ARMV7M_SCS_BASE = lib.ARMV7M_SCS_BASE   # the System Control Space the core maps itself
ARMV7M_SCS_SIZE = lib.ARMV7M_SCS_SIZE
# system exceptions (table B1-4): number -> (display name, VCD stem)
ARMV7M_SYSTEM_EXCEPTIONS = {
    2: ("NMI", "exc2_nmi"),
    3: ("HardFault", "exc3_hardfault"),
    4: ("MemManage", "exc4_memmanage"),
    5: ("BusFault", "exc5_busfault"),
    6: ("UsageFault", "exc6_usagefault"),
    11: ("SVCall", "exc11_svcall"),
    12: ("DebugMonitor", "exc12_debugmon"),
    14: ("PendSV", "exc14_pendsv"),
    15: ("SysTick", "exc15_systick"),
}
# fault status bits (B3.2.15 CFSR: MMFSR 7:0, BFSR 15:8, UFSR 31:16; B3.2.16 HFSR), for stop
# reports; CFSR_* and HFSR_* in sim/native/armv7m/armv7m.h are the ones the model sets
ARMV7M_CFSR_BITS = {0: "IACCVIOL", 1: "DACCVIOL", 3: "MUNSTKERR", 4: "MSTKERR", 5: "MLSPERR",
                    7: "MMARVALID", 8: "IBUSERR", 9: "PRECISERR", 10: "IMPRECISERR",
                    11: "UNSTKERR", 12: "STKERR", 13: "LSPERR", 15: "BFARVALID",
                    16: "UNDEFINSTR", 17: "INVSTATE", 18: "INVPC", 19: "NOCP", 20: "STKOF",
                    24: "UNALIGNED", 25: "DIVBYZERO"}
ARMV7M_HFSR_BITS = {1: "VECTTBL", 30: "FORCED", 31: "DEBUGEVT"}
ARMV7M_EXEC_PRIORITY_BIAS = 256  # an exec-priority record's arg is the priority + 256 (EV_EXEC_PRIORITY)
# the register of a priority write that lost low bits (struct prio_note, armv7m_prio_note)
ARMV7M_PRIO_NOTE_REGS = {lib.PRIO_NOTE_IPR: "NVIC_IPR", lib.PRIO_NOTE_SHPR: "SHPR",
                         lib.PRIO_NOTE_BASEPRI: "BASEPRI"}

# ---- RISC-V trace numbers (privileged spec 3.1.15; sim/native/rv32/) ------------------------

RV32_MCAUSE_INTERRUPT = 1 << 31  # MCAUSE_INTERRUPT: mcause's interrupt bit
RV32_NUM_EXCEPTION = lib.RV32_NUM_EXCEPTION  # entry/preempt/return num: 256 + exception code
RV32_NUM_LOCAL = lib.RV32_NUM_LOCAL  # pend/coalesce num 0x8000 | code of MSIP and MTIP
# mcause interrupt codes (table 3.6)
RV32_INTERRUPT_NAMES = {1: "supervisor software", 3: "machine software", 5: "supervisor timer",
                        7: "machine timer", 9: "supervisor external", 11: "machine external"}
# the machine-level ones the model raises (IRQ_MSI, IRQ_MTI, IRQ_MEI): code -> (name, VCD stem)
RV32_MACHINE_INTERRUPTS = {3: ("MSI", "cause3_msi"), 7: ("MTI", "cause7_mti"),
                           11: ("MEI", "cause11_mei")}
# mcause exception codes (table 3.6; EXC_* in rv32/hart.c)
RV32_EXCEPTION_NAMES = {0: "instruction address misaligned", 1: "instruction access fault",
                        2: "illegal instruction", 3: "breakpoint", 4: "load address misaligned",
                        5: "load access fault", 6: "store/AMO address misaligned",
                        7: "store/AMO access fault", 8: "environment call from U-mode",
                        9: "environment call from S-mode", 11: "environment call from M-mode"}

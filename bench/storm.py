"""irqsim's speed, measured side by side with its baselines in one run.

    python bench/storm.py            # full run, writes bench/results/storm.json
    python bench/storm.py --quick    # fewer, shorter repetitions
    python bench/storm.py --reps 7   # the README's tables

Measures, on the bundled demo images, alternating the configurations in each repetition and
reporting medians:
  1. bare Unicorn running the demo's thread loop with no hooks (the ceiling): started from a
     snapshot of irqsim's machine taken in that loop, so both run the very same code;
  2. irqsim with the interrupt controller attached and no requests;
  3. irqsim storms, one request every 100, 1,000 and 10,000 ticks: requests and handled
     interrupts per second of host time, and the thread's share of the simulated time;
  4. QEMU on the same handlers (SysTick / CLINT timer under -icount shift=0) when installed;
  5. RISC-V: the ceiling once requests come faster than the handler runs: the interrupt path
     back to back on a bare Unicorn with the fast store path (as irqsim has it), no hooks and a
     free trap entry, for the storm's path and for QEMU's benchmark path (handler_ceiling);
  5a. RISC-V: the engine's ceiling at 1/100 (engine_ceiling): the same path with mret kept,
     the trap taken as irqsim takes it and the PLIC page real MMIO, nothing else of irqsim;
  5b. bare Unicorn with the fast store path and no hooks (bare_fast_mips), the new ceiling
     of plain code, and with one empty C block hook (bare_fast_empty_hook_mips), what Unicorn
     costs for calling a block hook at all; a call-heavy loop
     (bench/fw/call_loop.c) on irqsim and on QEMU;
  6. resident memory of a storm with its trace streamed to disk, at two request counts.
Ratios are against the baselines measured in the same run, as the median of the ratios of
runs made side by side (the machine's speed drifts between repetitions). The thread-loop rows
(1, 2, 5b's bare rows) take each sample in a process of its own (see `fresh`).
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import unicorn  # noqa: E402
from unicorn import riscv_const  # noqa: E402

import sim  # noqa: E402
from sim import storm, toolchain  # noqa: E402
from sim.boards import get_board  # noqa: E402
from sim.arch import (  # noqa: E402
    attach_empty_block_hook,
    attach_fast_stores,
    attach_trap_path,
    for_board,
    trap_path_rounds,
)
from sim.storm import Scenario, Source  # noqa: E402

SPACINGS = (100, 1_000, 10_000)
BOARDS = {"mps2-an385": 0, "virt": 1,       # board -> the line the storms use; on the FP
          "mps2-an386": 5, "mps2-an500": 5}  # boards line 5, whose handler uses the FPU


def booted(board):
    """The demo machine, in its endless thread loop, trace off."""
    m = sim.Machine.demo(board)
    m.symbols["demo_loops"].write("<I", 0)
    m.set_trace(False, 1 << 10)
    m.run(ticks=300_000)
    return m


def insns_per_loop(m):
    """Instructions per iteration of the thread loop of booted machine m (it runs on)."""
    l0, t0 = m.symbols["thread_progress"].read(), m.ticks
    m.run(ticks=2_000_000)
    return (m.ticks - t0) / (m.symbols["thread_progress"].read() - l0)


def machine_state(m):
    """Machine m's memory, general registers and PC, as bare_engine takes them (picklable)."""
    a = m.adapter
    return {"memory": [(r.base, m.mem_read(r.base, r.size)) for r in m.board.memory],
            "regs": {n: m.reg(n) for n in a.general_regs}, "pc": m.pc | a.code_bit}


def bare_engine(board, state):
    """A hook-free Unicorn engine of `board` (a name or Board) holding `state` (machine_state),
    and its PC."""
    if isinstance(board, str):
        board = get_board(board)
    a = for_board(board)
    uc = a.new_engine(board)
    for base, data in state["memory"]:
        uc.mem_map(base, len(data))
        uc.mem_write(base, data)
    for n, v in state["regs"].items():
        uc.reg_write(a.reg_id(n), v)
    return uc, state["pc"]


def run_for(uc, begin, seconds, count=0):
    """uc.emu_start(begin) for `seconds` of host time (or `count` instructions), stopped once
    by a timer thread. Not emu_start's own `timeout`: Unicorn 2.1.4 implements it with a
    thread that wakes every 2 us (usleep(TIMEOUT_STEP) in uc.c) for the whole run, and that
    thread took 30-40% off the engine it timed on this 2-CPU machine, some hours and not
    others (bare_mips 210 against 337 in one process, minutes apart): a baseline
    slowed that way inflated every ratio measured against it."""
    stop = threading.Timer(seconds, uc.emu_stop) if seconds else None
    if stop:
        stop.start()
    try:
        uc.emu_start(begin, 0xFFFFFFFE, count=count)
    finally:
        if stop:
            stop.cancel()
            stop.join()


# ---- fresh processes ------------------------------------------------------------------------
# The thread-loop rows (bare, fast, empty hooks, attached) are each measured in a process of its
# own, its first engine: where code and data land in memory moves the loop by up to 15% from one
# engine to the next (ASLR, and the heap after earlier engines; docs/architecture.md "Speed"),
# so a sample per process is a sample of that spread, and the first engine is what `irqsim run`
# and `irqsim storm` get. The bare engines start from a file of the booted machine's memory and
# registers, so no irqsim machine is made in their process before them.

LOOP_CHILD = r"""
import json, sys
sys.path.insert(0, {root!r}); sys.path.insert(0, {root!r} + "/bench")
import storm as b
print(json.dumps(b.loop_sample({kind!r}, {board!r}, {arg!r}, {state!r})))
"""


def loop_state(board, path):
    """Writes the booted machine's memory and registers to `path` for bare engines made in
    other processes; returns its instructions per loop iteration."""
    m = booted(board)
    state = {**machine_state(m), "counter": m.symbols["thread_progress"].address}
    with open(path, "wb") as f:
        pickle.dump(state, f)
    return insns_per_loop(m)


def loop_sample(kind, board, arg, state_path):
    """One sample of a thread-loop row in this process: `attached` (arg: ticks), or a bare
    engine (`bare`, `fast`, `hook`, `fast_hook`; arg: (seconds, insns per loop)) made from the
    file loop_state wrote."""
    if kind == "attached":
        return measure_attached(board, arg)
    with open(state_path, "rb") as f:
        st = pickle.load(f)
    uc, pc = bare_engine(board, st)
    if kind in ("fast", "fast_hook"):
        attach_fast_stores(uc)
    if kind in ("hook", "fast_hook"):
        attach_empty_block_hook(uc)
    seconds, ipl = arg
    counter = st["counter"]
    l0 = int.from_bytes(uc.mem_read(counter, 4), "little")
    t = time.perf_counter()
    run_for(uc, pc, seconds)
    dt = time.perf_counter() - t
    return (int.from_bytes(uc.mem_read(counter, 4), "little") - l0) * ipl / dt / 1e6


def fresh(kind, board, arg, state_path=""):
    """loop_sample in a new process."""
    code = LOOP_CHILD.format(root=str(ROOT), kind=kind, board=board, arg=arg, state=state_path)
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True, timeout=300).stdout
    return json.loads(out.strip().splitlines()[-1])


MRET = 0x30200073


def _jal_x0(offset):
    """The RISC-V instruction `jal x0, offset`."""
    o = offset & 0x1FFFFF
    return (((o >> 20) & 1) << 31 | ((o >> 1) & 0x3FF) << 21 | ((o >> 11) & 1) << 20 |
            ((o >> 12) & 0xFF) << 12 | 0x6F)


def handler_ceiling(m, cause, counter, seconds=0.0, ram_pages=(), words=None, count=0):
    """The most interrupts per second any simulator built on Unicorn 2.1.4 could handle with
    machine m's interrupt path for `cause` (RISC-V), once requests come faster than that path
    runs: the path (vector, register save, handler, restore) back to back on a bare Unicorn with
    no hooks at all and the trap entry costing nothing. mret is replaced by a jump to the vector
    (mret also ends a translation block; a jump chains, so this is faster still), and the
    devices the handler touches are plain RAM (`ram_pages`, with `words` written there first:
    faster than any device model). Counted by the firmware's own counter `counter`. Started
    from m's registers wherever it is (each round pushes and pops one frame). Runs for
    `seconds`, or `count` instructions; returns (rounds, seconds taken)."""
    uc, _ = bare_engine(m.board, machine_state(m))
    attach_fast_stores(uc)
    for page in ram_pages:
        uc.mem_map(page, 0x1000)
    for addr, value in (words or {}).items():
        uc.mem_write(addr, value.to_bytes(4, "little"))
    mtvec = m.csr("mtvec")
    vector = (mtvec & ~3) + (4 * cause if mtvec & 3 == 1 else 0)
    mret = m.symbols["trap_exit"].address
    while int.from_bytes(uc.mem_read(mret, 4), "little") != MRET:
        mret += 2
    uc.mem_write(mret, _jal_x0(vector - mret).to_bytes(4, "little"))
    uc.reg_write(riscv_const.UC_RISCV_REG_MSTATUS, 3 << 11)          # MPP = M, MIE = 0
    uc.reg_write(riscv_const.UC_RISCV_REG_MTVEC, mtvec)
    uc.reg_write(riscv_const.UC_RISCV_REG_MCAUSE, 0x80000000 | cause)
    uc.reg_write(riscv_const.UC_RISCV_REG_MEPC, vector)
    n0 = int.from_bytes(uc.mem_read(counter, 4), "little")
    t = time.perf_counter()
    run_for(uc, vector, seconds, count)
    dt = time.perf_counter() - t
    return int.from_bytes(uc.mem_read(counter, 4), "little") - n0, dt


def storm_machine():
    """The virt storm's machine at 1/100, booted under the storm: (machine, its line, the
    PLIC's claim/complete register of context 0, the demo's acknowledge address or 0)."""
    line = BOARDS["virt"]
    sc = Scenario(board="virt", ticks=1, seed=1, sources=[Source("periodic", [line], period=100)])
    m = storm.prepare_machine(sc, trace=False)
    m.run(ticks=300_000)
    plic = next(d["base"] for d in m.board.devices if d["kind"] == "plic")
    return m, line, plic + 0x200004, m.symbols["demo_ack_addr"].read()


def storm_ceiling(seconds=0.0, count=0):
    """handler_ceiling for irqsim's storm: the demo's machine-external path (PLIC claim,
    dispatch, complete), the claim register holding the storm's source."""
    m, line, claim, ack = storm_machine()
    pages = [claim & ~0xFFF]
    if ack:
        pages.append(ack & ~0xFFF)
    return handler_ceiling(m, 11, m.symbols["handled_count"].address + 4 * line, seconds,
                           pages, {claim: line}, count)


def engine_ceiling(rounds=100_000, count=0):
    """The storm's interrupt path as any simulator on Unicorn 2.1.4 must run it, and nothing of
    irqsim's model: the demo's machine-external path back to back on a bare engine with the
    fast store path, mret kept, the trap taken as irqsim takes it (a C block hook writes the
    trap CSRs through one saved context and redirects PC), the PLIC's claim/complete page real
    MMIO that reads the storm's source (its TLB refills included). Runs `rounds` interrupts
    (or `count` instructions); returns (rounds run, seconds taken)."""
    m, line, claim, ack = storm_machine()
    uc, _ = bare_engine(m.board, machine_state(m))
    attach_fast_stores(uc)
    if ack:
        uc.mem_map(ack & ~0xFFF, 0x1000)
    mtvec = m.csr("mtvec")
    cause = 11
    vector = (mtvec & ~3) + (4 * cause if mtvec & 3 == 1 else 0)
    uc.reg_write(riscv_const.UC_RISCV_REG_MTVEC, mtvec)
    attach_trap_path(uc, vector, 0x80000000 | cause, claim & ~0xFFF, line, 0 if count else rounds)
    t = time.perf_counter()
    uc.emu_start(vector, 0xFFFFFFFE, count=count)
    dt = time.perf_counter() - t
    return trap_path_rounds(), dt


def qemu_ceiling(seconds=0.0, count=0):
    """handler_ceiling for QEMU's benchmark image: its machine-timer path (mtimecmp moved on,
    dispatch), the very instructions QEMU runs in the comparison."""
    img, _ = qemu_image("virt", 100, 1 << 30)
    m = sim.Machine.load(img, "virt")
    m.set_trace(False, 1 << 10)
    m.run(ticks=300_000)
    clint = next(d["base"] for d in m.board.devices if d["kind"] == "clint")
    return handler_ceiling(m, 7, m.symbols["timer_irqs"].address, seconds,
                           [clint + 0x4000, clint + 0xB000], count=count)


def measure_storm_ceiling(seconds):
    n, dt = storm_ceiling(seconds)
    return n / dt


def measure_qemu_ceiling(seconds):
    n, dt = qemu_ceiling(seconds)
    return n / dt


def measure_engine_ceiling(rounds):
    n, dt = engine_ceiling(rounds)
    return n / dt


def measure_attached(board, ticks):
    m = booted(board)
    t = time.perf_counter()
    m.run(ticks=ticks)
    return ticks / (time.perf_counter() - t) / 1e6


def measure_storm(board, spacing, ticks):
    line = BOARDS[board]
    sc = Scenario(board=board, ticks=ticks, seed=1, sources=[Source("periodic", [line], period=spacing)])
    m = storm.prepare_machine(sc, trace=False)
    m.run(ticks=300_000)          # boot under the storm too
    m.reset_accounting()
    th0 = m.thread_ticks().thread
    t0 = m.ticks
    t = time.perf_counter()
    stop = m.run(ticks=ticks)
    dt = time.perf_counter() - t
    rep = storm.build_report(m, sc, stop, None, m.reg("sp"), None)
    sim_ticks = m.ticks - t0
    return {"requests_per_s": rep.totals["requests"] / dt,
            "handled_per_s": rep.totals["handled"] / dt,
            "mticks_per_s": sim_ticks / dt / 1e6,
            "thread_share": (m.thread_ticks().thread - th0) / sim_ticks}


# ---- QEMU ------------------------------------------------------------------------------------

QEMU = {"mps2-an385": "qemu-system-arm", "virt": "qemu-system-riscv32"}
QEMU_ARGS = {"mps2-an385": ["-M", "mps2-an385"], "virt": ["-M", "virt", "-bios", "none"]}


def qemu_image(board, spacing, irqs):
    fw = toolchain.firmware_dir()
    common = [fw / "common" / n for n in ("semihost.c", "console_common.c", "demo.c")]
    table = toolchain.handlertable_dir() / "handler_table.c"
    if board == "mps2-an385":
        d = fw / "cortex_m"
        # SysTick counts the 25 MHz clock: one count per 40 instructions at -icount shift=0
        rvr = max(1, round(spacing / 40)) - 1
        actual = (rvr + 1) * 40
        img = toolchain.build_image(
            "cortex-m3", f"bench-qemu-systick-{rvr}-{irqs}",
            [d / "startup.c", d / "console.c", ROOT / "bench" / "fw" / "qemu_systick.c", *common, table],
            linker_script=d / "link.ld", include_dirs=[d], defines=[f"BENCH_RVR={rvr}u", f"BENCH_IRQS={irqs}u"])
        return img, actual
    src = ROOT / "bench" / "fw" / "qemu_clint.c"
    if not src.exists():
        return None, None
    d = fw / "riscv"
    # mtime runs at 10 MHz in QEMU virt: one count per 100 instructions at -icount shift=0
    period = max(1, round(spacing / 100))
    img = toolchain.build_image(
        "rv32imac", f"bench-qemu-clint-{period}-{irqs}",
        [d / "start.S", d / "console.c", src, *common, table], linker_script=d / "link.ld",
        include_dirs=[d], defines=[f"BENCH_PERIOD={period}u", f"BENCH_IRQS={irqs}u"])
    return img, period * 100


def measure_qemu(board, spacing, irqs):
    exe = shutil.which(QEMU[board])
    if exe is None:
        return None
    img, actual = qemu_image(board, spacing, irqs)
    if img is None:
        return None
    small, _ = qemu_image(board, spacing, 10)

    def wall(image):
        t = time.perf_counter()
        r = subprocess.run([exe, *QEMU_ARGS[board], "-nographic", "-semihosting", "-monitor",
                            "none", "-serial", "stdio", "-icount", "shift=0", "-kernel", str(image)],
                           capture_output=True, text=True, timeout=180)
        if "irqs" not in r.stdout + r.stderr:
            raise RuntimeError(f"QEMU run of {image} printed no count: {r.stdout}{r.stderr}")
        return time.perf_counter() - t
    dt = wall(img) - wall(small)      # less QEMU's start-up and the boot
    return {"irqs_per_s": (irqs - 10) / dt, "spacing": actual}


# ---- the call loop -----------------------------------------------------------------------------

CALL_FW = {"mps2-an385": ("cortex-m3", "cortex_m", "startup.c"),
           "virt": ("rv32imac", "riscv", "start.S")}


def call_loop_image(board, loops):
    target, folder, start = CALL_FW[board]
    fw = toolchain.firmware_dir()
    d = fw / folder
    return toolchain.build_image(
        target, f"bench-call-loop-{loops}", [d / start, d / "console.c",
                                             ROOT / "bench" / "fw" / "call_loop.c",
                                             fw / "common" / "semihost.c",
                                             fw / "common" / "console_common.c"],
        linker_script=d / "link.ld", include_dirs=[d], defines=[f"CALL_LOOPS={loops}u"])


def call_loop_ticks(board, loops):
    """(ticks the call-loop image takes to exit on irqsim, seconds of host time)."""
    m = sim.Machine.load(call_loop_image(board, loops), board)
    m.set_trace(False, 1 << 10)
    t = time.perf_counter()
    stop = m.run(ticks=1 << 40)
    dt = time.perf_counter() - t
    if stop.reason != "exit" or "calls " not in m.console:
        raise RuntimeError(f"call loop on {board} ended {stop}: {m.console!r}")
    return stop.ticks, dt


def measure_call_loop(board, loops):
    ticks, dt = call_loop_ticks(board, loops)
    return ticks / dt / 1e6


def measure_call_loop_bare(board, loops):
    """The call loop's ceiling on Unicorn: a bare engine with the fast store path and no hooks,
    from the loop's first call to the end (it stops at the first device access, the print)."""
    m = sim.Machine.load(call_loop_image(board, loops), board)
    m.set_trace(False, 1 << 10)
    total = call_loop_ticks(board, loops)[0]
    m.run(until="work")
    uc, pc = bare_engine(m.board, machine_state(m))
    attach_fast_stores(uc)
    t = time.perf_counter()
    try:
        uc.emu_start(pc, 0xFFFFFFFE)
    except unicorn.UcError:
        pass                      # the UART is not mapped on the bare engine: the end
    return (total - m.ticks) / (time.perf_counter() - t) / 1e6


def measure_call_loop_qemu(board, loops):
    """QEMU -icount shift=0 on the call loop: its instructions (as irqsim counts them, the same
    retired instructions) per second, less start-up and boot (a short run subtracted)."""
    exe = shutil.which(QEMU[board])
    if exe is None:
        return None

    def wall(image):
        t = time.perf_counter()
        r = subprocess.run([exe, *QEMU_ARGS[board], "-nographic", "-semihosting", "-monitor",
                            "none", "-serial", "stdio", "-icount", "shift=0", "-kernel",
                            str(image)], capture_output=True, text=True, timeout=300)
        if "calls " not in r.stdout + r.stderr:
            raise RuntimeError(f"QEMU run of {image} printed no result: {r.stdout}{r.stderr}")
        return time.perf_counter() - t
    small = 1000
    insns = call_loop_ticks(board, loops)[0] - call_loop_ticks(board, small)[0]
    dt = wall(call_loop_image(board, loops)) - wall(call_loop_image(board, small))
    return insns / dt / 1e6


# ---- memory ------------------------------------------------------------------------------------

MEM_CHILD = r"""
import resource, sys, tempfile, os
sys.path.insert(0, {root!r})
from sim import storm
from sim.storm import Scenario, Source
from sim.trace import TraceWriter
n = {n}
sc = Scenario(ticks=n * 100, seed=1, sources=[Source("periodic", [0], period=100)])
fd, path = tempfile.mkstemp(suffix=".bin"); os.close(fd)
m = storm.prepare_machine(sc, trace=True)
w = TraceWriter(path); m.set_trace_sink(w)
m.run(ticks=sc.ticks); w.close()
size = os.path.getsize(path); os.unlink(path)
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM")][0].split()[1]
print(hwm, size, w.records)
"""


def measure_memory(n):
    r = subprocess.run([sys.executable, "-c", MEM_CHILD.format(root=str(ROOT), n=n)],
                       capture_output=True, text=True, timeout=3600)
    if r.returncode:
        raise RuntimeError(r.stderr)
    rss_kb, size, records = map(int, r.stdout.split())   # VmHWM: peak resident, this process
    return {"requests": n, "max_rss_mb": rss_kb / 1024, "trace_mb": size / 2**20, "records": records}


# ---- main ------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer and shorter repetitions")
    ap.add_argument("--reps", type=int, default=None)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "storm.json"))
    ap.add_argument("--no-memory", action="store_true", help="skip the 10M-request memory runs")
    ap.add_argument("--boards", default="mps2-an385,virt")
    args = ap.parse_args()
    reps = args.reps or (3 if args.quick else 5)
    ticks = 5_000_000 if args.quick else 20_000_000
    boards = [b for b in args.boards.split(",") if b]
    for b in boards:            # the baselines (call-loop and QEMU images) exist for these only
        if b not in CALL_FW or b not in QEMU:
            ap.error(f"--boards {b}: this bench's baselines exist for "
                     f"{', '.join(sorted(set(CALL_FW) & set(QEMU)))} only")
    if "virt" in boards and not (toolchain.firmware_dir() / "riscv" / "demo_main.c").exists():
        boards.remove("virt")

    results = {"machine": os.uname().machine, "cpus": os.cpu_count(), "reps": reps,
               "ticks_per_run": ticks, "boards": {}}
    state_dir = tempfile.TemporaryDirectory(prefix="irqsim-bench-")
    for board in boards:
        state = os.path.join(state_dir.name, f"{board}.state")
        ipl = loop_state(board, state)
        samples = {"bare": [], "bare_fast": [], "bare_hook": [], "bare_fast_hook": [],
                   "attached": [], "ceiling": [],
                   "call_loop": [], "call_loop_bare": [], "call_loop_qemu": [],
                   **{f"storm_{s}": [] for s in SPACINGS}}
        call_loops = 2_000_000 if args.quick else 10_000_000   # QEMU: start-up is ~0.1 s
        for _ in range(reps):              # alternate configurations within each repetition
            bare = (ticks / 150e6, ipl)
            samples["bare"].append(fresh("bare", board, bare, state))
            samples["bare_fast"].append(fresh("fast", board, bare, state))
            samples["bare_hook"].append(fresh("hook", board, bare, state))
            samples["bare_fast_hook"].append(fresh("fast_hook", board, bare, state))
            samples["attached"].append(fresh("attached", board, ticks))
            for s in SPACINGS:
                samples[f"storm_{s}"].append(measure_storm(board, s, ticks))
            if board == "virt":
                samples["ceiling"].append(measure_storm_ceiling(ticks / 40e6))
            samples["call_loop"].append(measure_call_loop(board, call_loops))
            samples["call_loop_bare"].append(measure_call_loop_bare(board, call_loops))
            q = measure_call_loop_qemu(board, call_loops)
            if q is not None:
                samples["call_loop_qemu"].append(q)
        med = statistics.median

        def paired(a, b):
            """Median of the ratios a[i] / b[i] of runs made side by side: the machine's
            speed drifts between repetitions, and a ratio of two medians would carry it."""
            return med(x / y for x, y in zip(a, b))
        res = {"insns_per_loop": ipl, "bare_mips": med(samples["bare"]),
               "bare_fast_mips": med(samples["bare_fast"]),
               "attached_vs_bare_fast": paired(samples["attached"], samples["bare_fast"]),
               "bare_empty_hook_mips": med(samples["bare_hook"]),
               "empty_hook_vs_bare": paired(samples["bare_hook"], samples["bare"]),
               "bare_fast_empty_hook_mips": med(samples["bare_fast_hook"]),
               "fast_empty_hook_vs_bare": paired(samples["bare_fast_hook"], samples["bare"]),
               "attached_mticks_per_s": med(samples["attached"]),
               "attached_vs_bare": paired(samples["attached"], samples["bare"]), "storms": {},
               "call_loop": {"irqsim_mticks_per_s": med(samples["call_loop"]),
                             "bare_fast_mips": med(samples["call_loop_bare"]),
                             "ceiling_ratio": (paired(samples["call_loop_bare"],
                                                      samples["call_loop_qemu"])
                                               if samples["call_loop_qemu"] else None),
                             "qemu_mips": (med(samples["call_loop_qemu"])
                                           if samples["call_loop_qemu"] else None),
                             "ratio": (paired(samples["call_loop"], samples["call_loop_qemu"])
                                       if samples["call_loop_qemu"] else None)}}
        for s in SPACINGS:
            runs = samples[f"storm_{s}"]
            res["storms"][s] = {k: med(r[k] for r in runs) for k in runs[0]}
        if samples["ceiling"]:
            res["handler_ceiling_irqs_per_s"] = med(samples["ceiling"])
            res["storm_100_vs_ceiling"] = paired([r["handled_per_s"] for r in samples["storm_100"]],
                                                 samples["ceiling"])
        qemu = {}
        for s in SPACINGS:
            q, ours, ceil, engine = [], [], [], []
            for _ in range(reps):          # QEMU and irqsim side by side, pair by pair
                x = measure_qemu(board, s, 200_000 if s <= 1000 else 20_000)
                if x is None:
                    break
                q.append(x)
                ours.append(measure_storm(board, x["spacing"], ticks)["handled_per_s"])
                if board == "virt" and s == SPACINGS[0]:
                    ceil.append(measure_qemu_ceiling(ticks / 40e6))
                    engine.append(measure_engine_ceiling(ticks // 200))
            if not q:
                qemu = None
                break
            rates = [x["irqs_per_s"] for x in q]
            qemu[s] = {"spacing": q[0]["spacing"], "qemu_irqs_per_s": med(rates),
                       "irqsim_irqs_per_s": med(ours), "ratio": paired(ours, rates)}
            if ceil:
                qemu[s]["qemu_path_ceiling_irqs_per_s"] = med(ceil)
                qemu[s]["ceiling_ratio"] = paired(ceil, rates)
            if engine:
                qemu[s]["engine_ceiling_irqs_per_s"] = med(engine)
                qemu[s]["engine_ceiling_ratio"] = paired(engine, rates)
                qemu[s]["irqsim_vs_engine_ceiling"] = paired(ours, engine)
        res["qemu"] = qemu
        results["boards"][board] = res
    if not args.no_memory:
        results["memory"] = [measure_memory(1_000_000), measure_memory(10_000_000)]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1))
    print(format_table(results))
    print(f"\nwrote {out}")


def format_table(r) -> str:
    lines = []
    for board, b in r["boards"].items():
        lines.append(f"## {board} (medians of {r['reps']} runs of {r['ticks_per_run']:,} ticks)")
        lines.append("")
        lines.append("| configuration | speed | ratio |")
        lines.append("|---|---|---|")
        lines.append(f"| bare Unicorn, demo thread loop, no hooks | {b['bare_mips']:.1f} MIPS | 1.00 |")
        lines.append(f"| bare Unicorn with the fast store path, no hooks (the ceiling of plain code) | "
                     f"{b['bare_fast_mips']:.1f} MIPS | {b['bare_fast_mips'] / b['bare_mips']:.2f} |")
        lines.append(f"| bare Unicorn + one empty C block hook (the floor of a block-hook time base) | "
                     f"{b['bare_empty_hook_mips']:.1f} MIPS | {b['empty_hook_vs_bare']:.2f} |")
        lines.append(f"| bare Unicorn with the fast store path + one empty C block hook (what calling "
                     f"a block hook costs) | {b['bare_fast_empty_hook_mips']:.1f} MIPS | "
                     f"{b['fast_empty_hook_vs_bare']:.2f} |")
        lines.append(f"| irqsim, controller attached, no requests | {b['attached_mticks_per_s']:.1f} Mticks/s | "
                     f"{b['attached_vs_bare']:.2f} |")
        for s, v in b["storms"].items():
            lines.append(f"| irqsim, one request every {int(s):,} ticks | {v['handled_per_s'] / 1e3:.0f}k IRQ/s "
                         f"handled, thread {v['thread_share'] * 100:.0f}% | |")
        cl = b["call_loop"]
        lines.append(f"| irqsim, call loop (a call with push/pop per iteration) | "
                     f"{cl['irqsim_mticks_per_s']:.1f} Mticks/s | " +
                     (f"irqsim/QEMU {cl['ratio']:.2f} (QEMU -icount {cl['qemu_mips']:.0f} MIPS) |"
                      if cl["ratio"] else "QEMU not installed |"))
        lines.append(f"| bare Unicorn with fast stores, no hooks, the call loop (its ceiling) | "
                     f"{cl['bare_fast_mips']:.1f} MIPS | " +
                     (f"ceiling/QEMU {cl['ceiling_ratio']:.2f} |" if cl["ceiling_ratio"] else "|"))
        if "handler_ceiling_irqs_per_s" in b:
            lines.append(f"| bare Unicorn with fast stores, the demo's interrupt path back to back, trap entry free "
                         f"(the ceiling once requests outpace the handler) | "
                         f"{b['handler_ceiling_irqs_per_s'] / 1e3:.0f}k IRQ/s | "
                         f"irqsim at 1/100: {b['storm_100_vs_ceiling']:.2f} of it |")
        if b["qemu"]:
            for s, q in b["qemu"].items():
                lines.append(f"| QEMU -icount shift=0, IRQ every {q['spacing']:,} insns | "
                             f"{q['qemu_irqs_per_s'] / 1e3:.0f}k IRQ/s (irqsim {q['irqsim_irqs_per_s'] / 1e3:.0f}k) "
                             f"| irqsim/QEMU {q['ratio']:.2f} |")
                if "ceiling_ratio" in q:
                    lines.append(f"| bare Unicorn with fast stores, QEMU's benchmark interrupt path back to back, trap entry "
                                 f"free | {q['qemu_path_ceiling_irqs_per_s'] / 1e3:.0f}k IRQ/s | "
                                 f"ceiling/QEMU {q['ceiling_ratio']:.2f} |")
                if "engine_ceiling_ratio" in q:
                    lines.append(f"| bare Unicorn with fast stores, the storm's interrupt path back to back, trap entry as "
                                 f"irqsim's, PLIC page real MMIO (the engine's ceiling for any simulator) | "
                                 f"{q['engine_ceiling_irqs_per_s'] / 1e3:.0f}k IRQ/s | "
                                 f"ceiling/QEMU {q['engine_ceiling_ratio']:.2f}, irqsim at "
                                 f"{q['irqsim_vs_engine_ceiling']:.2f} of it |")
        else:
            lines.append("| QEMU | not installed: skipped | |")
        lines.append("")
    for mem in r.get("memory", []):
        lines.append(f"storm of {mem['requests']:,} requests, trace streamed to disk "
                     f"({mem['trace_mb']:.0f} MB, {mem['records']:,} records): "
                     f"max resident {mem['max_rss_mb']:.0f} MB")
    return "\n".join(lines)


if __name__ == "__main__":
    main()

"""The GDB server against a real GDB (Debian's gdb-multiarch) in batch mode: break in a
handler, inject its IRQ from GDB, read the M-profile system registers and the RISC-V trap
CSRs, step, watch a handler's counter, interrupt a running machine, detach; the FP registers
of the M4F and M7 (read, and written back to the machine), and that GDB accepts the target
description of every Cortex-M core."""

import shutil
import struct
import subprocess
import threading

import pytest

import sim
from sim.gdb import GdbServer

GDB = shutil.which("gdb-multiarch")
pytestmark = pytest.mark.skipif(GDB is None, reason="needs gdb-multiarch (apt-get install "
                                "gdb-multiarch; .ci/run installs it)")


def gdb(m, *commands, timeout=120):
    """Runs GDB in batch mode against a server for m; (GDB's output, how the session ended)."""
    server = GdbServer(m, port=0)
    ended = {}
    t = threading.Thread(target=lambda: ended.setdefault("end", server.serve()), daemon=True)
    t.start()
    args = [GDB, "-q", "-batch", "-nx", str(m.image), "-ex", "set pagination off",
            "-ex", f"target remote 127.0.0.1:{server.port}"]
    for cmd in commands:
        args += ["-ex", cmd]
    p = subprocess.run(args, capture_output=True, text=True, timeout=timeout,
                       check=False)
    t.join(30)
    return p.stdout + p.stderr, ended.get("end")


def test_cortex_m_break_inject_system_registers_step_watch_detach():
    m = sim.Machine.demo("mps2-an385")
    out, end = gdb(m, "break demo_handler_5", "monitor irq pulse 5", "continue",
                   "p $basepri", "p/x $msp", "p/x $primask", "info registers control",
                   "stepi", "monitor ticks", "delete",
                   "watch handled_count[5]", "continue", "p handled_count[5]",
                   "monitor nvic", "detach")
    assert "Breakpoint 1, demo_handler_5" in out, out
    assert "$1 = 0" in out                                  # basepri
    assert "$3 = 0x0" in out                                # primask
    assert "Hardware watchpoint 2: handled_count[5]" in out
    assert "Old value = 0" in out and "New value = 1" in out and "$4 = 1" in out
    assert "irq   5" in out and "Inferior 1 (Remote target) detached" in out
    assert end == "detach"
    assert m.run().reason == "exit" and "line 5: handled 1" in m.console
    m.close()


def test_msp_in_a_handler_is_the_stacked_frame():
    m = sim.Machine.demo("mps2-an385")
    out, _ = gdb(m, "monitor break irq 5", "monitor irq pulse 5", "continue",
                 "p/x $msp", "p/x $sp", "p/x $xpsr & 0x1ff", "kill")
    msp = m.reg("msp")
    assert msp < m.initial_sp
    assert f"$1 = {msp:#x}" in out and f"$2 = {msp:#x}" in out, out
    assert "$3 = 0x15" in out                              # IPSR: exception 21 = IRQ 5


def test_riscv_break_in_handler_reads_mcause_steps_and_watches():
    m = sim.Machine.demo("virt")
    out, end = gdb(m, "monitor break irq 10", "continue", "p/x $mcause", "p/x $mstatus",
                   "bt 1", "stepi", "p $pc", "monitor plic",
                   "watch handled_count[10]", "continue", "detach")
    assert "$1 = 0x8000000b" in out, out                     # machine external interrupt
    assert "demo_handler_10" in out
    assert "source  10" in out and "claimed" in out
    assert "New value = 1" in out
    assert end == "detach"
    m.close()


def test_ctrl_c_interrupts_a_running_machine():
    m = sim.Machine.demo("virt")
    m.symbols["demo_loops"].write("<I", 0)                  # runs for ever
    out, _ = gdb(m, "python import threading, os, signal; threading.Timer(1.0, lambda: "
                    "os.kill(os.getpid(), signal.SIGINT)).start()",
                 "continue", "monitor ticks", "kill")
    assert "Program received signal SIGINT" in out, out
    ticks = m.ticks
    assert ticks > 0 and f"{ticks} ticks" in out             # time stood still after the stop
    m.close()


def _double(bits: int) -> str:
    """A double as GDB 13 prints it (%.17g)."""
    return f'{struct.unpack("<d", bits.to_bytes(8, "little"))[0]:.17g}'


def test_m4f_fp_registers_in_an_fp_function_are_the_machines_and_take_writes():
    m = sim.Machine.demo("mps2-an386")
    m.run(until="demo_fp_work")                      # the thread's FP work (demo_main.c)
    for _ in range(5):                               # to after vmul.f32 s0, s0, s2
        m.step()
    regs = m.regs
    d0 = m.reg("d0")                                 # s1:s0 (not in the M4F's regs)
    out, end = gdb(m, "info registers s0", "p $d0", "p/x $fpscr", "p $s2",
                   "set var $s1 = 2.5", "set var $fpscr = 0x80000000", "p $s1", "p $d0",
                   "bt 1", "kill")
    assert "warning" not in out.lower(), out
    assert f"(raw {regs['s0']:#010x})" in out, out  # info registers: the raw bits
    assert f"$1 = {_double(d0)}\n" in out
    assert f"$2 = {regs['fpscr']:#x}\n" in out
    assert "$3 = 0.5\n" in out                       # s2 = 0.5f, the constant of the vmul
    assert "$4 = 2.5\n" in out and "demo_fp_work" in out
    assert m.reg("s1") == 0x40200000                 # 2.5f, written back to the engine
    assert m.reg("s0") == regs["s0"] and m.reg("fpscr") == 0x80000000
    assert f"$5 = {_double(m.reg('d0'))}\n" in out  # d0 = s1:s0
    m.close()


def test_backtrace_from_an_fp_handler_unwinds_the_extended_frame_to_the_thread():
    m = sim.Machine.demo("mps2-an386")
    out, _ = gdb(m, "break demo_fp_work", "continue",            # the thread's call (main)
                 "monitor irq pulse 5", "continue",              # line 5's handler calls it
                 "stepi 3", "bt", "frame 3", "p $s0", "kill")   # after its vldr: preserved
    assert "warning" not in out.lower(), out       # GDB read FPCCR (EXC_RETURN 0xffffffe9)
    assert "IRQ_Handler" in out and "<signal handler called>" in out and "#3  main ()" in out
    fp = m.nvic.fp()
    assert fp["lazy_saves"] == 1 and not fp["fpccr"] & 1          # LSPACT clear: preserved
    thread_s0 = struct.unpack("<f", m.mem_read(fp["fpcar"], 4))[0]
    assert f"$1 = {thread_s0:g}\n" in out                         # the thread's s0, stacked
    m.close()


def test_m7_double_registers():
    m = sim.Machine.demo("mps2-an500")
    m.run(until="demo_fp_work")
    m.set_reg("d7", 0x400921FB54442D18)             # pi
    out, _ = gdb(m, "p $d7", "set var $d6 = -1.25", "p $s13", "info registers fpscr", "kill")
    assert "$1 = 3.1415926535897931\n" in out, out
    assert m.reg("d6") == 0xBFF4000000000000         # -1.25
    assert "$2 = -1.90625\n" in out                  # s13, the high half of d6: 0xbff40000
    assert "fpscr" in out and "warning" not in out.lower()
    m.close()


def test_m0_register_list_has_no_basepri_or_faultmask():
    m = sim.Machine.demo("microbit")
    out, _ = gdb(m, "info registers", "info all-registers", "kill")
    assert "primask" in out and "control" in out and "msp" in out, out
    assert "basepri" not in out and "faultmask" not in out and "fpscr" not in out
    m.close()


@pytest.mark.parametrize("board, fp", [("mps2-an385", False), ("mps2-an386", True),
                                       ("mps2-an500", True), ("mps2-an505", False),
                                       ("microbit", False)])
def test_gdb_accepts_each_cores_target_description(board, fp):
    m = sim.Machine.demo(board)
    out, _ = gdb(m, "maint print remote-registers", "kill")
    assert "warning" not in out.lower() and "error" not in out.lower(), out
    rows = {line.split()[0]: line.split() for line in out.splitlines()
            if line.startswith(" ") and len(line.split()) >= 7}
    assert rows["xpsr"][6] == "16" and rows["msp"][6] == "17"      # remote numbers as ours
    assert ("d15" in rows) == fp and ("fpscr" in rows) == fp
    if fp:
        assert rows["d0"][4] == "8" and rows["d0"][6] == str(17 + 6)   # 8 bytes, after m-system
    m.close()

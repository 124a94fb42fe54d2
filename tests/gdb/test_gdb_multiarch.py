"""The GDB server against a real GDB (Debian's gdb-multiarch) in batch mode: break in a
handler, inject its IRQ from GDB, read the M-profile system registers and the RISC-V trap
CSRs, step, watch a handler's counter, interrupt a running machine, detach."""

import shutil
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

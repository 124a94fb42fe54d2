"""The GDB server at the protocol level, with a small RSP client (no GDB needed): the packets
GDB sends, the stop replies it expects, and that a debugged run gives the undebugged trace."""

import re

import pytest

import sim
from sim.errors import ArgumentError
from sim.gdb import GdbServer
from sim.gdb.target import ARM_CORE, ARM_SYSTEM, ARM_VFP, RV_CSRS

BOARDS = ["mps2-an385", "virt", "microbit", "mps2-an386"]
HANDLER = {"mps2-an385": 0, "virt": 10, "microbit": 0, "mps2-an386": 0}   # a line with a handler
V6M_SYSTEM = ("msp", "psp", "primask", "control")


def test_qsupported_offers_the_target_description_and_no_ack_mode(served):
    c, _, _ = served()
    reply = c.ask("qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=arm")
    assert "qXfer:features:read+" in reply and "QStartNoAckMode+" in reply
    assert c.ask("QStartNoAckMode") == "OK"
    assert c.ask("qAttached") == "1" and c.ask("qC") == "QC1"
    assert c.ask("qfThreadInfo") == "m1" and c.ask("qsThreadInfo") == "l"
    assert c.ask("?").startswith("T05")
    assert c.ask("vMustReplyEmpty") == ""


def _xml(c):
    out, off = "", 0
    while True:
        r = c.ask(f"qXfer:features:read:target.xml:{off:x},200")
        out += r[1:]
        off += len(r) - 1
        if r[0] == "l":
            return out


def _described(c, *wanted) -> list[str]:
    """The register names of the target description, which has each of `wanted`."""
    xml = _xml(c)
    for text in wanted:
        assert text in xml
    return re.findall(r'<reg name="(\w+)"', xml)


def test_arm_target_description_has_the_m_system_registers(served):
    c, m, _ = served("mps2-an385")
    names = _described(c, '<feature name="org.gnu.gdb.arm.m-profile">',
                       '<feature name="org.gnu.gdb.arm.m-system">')
    assert tuple(names) == ARM_CORE + ARM_SYSTEM
    g = c.ask("g")
    assert len(g) == 8 * len(names)
    pc = int.from_bytes(bytes.fromhex(g[8 * 15:8 * 16]), "little")
    assert pc == m.pc == m.symbols["Reset_Handler"].address & ~1
    assert c.reg(names.index("msp")) == m.reg("msp") == m.initial_sp


@pytest.mark.parametrize("board, system, vfp", [
    ("mps2-an386", ARM_SYSTEM, True), ("mps2-an500", ARM_SYSTEM, True),
    ("mps2-an505", ARM_SYSTEM, False), ("microbit", V6M_SYSTEM, False)])
def test_arm_target_description_follows_the_core(served, board, system, vfp):
    c, m, _ = served(board)
    names = _described(c, '<feature name="org.gnu.gdb.arm.m-profile">',
                       '<feature name="org.gnu.gdb.arm.m-system">')
    assert tuple(names) == ARM_CORE + system + (ARM_VFP if vfp else ())
    assert ('<feature name="org.gnu.gdb.arm.vfp">' in _xml(c)) == vfp
    assert "msplim" not in names                # the Machine cannot read MSPLIM/PSPLIM
    assert len(c.ask("g")) == 8 * len(names) + (8 * 16 if vfp else 0)   # d0-d15: 8 bytes


@pytest.mark.parametrize("board", ["mps2-an386", "mps2-an500"])
def test_fp_registers_read_and_write_through_p_and_g(served, board):
    c, m, _ = served(board)
    d0, fpscr = len(ARM_CORE + ARM_SYSTEM), len(ARM_CORE + ARM_SYSTEM) + 16
    m.set_reg("d3", 0x400921FB54442D18)
    assert c.ask(f"p{d0 + 3:x}") == "182d4454fb210940"             # 8 bytes, little-endian
    assert c.ask(f"P{d0 + 1:x}=0000000000000440") == "OK"          # d1 = 2.5
    assert m.reg("d1") == 0x4004000000000000 and m.reg("s3") == 0x40040000
    assert c.ask(f"P{fpscr:x}=00000080") == "OK"                  # FPSCR.N (bit 31)
    assert m.reg("fpscr") == 0x80000000 and c.reg(fpscr) == 0x80000000
    g = c.ask("g")
    off = 8 * d0 + 16 * 5                                         # d5 in the g reply
    g = g[:off] + "0000000000002040" + g[off + 16:]               # d5 = 8.0
    assert c.ask("G" + g) == "OK"
    assert m.reg("d5") == 0x4020000000000000 and m.reg("d1") == 0x4004000000000000
    assert c.ask("g") == g


@pytest.mark.parametrize("board", ["mps2-an386", "mps2-an385"])
def test_the_fp_context_registers_of_the_scb_are_readable_on_fp_cores(served, board):
    c, m, _ = served(board)
    fpccr = c.ask("me000ef34,4")                   # GDB 13 reads it to unwind an FP frame
    if board == "mps2-an385":
        assert fpccr == "E14"                      # no FPU: the SCS stays out of reach
        return
    assert int.from_bytes(bytes.fromhex(fpccr), "little") == m.nvic.fp()["fpccr"]
    assert int.from_bytes(bytes.fromhex(c.ask("me000ef38,4")), "little") == \
        m.nvic.fp()["fpcar"]
    assert c.ask("me000ef34,8") == "E14" and c.ask("me000ed00,4") == "E14"   # words only


def test_rv32_target_description_has_the_trap_csrs(served):
    c, m, _ = served("virt")
    names = _described(c, "<architecture>riscv:rv32</architecture>",
                       '<feature name="org.gnu.gdb.riscv.csr">')
    assert names[0] == "zero" and names[32] == "pc" and tuple(names[33:]) == RV_CSRS
    assert c.reg(32) == m.pc
    assert c.reg(0) == 0
    assert c.ask("P0=ffffffff") == "OK" and c.reg(0) == 0          # x0 stays zero
    assert c.ask("P5=78563412") == "OK" and m.reg("t0") == 0x12345678


def test_memory_read_write_and_binary_write(served):
    c, m, _ = served()
    sym = m.symbols["irq_seq"].address
    assert c.ask(f"M{sym:x},4:01020304") == "OK"
    assert m.mem_read(sym, 4) == b"\x01\x02\x03\x04"
    assert c.ask(f"m{sym:x},4") == "01020304"
    assert c.ask(f"X{sym:x},2:}}\x03}}]") == "OK"     # '}' escapes '#' (0x23) and '}'
    assert m.mem_read(sym, 2) == b"#}"
    assert c.ask("m0,0") == ""
    assert c.ask("mf0000000,4").startswith("E")           # not board memory


@pytest.mark.parametrize("board", BOARDS)
def test_breakpoint_step_and_exact_ticks(served, board):
    c, m, _ = served(board)
    handle = m.symbols["demo_handle"].address & ~1
    assert c.ask(f"Z0,{handle:x},2") == "OK"
    stop = c.ask("c")
    assert stop.startswith("T05") and "swbreak:" in stop
    assert c.reg(32 if board == "virt" else 15) == handle == m.pc
    t0 = m.ticks
    assert c.monitor("ticks") == f"{t0} ticks\n"
    assert c.ask(f"z0,{handle:x},2") == "OK"
    for i in range(1, 4):
        assert c.ask("s").startswith("T05")
        assert m.ticks == t0 + i                       # one instruction, one tick
    assert m.pc != handle


@pytest.mark.parametrize("board", BOARDS)
def test_watchpoint_stops_after_the_handler_writes_its_counter(served, board):
    c, m, _ = served(board)
    counter = m.symbols["handled_count"].address + 4 * HANDLER[board]
    assert c.ask(f"Z2,{counter:x},4") == "OK"
    value = lambda: int.from_bytes(m.mem_read(counter, 4), "little")
    for _ in range(4):                 # the start-up code zeroes .bss first: writes of 0
        stop = c.ask("c")
        assert stop.startswith("T05") and f"watch:{counter:x};" in stop
        if value():
            break
    assert value() == 1                # the write has retired; PC is after it
    assert m.function_at(m.pc).startswith("demo_handle+")
    assert c.ask(f"z2,{counter:x},4") == "OK"
    assert c.ask(f"Z3,{counter:x},4") == "OK"          # the counter's read, at the end
    stop = c.ask("c")
    assert stop.startswith("T05") and f"rwatch:{counter:x};" in stop


def test_ctrl_c_halts_a_running_machine_and_time_stands_still(served):
    m = sim.Machine.demo("mps2-an385")
    m.symbols["demo_loops"].write("<I", 0)               # the demo runs for ever
    c, m, _ = served(m=m)
    c.sock.sendall(b"$c#63")
    c.sock.sendall(b"\x03")
    assert c.recv().startswith("T02")
    t = m.ticks
    assert t > 0
    assert c.ask("g") and c.monitor("ticks") == f"{t} ticks\n" and m.ticks == t
    assert c.ask("vCont?") == "vCont;c;C;s;S"
    c.sock.sendall(b"$vCont;c#a8\x03")
    assert c.recv().startswith("T02") and m.ticks > t


def test_monitor_injects_an_irq_and_break_irq_stops_at_its_handler(served):
    c, m, _ = served("mps2-an385")
    assert "lines are" in c.monitor("irq pulse 99")
    assert "stops at its handler" in c.monitor("break irq 5")
    assert "taken at the next block boundary" in c.monitor("irq pulse 5")
    assert c.ask("c").startswith("T05")
    vector = int.from_bytes(m.mem_read(4 * (16 + 5), 4), "little") & ~1
    assert m.pc == vector
    assert "irq   5" in c.monitor("nvic") and "active" in c.monitor("nvic")
    assert "entry 21" in c.monitor("trace last 3")
    assert "unknown monitor command" in c.monitor("frobnicate")
    assert "no PLIC" in c.monitor("plic")


def test_monitor_plic_on_virt(served):
    c, m, _ = served("virt")
    c.monitor("break irq 10")
    assert c.ask("c").startswith("T05")
    slot_handler = m.symbols["demo_handler_10"].address & ~1 if \
        "demo_handler_10" in m.symbols else m.pc
    assert m.pc == slot_handler
    assert m.csr("mcause") == 0x8000000B                 # machine external interrupt
    assert "source  10" in c.monitor("plic") and "claimed" in c.monitor("plic")


def test_detach_lets_the_machine_run_on_and_kill_ends_the_session(served):
    c, m, t = served()
    assert c.ask("D") == "OK"
    t.join(30)
    assert t.result["end"] == "detach"
    assert m.run().reason == "exit"
    c2, _, t2 = served()
    c2.sock.sendall(b"$k#6b")
    t2.join(30)
    assert t2.result["end"] == "kill"


def test_malformed_and_unknown_packets(served):
    c, _, _ = served()
    c.sock.sendall(b"$g#00")                      # a bad checksum is refused with '-'
    assert c._byte() == b"-"
    c.sock.sendall(b"junk\x03$?#3f")             # noise and a stray 0x03 while halted
    assert c.recv().startswith("T05")
    assert c.ask("qNoSuchThing") == ""
    assert c.ask("mzz,4") == "E01"
    assert c.ask("p99") == "E45"


def test_port_must_be_a_port():
    m = sim.Machine.demo("mps2-an385")
    with pytest.raises(ArgumentError, match="0..65535"):
        GdbServer(m, port=70000)
    m.close()


def _storm(board):
    m = sim.Machine.demo(board)
    m.symbols["demo_loops"].write("<I", 3000)
    m.start_accounting()
    lines = [1, 2, 3, 4] if board == "virt" else [1, 2, 4, 5]
    m.add_source("poisson", lines, rate_hz=m.board.clock_hz / 700, seed=7)
    return m


@pytest.mark.parametrize("board", BOARDS)
def test_a_debugged_storm_gives_the_undebugged_trace(served, board):
    ref = _storm(board)
    assert ref.run(ticks=3_000_000).reason == "exit"
    c, m, _ = served(board, _storm(board))
    handle = m.symbols["demo_handle"].address & ~1
    counter = m.symbols["irq_seq"].address
    c.ask(f"Z0,{handle:x},2")
    stops = 0
    while True:
        stop = c.ask("c")
        if stop.startswith("W"):
            break
        stops += 1
        for _ in range(stops % 5):                    # steps from inside blocks
            c.ask("s")
        if stops == 20:
            c.ask(f"z0,{handle:x},2")
            c.ask(f"Z2,{counter:x},4")                # now stop at every handled request
        if stops == 45:
            c.ask(f"z2,{counter:x},4")
    assert stops >= 45
    assert m.events == ref.events
    assert m.ticks == ref.ticks
    ref.close()

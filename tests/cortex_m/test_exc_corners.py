"""Exception-model corner cases (fw/exc_corner_tests.c): an RTOS-style first task start on
PSP, CONTROL in handlers, illegal exception returns, INVSTATE, masks in unprivileged thread
mode, SVC escalation, unprivileged access to the System Control Space. Each is checked against the rule, and against QEMU when installed."""

import shutil
import struct
import subprocess
from pathlib import Path

import pytest

import sim
from sim import toolchain

FW = Path(__file__).parent / "fw"
CM = toolchain.firmware_dir() / "cortex_m"
QEMU = shutil.which("qemu-system-arm")


def build(n):
    srcs = [CM / "startup.c", FW / "exc_corner_tests.c", toolchain.firmware_dir() / "common" / "semihost.c"]
    return toolchain.build_image("cortex-m3", f"exc-corner-{n}", srcs, linker_script=CM / "link.ld",
                                 include_dirs=[CM], defines=[f"TEST={n}"])


def run(n):
    m = sim.Machine.load(build(n))
    m.run(ticks=2_000_000)
    out = dict(ln.split("=", 1) for ln in m.console.splitlines() if "=" in ln)
    return m, out


def test_svc_returning_with_fffffffd_starts_a_task_on_psp():
    """B1.5.8: EXC_RETURN 0xFFFFFFFD returns to thread mode on the process stack, SPSEL = 1."""
    m, out = run(1)
    assert out["task_control"] == "00000002"
    assert out["task_sp"] == out["task_stack_end"], "the task runs on its own stack"


def test_handler_entered_from_psp_thread_sees_spsel_clear():
    """B1.5.6: exception entry clears CONTROL.SPSEL; the return sets it again."""
    m, out = run(2)
    assert out["ctl_in_irq"] == "00000000" and out["control_after"] == "00000002"


def test_illegal_exc_return_takes_usagefault_on_the_existing_frame():
    """B1.5.8: the returning handler is deactivated, INVPC set, UsageFault taken with
    LR = the bad EXC_RETURN, without a new frame: the stacked PC is the thread's."""
    m, out = run(3)
    assert out["UF_CFSR"] == "00040000" and out["UF_lr"] == "fffffff5"
    assert out["UF_IABR0"] == "00000000", "IRQ 0 is no longer active"
    assert int(out["UF_stacked_pc"], 16) < 0x10000, "a thread-mode address, not EXC_RETURN"


def test_exc_return_with_bit_0_clear_is_invpc():
    """B1.5.8: EXC_RETURN<3:0> must be 0001, 1001 or 1101; 0xFFFFFFF8 (bit 0 clear, which
    Unicorn shows only as EPSR.T) is an illegal return: INVPC, UsageFault on the frame still
    stacked, LR = the value as branched to."""
    m, out = run(15)
    assert out["UF_CFSR"] == "00040000" and out["UF_lr"] == "fffffff8"
    assert out["UF_IABR0"] == "00000000", "IRQ 0 is no longer active"
    assert int(out["UF_stacked_pc"], 16) < 0x10000, "a thread-mode address, not EXC_RETURN"


def test_branch_to_an_even_address_is_invstate():
    m, out = run(5)
    assert out["UF_CFSR"] == "00020000"


def test_primask_holds_off_interrupts_after_dropping_privilege():
    """B1.5.4: the masks apply in unprivileged thread mode (where Unicorn's register API
    cannot see them)."""
    m, _ = run(11)
    assert "irq held off by PRIMASK" in m.console
    assert m.symbols["irq_runs"].read() == 0


def test_svc_that_cannot_preempt_escalates_with_the_next_instruction_stacked():
    m, out = run(12)
    assert out["HF_HFSR"] == "40000000", "HFSR.FORCED"
    pc = int(out["HF_stacked_pc"], 16)
    svc = struct.unpack("<H", m.mem_read(pc - 2, 2))[0]
    assert svc >> 8 == 0xDF, "the stacked PC follows the SVC instruction"


def test_unprivileged_scs_access_is_a_precise_busfault():
    """B3.2/B3.4: the SCS is privileged; the fault is precise, at the store, BFAR the register."""
    m, out = run(13)
    assert out["BF_CFSR"] == "00008200", "PRECISERR, BFARVALID"
    assert out["BF_BFAR"] == "e000e100"
    assert int(out["BF_stacked_pc"], 16) == m.symbols["unpriv_store"].address
    assert not m.nvic.irq(0).enabled, "the write had no effect"


def test_fp_instruction_without_fpu_is_nocp():
    """B3.2.15: a coprocessor (CP10) instruction on the Cortex-M3, which has no FPU, is a
    UsageFault with CFSR.NOCP at it (as on the silicon and in QEMU 7.2)."""
    m, out = run(14)
    assert out["UF_CFSR"] == "00080000"
    assert int(out["UF_stacked_pc"], 16) == m.symbols["fp_insn"].address


@pytest.mark.skipif(QEMU is None, reason="qemu-system-arm is not installed")
@pytest.mark.parametrize("n", [1, 2, 3, 5, 12, 13, 14, 15])
def test_corner_case_matches_qemu(n):
    elf = build(n)
    m = sim.Machine.load(elf)
    m.run(ticks=2_000_000)
    r = subprocess.run([QEMU, "-M", "mps2-an385", "-nographic", "-semihosting", "-monitor", "none",
                        "-serial", "stdio", "-kernel", str(elf)], capture_output=True, text=True,
                       timeout=60)
    assert r.stdout + r.stderr == m.console

"""ARMv7-M (Cortex-M3, M4F, M7): the adapter, and the NVIC view of the native model
(sim/native/armv7m/).

    m = sim.Machine.demo("mps2-an385")
    m.pulse_irq(3, at=10_000)
    m.run(ticks=100_000)
    m.nvic.irq(3)            # IrqState(number=3, enabled=.., pending=.., active=.., ...)

Numbering (ARMv7-M ARM B1.5.2): line n is external IRQ n, 0..num_irq-1, which is exception
16+n; "nmi" is the NMI input (line 0xFFFF in the core and the trace). System exceptions keep
their numbers (sim.codes.ARMV7M_SYSTEM_EXCEPTIONS).
"""

from __future__ import annotations

from dataclasses import dataclass

import unicorn
from unicorn import arm_const

from ..checks import is_int
from ..codes import (ARMV7M_CFSR_BITS, ARMV7M_EXC_IRQ0, ARMV7M_EXEC_PRIORITY_BIAS,
                     ARMV7M_HFSR_BITS, ARMV7M_PRIO_NOTE_REGS, ARMV7M_SCS_BASE, ARMV7M_SCS_SIZE,
                     ARMV7M_SYSTEM_EXCEPTIONS, FAULT_CAUSES, LINE_NMI)
from ..errors import ConfigError, FirmwareError
from ..native import ffi, lib
from .base import Arch, read_struct

EM_ARM = 40


@dataclass(frozen=True)
class MProfile:
    """One M-profile core: the Unicorn CPU model and what its exception model has
    (struct m_profile in sim/native/api.h)."""
    uc_model: int
    version: int          # 6 ARMv6-M, 7 ARMv7-M, 8 ARMv8-M Mainline
    fpu: int = 0          # 0 none, 1 single precision, 2 single and double
    vtor: bool = True
    systick: bool | str = True   # or "cpu-clock": no reference clock (a board's choice)


# The cores a board's `cpu` may name; the first is the default.
ARMV7M_CPUS = {
    "cortex-m3": MProfile(arm_const.UC_CPU_ARM_CORTEX_M3, 7),
    "cortex-m4f": MProfile(arm_const.UC_CPU_ARM_CORTEX_M4, 7, fpu=1),
    "cortex-m7": MProfile(arm_const.UC_CPU_ARM_CORTEX_M7, 7, fpu=2),
    "cortex-m33": MProfile(arm_const.UC_CPU_ARM_CORTEX_M33, 8, fpu=1),
    "cortex-m0": MProfile(arm_const.UC_CPU_ARM_CORTEX_M0, 6, vtor=False),
}


class Armv7m(Arch):
    name = "armv7m"
    elf_machine = (EM_ARM, "ARM")
    code_bit = 1
    firmware_folder = "cortex_m"
    startup = "startup.c"

    regs = ("r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11", "r12",
            "sp", "lr", "pc", "xpsr", "msp", "psp", "control", "primask", "basepri",
            "faultmask")
    general_regs = regs[:15]                # r0..r12, sp, lr
    # the FP extension's registers (ARMv7-M ARM A2.5.1): FPv4-SP (Cortex-M4F) has s0-s31,
    # FPv5 with double precision (Cortex-M7) d0-d15, the same 16 doublewords (d<n> is
    # s<2n+1>:s<2n>); both FPSCR. Unicorn reads any of them by name on every core.
    fp_single = tuple(f"s{i}" for i in range(32))
    fp_double = tuple(f"d{i}" for i in range(16))
    V7M_ONLY = ("basepri", "faultmask")     # ARMv6-M has PRIMASK only (B1.4.3 of DDI 0419)
    _reg_consts = arm_const
    _reg_prefix = "UC_ARM_REG_"

    arg_regs = ("r0", "r1", "r2", "r3")     # AAPCS: arguments, and the result in r0
    link_reg = "lr"
    # not written back after a call: sp restores the stack in use, and writing CONTROL or a
    # banked stack pointer back could change which stack that is
    call_keeps = ("msp", "psp", "control")

    first_line = 0
    named_lines = {"nmi": LINE_NMI}
    line_labels = {LINE_NMI: "NMI"}

    # ---- boards -------------------------------------------------------------------------------

    reserved = ((ARMV7M_SCS_BASE, ARMV7M_SCS_SIZE,
                 "the System Control Space (NVIC, SCB, SysTick)"),)
    controller_keys = frozenset({"kind", "num_irq", "prio_bits", "exception_ticks", "reset_vtor",
                                 "vtor", "systick"})
    cpus = tuple(ARMV7M_CPUS)
    EXCEPTION_TICKS = ("entry", "tail_chain", "return")
    # extra ticks of the FP context (cores with an FPU): an entry that stacks s0-s15 and FPSCR
    # (eager, FPCCR.LSPEN = 0), a return that unstacks them, a lazy preservation
    FP_EXCEPTION_TICKS = ("fp_entry", "fp_return", "fp_lazy")
    EXCEPTION_TICKS_MAX = 1000

    def check_controller(self, ctrl, need, bad):
        if need("kind", str) != "nvic":
            raise bad("controller.kind must be \"nvic\" on armv7m")
        n = need("num_irq", int)
        bits = need("prio_bits", int)
        if not 1 <= n <= 496:
            raise bad(f"controller.num_irq must be 1..496 (got {n})")
        if not 2 <= bits <= 8:
            raise bad(f"controller.prio_bits must be 2..8 (ARMv7-M; got {bits})")
        if "reset_vtor" in ctrl:
            vtor = need("reset_vtor", int)
            if not 0 <= vtor < 1 << 32 or vtor % 128:
                raise bad(f"controller.reset_vtor must be an address that is a multiple of 128 "
                          f"(VTOR.TBLOFF; got {vtor:#x})")
        costs = need("exception_ticks", dict) if "exception_ticks" in ctrl else {}
        allowed = self.EXCEPTION_TICKS + self.FP_EXCEPTION_TICKS   # (FP ones: check_core)
        for k, v in costs.items():
            if k not in allowed:
                raise bad(f"unknown key controller.exception_ticks.{k}; allowed: "
                          f"{', '.join(allowed)}")
            if not is_int(v) or not 0 <= v <= self.EXCEPTION_TICKS_MAX:
                raise bad(f"controller.exception_ticks.{k} must be an integer 0.."
                          f"{self.EXCEPTION_TICKS_MAX} (ticks; got {v!r})")

    def check_core(self, cpu, ctrl, bad):
        """FP exception_ticks keys only for a core with the ARMv7-M FP model. ARMv6-M
        (docs/semantics.md, "Cortex-M0"): 2 priority bits and at most 32 lines
        (ARMv6-M ARM B1.5.4, B3.4); VTOR and SysTick are options there (controller.vtor,
        controller.systick; default from the core), mandatory on ARMv7-M and ARMv8-M."""
        prof = ARMV7M_CPUS[cpu]
        for k in ctrl.get("exception_ticks", {}):
            if k in self.FP_EXCEPTION_TICKS and not (prof.fpu and prof.version == 7):
                raise bad(f"controller.exception_ticks.{k} is an FP context cost, and cpu "
                          f"{cpu!r} has no FPU that irqsim models; remove it or pick a core "
                          "with one (cortex-m4f, cortex-m7)")
        for key in ("vtor", "systick"):
            if key not in ctrl:
                continue
            if key == "systick" and ctrl[key] == "cpu-clock":
                continue
            if not isinstance(ctrl[key], bool):
                raise bad(f"controller.{key} must be true or false"
                          + (' or "cpu-clock" (no reference clock)' if key == "systick" else "")
                          + f" (got {ctrl[key]!r})")
            if prof.version != 6 and not ctrl[key]:
                raise bad(f"controller.{key} = false: {cpu} (ARMv{prof.version}-M) always "
                          f"has {'VTOR' if key == 'vtor' else 'SysTick'}; only an ARMv6-M "
                          "core may leave it out")
        if prof.version == 6:
            if ctrl.get("reset_vtor", 0) and not ctrl.get("vtor", prof.vtor):
                raise bad(f"controller.reset_vtor needs a VTOR: {cpu} has none unless the board "
                          "says controller.vtor = true (ARMv6-M ARM B3.2.5); its vector table "
                          "is at 0")
            if ctrl["prio_bits"] != 2:
                raise bad(f"controller.prio_bits must be 2 on {cpu} (ARMv6-M has 2 priority "
                          f"bits; got {ctrl['prio_bits']})")
            if ctrl["num_irq"] > 32:
                raise bad(f"controller.num_irq must be 1..32 on {cpu} (ARMv6-M; got "
                          f"{ctrl['num_irq']})")

    def profile(self, board) -> MProfile:
        """The board's core with its controller's vtor / systick options applied (systick:
        True, False, or "cpu-clock": SysTick without a reference clock)."""
        cpu, c = ARMV7M_CPUS[board.cpu], board.controller
        return MProfile(cpu.uc_model, cpu.version, cpu.fpu, c.get("vtor", cpu.vtor),
                        c.get("systick", cpu.systick))

    @staticmethod
    def systick_code(systick) -> int:
        """struct m_profile.systick (api.h M_SYSTICK_*) for a profile's systick value."""
        return (lib.M_SYSTICK_CPU_CLOCK if systick == "cpu-clock" else
                lib.M_SYSTICK_ON if systick else lib.M_SYSTICK_NONE)

    def num_lines(self, controller):
        return controller["num_irq"]

    def has_fp_context(self, board) -> bool:
        """Whether irqsim models the core's FP context: the ARMv7-M FP extension of the M4F
        and M7 (sim/native/armv7m/fpu.c). The M33's FPU (ARMv8-M) is not modelled: its
        firmware is soft-float."""
        cpu = ARMV7M_CPUS[board.cpu]
        return bool(cpu.fpu) and cpu.version == 7

    def reg_names(self, board):
        """The registers the board's core has: r0-r12, sp, lr, pc, xpsr, msp, psp, control,
        primask, then basepri and faultmask (not on ARMv6-M), then, with a modelled FP
        context, s0-s31 (single precision) or d0-d15 (double), and fpscr. MSPLIM and PSPLIM
        (ARMv8-M) are not among them: Unicorn's register API has none (Nvic.stack_limits
        reads them from the CPU context)."""
        cpu = ARMV7M_CPUS[board.cpu]
        names = self.regs if cpu.version != 6 else tuple(
            r for r in self.regs if r not in self.V7M_ONLY)
        if self.has_fp_context(board):
            names += (self.fp_double if cpu.fpu == 2 else self.fp_single) + ("fpscr",)
        return names

    def reg_bits(self, name):
        n = name.lower()
        return 64 if n[:1] == "d" and n[1:].isdigit() else 32

    # ---- the engine and the machine -----------------------------------------------------------

    def new_engine(self, board):
        uc = unicorn.Uc(unicorn.UC_ARCH_ARM, unicorn.UC_MODE_THUMB)
        # UC_MODE_MCLASS gives an M33 whatever the model; THUMB + a model gives that model.
        uc.ctl_set_cpu_model(ARMV7M_CPUS[board.cpu].uc_model)
        return uc

    def init(self, m):
        c = m.board.controller
        cpu = self.profile(m.board)
        prof = ffi.new("struct m_profile *", {"version": cpu.version, "fpu": cpu.fpu,
                                               "vtor": int(cpu.vtor),
                                               "systick": self.systick_code(cpu.systick)})
        r = lib.armv7m_init(m._core, c["num_irq"], c["prio_bits"], prof)
        if r == -3 and cpu.version == 8:
            raise ConfigError(f"board {m.board.name}: cannot find MSPLIM and PSPLIM in the "
                              f"{m.board.cpu} CPU context of Unicorn {unicorn.__version__} "
                              "(irqsim reads them there); use the pinned Unicorn")
        if r == -3:
            raise ConfigError(f"board {m.board.name}: cannot find the FP control fields in the "
                              f"{m.board.cpu} CPU context of Unicorn {unicorn.__version__} "
                              "(sim/native/armv7m/fpu.c, fp_probe); use the pinned Unicorn")
        if r:
            raise MemoryError("cannot allocate the NVIC")
        m.add_devices()
        vtor = c.get("reset_vtor", 0)
        r = lib.armv7m_reset(m._core, vtor)
        if r == -2:
            vec = int.from_bytes(m.mem_read(vtor + 4, 4), "little")
            raise FirmwareError(f"{m.image}: the reset vector (word 1 of the vector table at "
                                f"{vtor:#x}) is {vec:#010x}, not a Thumb address (bit 0 clear); "
                                "is the image built for Thumb and its vector table at the start "
                                "of flash?", pc=vec)
        if r:
            raise FirmwareError(f"{m.image}: the vector table at {vtor:#x} cannot be read; is "
                                "the vector table at the start of flash (and the image linked "
                                f"for board {m.board.name})?", pc=vtor)
        costs = self.exception_ticks(c)
        lib.armv7m_set_costs(m._core, costs["entry"], costs["tail_chain"], costs["return"])
        if cpu.fpu:
            lib.armv7m_set_fp_costs(m._core, costs["fp_entry"], costs["fp_return"],
                                    costs["fp_lazy"])
        m.nvic = Nvic(m)

    def exception_ticks(self, controller):
        """Stacking and vector fetch 12, tail-chain 6, unstacking 10 (Arm's Cortex-M3 cycle
        counts, zero wait states) unless the board's controller.exception_ticks says."""
        costs = controller.get("exception_ticks", {})
        # FP context (Arm application note AN298, "Cortex-M4(F) Lazy Stacking and Context
        # Switching"): an entry that stacks the FP registers takes 29 cycles instead of 12, 17
        # more for the 17 words; unstacking them and a lazy preservation move the same 17 words
        return {"entry": costs.get("entry", 12), "tail_chain": costs.get("tail_chain", 6),
                "return": costs.get("return", 10), "fp_entry": costs.get("fp_entry", 17),
                "fp_return": costs.get("fp_return", 17), "fp_lazy": costs.get("fp_lazy", 17)}

    def nesting(self, m):
        return m.nvic.nesting()

    def line_vector(self, m, line):
        if not 0 <= line < m.num_lines:
            return None
        addr = m.nvic.counters()["vtor"] + 4 * (ARMV7M_EXC_IRQ0 + line)
        try:
            return int.from_bytes(m.mem_read(addr, 4), "little")
        except ConfigError:
            return None

    def guest_notes(self, m):
        """The first priority write whose low bits the NVIC dropped (IPR, SHPR; BASEPRI when
        the model reads it at arbitration), with what it became and the board to use."""
        note = ffi.new("struct prio_note *")
        if not lib.armv7m_prio_note(m._core, note):
            return []
        reg, exc, bits = ARMV7M_PRIO_NOTE_REGS[note.reg], note.exc, note.bits
        mask = (0xFF << (8 - bits)) & 0xFF
        if reg == "NVIC_IPR":
            irq = exc - ARMV7M_EXC_IRQ0
            what = f"NVIC_IPR{irq // 4} (IRQ {irq}, byte at {note.addr:#010x})"
        elif reg == "SHPR":
            what = (f"SHPR{(exc - 4) // 4 + 1} ({ARMV7M_SYSTEM_EXCEPTIONS[exc][0]}, byte at "
                    f"{note.addr:#010x})")
        else:
            what = "BASEPRI (MSR; MRS reads back all 8 bits, the model uses the implemented ones)"
        variant = m.board.prio_variant
        use = (f"firmware that relies on 8 bits (as QEMU 7.2 has them) wants board {variant!r}"
               if variant else
               "ARMv6-M has these 2 bits only (QEMU 7.2 too): give priorities in bits 7:6"
               if self.profile(m.board).version == 6 else
               "a board with controller.prio_bits = 8 keeps all the bits")
        return [f"{m.image.name}: priority {note.written:#04x} written to {what} at tick "
                f"{note.tick} reads back {note.read_back:#04x}: board {m.board.name} implements "
                f"{bits} priority bits (mask {mask:#04x}), the low {8 - bits} are dropped; {use}"]
    def stuck_detail(self, m):
        active = m.nvic.active_exception
        masks = [name for name, on in (("FAULTMASK", m.reg("faultmask") & 1),
                                       ("PRIMASK", m.reg("primask") & 1)) if on]
        if m.reg("basepri"):
            masks.append(f"BASEPRI {m.reg('basepri'):#x}")
        parts = [f"in the {self.exception_name(active)} handler"] if active else ["in thread mode"]
        if masks:
            parts.append("interrupts masked by " + " and ".join(masks))
        parts.append(f"execution priority {m.nvic.execution_priority}, and no enabled interrupt "
                     "above it can come")
        why = ", ".join(parts)
        if active not in (3, 4, 5, 6):      # HardFault, MemManage, BusFault, UsageFault
            return why, None
        cfsr, hfsr, mmfar, bfar = m.nvic.fault_status()
        pc, addr, cause = m.fault_info()

        def bits(v, names):
            return ", ".join(n for b, n in names.items() if v >> b & 1) or "none"
        if self.profile(m.board).version == 6:   # HardFault only, no fault status registers
            text = (f"{FAULT_CAUSES.get(cause, 'a fault')} at {m.where(pc)}, address "
                    f"{addr:#010x}: a HardFault (ARMv6-M has no other fault and no fault status "
                    "registers)")
            return why, {"handler": self.exception_name(active), "exception": active, "pc": pc,
                         "function": m.function_at(pc), "address": addr, "cause": cause,
                         "text": text}
        text = (f"{FAULT_CAUSES.get(cause, 'a fault')} at {m.where(pc)}, address {addr:#010x}: "
                f"CFSR {cfsr:#010x} ({bits(cfsr, ARMV7M_CFSR_BITS)}), HFSR {hfsr:#010x} "
                f"({bits(hfsr, ARMV7M_HFSR_BITS)})")
        if cfsr & (1 << 7):
            text += f", MMFAR {mmfar:#010x}"
        if cfsr & (1 << 15):
            text += f", BFAR {bfar:#010x}"
        return why, {"handler": self.exception_name(active), "exception": active, "pc": pc,
                     "function": m.function_at(pc), "address": addr, "cause": cause,
                     "cfsr": cfsr, "hfsr": hfsr, "mmfar": mmfar, "bfar": bfar, "text": text}

    # ---- trace numbers ------------------------------------------------------------------------

    exec_priority_bias = ARMV7M_EXEC_PRIORITY_BIAS

    def exception_name(self, num):
        """"IRQ5" for exception 21, "SysTick" for 15."""
        if num >= ARMV7M_EXC_IRQ0:
            return f"IRQ{num - ARMV7M_EXC_IRQ0}"
        sysexc = ARMV7M_SYSTEM_EXCEPTIONS.get(num)
        return sysexc[0] if sysexc else f"exception {num}"

    def span_args(self, num):
        if num >= ARMV7M_EXC_IRQ0:
            return {"exception": num, "irq": num - ARMV7M_EXC_IRQ0}
        return {"exception": num}

    def coalesced(self, num):
        return self.exception_name(num), {"exception": num}

    def _vcd_own_vars(self):
        out = [("exc2_nmi_line", "wire", 1, 0)]
        for _, stem in ARMV7M_SYSTEM_EXCEPTIONS.values():
            out += [(f"{stem}_pending", "wire", 1, 0), (f"{stem}_active", "wire", 1, 0)]
        out.append(("exec_priority", "integer", 16, ARMV7M_EXEC_PRIORITY_BIAS))
        return out

    def vcd_targets(self, var, num_lines):
        line_of = {n: var[f"line{n}"] for n in range(num_lines)}
        line_of[LINE_NMI] = var["exc2_nmi_line"]
        pend_of = {ARMV7M_EXC_IRQ0 + n: var[f"pending{n}"] for n in range(num_lines)}
        trap_of = {ARMV7M_EXC_IRQ0 + n: var[f"active{n}"] for n in range(num_lines)}
        for e, (_, stem) in ARMV7M_SYSTEM_EXCEPTIONS.items():
            pend_of[e] = var[f"{stem}_pending"]
            trap_of[e] = var[f"{stem}_active"]
        # taking an exception clears its pending state; there is no PLIC to claim from
        return line_of, pend_of, trap_of, pend_of, {}


ADAPTER = Armv7m()


class IrqState:
    __slots__ = ("number", "enabled", "pending", "active", "priority", "level")

    def __init__(self, number, enabled, pending, active, priority, level):
        self.number, self.enabled, self.pending = number, enabled, pending
        self.active, self.priority, self.level = active, priority, level

    def __repr__(self):
        return (f"IrqState(number={self.number}, enabled={self.enabled}, pending={self.pending}, "
                f"active={self.active}, priority={self.priority:#x}, level={self.level})")


class Nvic:
    """NVIC state by meaning (read from the native core in bulk)."""

    def __init__(self, m):
        self._m = m
        self.num_irq = m.board.controller["num_irq"]
        # the ARMv7-M FP context (sim/native/armv7m/fpu.c): the M4F and M7
        self.has_fpu = ADAPTER.has_fp_context(m.board)

    def _snapshot(self):
        n = ARMV7M_EXC_IRQ0 + self.num_irq
        arrs = [ffi.new("uint8_t[]", n) for _ in range(5)]
        lib.armv7m_state(self._m._core, *arrs, n)
        return [list(a) for a in arrs]

    def exception(self, number: int) -> IrqState:
        prio, en, pend, act, lvl = self._snapshot()
        p = prio[number]
        if number in (2, 3):
            p = p - 256  # fixed negative priorities come back as bytes
        return IrqState(number, bool(en[number]), bool(pend[number]), bool(act[number]), p,
                        bool(lvl[number]))

    def irq(self, n: int) -> IrqState:
        if not 0 <= n < self.num_irq:
            raise ConfigError(f"IRQ {n} is out of range: this NVIC has lines 0..{self.num_irq - 1}")
        s = self.exception(ARMV7M_EXC_IRQ0 + n)
        s.number = n
        return s

    @property
    def execution_priority(self) -> int:
        return lib.armv7m_exec_priority(self._m._core)

    def counters(self) -> dict:
        """taken, preemptions, tail_chains, max_depth, min_frame_sp, active, prigroup, vtor
        (struct nvic_counters)."""
        return read_struct(lib.armv7m_counters, self._m, "struct nvic_counters")

    def fault_status(self) -> tuple[int, int, int, int]:
        """CFSR, HFSR, MMFAR, BFAR (B3.2.15-19)."""
        out = ffi.new("uint32_t[4]")
        lib.armv7m_fault_status(self._m._core, out)
        return tuple(out)

    @property
    def active_exception(self) -> int:
        return self.counters()["active"]

    def line_masked(self, line: int) -> bool:
        """Would a pending request on `line` be held off now: disabled, or not above the
        execution priority (group priority against active handlers and masks)?"""
        self.irq(line)              # checks the range
        return self._m.line_masked(line)

    def stack_limits(self) -> dict | None:
        """ARMv8-M: {"msplim": .., "psplim": ..} as the firmware set them (Secure state);
        None on a core without stack limits."""
        out = ffi.new("uint32_t[2]")
        if lib.armv7m_sp_limits(self._m._core, out):
            return None
        return {"msplim": out[0], "psplim": out[1]}

    def fp(self) -> dict:
        """The FP context (cores with an FPU): extended_frames, eager_saves, lazy_saves,
        ticks, and the SCB's cpacr, fpccr, fpcar, fpdscr (struct fp_counters)."""
        return read_struct(lib.armv7m_fp_counters, self._m, "struct fp_counters")

    def nesting(self) -> dict:
        c = self.counters()
        out = {"max_depth": c["max_depth"], "preemptions": c["preemptions"],
               "tail_chains": c["tail_chains"], "exceptions_taken": c["taken"]}
        if self.has_fpu:
            f = self.fp()
            out.update(fp_extended_frames=f["extended_frames"], fp_eager_saves=f["eager_saves"],
                       fp_lazy_saves=f["lazy_saves"], fp_ticks=f["ticks"])
        return out

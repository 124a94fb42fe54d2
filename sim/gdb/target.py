"""What GDB is told about each core: the target description (GDB manual, appendix G
"Target Descriptions", G.5 "Standard Target Features") and the register numbering of the
g/G/p/P packets, which is the order of the `regnum`s below. The description follows the
machine's registers (Machine.reg_names), so it differs per core:

- Arm M-profile: org.gnu.gdb.arm.m-profile (r0-r12, sp, lr, pc, xpsr), always; the system
  registers as QEMU 7.2's gdbstub names them, feature org.gnu.gdb.arm.m-system (GDB 13 reads
  msp and psp from it to unwind exception frames; the others are shown as they are): msp, psp,
  primask, basepri, faultmask, control on ARMv7-M and ARMv8-M, without basepri and faultmask
  on ARMv6-M (the Cortex-M0 has neither). ARMv8-M's msplim and psplim are not described:
  Unicorn's register API has no MSPLIM/PSPLIM to write them back with (Python reads them with
  Nvic.stack_limits, from the CPU context as v8m.c does). With a modelled FP context (Cortex-M4F,
  Cortex-M7) also org.gnu.gdb.arm.vfp: d0-d15 (64 bits each) and fpscr; GDB makes s0-s31
  pseudo registers of them (s<2n> the low half of d<n>). On the M4F's single-precision FPU
  the d registers are just pairs of s registers: GDB shows them as doubles all the same.
- RV32: org.gnu.gdb.riscv.cpu (x0-x31 by their ABI names, pc) and org.gnu.gdb.riscv.csr with
  the machine-mode trap CSRs the model has: mstatus, mie, mip, mtvec, mepc, mcause, mtval.
"""

from __future__ import annotations

ARM_CORE = ("r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11", "r12",
            "sp", "lr", "pc", "xpsr")
ARM_SYSTEM = ("msp", "psp", "primask", "basepri", "faultmask", "control")   # those it has
ARM_VFP = tuple(f"d{i}" for i in range(16)) + ("fpscr",)
RV_X = ("zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "fp", "s1", "a0", "a1", "a2", "a3",
        "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11",
        "t3", "t4", "t5", "t6")
RV_CSRS = ("mstatus", "mie", "mip", "mtvec", "mepc", "mcause", "mtval")

_TYPES = {"sp": "data_ptr", "msp": "data_ptr", "psp": "data_ptr", "pc": "code_ptr",
          "lr": "code_ptr", "ra": "code_ptr", "mepc": "code_ptr", "mtvec": "code_ptr",
          **{d: "ieee_double" for d in ARM_VFP[:16]}}


# FP context registers of the SCB (ARMv7-M ARM B3.2.2, B3.2.21-23) a debugger may read: GDB 13
# reads FPCCR to unwind an exception frame with the FP context (EXC_RETURN bit 4 clear)
FP_SCB = {0xE000EF34: "fpccr", 0xE000EF38: "fpcar", 0xE000EF3C: "fpdscr"}
_GROUPS = {"fpscr": "float"}     # as GDB's own arm-vfpv2.xml


def _bits(reg: str) -> int:
    return 64 if reg in ARM_VFP[:16] else 32


def _feature(name, regs, first, group=None):
    lines = [f'<feature name="{name}">']
    for i, r in enumerate(regs):
        extra = f' type="{_TYPES[r]}"' if r in _TYPES else ' type="int"'
        if group or r in _GROUPS:
            extra += f' group="{group or _GROUPS[r]}"'
        lines.append(f'  <reg name="{r}" bitsize="{_bits(r)}" regnum="{first + i}"{extra}/>')
    lines.append("</feature>")
    return lines


def _xml(arch, features):
    body = [f"<architecture>{arch}</architecture>"]
    for f in features:
        body += f
    return ('<?xml version="1.0"?>\n<!DOCTYPE target SYSTEM "gdb-target.dtd">\n'
            '<target version="1.0">\n' + "\n".join(body) + "\n</target>\n")


class Target:
    """Registers by GDB number for machine `m`: names, sizes, read and write."""

    def __init__(self, m):
        self.m = m
        if m.arch == "armv7m":
            system = tuple(r for r in ARM_SYSTEM if r in m.reg_names)
            features = [_feature("org.gnu.gdb.arm.m-profile", ARM_CORE, 0),
                        _feature("org.gnu.gdb.arm.m-system", system, len(ARM_CORE), "system")]
            self.names = ARM_CORE + system
            if "fpscr" in m.reg_names:                       # a modelled FP context
                features.append(_feature("org.gnu.gdb.arm.vfp", ARM_VFP, len(self.names)))
                self.names += ARM_VFP
            self.xml = _xml("arm", features)
            self.pc_num = ARM_CORE.index("pc")
        else:
            self.names = RV_X + ("pc",) + RV_CSRS
            self.xml = _xml("riscv:rv32", [_feature("org.gnu.gdb.riscv.cpu", RV_X + ("pc",), 0),
                                           _feature("org.gnu.gdb.riscv.csr", RV_CSRS, 33,
                                                    "csr")])
            self.pc_num = 32
        self.sizes = tuple(_bits(r) // 8 for r in self.names)   # bytes in g/G/p/P

    def _machine_name(self, n):
        name = self.names[n]
        if self.m.arch == "rv32" and n < 32:
            return self.m.adapter.regs[n - 1]     # x1..x31 in Machine's order
        return name

    def read(self, n: int) -> int:
        name = self.names[n]
        if self.m.arch == "rv32":
            if n == 0:
                return 0
            if name in RV_CSRS:
                return self.m.csr(name)
        if name == "pc":
            return self.m.pc
        return self.m.reg(self._machine_name(n))

    def write(self, n: int, value: int):
        """Register n := value (the low bytes of its size), to the engine (Machine.set_reg)."""
        if self.m.arch == "rv32" and n == 0:
            return                                 # x0 is hard-wired to zero
        if self.m.arch == "armv7m" and self.names[n] == "pc":
            value &= ~1                            # GDB writes the address, not the T bit
        self.m.set_reg(self._machine_name(n), value & ((1 << 8 * self.sizes[n]) - 1))

    def system_word(self, addr: int, length: int) -> bytes | None:
        """The bytes of an m packet outside board memory that the target can give without
        side effects (None: not one of them): on a core with a modelled FP context, FPCCR,
        FPCAR and FPDSCR as the model holds them (Machine.nvic.fp()), whole words only."""
        if "fpscr" not in self.m.reg_names or addr not in FP_SCB or length != 4:
            return None
        return self.m.nvic.fp()[FP_SCB[addr]].to_bytes(4, "little")

    def encode(self, n: int) -> str:
        return self.read(n).to_bytes(self.sizes[n], "little").hex()

    def encode_all(self) -> str:
        """The g reply: every register in number order, each in its size, little-endian."""
        return "".join(self.encode(n) for n in range(len(self.names)))

    def write_all(self, data: bytes):
        """A G packet's registers, as many as it holds whole."""
        off = 0
        for n, size in enumerate(self.sizes):
            if off + size > len(data):
                break
            self.write(n, int.from_bytes(data[off:off + size], "little"))
            off += size

"""What GDB is told about each architecture: the target description (GDB manual, appendix G
"Target Descriptions", G.5 "Standard Target Features") and the register numbering of the
g/G/p/P packets, which is the order of the `regnum`s below.

- Arm M-profile: org.gnu.gdb.arm.m-profile (r0-r12, sp, lr, pc, xpsr) and the system
  registers as QEMU 7.2's gdbstub names them, feature org.gnu.gdb.arm.m-system (msp, psp,
  primask, basepri, faultmask, control; GDB 13 uses msp/psp to unwind exception frames).
- RV32: org.gnu.gdb.riscv.cpu (x0-x31 by their ABI names, pc) and org.gnu.gdb.riscv.csr with
  the machine-mode trap CSRs the model has: mstatus, mie, mip, mtvec, mepc, mcause, mtval.
"""

from __future__ import annotations

ARM_CORE = ("r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11", "r12",
            "sp", "lr", "pc", "xpsr")
ARM_SYSTEM = ("msp", "psp", "primask", "basepri", "faultmask", "control")
RV_X = ("zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "fp", "s1", "a0", "a1", "a2", "a3",
        "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11",
        "t3", "t4", "t5", "t6")
RV_CSRS = ("mstatus", "mie", "mip", "mtvec", "mepc", "mcause", "mtval")

_TYPES = {"sp": "data_ptr", "msp": "data_ptr", "psp": "data_ptr", "pc": "code_ptr",
          "lr": "code_ptr", "ra": "code_ptr", "mepc": "code_ptr", "mtvec": "code_ptr"}


def _feature(name, regs, first, group=None):
    lines = [f'<feature name="{name}">']
    for i, r in enumerate(regs):
        extra = f' type="{_TYPES[r]}"' if r in _TYPES else ' type="int"'
        if group:
            extra += f' group="{group}"'
        lines.append(f'  <reg name="{r}" bitsize="32" regnum="{first + i}"{extra}/>')
    lines.append("</feature>")
    return lines


def _xml(arch, features):
    body = [f"<architecture>{arch}</architecture>"]
    for f in features:
        body += f
    return ('<?xml version="1.0"?>\n<!DOCTYPE target SYSTEM "gdb-target.dtd">\n'
            '<target version="1.0">\n' + "\n".join(body) + "\n</target>\n")


class Target:
    """Registers by GDB number for machine `m`: names, read and write."""

    def __init__(self, m):
        self.m = m
        if m.arch == "armv7m":
            self.names = ARM_CORE + ARM_SYSTEM
            self.xml = _xml("arm", [_feature("org.gnu.gdb.arm.m-profile", ARM_CORE, 0),
                                    _feature("org.gnu.gdb.arm.m-system", ARM_SYSTEM,
                                             len(ARM_CORE), "system")])
            self.pc_num = ARM_CORE.index("pc")
        else:
            self.names = RV_X + ("pc",) + RV_CSRS
            self.xml = _xml("riscv:rv32", [_feature("org.gnu.gdb.riscv.cpu", RV_X + ("pc",), 0),
                                           _feature("org.gnu.gdb.riscv.csr", RV_CSRS, 33,
                                                    "csr")])
            self.pc_num = 32

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
        if self.m.arch == "rv32" and n == 0:
            return                                 # x0 is hard-wired to zero
        if self.m.arch == "armv7m" and self.names[n] == "pc":
            value &= ~1                            # GDB writes the address, not the T bit
        self.m.set_reg(self._machine_name(n), value & 0xFFFFFFFF)

    def encode(self, n: int) -> str:
        return self.read(n).to_bytes(4, "little").hex()

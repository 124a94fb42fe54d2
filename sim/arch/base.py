"""What an architecture adapter provides (sim/arch/armv7m.py and rv32.py fill it in).

Machine, storms, exports and the sweep never test an architecture's name: they ask its adapter,
one instance per architecture (`sim.arch.get(name)`). An adapter holds no per-machine state;
where it sets a machine up, it attaches that machine's controller views (m.nvic; m.plic,
m.clint, m.hart) to the machine itself.
"""

from __future__ import annotations

from ..errors import ArgumentError
from ..native import ffi


def read_struct(fn, m, ctype: str) -> dict:
    """`fn(core, out)` fills a struct `ctype` of machine m's core: its fields by name."""
    out = ffi.new(f"{ctype} *")
    fn(m._core, out)
    return {name: getattr(out, name) for name, _ in ffi.typeof(out[0]).fields}


class Arch:
    """One architecture: engine, registers, calling convention, line numbering, controller,
    and what its trace numbers are called."""

    name = ""                   # the board files' `arch`
    elf_machine = (0, "")       # ELF e_machine and its name for messages
    code_bit = 0                # set in a code address to run it (Cortex-M: the Thumb bit)
    firmware_folder = ""        # firmware/<folder>: start-up code, console, linker script
    startup = ""                # ... and its start-up file

    # registers: Machine.regs in this order; the general ones (no PC, no system registers)
    regs: tuple[str, ...] = ()
    general_regs: tuple[str, ...] = ()
    _reg_consts = None          # the unicorn constants module ...
    _reg_prefix = ""            # ... and the prefix of its register ids

    # Machine.call: arguments, result in arg_regs[0], return address, registers kept
    arg_regs: tuple[str, ...] = ()
    link_reg = ""
    call_keeps: tuple[str, ...] = ()

    # lines: controller inputs first_line..num_lines-1, plus inputs that have no number
    first_line = 0
    named_lines: dict[str, int] = {}    # what Machine.raise_irq & co. take by name -> line
    line_labels: dict[int, str] = {}    # how a trace shows those lines

    # ---- boards -------------------------------------------------------------------------------

    # what the core maps itself, where no board memory may be: (base, size, what)
    reserved: tuple = ()
    # the keys a board file's [controller] table may have
    controller_keys: frozenset = frozenset()
    # the cores a board's `cpu` key may name (the first is the default); empty: any name
    cpus: tuple = ()

    def check_controller(self, ctrl: dict, need, bad) -> None:
        """Checks a board file's [controller] table `ctrl`: `need(key, type)` reads a required key
        (type-checked), `bad(message)` is the ConfigError naming the file to raise."""
        raise NotImplementedError

    def check_core(self, cpu: str, ctrl: dict, bad) -> None:
        """Checks what the board's core `cpu` asks of its [controller] table `ctrl` (after
        check_controller); `bad(message)` as there. Nothing by default."""

    def num_lines(self, controller: dict) -> int:
        """Lines 0..num_lines-1 as the core numbers them (some below first_line may not exist)."""
        raise NotImplementedError

    # ---- the engine and the machine -----------------------------------------------------------

    def new_engine(self, board):
        """A fresh unicorn.Uc of this architecture's mode and of the CPU model board.cpu names."""
        raise NotImplementedError

    def reg_names(self, board) -> tuple[str, ...]:
        """Machine.regs of a machine on `board`, in this order: `regs` unless the core has more
        or fewer (Cortex-M: FP registers, ARMv6-M's missing masks)."""
        return self.regs

    def reg_bits(self, name: str) -> int:
        """The width of register `name` (Machine.set_reg takes values below 2**bits)."""
        return 32

    def reg_id(self, name: str) -> int:
        try:
            return getattr(self._reg_consts, self._reg_prefix + name.upper())
        except AttributeError:
            raise ArgumentError(f"unknown register {name!r} for {self.name}: registers are "
                                f"{', '.join(self.regs)}") from None

    def init(self, m) -> None:
        """Installs the CPU model and its interrupt controller in machine `m`'s core, adds the
        board's devices (m.add_devices), resets the core to the image's entry and attaches the
        controller views to `m`."""
        raise NotImplementedError

    def exception_ticks(self, controller: dict) -> dict:
        """Ticks the exception mechanism charges (`entry`, `tail_chain`, `return`) on a board
        with this [controller] table; none by default (RISC-V: the hardware stacks nothing)."""
        return {"entry": 0, "tail_chain": 0, "return": 0}

    def nesting(self, m) -> dict:
        """max_depth, preemptions, tail_chains and exceptions_taken, in the Cortex-M terms."""
        raise NotImplementedError

    def line_vector(self, m, line: int) -> int | None:
        """The address `line`'s own vector sends it to (Cortex-M: the vector table entry at
        VTOR), None where lines share one entry (RISC-V: the external interrupt)."""
        return None

    def guest_notes(self, m) -> list[str]:
        """Notes about what the firmware did that the model keeps differently from what was
        written (Cortex-M: a priority that lost low bits), each given once per machine; the
        Machine logs them on `sim.guest`."""
        return []

    def fault_detail(self, m) -> str:
        """What a lockup's FirmwareError adds about the architecture's state ("" for nothing)."""
        return ""

    def stuck_detail(self, m) -> tuple[str, dict | None]:
        """Why nothing can interrupt the core now (stuck or idle), in words; and, when the
        running handler is a fault's, the fault: a dict with `handler` (its name), `text` (the
        fault decoded, its PC named), `pc`, `function` and the fault status registers."""
        return "no interrupt can be taken", None

    # ---- trace numbers (sim/export; numbering in its docstring) ------------------------------

    exec_priority_bias = 0      # an exec-priority record's arg less this is the value shown

    def exception_name(self, num: int) -> str:
        """What an entry/preempt/return record's `num` is called."""
        raise NotImplementedError

    def fault_name(self, num: int) -> str:
        """What a fault record's `num` is called."""
        return self.exception_name(num)

    def line_name(self, num: int) -> str:
        """A request's or lower's line as a trace shows it: "line 5", or an input's label."""
        label = self.line_labels.get(num)
        return label if label is not None else f"line {num}"

    def line_arg(self, num: int):
        """A request's line as Perfetto's args show it: the number, or the input's name."""
        for name, line in self.named_lines.items():
            if line == num:
                return name
        return num

    def span_args(self, num: int) -> dict:
        """The args of a handler span of `num` in Perfetto."""
        raise NotImplementedError

    def coalesced(self, num: int) -> tuple[str, dict]:
        """(what, args) of a coalesce record of `num` in Perfetto."""
        raise NotImplementedError

    def vcd_vars(self, num_lines: int) -> list[tuple[str, str, int, int]]:
        """(name, type, size, initial value) of each VCD variable, in declaration order."""
        out = []
        for n in range(self.first_line, num_lines):
            out += [(f"line{n}", "wire", 1, 0), (f"pending{n}", "wire", 1, 0),
                    (f"active{n}", "wire", 1, 0)]
        out += self._vcd_own_vars()
        out.append(("depth", "integer", 8, 0))
        return out

    def _vcd_own_vars(self) -> list[tuple[str, str, int, int]]:
        raise NotImplementedError

    def vcd_targets(self, var: dict, num_lines: int):
        """What each record's num selects among the VCD variables `var` (by name): dicts
        (line_of, pend_of, trap_of, taken_clears, claim_of) from a request's line, a pend's num,
        an entry's num, an entry's num whose pending state it clears, a claim's source."""
        raise NotImplementedError

"""The image's symbols: `m.symbols["name"]` -> Symbol, which reads and writes it in the machine's
memory; `m.symbols.at(pc)` names the function holding an address."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import ArgumentError, ConfigError, SymbolError

if TYPE_CHECKING:
    from .machine import Machine


@dataclass(frozen=True)
class Symbol:
    name: str
    address: int
    size: int
    kind: str
    machine: Machine

    def read(self, fmt: str = "<I"):
        """Reads the symbol with a struct format; one value, or a tuple for several."""
        try:
            n = struct.calcsize(fmt)
        except (struct.error, TypeError) as e:
            raise ArgumentError(f"{self.name}.read({fmt!r}): {e}") from None
        data = self.machine.mem_read(self.address, n)
        vals = struct.unpack(fmt, data)
        return vals[0] if len(vals) == 1 else vals

    def write(self, fmt: str, *values):
        """Writes the symbol (no more than its size). Initialised data is patched in its load
        image too, so a value written before boot survives the startup code's copy of .data."""
        try:
            data = struct.pack(fmt, *values)
        except (struct.error, TypeError) as e:
            raise ArgumentError(f"{self.name}.write({fmt!r}, ...): {e}") from None
        if self.size and len(data) > self.size:
            raise ArgumentError(f"{self.name}.write: {len(data)} bytes do not fit the symbol's "
                                f"{self.size} bytes")
        m = self.machine
        if m.ticks == 0 and any(a <= self.address < a + n for a, n in m._zeroed):
            raise ConfigError(f"{self.name} is in .bss, which the firmware's start-up code zeroes: "
                              "a value written before boot would be lost. Run to main first "
                              "(m.run(until=\"main\")) or give it an initialiser (.data)")
        self.machine.mem_write(self.address, data)
        for vaddr, paddr, size in self.machine._copies:
            if vaddr <= self.address and self.address + len(data) <= vaddr + size:
                self.machine.mem_write(paddr + self.address - vaddr, data)


class Symbols:
    """The image's symbols by name: `m.symbols["name"]` -> Symbol; SymbolError if unknown."""

    def __init__(self, machine, table: dict[str, tuple[int, int, str]]):
        self._m = machine
        self._t = table

    def __getitem__(self, name) -> Symbol:
        try:
            addr, size, kind = self._t[name]
        except KeyError:
            raise SymbolError(f"symbol {name!r} not found in {self._m.image}; "
                              "check the name (C symbols are not mangled) and that it was not "
                              "garbage-collected by the linker") from None
        return Symbol(name, addr, size, kind, self._m)

    def __contains__(self, name):
        return name in self._t

    def __iter__(self):
        return iter(self._t)

    def containing(self, addr: int) -> tuple[str, int] | None:
        """(name, offset) of the function containing code address `addr`, or None."""
        addr &= ~self._m.adapter.code_bit
        for name, (a, size, kind) in self._t.items():
            a &= ~self._m.adapter.code_bit
            if kind == "FUNC" and a <= addr < a + max(size, 1):
                return name, addr - a
        return None

    def object_at(self, addr: int) -> str | None:
        """The data object (a variable) holding `addr` as "name" or "name+0x4", or None."""
        for name, (a, size, kind) in self._t.items():
            if kind == "OBJECT" and a <= addr < a + max(size, 1):
                return name if addr == a else f"{name}+{addr - a:#x}"
        return None

    def at(self, addr: int) -> str | None:
        """The function containing code address `addr` as "name" or "name+0x4", or None."""
        hit = self.containing(addr)
        return None if hit is None else hit[0] if not hit[1] else f"{hit[0]}+{hit[1]:#x}"

    def address(self, name_or_addr) -> int:
        if isinstance(name_or_addr, int):
            return name_or_addr
        return self[name_or_addr].address

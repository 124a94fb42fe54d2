"""The Machine's debugging API (sim.gdb builds on it; the native side is debug.c):
breakpoints, watchpoints, one-instruction steps, a halt request from another thread, and the
GDB server on the machine (sim/gdb; docs/testing.md "Debugging in GDB")."""

from __future__ import annotations

from ..checks import U32_MAX, check_int
from ..errors import ArgumentError
from . import ffi, lib
from .stops import Stop


class Debugging:
    """Mixed into sim.machine.Machine."""

    def set_breakpoint(self, addr, on: bool = True):
        """Every later run stops (reason "break") before the instruction at `addr` (symbol or
        address) runs; a run that starts at the breakpoint it stopped at runs it first."""
        a = check_int("breakpoint address", self.symbols.address(addr), 0, U32_MAX)
        if lib.core_set_breakpoint(self._core, a, bool(on)):
            raise ArgumentError(f"cannot set a breakpoint at {a:#x}: at most "
                                f"{lib.CORE_MAX_BREAKPOINTS} breakpoints; remove one first")

    def set_watchpoint(self, addr, length: int = 4, kind: str = "write", on: bool = True):
        """Runs stop (reason "watch") right after an instruction that reads, writes or
        accesses (`kind`) [addr, addr + length). While any is set every access is slower."""
        kinds = {"write": lib.WATCH_WRITE, "read": lib.WATCH_READ, "access": lib.WATCH_ACCESS}
        if kind not in kinds:
            raise ArgumentError(f"watchpoint kind must be one of {', '.join(kinds)} "
                                f"(got {kind!r})")
        a = check_int("watchpoint address", self.symbols.address(addr), 0, U32_MAX)
        check_int("watchpoint length", length, 1, U32_MAX + 1 - a)
        err = lib.core_set_watchpoint(self._core, a, length, kinds[kind], bool(on))
        if err:
            raise ArgumentError(f"cannot set a watchpoint at {a:#x}: at most "
                                f"{lib.CORE_MAX_WATCHPOINTS} watchpoints; remove one first"
                                if err == -1 else f"cannot set a watchpoint at {a:#x}")

    @property
    def watch_hit(self) -> tuple[int, str]:
        """The access that stopped the last run with reason "watch": (address, "read" or
        "write")."""
        addr, kind = ffi.new("uint64_t *"), ffi.new("int *")
        lib.core_watch_info(self._core, addr, kind)
        return addr[0], "write" if kind[0] == lib.WATCH_WRITE else "read"

    def step(self) -> Stop:
        """Runs exactly one instruction (one tick); when an exception is due first, only its
        entry (PC at the handler's first instruction). Stop reason "step", or what ended it."""
        if self._lockup is not None:
            raise self._lockup
        lib.core_set_runaway(self._core, self.runaway_limit)
        r = lib.core_step(self._core)
        self._drain()
        return self._finish(r)

    @property
    def recent_records(self) -> list:
        """The last trace records (Event tuples; TestKit.recent_events formats them), wherever
        they went (m.events or a sink)."""
        return list(self._recent)

    def serve_gdb(self, port: int = 1234, host: str = "127.0.0.1", on_listen=None) -> str:
        """Serves this machine to one GDB (sim.gdb) on host:port, halted where it is, and
        returns how the session ended: "detach", "kill" or "closed"."""
        from ..gdb import serve
        return serve(self, port, host, on_listen)

    def halt(self):
        """Asks a run in progress (in another thread) to stop at its next block boundary,
        reason "halt"; made between runs, the next run stops at once. Thread-safe."""
        lib.core_halt(self._core)

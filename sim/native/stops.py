"""How a run ends (docs/semantics.md, "How a run ends"): the Stop a run returns, with its
one-line detail, or the FirmwareError / Interrupted it raises instead, with the fault detail;
every address in them named by its function (Machine.where)."""

from __future__ import annotations

import signal
from dataclasses import dataclass, field

from ..codes import FAULT_CAUSES, STOP_REASONS
from ..errors import FirmwareError, Interrupted
from . import ffi, lib


@dataclass(frozen=True)
class Stop:
    """Why a run stopped. `reason`: exit (the firmware exited, through semihosting or a test
    finisher: `exit_code`), ticks (the tick budget ended), timeout (the host-time bound ended),
    until (PC reached `until`), idle (WFI with nothing that can ever wake the core), stuck (a
    loop nothing can ever leave: `loop` is its [start, end) and `fault` the fault whose handler
    spins, for a fault loop), reset (the firmware asked a test finisher for a machine reset),
    event (a record of a kind `Machine.run(stop_on=...)` asked for was made).
    `detail` says why in one line, with every address named by its function (Machine.where);
    `function` is where PC is ("main+0x12"), None outside every function symbol."""
    reason: str
    ticks: int
    pc: int
    exit_code: int | None
    # what the stop says about itself: not part of a Stop's equality (outcomes compare)
    detail: str = field(default="", compare=False)
    function: str | None = field(default=None, compare=False)
    loop: tuple[int, int] | None = field(default=None, compare=False)
    fault: dict | None = field(default=None, compare=False)

    @property
    def exit_status(self) -> int:
        """The process exit status this stop maps to (`irqsim run`): the firmware's exit code,
        0 at `until`, 124 when a tick or time limit ended the run (as timeout(1)), else 1."""
        if self.reason == "exit":
            return self.exit_code & 0xFF if self.exit_code is not None else 1
        if self.reason == "until":
            return 0
        return 124 if self.reason in ("ticks", "timeout") else 1


class Stops:
    """Mixed into sim.machine.Machine."""

    def _finish(self, r, *, ticks=None, until=None) -> Stop:
        """The Stop for core_run's result r, or the exception it stands for."""
        core = self._core
        reason = STOP_REASONS.get(r, "error")
        if reason == "exit":
            self.exit_code = lib.core_exit_code(core)
        if reason == "signal":
            sig = lib.core_signal_taken()
            name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else sig
            raise Interrupted(f"{self.image.name}: stopped by {name} at tick {self.ticks}, "
                              f"{self.where(self.pc)}", signum=sig, tick=self.ticks,
                              pc=self.pc)
        if reason in ("lockup", "runaway", "error", "console-full"):
            err = self._firmware_error(reason)
            if reason == "lockup":
                self._lockup = err
            raise err
        return self._stop(reason, ticks=ticks, until=until)

    def _stop(self, reason, *, ticks=None, until=None, timeout=None) -> Stop:
        """The Stop for `reason`, its one-line detail and what the architecture adds."""
        pc = self.pc
        at = f"at tick {self.ticks:,}, {self.where(pc)}"
        loop = fault = None
        if reason == "exit":
            detail = f"the firmware exited with status {self.exit_code} {at}"
        elif reason == "ticks":
            detail = f"tick limit: {ticks:,} ticks ran out {at}"
        elif reason == "timeout":
            detail = f"time limit: {timeout:g} s of host time ran out {at}"
        elif reason == "until":
            detail = f"reached {until if isinstance(until, str) else self.where(pc)} {at}"
        elif reason == "event":
            detail = f"a trace record of a stop_on kind was made {at}"
        elif reason in ("break", "step", "halt"):
            detail = {"break": "breakpoint", "step": "stepped", "halt": "halted"}[reason] + \
                f" {at}"
        elif reason == "watch":
            addr, kind = self.watch_hit
            detail = f"watchpoint: {kind} of {self.where(addr, 'address')} {at}"
        elif reason == "reset":
            detail = f"the firmware asked for a machine reset (test finisher) {at}"
        else:
            if reason == "stuck":
                start, end = ffi.new("uint64_t *"), ffi.new("uint64_t *")
                lib.core_loop_info(self._core, start, end)
                loop = (start[0], end[0])
            why, fault = self.adapter.stuck_detail(self)
            if fault is not None:
                detail = (f"fault loop: the {fault['handler']} handler spins {at}, after "
                          f"{fault['text']}")
            elif reason == "stuck":
                detail = (f"stuck {at}: the loop at {loop[0]:#010x}..{loop[1]:#010x} branches "
                          f"to itself and nothing can ever interrupt it ({why})")
            else:
                detail = (f"idle {at}: waiting for an interrupt (WFI) that can never come "
                          f"({why})")
        self.last_stop = Stop(reason, self.ticks, pc, self.exit_code, detail,
                              self.function_at(pc), loop, fault)
        return self.last_stop

    def fault_info(self) -> tuple[int, int, int]:
        """The last fault taken (or the lockup): its PC, the address it is about, its cause
        (a sim.codes.FAULT_CAUSES key; 0 for none)."""
        pc = ffi.new("uint64_t *")
        addr = ffi.new("uint64_t *")
        cause = ffi.new("uint32_t *")
        lib.core_fault_info(self._core, pc, addr, cause)
        return pc[0], addr[0], cause[0]

    def _firmware_error(self, reason) -> FirmwareError:
        pc, addr, cause = (ffi.new("uint64_t *", v) for v in self.fault_info())
        last = list(self._recent)
        where = self.where(pc[0])
        recent = "; ".join(str(e) for e in last[-4:]) or (
            "none" if self._trace_on else "not kept (the trace is off)")
        if reason == "console-full":
            where = self.where(self.pc)
            msg = (f"{self.image.name}: the console output reached its limit of "
                   f"{self.console_limit} bytes (console_limit) at tick {self.ticks}, {where}: a "
                   "write flood? Give Machine(..., console_limit=N) to keep more")
            return FirmwareError(msg, pc=self.pc, events=last, reason=reason)
        if reason == "runaway":
            msg = (f"{self.image.name}: runaway handler: the core stayed in handler mode for more "
                   f"than {self.runaway_limit} ticks, now at {where}; last events: {recent}. "
                   "Raise runaway_limit if the handler is meant to run that long")
        elif reason == "lockup":
            msg = (f"{self.image.name}: lockup at {where}: {self._cause(cause[0], addr[0])}"
                   f", {self.where(addr[0], 'address')}; last events: {recent}. Check the handler "
                   "at that "
                   "PC and the stack pointer")
        else:
            msg = (f"{self.image.name}: the emulator stopped at {where} "
                   f"({FAULT_CAUSES.get(cause[0], 'unknown')}); last events: {recent}")
        if reason == "lockup":
            msg += self.adapter.fault_detail(self)
        return FirmwareError(msg, pc=pc[0], address=addr[0], events=last, reason=reason)

    def _cause(self, cause: int, addr: int) -> str:
        """The fault cause in words; a fetch from mapped memory without execute permission
        says so (the core reports it as a bus fault on fetch, as for unmapped memory)."""
        r = self.board.region_of(addr)
        if cause == lib.FAULT_BUS_FETCH and r is not None and "x" not in r.perms:
            return (f"instruction fetch from memory {r.name}, which is mapped without execute "
                    f"permission (perms = {r.perms!r})")
        return FAULT_CAUSES.get(cause, "fault")

    def function_at(self, addr) -> str | None:
        """The function holding `addr`, as "name+0xoffset", or None (no function symbol)."""
        hit = self.symbols.containing(addr)
        return None if hit is None else f"{hit[0]}+{hit[1]:#x}"

    def where(self, addr, what: str = "pc") -> str:
        """`addr` for a message: "pc 0x000001a4 (main+0x10)", the function left out where the
        image has none there. Every address in a stop report or error goes through it."""
        fn = self.function_at(addr)
        return f"{what} {addr:#010x}" + (f" ({fn})" if fn else "")

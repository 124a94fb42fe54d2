"""The Machine's mistake detectors (the native side is detect.c; the rules, thresholds and
wording are docs/mistakes.md and sim/mistakes.py): set up from the image at load, read in bulk."""

from __future__ import annotations

import re

from ..errors import ArgumentError, ConfigError
from . import ffi, lib

# the names start-up code gives the handler every unused vector falls back to (CMSIS:
# Default_Handler; cortex-m-rt: DefaultHandler; irqsim's firmware: DefaultHandler)
DEFAULT_HANDLERS = ("DefaultHandler", "Default_Handler", "default_handler", "Dummy_Handler")
# symbols that name the lowest address of the main stack (linker scripts of CMSIS, newlib,
# cortex-m-rt); without one, the stack ends where the heap (or .bss) ends
STACK_LIMITS = ("__stack_limit", "__StackLimit", "_sstack", "__stack_end__", "_stack_limit")
# MSR BASEPRI / BASEPRI_MAX, Rn r0..r12 (A7.7.83): 0xF380 | Rn, 0x8800 | SYSm (17, 18)
_MSR_BASEPRI = re.compile(rb"[\x80-\x8c]\xf3[\x11\x12]\x88")


class Detectors:
    """Mixed into sim.machine.Machine."""

    def _setup_detectors(self, segments):
        """Tells the core the stack's end, the default handlers and (Cortex-M) where the image
        writes BASEPRI: each MSR site gets a one-address code hook; none, no hook."""
        core = self._core
        self.stack_end, self.stack_end_name = self._stack_end()
        lib.core_set_stack_end(core, self.stack_end)
        defaults = [self.symbols[n].address & ~1 for n in DEFAULT_HANDLERS if n in self.symbols]
        lib.core_set_default_handlers(core, ffi.new("uint64_t[4]", (defaults + [0] * 4)[:4]),
                                      len(defaults[:4]))
        self.mask_sites = []
        if self.arch != "armv7m":
            return
        for addr, data in self._code_segments(segments):
            for hit in _MSR_BASEPRI.finditer(data):
                site = addr + hit.start()
                if not site & 1 and lib.armv7m_watch_msr(core, site) == 0:
                    self.mask_sites.append(site)

    def _code_segments(self, segments):
        """The image's segments (address, bytes) that lie in executable memory: where its
        code is scanned for the instructions the core watches by address."""
        for addr, data in segments:
            r = self.board.region_of(addr)
            if r is not None and "x" in r.perms:
                yield addr, data

    def _setup_nocp(self, segments):
        """Cortex-M cores with an FPU: the image's code scanned for FP instructions, whose
        sites the NOCP check watches while CPACR denies (sim/native/armv7m/nocp.c)."""
        if self.arch != "armv7m":
            return
        for addr, data in self._code_segments(segments):
            if data and lib.armv7m_fp_scan(self._core, addr, len(data), 1) < 0:
                raise ConfigError(f"{self.image}: cannot scan the code at {addr:#010x} for "
                                  "FP instructions: more than 64 separate code segments, or "
                                  "out of memory")

    def _stack_end(self) -> tuple[int, str]:
        """The lowest address the main stack may use and what says so: a stack-limit symbol
        of the image, else the heap base (the end of .bss: Machine.heap_info), else 0 (the
        detector is off)."""
        for name in STACK_LIMITS:
            if name in self.symbols:
                return self.symbols[name].address, name
        if not self.initial_sp:
            return 0, "unknown"
        base = self.heap_info()[0]
        return (base, "the end of .bss and the heap") if base < self.initial_sp else (0, "")

    def mistakes(self) -> list:
        """The firmware mistakes the detectors found so far (sim.mistakes.Mistake: kind, line,
        handler, tick, count, text), each once, in the order first seen."""
        from ..mistakes import mistakes
        self._drain()
        return mistakes(self)

    def expect_mistake(self, kind: str, line=None):
        """Leaves the mistake `kind` about `line` out of mistakes(): the firmware makes it on
        purpose (the demo's line with no handler)."""
        from ..mistakes import KINDS
        if kind not in KINDS:
            raise ArgumentError(f"expect_mistake: kind {kind!r} is not one of {', '.join(KINDS)}")
        self.expected_mistakes.add((kind, None if line is None else self._check_line(line)))

    def mistake_records(self) -> tuple[list, int]:
        """The detectors' records (struct mistake, as dicts) and how many were found in all
        (more than the records when above DET_MAX_RECORDS)."""
        out = ffi.new("struct mistake[]", lib.DET_MAX_RECORDS)
        found = lib.core_mistakes(self._core, out, lib.DET_MAX_RECORDS)
        recs = []
        for i in range(min(found, lib.DET_MAX_RECORDS)):
            r = out[i]
            recs.append({"kind": r.kind, "line": r.line, "tick": r.tick, "last": r.last,
                         "count": r.count, "addr": r.addr, "addr2": r.addr2, "value": r.value,
                         "value2": r.value2, "tick2": r.tick2, "depth": r.depth,
                         "active": [(a >> 16, a & 0xFFFF) for a in list(r.active)[:r.nactive]]})
        return recs, found

    def table_handler(self, line: int) -> int:
        """The handler table slot the last dispatch for `line` found (0: none seen, or empty)."""
        return lib.core_det_handler(self._core, line & 0xFFFFFFFF)

"""Lock-free handler table: the C table of ``handler_table.c`` on the host, through cffi.

Semantics (those of the Rust crate ``handler_table`` from ArceOS): a table has ``n``
slots, each empty or holding one handler, a function of no arguments.

``register(idx, handler)``
    installs ``handler`` if ``idx`` is in range and the slot is empty; returns whether it
    did. It never replaces an installed handler.
``unregister(idx)``
    empties the slot and returns the handler it held (the very object that was
    registered), or ``None`` if the slot was empty or ``idx`` is out of range. Of several
    concurrent callers exactly one gets a given handler.
``handle(idx)``
    calls the handler of the slot once and returns ``True``, or returns ``False`` if the
    slot is empty or ``idx`` is out of range.

Each operation is one atomic operation on one slot in C (a compare-exchange, an
exchange, a load); none takes a lock or loops, so all are wait-free and may be called
from an interrupt handler in firmware (on Cortex-M0, without atomic instructions, each
runs with interrupts masked instead).

Memory order. The crate publishes a handler with an Acquire compare-exchange, which
orders nothing before the store: a handler could run without seeing the data its
registering thread wrote just before registering it. Here the compare-exchange and the
exchange are acq_rel and the load in ``handle`` is acquire, so (1) a handler sees what
was written before it was registered, (2) the thread that unregisters a handler sees the
same, and (3) whoever registers into a slot next sees what the unregistering thread wrote
before giving the slot up. Compiling with ``-DHANDLER_TABLE_CRATE_ORDERING`` restores
the crate's orderings; ``tests/handlertable/tsan_stress.c`` shows ThreadSanitizer
reporting the resulting data race.

On the host, handlers are either C function pointers of type ``void(*)(void)`` (for
example ``ffi.addressof(lib, "ht_test_handler0")``), which run without the GIL, or
Python callables, which get a fresh ``ffi.callback`` per registration; the callback takes
the GIL when it runs. cffi releases the GIL inside every C call, so the table operations
of several Python threads really do overlap in C. An exception raised by a Python
handler propagates out of the ``handle`` call that ran it.

Firmware builds compile ``handler_table.c`` from :func:`source_dir` (``testlib.c`` there
holds host-only test helpers).
"""

from __future__ import annotations

import operator
import threading
from pathlib import Path
from typing import Any, Callable, Optional, Union

from ._handlertable_cffi import ffi, lib

__all__ = ["HandlerTable", "ffi", "lib", "source_dir"]

_HANDLER_T = ffi.typeof("handler_t")

# Per thread: how many HandlerTable.handle calls are running, and the first exception a
# Python handler raised inside the innermost one.
_tls = threading.local()


def source_dir() -> Path:
    """The folder holding ``handler_table.h`` and ``handler_table.c`` (package data)."""
    return Path(__file__).resolve().parent


Handler = Union[Callable[[], Any], Any]  # a Python callable or a cdata 'void(*)(void)'


def _python_trampoline(fn: Callable[[], Any]) -> Callable[[], None]:
    def trampoline() -> None:
        try:
            fn()
        except BaseException as exc:  # noqa: BLE001 - handed to HandlerTable.handle
            if getattr(_tls, "depth", 0) > 0:
                if _tls.exc is None:
                    _tls.exc = exc
            else:
                # Called from C outside HandlerTable.handle: nobody to hand it to, so
                # cffi prints it ("From cffi callback ...").
                raise

    return trampoline


class _Entry:
    """What a successful (or in-flight) register installed in one slot."""

    __slots__ = ("handler", "callback", "installed")

    def __init__(self, handler: Handler, callback: Any) -> None:
        self.handler = handler  # returned by unregister
        self.callback = callback  # keeps the ffi.callback (or the C pointer cdata) alive
        self.installed = False  # set once the compare-exchange has succeeded


class HandlerTable:
    """A table of ``n`` handler slots backed by the lock-free C table.

    Python bookkeeping. Unregister must give back the registered object, but C only
    returns a function pointer, so the table keeps a claim per ``(slot, pointer)``:
    a register takes the claim *before* its compare-exchange and drops it if that fails;
    the unregister whose exchange returns the pointer takes the claim over. A Python
    handler gets a fresh ``ffi.callback`` each time, whose address is unique while it is
    alive, so its claims never collide and these operations run concurrently in C. Only
    two registers of the same C function on the same slot wait for each other, briefly.

    A callback taken out of the table is kept alive until no ``handle`` of this table is
    running, because a concurrent ``handle`` may have loaded it just before the exchange.
    ``lib.handler_table_*`` calls on :attr:`c_table` bypass this bookkeeping.
    """

    def __init__(self, n: int) -> None:
        n = operator.index(n)
        if n < 0:
            raise ValueError(f"a handler table needs n >= 0 slots, got {n}")
        raw = lib.handler_table_host_new(n)
        if raw == ffi.NULL:
            raise MemoryError(f"cannot allocate a handler table of {n} slots")
        self._table = ffi.gc(raw, lib.handler_table_host_free)
        self._len = n
        self._cond = threading.Condition(threading.Lock())
        self._claims: dict[tuple[int, int], _Entry] = {}
        self._unregistering: dict[int, set[object]] = {}  # slot -> tokens of running unregisters
        self._handles_running = 0
        self._retired: list[_Entry] = []

    def __len__(self) -> int:
        return self._len

    def __repr__(self) -> str:
        return f"<HandlerTable n={self._len}>"

    @property
    def c_table(self) -> Any:
        """The underlying ``struct handler_table *``, valid while this object lives."""
        return self._table

    def _slot(self, idx: int) -> Optional[int]:
        i = operator.index(idx)
        return i if 0 <= i < self._len else None

    @staticmethod
    def _to_c(handler: Handler) -> tuple[Any, Any]:
        """(function pointer for C, object to keep alive while installed)."""
        if isinstance(handler, ffi.CData):
            ctype = ffi.typeof(handler)
            if ctype is not _HANDLER_T:
                raise TypeError(
                    "handler must be a Python callable or a C function pointer of type "
                    f"'void(*)(void)', got <cdata '{ctype.cname}'>"
                )
            return handler, handler
        if callable(handler):
            cb = ffi.callback(_HANDLER_T, _python_trampoline(handler))
            return cb, cb
        raise TypeError(
            "handler must be a Python callable or a C function pointer of type "
            f"'void(*)(void)', got {type(handler).__name__!r} (not callable)"
        )

    def register(self, idx: int, handler: Handler) -> bool:
        """Install ``handler`` in slot ``idx`` if the slot is empty; return whether it was.

        Out-of-range ``idx`` (negative included) and a NULL function pointer give
        ``False``. A handler that is neither callable nor a ``void(*)(void)`` cdata raises
        ``TypeError``.
        """
        fnptr, keepalive = self._to_c(handler)
        i = self._slot(idx)
        ptr = int(ffi.cast("uintptr_t", fnptr))
        if i is None or ptr == 0:
            return False
        key = (i, ptr)
        entry = _Entry(handler, keepalive)
        with self._cond:
            while True:
                other = self._claims.get(key)
                if other is None:
                    self._claims[key] = entry
                    break
                # Only a C function pointer can get here: the same function is claimed
                # on this slot by another register.
                if not other.installed:
                    self._cond.wait()  # its compare-exchange is running: wait for it
                    continue
                # `other` is installed; unless an unregister that was running at this
                # moment has taken it out, the slot holds it now and we must fail.
                busy = self._unregistering.get(i)
                if busy:
                    running = frozenset(busy)
                    self._cond.wait_for(
                        lambda: self._claims.get(key) is not other
                        or running.isdisjoint(self._unregistering.get(i, ()))
                    )
                    if self._claims.get(key) is not other:
                        continue
                return False
        ok = False
        try:
            ok = bool(lib.handler_table_register(self._table, i, fnptr))
        finally:
            with self._cond:
                if ok:
                    entry.installed = True
                elif self._claims.get(key) is entry:
                    del self._claims[key]
                self._cond.notify_all()
        return ok

    def unregister(self, idx: int) -> Optional[Handler]:
        """Empty slot ``idx``; return the handler object it held, or ``None``."""
        i = self._slot(idx)
        if i is None:
            return None
        token = object()
        with self._cond:
            self._unregistering.setdefault(i, set()).add(token)
        fnptr = ffi.NULL
        entry = None
        try:
            fnptr = lib.handler_table_unregister(self._table, i)
        finally:
            with self._cond:
                running = self._unregistering[i]
                running.discard(token)
                if not running:
                    del self._unregistering[i]
                if fnptr != ffi.NULL:
                    entry = self._claims.pop((i, int(ffi.cast("uintptr_t", fnptr))), None)
                    if entry is not None and self._handles_running:
                        self._retired.append(entry)
                self._cond.notify_all()
        if fnptr == ffi.NULL:
            return None
        if entry is None:
            # Installed through lib/c_table, not through this object.
            return fnptr
        return entry.handler

    def handle(self, idx: int) -> bool:
        """Call the handler of slot ``idx`` once and return ``True``; ``False`` if none.

        An exception raised by a Python handler is re-raised here.
        """
        i = self._slot(idx)
        if i is None:
            return False
        with self._cond:
            self._handles_running += 1
        saved_exc = getattr(_tls, "exc", None)
        _tls.exc = None
        _tls.depth = getattr(_tls, "depth", 0) + 1
        try:
            ok = bool(lib.handler_table_handle(self._table, i))
        finally:
            _tls.depth -= 1
            exc, _tls.exc = _tls.exc, saved_exc
            garbage = None
            with self._cond:
                self._handles_running -= 1
                if not self._handles_running and self._retired:
                    garbage, self._retired = self._retired, []
            del garbage  # outside the lock: dropping a handler may run arbitrary code
        if exc is not None:
            raise exc
        return ok

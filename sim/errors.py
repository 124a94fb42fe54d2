"""The one exception tree of irqsim.

Every error a user can cause (bad input, a firmware that faults, a missing tool) is a
`SimError`; its message names the thing it is about and says what to do. The CLI prints it as
one line and exits non-zero. Broken invariants of our own are `assert`s, not `SimError`s.
"""


class SimError(Exception):
    """Base class: a problem with the user's input, firmware or environment."""


class ConfigError(SimError):
    """Bad configuration: unknown board, IRQ out of range, bad scenario file, bad argument."""


class ArgumentError(ConfigError, TypeError, ValueError):
    """A bad argument to the API (a wrong type, a value out of range); it is also a TypeError and
    a ValueError, so code that catches those catches it too."""


class ClosedError(ConfigError):
    """The Machine was closed (Machine.close(), or the end of its `with` block)."""


class SnapshotError(ConfigError):
    """A snapshot that does not fit the machine it is restored into (another board or image),
    or that could not be taken or applied (Machine.snapshot / restore / fork)."""


class Interrupted(SimError):
    """A run stopped by SIGINT or SIGTERM. `signum`, `tick` and `pc` say which and where; the
    CLI exits with 128 + signum."""

    def __init__(self, message, *, signum, tick=None, pc=None):
        super().__init__(message)
        self.signum = signum
        self.tick = tick
        self.pc = pc


class ToolchainError(SimError):
    """The cross compiler is missing or a firmware build failed."""


class FirmwareError(SimError):
    """Bad firmware: not an ELF, wrong architecture, a fault, a lockup, a runaway handler.

    `pc`, `address` and `events` (the last trace events, newest last) are filled in where known;
    `reason` is the stop reason of a run that ended in it (lockup, runaway, console-full, error).
    """

    def __init__(self, message, *, pc=None, address=None, events=(), reason=None):
        super().__init__(message)
        self.reason = reason
        self.pc = pc
        self.address = address
        self.events = list(events)


class SymbolError(SimError, KeyError):
    """A symbol that the firmware image does not define."""

    def __str__(self):  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class ExpectationFailed(SimError, AssertionError):
    """A test expectation on a machine did not hold (Machine.run_until_console, expect_handled,
    assert_no_lost_requests, ...). It is an AssertionError, so pytest reports it as a failed
    assertion; its message carries the stop, the last events and the console tail."""

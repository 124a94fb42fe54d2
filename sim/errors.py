"""The one exception tree of irqsim.

Every error a user can cause (bad input, a firmware that faults, a missing tool) is a
`SimError`; its message names the thing it is about and says what to do. The CLI prints it as
one line and exits non-zero. Broken invariants of our own are `assert`s, not `SimError`s.
"""


class SimError(Exception):
    """Base class: a problem with the user's input, firmware or environment."""


class ConfigError(SimError):
    """Bad configuration: unknown board, IRQ out of range, bad scenario file, bad argument."""


class ToolchainError(SimError):
    """The cross compiler is missing or a firmware build failed."""


class FirmwareError(SimError):
    """Bad firmware: not an ELF, wrong architecture, a fault, a lockup, a runaway handler.

    `pc`, `address` and `events` (the last trace events, newest last) are filled in where known.
    """

    def __init__(self, message, *, pc=None, address=None, events=()):
        super().__init__(message)
        self.pc = pc
        self.address = address
        self.events = list(events)


class SymbolError(SimError, KeyError):
    """A symbol that the firmware image does not define."""

    def __str__(self):  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""

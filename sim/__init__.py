"""irqsim: interrupt simulation for Cortex-M and RISC-V firmware.

`Machine` loads an image on a board and runs it with Python-driven interrupt lines; the NVIC,
PLIC and CLINT models and the exception mechanics live in the native core (sim.native).
"""

from .boards import Board, get_board
from .errors import (
    ConfigError,
    FirmwareError,
    SimError,
    SnapshotError,
    SymbolError,
    ToolchainError,
)
from .machine import Machine, Stop
from .snapshot import Snapshot

__all__ = ["Board", "ConfigError", "FirmwareError", "Machine", "SimError", "Snapshot",
           "SnapshotError", "Stop", "SymbolError", "ToolchainError", "get_board"]

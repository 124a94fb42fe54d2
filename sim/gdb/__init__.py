"""A GDB server for irqsim machines (the remote serial protocol): see server.py."""

from .server import GdbServer, serve

__all__ = ["GdbServer", "serve"]

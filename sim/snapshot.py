"""Snapshots of a Machine (Machine.snapshot / restore / fork; docs/testing.md, "Snapshots").

A Snapshot is an in-memory object: the native core's whole state as one blob (registers,
memory, controller and devices, time, scheduled line events, storm sources and accounting;
sim/native/snapshot.c says what is in it) plus what the Machine keeps in Python (the events and
console drained so far, the exit code, guest notes). It fits machines of the same board and
the same image file (by content), and no other: restoring it elsewhere raises SnapshotError.
It does not depend on the machine it came from once taken: that machine may run on, or close.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import SnapshotError


def image_digest(path: Path) -> str:
    """What identifies an image for snapshots: the SHA-256 of the file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@dataclass(frozen=True, eq=False)
class Snapshot:
    board: str               # the board's name
    image: str               # the image's file name (for messages)
    digest: str              # image_digest of the image at load
    ticks: int               # the time it was taken at
    size: int                # bytes the native blob holds
    _blob: Any = field(repr=False)          # the native snapshot (freed with this object)
    _py: dict = field(repr=False)           # the Machine's Python-side state

    def __copy__(self):
        return self          # immutable: a copy is the same snapshot

    def __deepcopy__(self, memo):
        return self

    def __reduce__(self):
        raise SnapshotError("a Snapshot lives in memory (a native blob and host descriptors) "
                            "and cannot be pickled or saved: keep the machine's image and "
                            "take it again in the process that needs it")

    def check_fits(self, board: str, image: str, digest: str):
        """SnapshotError unless this snapshot was taken on `board` with the same image."""
        if board != self.board:
            raise SnapshotError(f"this snapshot was taken on board {self.board}, not {board}: "
                                "restore it into a machine of that board (or use its fork())")
        if digest != self.digest:
            raise SnapshotError(f"this snapshot was taken with image {self.image} (sha256 "
                                f"{self.digest[:12]}), not {image} (sha256 {digest[:12]}): "
                                "restore it into a machine of the same image")

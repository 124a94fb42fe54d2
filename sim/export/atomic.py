"""The atomic writer every export uses: a file appears whole, or not at all."""

from __future__ import annotations

import os
import secrets
from contextlib import contextmanager

from ..errors import ConfigError


@contextmanager
def atomic_output(path, mode: str = "w"):
    """Opens a temporary file beside `path` for writing ("w" text, "wb" binary) and renames it
    to `path` when the block ends normally; on any exception (KeyboardInterrupt too) the
    temporary file is removed and `path` is left untouched. The file gets the mode a plain
    `open` would give it (0666 less the umask)."""
    assert mode in ("w", "wb")
    dest = os.path.abspath(os.fspath(path))
    folder, name = os.path.split(dest)
    tmp = os.path.join(folder, f".{name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as e:
        raise ConfigError(f"cannot write {path}: {e.strerror} (does the folder {folder} exist "
                          "and is it writable?)") from None
    try:
        if mode == "wb":
            f = os.fdopen(fd, "wb")
        else:
            f = os.fdopen(fd, "w", encoding="utf-8", newline="\n")
        with f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, dest)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise

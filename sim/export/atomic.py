"""The output writer every export uses: a regular file appears whole, or not at all.

What a path names decides how it is written (output_kind):
  "-"                     standard output, streamed
  a character device,     written in place, streamed (/dev/null, /dev/stdout, a terminal, a
  a FIFO or a socket      named pipe): such a node is never replaced
  anything else           a regular file, new or not: written to a hidden temporary beside it
                          and renamed over it when the writing ended normally; a symlink is
                          followed, so its target is replaced and the link stays
A write that fails (ENOSPC, EACCES, EROFS, ...) is one ConfigError naming the path and the
reason; the temporary is removed and an existing file stays as it was.
"""

from __future__ import annotations

import os
import secrets
import stat
import sys
from contextlib import contextmanager

from ..errors import ConfigError

STDOUT = "-"


def output_kind(path) -> str:
    """"stdout", "stream" (a character device, FIFO or socket, written in place) or "file"."""
    p = os.fspath(path)
    if p == STDOUT:
        return "stdout"
    if p in ("/dev/stdout", "/dev/stderr") or p.startswith(("/dev/fd/", "/proc/self/fd/")):
        return "stream"               # a descriptor, whatever it is open on: in place
    try:
        mode = os.stat(p).st_mode          # follows symlinks: what the link names counts
    except FileNotFoundError:
        return "file"
    except OSError as e:
        raise ConfigError(f"cannot write {p}: {e.strerror}") from None
    if stat.S_ISDIR(mode):
        raise ConfigError(f"cannot write {p}: it is a folder; give a file name")
    if stat.S_ISCHR(mode) or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
        return "stream"
    return "file"


def check_writable(path) -> None:
    """Before a run: ConfigError now when `path` could not be written at its end."""
    kind = output_kind(path)
    p = os.path.realpath(os.fspath(path)) if kind == "file" else os.fspath(path)
    if kind == "stream" and not os.access(p, os.W_OK):
        raise ConfigError(f"cannot write {path}: permission denied")
    if kind == "file":
        folder = os.path.dirname(p)
        if not os.path.isdir(folder) or not os.access(folder, os.W_OK):
            raise ConfigError(f"cannot write {path}: the folder {folder} does not exist or is "
                              "not writable")
        if os.path.exists(p) and not os.access(p, os.W_OK):
            raise ConfigError(f"cannot write {path}: permission denied")


@contextmanager
def atomic_output(path, mode: str = "w"):
    """Opens `path` for writing ("w" text, "wb" binary) as the module docstring says: a
    regular file through a temporary renamed over it when the block ends normally (on any
    exception, KeyboardInterrupt too, the temporary is removed and `path` is left untouched);
    "-" and device nodes in place. A new file gets the mode a plain `open` would give it (0666
    less the umask)."""
    assert mode in ("w", "wb")
    kind = output_kind(path)
    try:
        if kind == "stdout":
            yield from _stdout(mode)
        elif kind == "stream":
            yield from _stream(path, mode)
        else:
            yield from _replace(path, mode)
    except OSError as e:
        raise ConfigError(f"cannot write {path}: {e.strerror or e}; "
                          + ("an existing file stays as it was" if kind == "file" else
                             "the output is incomplete")) from None


def _stdout(mode):
    if mode == "wb":
        sys.stdout.flush()
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
    else:
        yield sys.stdout
        sys.stdout.flush()


def _stream(path, mode):
    kw = {} if mode == "wb" else {"encoding": "utf-8", "newline": "\n"}
    with open(os.fspath(path), mode, **kw) as f:   # in place: never truncates a node away
        yield f


def _replace(path, mode):
    dest = os.path.realpath(os.fspath(path))      # a symlink: replace its target, keep it
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

"""The native core (C through cffi against Unicorn's C API). Import `unicorn` first: it maps
the libunicorn that the extension binds to."""

import unicorn  # noqa: F401  (loads libunicorn.so.2 for the extension below)

from ._core_cffi import ffi, lib  # noqa: E402

__all__ = ["ffi", "lib"]

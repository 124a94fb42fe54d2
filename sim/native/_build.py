"""cffi build of the native core (API mode), linked against the libunicorn of the unicorn wheel.

The extension names libunicorn.so.2 as a needed library without an rpath: `sim.native` imports
`unicorn` first, whose ctypes loader maps that very library, and the dynamic linker then binds
our module to the same copy. One engine, driven from Python and from C.
"""

import os
import re
from pathlib import Path

import cffi
import unicorn

HERE = Path(__file__).resolve().parent
UC_DIR = Path(unicorn.__file__).resolve().parent
# every C file of the native core: core.c, semihost.c and the folders armv7m/, rv32/, dev/,
# storm/ (docs/architecture.md)
SOURCES = sorted(p.relative_to(HERE).as_posix() for p in HERE.rglob("*.c")
                 if p.name != "_core_cffi.c")


def _cdef():
    text = (HERE / "api.h").read_text()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    lines = [ln for ln in text.splitlines()
             if not ln.startswith("#") or re.match(r"#define \w+ +\S", ln)]
    return "\n".join(lines)


ffibuilder = cffi.FFI()
ffibuilder.cdef(_cdef())
ffibuilder.set_source(
    "sim.native._core_cffi",
    '#include "api.h"\n#include "core.h"\n',
    # relative paths keep the objects inside the build tree (cwd is the project root)
    sources=[os.path.relpath(HERE / s) for s in SOURCES],
    include_dirs=[str(HERE), str(UC_DIR / "include")],
    library_dirs=[str(UC_DIR / "lib")],
    libraries=[":libunicorn.so.2"],
    # no FMA contraction: storm randomness must be bit-identical on every machine
    extra_compile_args=["-std=gnu11", "-O2", "-Wall", "-Wno-unused-parameter", "-ffp-contract=off"],
)

def _drop_stale_objects():
    """setuptools recompiles a .c whose object is older than it, but knows nothing of headers:
    after a header change (a struct of dev.h, armv7m.h) objects built against the old layout
    would be linked with new ones. Objects older than the newest header go."""
    newest = max(p.stat().st_mtime for p in HERE.rglob("*.h"))
    for o in HERE.rglob("*.o"):
        if o.stat().st_mtime < newest:
            o.unlink()


if __name__ == "__main__":
    os.chdir(HERE.parent.parent)
    _drop_stale_objects()
    ffibuilder.compile(verbose=False)

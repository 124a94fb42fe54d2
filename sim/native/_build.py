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
SOURCES = ["core.c", "armv7m.c", "rv32.c", "storm.c"]


def _cdef():
    text = (HERE / "api.h").read_text()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    lines = [ln for ln in text.splitlines()
             if not ln.startswith("#") or re.match(r"#define \w+ +\S", ln)]
    return "\n".join(lines) + """
struct trace_rec { uint64_t tick; uint16_t kind; uint16_t num; uint32_t arg; };
"""


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

if __name__ == "__main__":
    os.chdir(HERE.parent.parent)
    ffibuilder.compile(verbose=False)

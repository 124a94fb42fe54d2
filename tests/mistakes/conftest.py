from pathlib import Path

import pytest

from sim import toolchain

FW = Path(__file__).parent / "fw"
FWD = toolchain.firmware_dir()
TABLE = [toolchain.handlertable_dir() / "handler_table.c"]


def _build(target, name, folder, startup, *sources, defines=()):
    """`sources` (under fw/) with the start-up code of firmware/`folder` and semihosting."""
    d = FWD / folder
    return toolchain.build_image(target, name, [d / startup, *(FW / s for s in sources),
                                                FWD / "common" / "semihost.c", *TABLE],
                                 linker_script=d / "link.ld", include_dirs=[d, FW],
                                 defines=defines)


@pytest.fixture(scope="session")
def cm_image():
    """fw/mistakes_cm.c on the Cortex-M start-up code (its main stack ends 4.5 KiB below its
    top: __StackLimit, so that five nested handlers with 1 KiB frames reach its end)."""
    return _build("cortex-m3", "mistakes-cm", "cortex_m", "startup.c", "mistakes_cm.c")


@pytest.fixture(scope="session")
def rv_image():
    """fw/mistakes_rv.c on the RV32 start-up code (its stack ends 16 KiB below its top)."""
    return _build("rv32imac", "mistakes-rv", "riscv", "start.S", "mistakes_rv.c")


@pytest.fixture(scope="session")
def no_vector_image():
    """fw/no_vector_cm.c: line 7 enabled; its vector DefaultHandler (or, `with_handler`, a
    handler of its own)."""
    def build(with_handler):
        return _build("cortex-m3", f"no-vector-{int(with_handler)}", "cortex_m", "startup.c",
                      "no_vector_cm.c", defines=["WITH_HANDLER"] if with_handler else [])
    return build

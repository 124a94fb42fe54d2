from pathlib import Path

import pytest

from sim import toolchain

FW = Path(__file__).parent / "fw"


def _masked(target, name, linker_script):
    cm = toolchain.firmware_dir() / "cortex_m"
    srcs = [cm / "startup.c", FW / "masked.c", toolchain.firmware_dir() / "common" / "semihost.c",
            toolchain.handlertable_dir() / "handler_table.c"]
    return toolchain.build_image(target, name, srcs, linker_script=cm / linker_script,
                                 include_dirs=[cm, toolchain.handlertable_dir()])


@pytest.fixture(scope="session")
def masked_image():
    """tests/explain/fw/masked.c: PRIMASK set and cleared in a loop, line 2 in the table."""
    return _masked("cortex-m3", "explain-masked", "link.ld")


@pytest.fixture(scope="session")
def masked_image_m0():
    """masked.c built for the Cortex-M0 board (microbit): the same PRIMASK loop on ARMv6-M."""
    return _masked("cortex-m0", "explain-masked-m0", "link_microbit.ld")

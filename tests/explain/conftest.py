from pathlib import Path

import pytest

from sim import toolchain

FW = Path(__file__).parent / "fw"


@pytest.fixture(scope="session")
def masked_image():
    """tests/explain/fw/masked.c: PRIMASK set and cleared in a loop, line 2 in the table."""
    cm = toolchain.firmware_dir() / "cortex_m"
    srcs = [cm / "startup.c", FW / "masked.c", toolchain.firmware_dir() / "common" / "semihost.c",
            toolchain.handlertable_dir() / "handler_table.c"]
    return toolchain.build_image("cortex-m3", "explain-masked", srcs,
                                 linker_script=cm / "link.ld",
                                 include_dirs=[cm, toolchain.handlertable_dir()])


@pytest.fixture(scope="session")
def masked_image_m0():
    """masked.c built for the Cortex-M0 board (microbit): the same PRIMASK loop on ARMv6-M."""
    cm = toolchain.firmware_dir() / "cortex_m"
    srcs = [cm / "startup.c", FW / "masked.c", toolchain.firmware_dir() / "common" / "semihost.c",
            toolchain.handlertable_dir() / "handler_table.c"]
    return toolchain.build_image("cortex-m0", "explain-masked-m0", srcs,
                                 linker_script=cm / "link_microbit.ld",
                                 include_dirs=[cm, toolchain.handlertable_dir()])

"""What the ARMv6-M test modules share (a module of its own: importing from `conftest` picks
whichever folder's conftest pytest loaded first): the image builder for cortex-m0 on microbit
and the test functions of fw/nvic_tests.c and fw/v6m_tests.c in the order of their `tests[]`
(what `test_id` selects), read from the C sources so that the two cannot disagree."""

import re
from pathlib import Path

from sim import toolchain
from sim.demo import board_link

FW = Path(__file__).parent / "fw"
CM = toolchain.firmware_dir() / "cortex_m"


def _tests(source):
    body = re.search(r"tests\[\]\)\(void\) = \{(.*?)\};", (FW / source).read_text(), re.S)
    return re.findall(r"\bt_(\w+)\b", body.group(1))


NVIC_TESTS = _tests("nvic_tests.c")
V6M_TESTS = _tests("v6m_tests.c")


def build_v6m(name, source, defines=()):
    """A guest test image built for the Cortex-M0 and linked for the microbit (nRF51822)."""
    srcs = [CM / "startup.c", FW / source, FW / "testlog.c",
            toolchain.firmware_dir() / "common" / "semihost.c"]
    ld, board_defines = board_link("microbit")
    return toolchain.build_image("cortex-m0", name, srcs, linker_script=ld,
                                 include_dirs=[CM, FW], defines=[*board_defines, *defines])

"""The test functions of the guest images in fw/ (dev_tests.c, nvic_tests.c, v8m_tests.c), in
the order of each one's `tests[]` (what `test_id` selects), read from the C source so that the
two cannot disagree. A module of its own: conftest.py and the test modules import it (importing
from `conftest` itself picks whichever folder's conftest pytest loaded last)."""

import re
from pathlib import Path


def c_tests(source: str) -> list[str]:
    """The names (without t_) in the `tests[]` table of fw/<source>."""
    src = (Path(__file__).parent / "fw" / source).read_text()
    return re.findall(r"\bt_(\w+)\b", re.search(r"tests\[\]\)\(void\) = \{(.*?)\};", src,
                                                re.S).group(1))


DEV_TESTS = c_tests("dev_tests.c")
NVIC_TESTS = c_tests("nvic_tests.c")
V8M_TESTS = c_tests("v8m_tests.c")

"""The test functions of fw/dev_tests.c, in the order of its `tests[]` (what `test_id` selects),
read from the C source so that the two cannot disagree. A module of its own: conftest.py and
the test modules import it (importing from `conftest` itself picks whichever folder's conftest
pytest loaded last)."""

import re
from pathlib import Path

_SRC = (Path(__file__).parent / "fw" / "dev_tests.c").read_text()
DEV_TESTS = re.findall(r"\bt_(\w+)\b", re.search(r"tests\[\]\)\(void\) = \{(.*?)\};", _SRC,
                                                 re.S).group(1))

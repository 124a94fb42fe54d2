import struct
from pathlib import Path

import pytest

import sim
from sim import toolchain

from dev_test_names import DEV_TESTS

FW = Path(__file__).parent / "fw"
CM = toolchain.firmware_dir() / "cortex_m"


def _build(name, defines=(), source="nvic_tests.c"):
    srcs = [CM / "startup.c", FW / source, FW / "testlog.c",
            toolchain.firmware_dir() / "common" / "semihost.c"]
    return toolchain.build_image("cortex-m3", name, srcs, linker_script=CM / "link.ld",
                                 include_dirs=[CM, FW], defines=defines)


@pytest.fixture(scope="session")
def nvic_image():
    """The guest-side NVIC test image (built once, cached by the toolchain)."""
    return _build("nvic-tests")


@pytest.fixture(scope="session")
def nvic_build():
    """An image that runs one test by itself (test_id fixed at compile time), for QEMU."""
    return lambda name: _build(f"nvic-test-{name}", [f"TEST_ID={TESTS.index(name)}u"])


class GuestTest:
    """One run of one test function of nvic_tests.c."""

    def __init__(self, image, test_id, **kw):
        self.m = sim.Machine.load(image, board="mps2-an385", **kw)
        sym = self.m.symbols["test_id"]
        self.m.mem_write(sym.address, struct.pack("<I", test_id))

    def run(self, ticks=200_000, **kw):
        self.stop = self.m.run(ticks=ticks, **kw)
        return self.stop

    @property
    def log(self):
        m = self.m
        n = m.symbols["log_n"].read()
        return list(m.symbols["log_buf"].read(f"<{n}I")) if n else []

    def scratch(self, i):
        return self.m.symbols["scratch"].read("<16I")[i]

    def kinds(self, *kinds):
        return [e for e in self.m.events if e.kind in kinds]


TESTS = ["frame", "psp", "align", "preempt", "same_priority", "subpriority", "self_pend",
         "primask", "basepri", "faultmask", "nmi", "svc_pendsv", "systick", "busfault", "lockup",
         "vtor", "registers", "pend_then_enable", "idle_loop", "wfi"]


@pytest.fixture
def guest(nvic_image):
    def make(name, **kw):
        return GuestTest(nvic_image, TESTS.index(name), **kw)
    return make


@pytest.fixture(scope="session")
def dev_image():
    """The guest-side device test image (fw/dev_tests.c)."""
    return _build("dev-tests", source="dev_tests.c")


@pytest.fixture(scope="session")
def dev_build():
    """A device test image that runs one test by itself (for QEMU)."""
    return lambda name: _build(f"dev-test-{name}", [f"TEST_ID={DEV_TESTS.index(name)}u"],
                               source="dev_tests.c")


@pytest.fixture
def dev_guest(dev_image):
    def make(name, board="mps2-an385", **kw):
        g = GuestTest.__new__(GuestTest)
        g.m = sim.Machine.load(dev_image, board=board, **kw)
        g.m.mem_write(g.m.symbols["test_id"].address, struct.pack("<I", DEV_TESTS.index(name)))
        return g
    return make

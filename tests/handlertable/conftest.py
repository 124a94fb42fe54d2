"""Fixtures for the host handler table (handlertable, built through cffi)."""

import pytest

from handlertable import HandlerTable, ffi, lib


@pytest.fixture
def table():
    """An 8-slot table, the size used in the crate's README."""
    return HandlerTable(8)


@pytest.fixture
def c_handlers():
    """The four native counting handlers as 'void(*)(void)' cdata, counters reset."""
    lib.ht_test_reset_counts()
    yield [ffi.addressof(lib, f"ht_test_handler{k}") for k in range(4)]
    lib.ht_test_reset_counts()


class Recorder:
    """Python handlers that log their own name when called."""

    def __init__(self):
        self.calls = []

    def handler(self, name):
        def h():
            self.calls.append(name)

        h.__name__ = f"handler_{name}"
        return h


@pytest.fixture
def recorder():
    return Recorder()

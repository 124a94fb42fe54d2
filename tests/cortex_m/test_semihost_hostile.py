"""Hostile semihosting calls never hurt the host: thousands of calls with seeded random
operations, parameter blocks and pointers (into scratch RAM, past its end, unmapped, at the top
of the address space) go through semihost_call (which the firmware keeps for this: Machine.call)
and each comes back as a value in r0; files appear only below the root, and the machine runs
on afterwards."""

import os
import random
import struct

from pathlib import Path

import pytest

import sim
from sim.demo import demo_image

SCRATCH = 0x20200000            # a megabyte of mps2-an385 RAM the demo does not use
NAME = SCRATCH + 0x800          # where a file name goes
GOOD = SCRATCH + 0x900          # well-formed parameter blocks
OPS = [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0C, 0x0D, 0x0E, 0x0F,
       0x10, 0x11, 0x12, 0x13, 0x15, 0x16, 0x30, 0x31, 0x00, 0x19, 0x99, 0xFFFFFFFF]


def pointer(rng):
    """Into the scratch megabyte, or where nothing is mapped (the firmware's own code, data and
    stack stay whole: writing them is the guest's right, and not what this test is about)."""
    return rng.choice([SCRATCH + rng.randrange(0, 0x1000, 4),
                       SCRATCH + rng.randrange(0x1000, 0x100000), SCRATCH + 0x100000 - 2,
                       0x20400000, 0x10000000, 0xFFFFFFFC, 0xFFFFFFFF,
                       rng.randrange(0x00400000, 0x20000000), rng.randrange(0x20400000, 1 << 32)])


def word(rng):
    return rng.choice([0, 1, 2, 4, 5, 8, 11, 12, 31, 32, 1023, 1024, 0x7FFFFFFF, 0xFFFFFFFF,
                       rng.randrange(64), pointer(rng), NAME, NAME])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_calls_come_back_and_stay_below_the_root(tmp_path, seed):
    rng = random.Random(seed)
    root = tmp_path / "root"
    root.mkdir()
    # the code memory read-only, so that a random pointer into it (lengths and handles are
    # small numbers too) is refused instead of rewriting the firmware: writing its own code is
    # the guest's right on the real board, and not what this test is about
    text = (Path(sim.boards.__file__).parent / "boards" / "mps2-an385.toml").read_text()
    assert text.count('perms = "rwx"') == 2
    board = tmp_path / "ro-code.toml"
    board.write_text(text.replace('perms = "rwx"', 'perms = "rx"', 1))
    before = set(os.listdir(tmp_path))
    m = sim.Machine.load(demo_image("mps2-an385"), board=board, semihost_root=root)
    m.run(until="main")
    names = [b":tt\0", b"f.txt\0", b"../up\0", b"/etc/passwd\0", b"a/b\0", b"..\0", b"\0",
             bytes(rng.randrange(1, 256) for _ in range(40)) + b"\0"]
    opened = 0
    for _ in range(700):
        # a scratch page of parameter blocks, names and buffers, redrawn now and then
        if rng.random() < 0.2:
            blob = b"".join(struct.pack("<I", word(rng)) for _ in range(256))
            m.mem_write(SCRATCH, blob)
            name = rng.choice(names)
            m.mem_write(NAME, name)
            # and one well-formed block: {name, mode, length}, or {handle, buffer, length}
            m.mem_write(GOOD, struct.pack("<3I", NAME, rng.randrange(12), len(name) - 1))
        if rng.random() < 0.3:
            m.mem_write(GOOD + 16, struct.pack("<3I", rng.randrange(1, 8), SCRATCH + 0x4000,
                                               rng.randrange(0, 300)))
        op = rng.choice(OPS)
        arg = rng.choice([pointer(rng), SCRATCH + 4 * rng.randrange(16), NAME, GOOD, GOOD + 16])
        r = m.call("semihost_call", op, arg, max_ticks=100_000)
        assert 0 <= r < 1 << 32
        opened += op == 0x01 and r != 0xFFFFFFFF
    assert opened, "some opens went through (the calls reach the file code)"
    assert set(os.listdir(tmp_path)) == before, "nothing written beside the root"
    assert not os.path.exists("/etc/passwd.tmp")
    stop = m.run(ticks=20_000_000)                # the firmware goes on to its own exit
    assert stop.reason == "exit" and stop.exit_code == 0

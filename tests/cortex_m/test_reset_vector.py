"""Reset (ARMv7-M ARM B1.5.5): the reset vector must be a Thumb address."""

import struct

import pytest
from elftools.elf.elffile import ELFFile

import sim
from sim import FirmwareError


def _with_reset_vector(src, dst, value):
    """A copy of ELF `src` whose word at address 4 (the reset vector) is `value`."""
    data = bytearray(src.read_bytes())
    with open(src, "rb") as f:
        for seg in ELFFile(f).iter_segments():
            lo = seg["p_paddr"]
            if seg["p_type"] == "PT_LOAD" and lo <= 4 < lo + seg["p_filesz"]:
                off = seg["p_offset"] + 4 - lo
                break
        else:
            raise AssertionError("no segment holds the vector table")
    data[off:off + 4] = struct.pack("<I", value)
    dst.write_bytes(bytes(data))
    return dst


def test_even_reset_vector_is_a_firmware_error_naming_it(tmp_path):
    demo = sim.Machine.demo().image
    pc = sim.Machine.demo().pc
    bad = _with_reset_vector(demo, tmp_path / "even.elf", (pc & ~1) & 0xFFFFFFFF)
    with pytest.raises(FirmwareError, match=r"reset vector.*0x%08x" % (pc & ~1)) as e:
        sim.Machine.load(bad, board="mps2-an385")
    assert e.value.pc == pc & ~1


def test_odd_reset_vector_boots(tmp_path):
    demo = sim.Machine.demo()
    good = _with_reset_vector(demo.image, tmp_path / "odd.elf", demo.pc | 1)
    assert sim.Machine.load(good, board="mps2-an385").pc == demo.pc

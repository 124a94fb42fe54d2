"""Reading firmware ELF images with pyelftools: checks, loadable segments, symbols."""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile

from .errors import FirmwareError


@dataclass
class LoadedImage:
    entry: int
    segments: list          # (load address, bytes)
    copies: list            # (run address, load address, size) of data the startup copies
    zeroed: list            # (address, size) of NOBITS sections (.bss) the startup zeroes
    symbols: dict           # name -> (address, size, "FUNC" | "OBJECT" | ...)


def load_elf(path: Path, board) -> LoadedImage:
    path = Path(path)
    if not path.exists():
        raise FirmwareError(f"{path}: no such file; give the path of a firmware ELF "
                            "(or use the bundled demo)")
    if path.is_dir():
        raise FirmwareError(f"{path}: a folder; give the path of a firmware ELF")
    try:
        f = open(path, "rb")
    except OSError as e:
        raise FirmwareError(f"{path}: cannot read it ({e.strerror})") from None
    with f:
        size = os.fstat(f.fileno()).st_size
        if f.read(4) != b"\x7fELF":
            raise FirmwareError(f"{path}: not an ELF file; give the linked firmware image "
                                "(.elf), not a .bin or .hex")
        f.seek(0)
        try:
            elf = ELFFile(f)
            want, arch_name = board.adapter.elf_machine
            got = elf.header["e_machine"]
            got_code = elf["e_machine"] if isinstance(got, int) else got
            if elf.elfclass != 32 or _machine_code(elf) != want:
                raise FirmwareError(
                    f"{path}: built for {got_code} ({elf.elfclass}-bit), but board "
                    f"{board.name} needs a 32-bit {arch_name} image; pick the board the "
                    "image was linked for")
            segments, copies = [], []
            loadable = 0
            for i, seg in enumerate(elf.iter_segments()):
                if seg["p_type"] != "PT_LOAD":
                    continue
                loadable += 1
                _check_segment(path, board, i, seg, size)
                if seg["p_filesz"] == 0:
                    continue
                addr, data = seg["p_paddr"], seg.data()
                if board.region_of(addr, len(data)) is None:
                    raise FirmwareError(
                        f"{path}: a segment loads at {addr:#010x}..{addr + len(data):#010x}, "
                        f"outside the memory of board {board.name}; was it linked for "
                        "another board?", address=addr)
                segments.append((addr, data))
                if seg["p_vaddr"] != addr:
                    copies.append((seg["p_vaddr"], addr, len(data)))
            if not loadable:
                raise FirmwareError(f"{path}: no loadable segment (PT_LOAD): nothing to run; "
                                    "give the linked image, not an object file")
            zeroed = [(sec.name, sec["sh_addr"], sec["sh_size"]) for sec in elf.iter_sections()
                      if sec["sh_type"] == "SHT_NOBITS" and sec["sh_flags"] & 2 and sec["sh_size"]]
            for name, addr, n in zeroed:
                if board.region_of(addr, n) is None:
                    raise FirmwareError(
                        f"{path}: section {name or '?'} ({n:#x} bytes at {addr:#010x}) does not "
                        f"fit the memory of board {board.name} ({_memory(board)})", address=addr)
            zeroed = [(addr, n) for _, addr, n in zeroed]
            symbols = {}
            symtab = elf.get_section_by_name(".symtab")
            code_bit = board.adapter.code_bit      # Thumb: bit 0 set in a function's address
            if symtab is not None:
                for s in symtab.iter_symbols():
                    kind = s["st_info"]["type"]
                    if not s.name or kind not in ("STT_FUNC", "STT_OBJECT", "STT_NOTYPE"):
                        continue
                    addr = s["st_value"]
                    if kind == "STT_FUNC":
                        addr &= ~code_bit
                    symbols.setdefault(s.name, (addr, s["st_size"], kind[4:]))
            return LoadedImage(elf.header["e_entry"], segments, copies, zeroed, symbols)
        except FirmwareError:
            raise
        except (ELFError, ValueError, TypeError, KeyError, IndexError, AttributeError,
                OverflowError, UnicodeDecodeError, struct.error, AssertionError,
                RecursionError, MemoryError) as e:
            # pyelftools reports a damaged file in many ways
            raise FirmwareError(f"{path}: a damaged ELF file ({type(e).__name__}: {e})") from None


def _memory(board) -> str:
    return ", ".join(f"{r.name} {r.base:#x}..{r.base + r.size:#x}" for r in board.memory)


def _check_segment(path, board, i, seg, file_size) -> None:
    """A PT_LOAD segment lies inside the file, and where it runs inside the board's memory."""
    off, filesz, memsz = seg["p_offset"], seg["p_filesz"], seg["p_memsz"]
    if off + filesz > file_size:
        raise FirmwareError(f"{path}: segment {i} (PT_LOAD) ends at file offset "
                            f"{off + filesz:#x}, past the end of the file ({file_size:#x} bytes): "
                            "the image is truncated or damaged")
    if memsz < filesz:
        raise FirmwareError(f"{path}: segment {i} (PT_LOAD) is smaller in memory ({memsz:#x}) "
                            f"than in the file ({filesz:#x}): a damaged image")
    vaddr = seg["p_vaddr"]
    if memsz and board.region_of(vaddr, memsz) is None:
        raise FirmwareError(f"{path}: segment {i} ({memsz:#x} bytes at {vaddr:#010x}) does not "
                            f"fit the memory of board {board.name} ({_memory(board)}); was it "
                            "linked for another board?", address=vaddr)


def _machine_code(elf) -> int:
    # pyelftools names e_machine ('EM_ARM'); the raw number is in the header bytes
    elf.stream.seek(18)
    return int.from_bytes(elf.stream.read(2), "little")

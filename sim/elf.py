"""Reading firmware ELF images with pyelftools: checks, loadable segments, symbols."""

from __future__ import annotations

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
    with open(path, "rb") as f:
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
            for seg in elf.iter_segments():
                if seg["p_type"] != "PT_LOAD" or seg["p_filesz"] == 0:
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
            zeroed = [(sec["sh_addr"], sec["sh_size"]) for sec in elf.iter_sections()
                      if sec["sh_type"] == "SHT_NOBITS" and sec["sh_flags"] & 2 and sec["sh_size"]]
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
        except ELFError as e:
            raise FirmwareError(f"{path}: a damaged ELF file ({e})") from None


def _machine_code(elf) -> int:
    # pyelftools names e_machine ('EM_ARM'); the raw number is in the header bytes
    elf.stream.seek(18)
    return int.from_bytes(elf.stream.read(2), "little")

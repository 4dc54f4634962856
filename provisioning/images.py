"""Putting a ``kiosk.toml`` into an SD-card image file, without root and without mounting.

The image's MBR partition table gives the FAT boot partition's offset; mtools
(``mcopy``, ``mtype``) write the file there and read it back.  Compressed and
GPT images are refused with a message saying what to do.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
from pathlib import Path
from typing import List

from .boot_file import ProvisioningError, validate

__all__ = ["ImageError", "FAT_TYPES", "fat_offset", "inject"]

FAT_TYPES = (0x0B, 0x0C, 0x0E, 0x06)


class ImageError(RuntimeError):
    """The image or mtools cannot do what was asked."""


def fat_offset(image) -> int:
    """Byte offset of the first FAT partition in an MBR disk image."""
    with open(image, "rb") as stream:
        mbr = stream.read(512)
    if len(mbr) < 512 or mbr[510:512] != b"\x55\xaa":
        raise ImageError(f"{image}: no MBR partition table (is it compressed? unpack .img.xz first)")
    for index in range(4):
        entry = mbr[446 + 16 * index: 462 + 16 * index]
        kind = entry[4]
        (start, sectors) = struct.unpack("<II", entry[8:16])
        if kind == 0xEE:
            raise ImageError(f"{image}: GPT disks are not supported (Raspberry Pi images use MBR)")
        if kind in FAT_TYPES and sectors:
            return start * 512
    raise ImageError(f"{image}: no FAT partition (type 0x0b, 0x0c or 0x0e) in the partition table")


def _mtools(argv: List[str]) -> subprocess.CompletedProcess:
    if shutil.which(argv[0]) is None:
        raise ImageError(f"{argv[0]} not found: install mtools (Debian/Ubuntu: apt install mtools; macOS: brew install mtools)")
    env = {**os.environ, "MTOOLS_SKIP_CHECK": "1"}
    result = subprocess.run(argv, capture_output=True, env=env)
    if result.returncode != 0:
        raise ImageError(f"{' '.join(argv[:2])} failed: {result.stderr.decode(errors='replace').strip()}")
    return result


def inject(image, toml, name: str = "kiosk.toml") -> None:
    """Check ``toml`` and write it into the image's boot partition as ``name``; ProvisioningError if bad."""
    problems = validate(toml)
    if problems:
        raise ProvisioningError(problems)
    target = f"{image}@@{fat_offset(image)}"
    _mtools(["mcopy", "-o", "-i", target, str(toml), f"::/{name}"])
    written = _mtools(["mtype", "-i", target, f"::/{name}"]).stdout
    if written != Path(toml).read_bytes():
        raise ImageError(f"{image}: reading {name} back gave different bytes")

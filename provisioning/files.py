"""Writing files under the kiosk's root: atomically, and only when something differs.

Power may be pulled at any moment, so every file is written to a temporary
file beside it, synced and renamed over the old one; a file whose content,
mode and owner are already right is not touched, which is what makes a second
``apply`` change nothing.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path
from typing import List, Optional, Tuple

__all__ = ["write_file", "symlink", "write_boot", "sha256"]

log = logging.getLogger("kiosk.provision")


def write_file(root: Path, rel: str, content: Optional[str], mode: int, changes: List[str],
               owner: Optional[Tuple[int, int]] = None) -> bool:
    """Make ``root/rel`` hold ``content`` with ``mode`` (None: absent).  Atomic; True when changed.

    Each file changed is added to ``changes`` as its path on the kiosk (``/etc/...``).
    """
    path = root / rel
    shown = "/" + rel
    if content is None:
        if path.exists() or path.is_symlink():
            path.unlink()
            changes.append(shown)
            return True
        return False
    data = content.encode("utf-8")
    if _already(path, data, mode, owner):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=str(path.parent), prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)  # before the content: a secret is never readable by others, not even briefly
        if owner is not None:
            try:
                os.fchown(fd, *owner)
            except PermissionError:
                log.warning("cannot give %s to uid %d (not root); left to the image build", shown, owner[0])
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    changes.append(shown)
    return True


def _already(path: Path, data: bytes, mode: int, owner: Optional[Tuple[int, int]]) -> bool:
    """True when ``path`` holds ``data`` with ``mode`` (and ``owner``, if given)."""
    try:
        st = path.stat()
        same = path.read_bytes() == data and (st.st_mode & 0o7777) == mode
        if same and owner is not None and (st.st_uid, st.st_gid) != owner:
            same = False
    except OSError:
        same = False
    return same


def symlink(root: Path, rel: str, target: str, changes: List[str]) -> bool:
    """Make ``root/rel`` a symlink to ``target`` (replaced atomically); True when changed."""
    path = root / rel
    if path.is_symlink() and os.readlink(path) == target:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.kiosk-provision")
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(target, tmp)
    os.replace(tmp, path)
    changes.append("/" + rel)
    return True


def write_boot(path: Path, text: str) -> None:
    """Rewrite the boot file (FAT: no modes, no owners), atomically."""
    fd, tmp = tempfile.mkstemp(dir=str(path.parent), prefix=".kiosk-toml.")
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as stream:
        stream.write(text)
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(tmp, path)


def sha256(data: bytes) -> str:
    """Hex SHA-256, as recorded in provisioned.sha256."""
    return hashlib.sha256(data).hexdigest()

"""
Files a power cut cannot leave half written
===========================================

:func:`write_atomically` writes a temporary file beside the target, flushes it to the card, renames it over
the target and flushes the folder: after a power cut at any moment the file is the old one or the new one.
The forms override (kiosk/forms.py) and the update's record and simulated slots (kiosk/updates/) use it.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["write_atomically"]


def write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data``: the old file or the new, never half of one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(temporary, path)
    try:  # the rename itself reaches the card with the folder's entry
        folder = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(folder)
    except OSError:
        pass
    finally:
        os.close(folder)

"""Moving the secrets off the card: the boot file rewritten without the Wi-Fi password and the token.

After ``apply`` the boot file says ``psk = ""`` and ``token = ""`` under a
first line naming the secrets kept on the kiosk (:data:`~provisioning.layout.SCRUB_MARKER`),
so a lost card leaks nothing; an empty secret under that line means "keep the
one this kiosk has".
"""

from __future__ import annotations

import re

from .app_config import key_lines
from .boot_file import Parsed
from .layout import SCRUB_MARKER, SECRET_KEYS

__all__ = ["scrubbed"]


def scrubbed(text: str, parsed: Parsed) -> str:
    """The boot file with psk and token emptied and the marker line on top."""
    lines = text.splitlines(keepends=True)
    if lines and lines[0].startswith(SCRUB_MARKER):
        lines = lines[1:]
        offset = 1
    else:
        offset = 0
    positions = key_lines(text)
    kept = set(parsed.kept)
    for key in SECRET_KEYS:
        line = positions.get(key)
        if not line:
            continue
        section, name = key.split(".")
        value = (parsed.system.get("psk") if key == "wifi.psk"
                 else (parsed.app.get("server") or {}).get("token"))
        if value:
            index = line - 1 - offset
            indent = re.match(r"\s*", lines[index]).group(0)
            lines[index] = (f'{indent}{name} = ""  # moved off the card on first boot; '
                            f"type a new one here to change it\n")
            kept.add(key)
    if kept:
        lines.insert(0, f"{SCRUB_MARKER} {' '.join(k for k in SECRET_KEYS if k in kept)}\n")
    return "".join(lines)

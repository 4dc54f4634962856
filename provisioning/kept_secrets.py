"""The secrets a new root slot needs, kept on the data partition.

The boot file's secrets (``server.token``, ``wifi.psk``) are scrubbed off the FAT partition once applied; the
kiosk then knows them only from the files written into its root.  A system update writes a fresh root slot
(images/README.md), in which those files are not: provisioning applies the boot file to it again at its first
boot, and takes the secrets from here, ``/data/provisioning/secrets.toml`` (root's alone, mode 600; the Wi-Fi
key only as its derived PSK, as in wpa_supplicant's file).  Nothing else reads it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Dict, List, Optional

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.9/3.10: a technician's laptop runs kiosk-provision validate
    import tomli as tomllib

from .files import write_file
from .layout import SECRETS_FILE

__all__ = ["kept_secrets", "keep_secrets"]


def kept_secrets(root: Path) -> Dict[str, str]:
    """``token``, ``ssid``, ``psk_hex`` as kept (empty where none)."""
    try:
        data = tomllib.loads((root / SECRETS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {key: value for key, value in data.items() if isinstance(value, str)}


def keep_secrets(root: Path, token: str, ssid: str, psk_hex: Optional[str], changes: List[str]) -> None:
    """Keep this kiosk's token and Wi-Fi key for a new slot (the file removed when there are none)."""
    values = {"token": token or "", "ssid": (ssid or "") if psk_hex else "", "psk_hex": psk_hex or ""}
    body = None
    if any(values.values()):
        # JSON strings are TOML basic strings: no quoting of our own
        body = "# kiosk-provision: the secrets a new root slot needs (images/README.md)\n" + "".join(
            f"{key} = {json.dumps(value)}\n" for key, value in values.items())
    (root / SECRETS_FILE).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    write_file(root, SECRETS_FILE, body, 0o600, changes)

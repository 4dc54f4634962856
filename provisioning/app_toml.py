"""The app's own settings file, ``/etc/kiosk/kiosk.toml``, made from the boot file.

It holds the app's sections only (no ``[wifi]``, ``[network]``, ``[ssh]``),
regenerated without comments, readable by the kiosk user alone: it keeps the
office token once the boot file's copy has been scrubbed.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Dict

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.9/3.10
    import tomli as tomllib

from .app_config import toml_value
from .kept_secrets import kept_secrets
from .layout import APP_TOML, MANAGED

__all__ = ["app_toml", "applied_token"]


def app_toml(app: Dict[str, Any]) -> str:
    """The app's sections as TOML, tables first and ``[[services]]`` last."""
    out = [MANAGED]
    for section, table in app.items():
        if section == "services":
            continue
        out.append(f"\n[{section}]\n")
        out.extend(f"{name} = {toml_value(value)}\n" for name, value in table.items())
    for service in app.get("services", []):
        out.append("\n[[services]]\n")
        out.extend(f"{name} = {toml_value(value)}\n" for name, value in service.items())
    return "".join(out)


def applied_token(root: Path) -> str:
    """The office token this kiosk already has ("" if none): in this root, else kept on the data partition for a
    root slot a system update wrote (provisioning/kept_secrets.py)."""
    try:
        data = tomllib.loads((root / APP_TOML).read_text(encoding="utf-8"))
        token = data.get("server", {}).get("token", "") or ""
    except (OSError, ValueError):
        token = ""
    return token or kept_secrets(root).get("token", "")

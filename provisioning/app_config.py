"""The app's own configuration rules, where the kiosk package can be imported.

``kiosk-provision`` runs from a checkout (next to ``kiosk/``), on the Pi
(where the kiosk lives in its venv, out of reach of the system Python) and on
a laptop with provisioning/ alone.  Where :mod:`kiosk.config` imports, the
app's sections are checked and written by the app's own code; elsewhere this
module's fallbacks keep the system sections working and leave the app's
sections unchecked.
"""

from __future__ import annotations

import json
import re
from typing import Any, Dict

try:  # the app's own sections; in this repository, or installed with the kiosk
    from kiosk.settings import SECTIONS as APP_SECTIONS
    from protocol.toml_lines import key_lines
    from kiosk.config import validate as app_validate
    from kiosk.settings import SETTINGS as _APP_SETTINGS
    from kiosk.config import toml_value as _app_toml_value
    KINDS = {s.key: s.kind for s in _APP_SETTINGS}
except ImportError:  # pragma: no cover - a laptop with provisioning/ alone
    _app_toml_value = None
    APP_SECTIONS = None
    app_validate = None
    KINDS = {}

    def key_lines(text: str) -> Dict[str, int]:
        """Fallback: ``section.key`` / ``[section]`` -> line number (simple files only)."""
        lines: Dict[str, int] = {}
        table = ""
        for number, line in enumerate(text.splitlines(), start=1):
            stripped = line.strip()
            header = re.match(r"\[\[?\s*([A-Za-z0-9_.\-]+)\s*\]\]?", stripped)
            if header:
                table = header.group(1)
                lines.setdefault(table, number)
                continue
            assignment = re.match(r"([A-Za-z0-9_.\-\"']+)\s*=", stripped)
            if assignment:
                name = assignment.group(1).replace('"', "").replace("'", "")
                lines.setdefault(f"{table}.{name}" if table else name, number)
        return lines

__all__ = ["APP_SECTIONS", "app_validate", "KINDS", "key_lines", "toml_value"]


def toml_value(value: Any) -> str:
    """A value as TOML text: the app's own writer (kiosk.config.toml_value) where the kiosk is installed."""
    if _app_toml_value is not None:
        return _app_toml_value(value)
    if isinstance(value, bool):  # a laptop with provisioning/ alone
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return str(value)

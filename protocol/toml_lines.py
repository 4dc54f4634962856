"""Where each key of a TOML text is written, so that a problem can name its line.

The kiosk's config (``kiosk/config.py``), the forms catalogue (``forms_format.py``) and the service list
(``service_list.py``) report problems as ``file:line: key: message``.
"""

from __future__ import annotations

import re
from typing import Dict

__all__ = ["key_lines"]


def key_lines(text: str) -> Dict[str, int]:
    """Map each ``section.key`` and ``[section]`` written in TOML text to its line number.

    tomllib keeps no positions, so this is a line scanner for the simple
    ``[table]`` / ``key = value`` shapes a kiosk file uses.  It only ever
    improves messages: a key it cannot place is reported without a line.
    """
    lines: Dict[str, int] = {}
    counts: Dict[str, int] = {}
    table = ""
    in_multiline = False
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if in_multiline:
            if stripped.count('"""') % 2 or stripped.count("'''") % 2:
                in_multiline = False
            continue
        array = re.match(r"\[\[\s*([A-Za-z0-9_.\-]+)\s*\]\]", stripped)
        if array:  # [[services]]: the n-th table of that name is "services[n]"
            name = array.group(1)
            lines.setdefault(name, number)
            count = counts[name] = counts.get(name, -1) + 1
            table = f"{name}[{count}]"
            lines[table] = number
            continue
        header = re.match(r"\[\s*([A-Za-z0-9_.\-]+)\s*\]", stripped)
        if header:
            table = header.group(1)
            lines.setdefault(table, number)
            continue
        assignment = re.match(r"([A-Za-z0-9_.\-\"']+)\s*=", stripped)
        if assignment:
            name = assignment.group(1).replace('"', "").replace("'", "")
            lines.setdefault(f"{table}.{name}" if table else name, number)
            value = stripped[assignment.end():]
            if value.count('"""') % 2 or value.count("'''") % 2:
                in_multiline = True
    return lines

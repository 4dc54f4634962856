"""
Printing the self-test's report
===============================

The rows as a technician reads them (:func:`render_row`, one at a time as each
check ends, or :func:`render_text` all at once), the summary line, the same
rows as JSON for a script (:func:`render_json`), and the exit code: 0 when
nothing failed (WARN allowed), else 1.  Nothing here runs a check.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import List

from .rows import FAIL, PASS, WARN, Check, plural

__all__ = ["render_row", "render_text", "summary", "render_json", "exit_code"]


def render_row(check: Check, width: int = 10) -> str:
    """``PASS  printer     online, paper OK``; WARN and FAIL add an indented line with what to do."""
    line = f"{check.status}  {check.name.ljust(width)}  {check.reason}"
    if check.status != PASS and check.advice:
        line += "\n" + " " * (width + 8) + "-> " + check.advice
    return line


def render_text(checks: List[Check], kiosk_id: str = "") -> str:
    """Every row, aligned, and a summary line."""
    width = max((len(c.name) for c in checks), default=0)
    return "\n".join([render_row(c, width) for c in checks] + [summary(checks, kiosk_id)])


def summary(checks: List[Check], kiosk_id: str = "") -> str:
    counts = {status: sum(c.status == status for c in checks) for status in (PASS, WARN, FAIL)}
    who = f"kiosk {kiosk_id}: " if kiosk_id else ""
    return (f"{who}{plural(len(checks), 'check')}: {counts[PASS]} PASS, {counts[WARN]} WARN, {counts[FAIL]} FAIL"
            f" -> {'FAILED' if counts[FAIL] else 'OK'}")


def render_json(checks: List[Check], kiosk_id: str = "") -> str:
    """``{"ok": bool, "kiosk": id, "checks": [{"name", "status", "reason", "advice"}, ...]}``."""
    return json.dumps({"ok": exit_code(checks) == 0, "kiosk": kiosk_id, "checks": [asdict(c) for c in checks]},
                      ensure_ascii=False, indent=2)


def exit_code(checks: List[Check]) -> int:
    """0 when nothing failed (warnings allowed), else 1."""
    return 1 if any(c.status == FAIL for c in checks) else 0

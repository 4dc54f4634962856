"""
One row of the self-test's report
=================================

:class:`Check` is what every check returns and every renderer prints: a part's
name, PASS, WARN or FAIL, why, and for WARN and FAIL what to do.  It lives on
its own so that the checks (``display.py``, ``devices.py``, ...), the runner
(``__init__.py``) and the output (``output.py``) share it without importing
one another.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

__all__ = ["Check", "PASS", "WARN", "FAIL", "worst", "plural"]

PASS, WARN, FAIL = "PASS", "WARN", "FAIL"
_RANK = {PASS: 0, WARN: 1, FAIL: 2}


@dataclass(frozen=True)
class Check:
    """One row of the report: ``status`` is PASS, WARN or FAIL; ``advice`` says what to do (for WARN/FAIL)."""

    name: str
    status: str
    reason: str
    advice: str = ""


def worst(statuses: Iterable[str]) -> str:
    """The worst of ``statuses`` (FAIL over WARN over PASS); PASS when there are none."""
    return max(statuses, key=_RANK.__getitem__, default=PASS)


def plural(n: int, word: str) -> str:
    """``1 check``, ``2 checks``."""
    return f"{n} {word}{'' if n == 1 else 's'}"

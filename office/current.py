"""
The app's database and clock, for code serving a request
========================================================

``create_app`` keeps the :class:`~office.db.Database` and the clock (an aware
datetime callable; None: now in Asia/Taipei) in ``app.extensions``: the staff
pages, the kiosks' API and the number-calling API and pages all read them
through these two functions, so a test's or a benchmark's clock is "now"
everywhere alike.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app

from protocol import officetime

__all__ = ["database", "now"]


def database():
    """The :class:`~office.db.Database` this app serves."""
    return current_app.extensions["office_db"]


def now() -> datetime:
    """Now, as the app's clock says (``create_app(clock=...)``; Asia/Taipei by default)."""
    clock = current_app.extensions.get("office_clock")
    return clock() if clock is not None else officetime.now()

"""Addresses under the office server's base URL (``server.url``, ``server.public_url``).

A technician may write the base with or without its trailing slash, and the office server may live under a path
(``https://erlin.example.gov.tw/kiosk/``): every address the kiosk builds or the office hands out is joined here.
"""

from __future__ import annotations

__all__ = ["under"]


def under(base: str, path: str) -> str:
    """``path`` (relative: ``f/move-in``, ``api/v1/events``) under ``base``, whether or not ``base`` ends in "/"."""
    return (base if base.endswith("/") else base + "/") + path.lstrip("/")

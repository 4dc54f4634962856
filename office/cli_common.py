"""
What every ``kiosk-office`` command module shares
=================================================

The database an argument names (``--db``: a SQLAlchemy URL, or a file path for SQLite) and opening it.  The
commands live by concern in ``cli_serve``, ``cli_accounts``, ``cli_config``, ``cli_forms`` and ``cli_bench``;
``cli`` assembles them into one parser.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["db_url", "open_db"]


def db_url(value: str) -> str:
    """A SQLAlchemy URL as given, or a file path made into a SQLite URL."""
    return value if "://" in value else f"sqlite:///{Path(value).expanduser().resolve()}"


def open_db(args):
    """The database ``--db`` names (``cli.main`` has filled in the default)."""
    from .db import Database  # imported here: `kiosk-office --help` stays fast
    return Database(args.db)

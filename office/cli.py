"""
The ``kiosk-office`` command
============================

::

    kiosk-office serve [--db URL] [--host 127.0.0.1] [--port 8080] [--threads 16] [--streams 100]
                       [--connection-limit 4000] [--idle-timeout 10] [--offline-minutes 15]
                       [--trusted-proxy ADDRESS]
    kiosk-office kiosk add ID [--db URL]     register a kiosk (or replace its token); the token on stdout, once
    kiosk-office kiosk list [--db URL]       id, last contact, events stored: one kiosk a line, tab-separated
    kiosk-office config show [--kiosk ID] [--db URL]
    kiosk-office config set [--kiosk ID [--forms FILE | --no-forms]] [--announcement TEXT ... | --no-announcements]
                            [--announcement-en TEXT ...] [--office-name NAME]
    kiosk-office admin add NAME [--password-stdin] [--db URL]   a staff account for the report pages (or a new password)
    kiosk-office admin list [--db URL]
    kiosk-office admin remove NAME [--db URL]   a staff account removed: its browsers are signed out at once
    kiosk-office display add NAME [--db URL]   a lobby display's token (or a new one): prints /display?token=... once
    kiosk-office display list [--db URL]
    kiosk-office forms list|check|import FILE [--db URL]   the office's forms list (office/cli_forms.py)
    kiosk-office update add|list|offer|withdraw …   system updates for the kiosks (office/cli_updates.py)
    kiosk-office bench [--kiosks 4] [--ratings 1000000]   ingest rate, the report over many ratings
    kiosk-office bench day [--tickets 400] [--counters 4] [--seed 1]
    kiosk-office bench load [--kiosks 1000] [--displays 100] [--seconds 60] [--speed 10] [--db URL]
    kiosk-office version

The database is ``--db`` (a SQLAlchemy URL, or a file path for SQLite), else
``$KIOSK_OFFICE_DB``, else ``sqlite:///$XDG_DATA_HOME/kiosk-office/office.db``
(``~/.local/share`` when XDG_DATA_HOME is unset).  ``serve`` runs the Flask
app under waitress, a production WSGI server with a thread pool.  Exit codes,
as the ``kiosk`` command's: 0 fine, 1 failed, 2 bad usage or input.

Here: the parser, assembled from each group's ``add_commands`` (``cli_serve``, ``cli_accounts``,
``cli_config``, ``cli_forms``, ``cli_updates``, ``cli_bench``), and :func:`main`, which turns a database that cannot be
opened into a message and an exit code for every command alike.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import List, Optional

from . import cli_accounts, cli_bench, cli_config, cli_forms, cli_serve, cli_updates
from .cli_common import db_url

__all__ = ["main", "default_db_url"]


def default_db_url() -> str:
    """``$KIOSK_OFFICE_DB``, else the SQLite file under ``$XDG_DATA_HOME/kiosk-office/``."""
    if os.environ.get("KIOSK_OFFICE_DB"):
        return db_url(os.environ["KIOSK_OFFICE_DB"])
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return f"sqlite:///{Path(base).expanduser().resolve() / 'kiosk-office' / 'office.db'}"


def _shown(url: str) -> str:
    """The URL for a message, its password hidden."""
    from sqlalchemy.engine import make_url
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # unreadable: say so rather than risk echoing a secret
        return "(the URL given)"


def _version(_args) -> int:
    from . import __version__
    print(f"kiosk-office {__version__}")
    return 0


def _parser() -> argparse.ArgumentParser:
    db = argparse.ArgumentParser(add_help=False)
    db.add_argument("--db", type=db_url, default=None, metavar="URL",
                    help="SQLAlchemy URL (sqlite:///path, postgresql://...) or a SQLite file path "
                         "(default: $KIOSK_OFFICE_DB, else $XDG_DATA_HOME/kiosk-office/office.db)")
    parser = argparse.ArgumentParser(prog="kiosk-office", description="The office server the kiosks upload to.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    cli_serve.add_commands(commands, db)
    cli_accounts.add_kiosk_commands(commands, db)
    cli_config.add_commands(commands, db)
    cli_accounts.add_admin_commands(commands, db)
    cli_accounts.add_display_commands(commands, db)
    cli_forms.add_commands(commands, db)
    cli_updates.add_commands(commands, db)
    cli_bench.add_commands(commands)
    commands.add_parser("version", help="print the version").set_defaults(func=_version)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    """Run ``kiosk-office`` with ``argv`` (default: the command line); return the exit code."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if getattr(args, "db", "") is None:
        args.db = default_db_url()
    from sqlalchemy.exc import ArgumentError, OperationalError
    try:
        return args.func(args)
    except ArgumentError as exc:  # a URL SQLAlchemy cannot read, or a driver not installed
        print(f"kiosk-office: cannot use the database {_shown(args.db)}: {exc}", file=sys.stderr)
        return 2
    except ImportError as exc:  # the URL names a driver that is not installed
        print(f"kiosk-office: no driver for the database {_shown(args.db)}: {exc} "
              f"(PostgreSQL: pip install 'psycopg[binary]', URL postgresql+psycopg://...)", file=sys.stderr)
        return 2
    except OperationalError as exc:
        print(f"kiosk-office: the database cannot be opened: {exc.orig if exc.orig is not None else exc}",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

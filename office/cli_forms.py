"""
``kiosk-office forms``: the office's forms list from a terminal
===============================================================

::

    kiosk-office forms list [--db URL]          code, what it opens (file/page/failed/unchecked), title: a line each
    kiosk-office forms check [--db URL]         open every address as a phone would; exit 1 if any fails
    kiosk-office forms import FILE [--db URL]   apply a forms file (protocol/data/forms.toml's format) to the list

For a technician setting up twenty offices: one forms file imported on each,
then ``forms check`` says which forms give a phone the file itself, which
only a web page (the kiosk then says "掃描後請在網頁中找…"), and which fail.
"""

from __future__ import annotations

import sys
from pathlib import Path

from .cli_common import open_db

__all__ = ["add_commands"]

MARKS = {"file": "file", "page": "page", "failed": "FAILED", None: "unchecked"}


def _open(args):
    from . import forms_list
    db = open_db(args)
    forms_list.ensure_seeded(db)  # as the server does when it starts: the list begins as the shipped one
    return db


def _list(args) -> int:
    from . import forms_list
    with _open(args) as db:
        for row in forms_list.rows(db):
            kind = "file" if row.has_file else MARKS[row.check_result]
            print(f"{row.code}\t{kind}\t{row.title}\t{row.url or row.file_name}")
    return 0


def _check(args) -> int:
    from . import link_check
    with _open(args) as db:
        outcomes = link_check.check_all(db)
    for row, outcome in outcomes:
        print(f"{row.code}\t{MARKS[outcome.result]}\t{row.title}\t{outcome.detail}")
    counts = {name: sum(1 for _, o in outcomes if o.result == name) for name in ("file", "page", "failed")}
    print(f"{len(outcomes)} forms: {counts['file']} open the file, {counts['page']} only a web page "
          f"(the kiosk says: find the form on the page), {counts['failed']} failed", file=sys.stderr)
    return 1 if counts["failed"] else 0


def _import(args) -> int:
    from . import forms_list
    try:
        text = Path(args.file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"kiosk-office: cannot read {args.file}: {getattr(exc, 'strerror', None) or exc}", file=sys.stderr)
        return 2
    with _open(args) as db:
        problems = forms_list.import_catalogue(db, text)
        count = len(forms_list.rows(db))
    for problem in problems:
        print(f"{args.file}: {problem}", file=sys.stderr)
    if problems:
        print(f"kiosk-office: {args.file} not imported: {len(problems)} problem(s)", file=sys.stderr)
        return 2
    print(f"imported {args.file}: the office's list has {count} forms; the kiosks take it at their next sync")
    return 0


def add_commands(commands, db_parent) -> None:
    """The ``forms`` command and its actions, on ``kiosk-office``'s subparsers."""
    forms = commands.add_parser("forms", help="the office's forms list: list, check the links, import").add_subparsers(
        dest="action", metavar="ACTION", required=True)
    forms.add_parser("list", parents=[db_parent], help="code, file/page/failed/unchecked, title, address").set_defaults(
        func=_list)
    forms.add_parser("check", parents=[db_parent], help="open every form's address as a phone would; "
                     "exit 1 if any fails").set_defaults(func=_check)
    imported = forms.add_parser("import", parents=[db_parent], help="apply a forms file "
                                "(the format of protocol/data/forms.toml) to the list")
    imported.add_argument("file", help="a forms file; complete = true replaces the whole list")
    imported.set_defaults(func=_import)

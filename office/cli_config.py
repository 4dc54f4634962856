"""
``kiosk-office config``: what the kiosks read from ``GET .../config``
=====================================================================

::

    kiosk-office config show [--kiosk ID] [--db URL]
    kiosk-office config set [--kiosk ID [--forms FILE | --no-forms]] [--announcement TEXT ... | --no-announcements]
                            [--announcement-en TEXT ...] [--office-name NAME]

The office name, the marquee announcements (Chinese, each with its English by order) office-wide or for one
kiosk, and one kiosk's own forms override; each checked before anything is saved, as the ``/settings`` page
checks it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .cli_common import open_db

__all__ = ["add_commands"]


def _config_show(args) -> int:
    """The office name, then what the kiosk is sent (its config answer), as JSON."""
    with open_db(args) as db:
        from .forms_list import forms_for
        shown = {"office_name": db.office_name(), **db.config_for(args.kiosk or "*"),
                 "forms": forms_for(db, args.kiosk or "*")}
    print(json.dumps(shown, ensure_ascii=False, indent=2))
    return 0


def _announcements(args):
    """The announcements given (``--announcement`` paired with ``--announcement-en`` by order), checked;
    None and the problems (in Chinese, naming the announcement) if they are wrong."""
    from .marquee import check

    chinese, english = args.announcement or [], args.announcement_en or []
    if len(english) > len(chinese):
        return None, [f"--announcement-en 有 {len(english)} 則，比 --announcement 的 {len(chinese)} 則多："
                      "英文依順序配對中文，每則中文最多一則英文（沒有英文的一則寫 --announcement-en \"\"）"]
    english += [""] * (len(chinese) - len(english))
    found, problems = check([{"zh-TW": zh, "en": en} for zh, en in zip(chinese, english)], blank_rows=False)
    return (None if problems else found), [str(p) for p in problems]


def _config_set(args) -> int:
    changes = {}
    if (args.forms or args.no_forms) and not args.kiosk:
        print("kiosk-office: the office-wide forms are the office's forms list: edit it on the /forms page, or "
              f"import a file with: kiosk-office forms import {args.forms or 'FILE'}  (--forms here is for one kiosk: "
              "--kiosk ID)", file=sys.stderr)
        return 2
    if args.no_forms:
        changes["forms"] = None
    elif args.forms:
        try:
            text = Path(args.forms).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            print(f"kiosk-office: cannot read {args.forms}: {exc}", file=sys.stderr)
            return 2
        from protocol.forms_format import load_catalogue  # the kiosk's own check: what it would refuse, we refuse
        problems = load_catalogue(override=args.forms)[1]
        if problems and not args.force:
            for problem in problems:
                print(problem, file=sys.stderr)
            print(f"kiosk-office: {args.forms} has {len(problems)} problem(s); the kiosks would refuse it "
                  f"(--force sends it anyway)", file=sys.stderr)
            return 2
        changes["forms"] = text
    if args.no_announcements and args.announcement_en:
        print("kiosk-office: --announcement-en goes with --announcement, not with --no-announcements",
              file=sys.stderr)
        return 2
    if args.no_announcements:
        changes["announcements"] = None
    elif args.announcement or args.announcement_en:
        announcements, problems = _announcements(args)
        if problems:
            for problem in problems:
                print(f"kiosk-office: {problem}", file=sys.stderr)
            return 2
        changes["announcements"] = announcements
    if args.office_name is not None and args.kiosk:
        print("kiosk-office: --office-name is the office's, not one kiosk's: leave out --kiosk", file=sys.stderr)
        return 2
    if not changes and args.office_name is None:
        print("kiosk-office: nothing to set: give --forms, --no-forms, --announcement (and --announcement-en), "
              "--no-announcements or --office-name", file=sys.stderr)
        return 2
    with open_db(args) as db:
        try:
            if args.office_name is not None:
                from .db import check_office_name
                check_office_name(args.office_name)  # before anything is saved
            if changes:
                db.set_config(args.kiosk or "*", **changes)
            if args.office_name is not None:
                db.set_office_name(args.office_name)
        except ValueError as exc:
            print(f"kiosk-office: {exc}", file=sys.stderr)
            return 2
    return 0


def add_commands(commands, db_parent) -> None:
    """The ``config`` command and its actions, on ``kiosk-office``'s subparsers."""
    config = commands.add_parser("config", help="what the kiosks read from GET .../config").add_subparsers(
        dest="action", metavar="ACTION", required=True)
    show = config.add_parser("show", parents=[db_parent], help="what a kiosk (or every kiosk) is sent")
    show.add_argument("--kiosk", metavar="ID", help="one kiosk (default: the office-wide settings)")
    show.set_defaults(func=_config_show)
    put = config.add_parser("set", parents=[db_parent],
                            help="set the forms override, the announcements or the office name")
    put.add_argument("--kiosk", metavar="ID", help="for this kiosk only (default: every kiosk)")
    forms = put.add_mutually_exclusive_group()
    forms.add_argument("--forms", metavar="FILE", help="one kiosk's own forms override (the format of "
                       "protocol/data/forms.toml; with --kiosk): it replaces the office's forms list for that kiosk")
    forms.add_argument("--no-forms", action="store_true", help="unset that kiosk's override (with --kiosk)")
    put.add_argument("--force", action="store_true", help="send a forms file even if it has problems")
    announcements = put.add_mutually_exclusive_group()
    announcements.add_argument("--announcement", action="append", metavar="TEXT",
                               help="an announcement for the marquee, in Chinese (repeat for several, in order; "
                                    "all of them replace those set before at this scope)")
    announcements.add_argument("--no-announcements", action="store_true", help="unset them at this scope")
    put.add_argument("--announcement-en", action="append", metavar="TEXT",
                     help="the English text of the announcement given in the same place (the first "
                          "--announcement-en goes with the first --announcement...); \"\" for one without; "
                          "one missing shows in Chinese on the English screen")
    put.add_argument("--office-name", metavar="NAME",
                     help="the office's name (機關名稱, e.g. 彰化縣二林鎮戶政事務所) heading the report and the "
                          "live queue page; \"\" unsets it")
    put.set_defaults(func=_config_set)

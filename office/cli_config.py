"""
``kiosk-office config``: what the kiosks read from ``GET .../config``
=====================================================================

::

    kiosk-office config show [--kiosk ID] [--db URL]
    kiosk-office config set [--kiosk ID [--forms FILE | --no-forms]] [--announcement TEXT ... | --no-announcements]
                            [--announcement-LANG TEXT ...] [--office-name NAME]

``LANG``: each language an announcement has a text in beside Chinese (``en``, ``vi``, ``id``, ``th``, ``fil``:
protocol/announcements.py's ``LANGUAGES``, one option each, made from that list).  The office name, the
marquee announcements (Chinese, each with its text in those languages by order: the first
``--announcement-vi`` goes with the first ``--announcement``; ``""`` for none) office-wide or for one kiosk,
and one kiosk's own forms override; each checked before anything is saved, as the ``/settings`` page checks
it (office/marquee.py).  ``config show`` prints what a kiosk is sent: every language's list.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from protocol.announcements import LANGUAGES

from .cli_common import open_db
from .marquee import LANGUAGE_NAMES, NATIVE_NAMES, check  # the settings page's names and checker

__all__ = ["add_commands"]

#: The languages given beside the Chinese, each by its own option (``--announcement-vi``): the protocol's
#: list, so a language added there gets its option, its pairing and its checks here without an edit.
TRANSLATED = LANGUAGES[1:]


def _option(lang: str) -> str:
    return f"--announcement-{lang}"


def _dest(lang: str) -> str:
    return "announcement_" + lang.replace("-", "_")  # argparse's attribute for the option


def _config_show(args) -> int:
    """The office name, then what the kiosk is sent (its config answer), as JSON."""
    with open_db(args) as db:
        from .forms_list import forms_for
        shown = {"office_name": db.office_name(), **db.config_for(args.kiosk or "*"),
                 "forms": forms_for(db, args.kiosk or "*")}
    print(json.dumps(shown, ensure_ascii=False, indent=2))
    return 0


def _announcements(args):
    """The announcements given (``--announcement`` paired with ``--announcement-en``, ``-vi``… by order),
    checked as the settings page checks them; None and the problems (in Chinese, naming the option, or the
    announcement and the language) if they are wrong."""
    chinese = args.announcement or []
    columns, problems = {"zh-TW": chinese}, []
    for lang in TRANSLATED:
        texts, option, name = getattr(args, _dest(lang)) or [], _option(lang), LANGUAGE_NAMES[lang]
        if len(texts) > len(chinese):
            problems.append(f"{option} 有 {len(texts)} 則，比 --announcement 的 {len(chinese)} 則多："
                            f"{name}依順序配對中文，每則中文最多一則（沒有{name}的一則寫 {option} \"\"）")
        columns[lang] = texts + [""] * (len(chinese) - len(texts))
    if problems:
        return None, problems
    typed = [{lang: columns[lang][i] for lang in LANGUAGES} for i in range(len(chinese))]
    found, problems = check(typed, blank_rows=False)
    return (None if problems else found), [str(p) for p in problems]


def _announcement_changes(args):
    """``{"announcements": ...}`` to set, ``{}`` when none are given, None after saying what is wrong."""
    translated = [_option(lang) for lang in TRANSLATED if getattr(args, _dest(lang))]
    if args.no_announcements and translated:
        print(f"kiosk-office: {', '.join(translated)} {'goes' if len(translated) == 1 else 'go'} with "
              "--announcement, not with --no-announcements", file=sys.stderr)
        return None
    if args.no_announcements:
        return {"announcements": None}
    if not (args.announcement or translated):
        return {}
    announcements, problems = _announcements(args)
    for problem in problems:
        print(f"kiosk-office: {problem}", file=sys.stderr)
    return None if problems else {"announcements": announcements}


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
    announcements = _announcement_changes(args)
    if announcements is None:
        return 2
    changes.update(announcements)
    if args.office_name is not None and args.kiosk:
        print("kiosk-office: --office-name is the office's, not one kiosk's: leave out --kiosk", file=sys.stderr)
        return 2
    if not changes and args.office_name is None:
        print("kiosk-office: nothing to set: give --forms, --no-forms, --announcement (and "
              f"{', '.join(map(_option, TRANSLATED))}), --no-announcements or --office-name", file=sys.stderr)
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
    for lang in TRANSLATED:
        put.add_argument(_option(lang), dest=_dest(lang), action="append", metavar="TEXT",
                         help=f"the {NATIVE_NAMES[lang]} text of the announcement given in the same place (the "
                              f"first {_option(lang)} goes with the first --announcement...); \"\" for one "
                              f"without; one missing shows in Chinese on the {NATIVE_NAMES[lang]} screen")
    put.add_argument("--office-name", metavar="NAME",
                     help="the office's name (機關名稱, e.g. 彰化縣二林鎮戶政事務所) heading the report and the "
                          "live queue page; \"\" unsets it")
    put.set_defaults(func=_config_set)

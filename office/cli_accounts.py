"""
``kiosk-office kiosk``, ``admin`` and ``display``: who may talk to the server
=============================================================================

::

    kiosk-office kiosk add ID [--db URL]     register a kiosk (or replace its token); the token on stdout, once
    kiosk-office kiosk list [--db URL]       id, last contact, events stored: one kiosk a line, tab-separated
    kiosk-office admin add NAME [--password-stdin] [--db URL]   a staff account for the report pages (or a new password)
    kiosk-office admin list [--db URL]
    kiosk-office admin remove NAME [--db URL]   a staff account removed: its browsers are signed out at once
    kiosk-office display add NAME [--db URL]   a lobby display's token (or a new one): prints /display?token=... once
    kiosk-office display list [--db URL]

A kiosk's token, a clerk's account, a lobby TV's token: each credential is shown once, when it is made, and
only its hash is kept.
"""

from __future__ import annotations

import sys
from typing import Optional

from .cli_common import open_db

__all__ = ["add_kiosk_commands", "add_admin_commands", "add_display_commands"]


def _kiosk_add(args) -> int:
    with open_db(args) as db:
        existed = any(k["id"] == args.id for k in db.kiosks())
        try:
            token = db.add_kiosk(args.id)
        except ValueError as exc:
            print(f"kiosk-office: {exc}", file=sys.stderr)
            return 2
    print(token)
    what = "has a new token; the old one no longer works" if existed else "added"
    print(f"kiosk {args.id} {what}. Put the token in the kiosk's config ([server] token); it is not shown again.",
          file=sys.stderr)
    return 0


def _kiosk_list(args) -> int:
    with open_db(args) as db:
        for kiosk in db.kiosks():
            print(f"{kiosk['id']}\t{kiosk['last_contact_at'] or 'never'}\t{kiosk['events']}")
    return 0


def _read_password(args) -> Optional[str]:
    """The new password: one line of stdin (--password-stdin), else typed twice at a prompt (not echoed)."""
    if args.password_stdin:
        line = sys.stdin.readline()
        return line[:-1] if line.endswith("\n") else line
    import getpass
    try:
        first = getpass.getpass(f"password for {args.name}: ")
        second = getpass.getpass("the same again: ")
    except (EOFError, KeyboardInterrupt):
        print(file=sys.stderr)
        return None
    if first != second:
        print("kiosk-office: the two passwords differ; nothing changed", file=sys.stderr)
        return None
    return first


def _admin_add(args) -> int:
    from .staff import MIN_PASSWORD, USERNAME, add_user
    if not USERNAME.fullmatch(args.name):
        print(f"kiosk-office: a staff name is 1-64 letters, digits, '.', '_' or '-', got {args.name!r}",
              file=sys.stderr)
        return 2
    password = _read_password(args)
    if password is None:
        return 2
    if len(password) < MIN_PASSWORD:
        print(f"kiosk-office: the password must have at least {MIN_PASSWORD} characters; nothing changed",
              file=sys.stderr)
        return 2
    with open_db(args) as db:
        try:
            created = add_user(db, args.name, password)
        except ValueError as exc:
            print(f"kiosk-office: {exc}", file=sys.stderr)
            return 2
    print(f"staff account {args.name} {'added' if created else 'has a new password'}; sign in at /login",
          file=sys.stderr)
    return 0


def _admin_remove(args) -> int:
    from .staff import remove_user
    with open_db(args) as db:
        if not remove_user(db, args.name):
            print(f"kiosk-office: there is no staff account {args.name!r}", file=sys.stderr)
            return 2
    print(f"staff account {args.name} removed; every browser signed in with it is signed out", file=sys.stderr)
    return 0


def _admin_list(args) -> int:
    from .staff import users
    with open_db(args) as db:
        for user in users(db):
            print(f"{user['name']}\t{user['created_at']}\t{user['password_set_at']}")
    return 0


def _display_add(args) -> int:
    from .displays import add_display, display_path, displays
    with open_db(args) as db:
        existed = any(d["name"] == args.name for d in displays(db))
        try:
            token = add_display(db, args.name)
        except ValueError as exc:
            print(f"kiosk-office: {exc}", file=sys.stderr)
            return 2
    print(display_path(token))
    print(token)
    what = "has a new token; its old address no longer works" if existed else "added"
    print(f"display {args.name} {what}. Open http://<this server>:<port>{display_path('…')} on the lobby TV "
          f"(chromium --kiosk); the token is not shown again.", file=sys.stderr)
    return 0


def _display_list(args) -> int:
    from .displays import displays
    with open_db(args) as db:
        for display in displays(db):
            print(f"{display['name']}\t{display['token_issued_at']}\t{display['last_seen_at'] or 'never'}")
    return 0


def add_kiosk_commands(commands, db_parent) -> None:
    """The ``kiosk`` command and its actions, on ``kiosk-office``'s subparsers."""
    kiosk = commands.add_parser("kiosk", help="register kiosks, list them").add_subparsers(
        dest="action", metavar="ACTION", required=True)
    add = kiosk.add_parser("add", parents=[db_parent],
                           help="register a kiosk or replace its token; prints the token once")
    add.add_argument("id", help="the kiosk's id, as in its config (kiosk.id), e.g. ERLIN-01")
    add.set_defaults(func=_kiosk_add)
    kiosk.add_parser("list", parents=[db_parent], help="id, last contact, events stored").set_defaults(func=_kiosk_list)


def add_admin_commands(commands, db_parent) -> None:
    """The ``admin`` command (staff accounts) and its actions, on ``kiosk-office``'s subparsers."""
    admin = commands.add_parser("admin", help="staff accounts for the report pages").add_subparsers(
        dest="action", metavar="ACTION", required=True)
    user = admin.add_parser("add", parents=[db_parent], help="add a staff account, or set its new password")
    user.add_argument("name", help="the sign-in name, e.g. chen")
    user.add_argument("--password-stdin", action="store_true",
                      help="read the password from the first line of stdin instead of prompting twice")
    user.set_defaults(func=_admin_add)
    admin.add_parser("list", parents=[db_parent], help="name, created, password set: one account a line").set_defaults(
        func=_admin_list)
    gone = admin.add_parser("remove", parents=[db_parent], help="remove a staff account (its sessions end at once)")
    gone.add_argument("name")
    gone.set_defaults(func=_admin_remove)


def add_display_commands(commands, db_parent) -> None:
    """The ``display`` command (lobby displays' tokens) and its actions, on ``kiosk-office``'s subparsers."""
    display = commands.add_parser("display", help="lobby displays: a token instead of a staff sign-in").add_subparsers(
        dest="action", metavar="ACTION", required=True)
    screen = display.add_parser("add", parents=[db_parent],
                                help="a display's token (or a new one); prints its address once")
    screen.add_argument("name", help="a name for the display, e.g. lobby-1")
    screen.set_defaults(func=_display_add)
    listed = display.add_parser("list", parents=[db_parent], help="name, token issued, last seen: one display a line")
    listed.set_defaults(func=_display_list)

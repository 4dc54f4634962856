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
    kiosk-office forms list|check|import FILE [--db URL]   the office's forms list (office/forms_cli.py)
    kiosk-office bench [--kiosks 4] [--ratings 1000000]   ingest rate, the report over many ratings
    kiosk-office bench day [--tickets 400] [--counters 4] [--seed 1]
    kiosk-office bench load [--kiosks 1000] [--displays 100] [--seconds 60] [--speed 10] [--db URL]
    kiosk-office version

The database is ``--db`` (a SQLAlchemy URL, or a file path for SQLite), else
``$KIOSK_OFFICE_DB``, else ``sqlite:///$XDG_DATA_HOME/kiosk-office/office.db``
(``~/.local/share`` when XDG_DATA_HOME is unset).  ``serve`` runs the Flask
app under waitress, a production WSGI server with a thread pool.  Exit codes,
as the ``kiosk`` command's: 0 fine, 1 failed, 2 bad usage or input.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
from pathlib import Path
from typing import List, Optional

__all__ = ["main", "default_db_url"]


def default_db_url() -> str:
    """``$KIOSK_OFFICE_DB``, else the SQLite file under ``$XDG_DATA_HOME/kiosk-office/``."""
    if os.environ.get("KIOSK_OFFICE_DB"):
        return _db_url(os.environ["KIOSK_OFFICE_DB"])
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return f"sqlite:///{Path(base).expanduser().resolve() / 'kiosk-office' / 'office.db'}"


def _db_url(value: str) -> str:
    """A SQLAlchemy URL as given, or a file path made into a SQLite URL."""
    return value if "://" in value else f"sqlite:///{Path(value).expanduser().resolve()}"


def _shown(url: str) -> str:
    """The URL for a message, its password hidden."""
    from sqlalchemy.engine import make_url
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # unreadable: say so rather than risk echoing a secret
        return "(the URL given)"


def _open(args):
    from .db import Database  # imported here: `kiosk-office --help` stays fast
    return Database(args.db)


# -- commands ------------------------------------------------------------------------------------

#: Files a connection may hold at most (its socket, and waitress's spill files for large bodies) ...
FILES_PER_CONNECTION = 1
#: ... and what the process needs besides (database, log, pipes, the threads' own).
FILES_BESIDES = 256


def _open_files(wanted: int) -> int:
    """Raise this process's open-file limit towards ``wanted`` (up to the hard limit); the limit now."""
    try:
        import resource
    except ImportError:  # not on POSIX: nothing to raise
        return wanted
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft if soft != resource.RLIM_INFINITY else wanted


def serve_settings(threads: int, streams: int, connection_limit: int, idle_timeout: int) -> dict:
    """waitress's settings for ``serve`` (office/README.md, "Deployment"): why each, there.

    ``threads`` serve uploads and pages; ``streams`` more threads are for the displays' event streams, which
    office/calls_api.py caps at that many, so a stream never takes a thread an upload needs.  Idle connections
    are closed after ``idle_timeout`` s (checked every few seconds) and ``connection_limit`` are accepted (the
    open-file limit is raised to fit; poll(), not select(), which stops at 1,024).  channel_request_lookahead
    lets a stream see its client go (``waitress.client_disconnected``).
    """
    return dict(threads=threads + streams, connection_limit=connection_limit, channel_timeout=idle_timeout,
                cleanup_interval=max(1, min(10, idle_timeout // 3)), backlog=2048, asyncore_use_poll=True,
                channel_request_lookahead=1)


def proxy_settings(trusted_proxy: Optional[str]) -> dict:
    """waitress's settings for ``serve --trusted-proxy``: the client's address from that proxy's X-Forwarded-For.

    The sign-in limits count failures per client address (office/staff.py): behind a reverse proxy every request
    would otherwise come from the proxy, and one attacker's failures would refuse every clerk.  From anyone else,
    X-Forwarded-For is dropped, so nobody can pick the address their failures are counted under.
    """
    if not trusted_proxy:  # waitress then reads no forwarding header: the address is the connection's
        return {}
    return {"trusted_proxy": trusted_proxy, "trusted_proxy_headers": {"x-forwarded-for"}, "trusted_proxy_count": 1,
            "clear_untrusted_proxy_headers": True}


def _serve(args) -> int:
    try:
        import waitress
    except ImportError:
        print("kiosk-office: serve needs waitress: pip install waitress", file=sys.stderr)
        return 1
    from .app import create_app
    logging.getLogger().setLevel(logging.INFO)
    wanted = args.connection_limit * FILES_PER_CONNECTION + args.threads + args.streams + FILES_BESIDES
    limit = _open_files(wanted)
    if limit < wanted:
        args.connection_limit = max(10, (limit - FILES_BESIDES - args.threads - args.streams) // FILES_PER_CONNECTION)
        print(f"kiosk-office: this process may open only {limit} files: at most {args.connection_limit} "
              f"connections (raise LimitNOFILE)", file=sys.stderr)
    db = _open(args)
    try:
        app = create_app(db, offline_minutes=args.offline_minutes, CALLS_STREAM_MAX_OPEN=args.streams)
        server = waitress.create_server(app, host=args.host, port=args.port, ident="kiosk-office",
                                        **serve_settings(args.threads, args.streams, args.connection_limit,
                                                         args.idle_timeout), **proxy_settings(args.trusted_proxy))
        listen = getattr(server, "effective_listen", None) or [(server.effective_host, server.effective_port)]
        for host, port in listen:
            host = f"[{host}]" if ":" in str(host) else host
            print(f"kiosk-office: serving http://{host}:{port}/ from {db.display_url}", file=sys.stderr, flush=True)

        def stop(signum, _frame):
            raise SystemExit(0)  # waitress.run() takes it: stops listening, lets running requests finish
        signal.signal(signal.SIGTERM, stop)
        server.run()
    finally:
        db.close()
    print("kiosk-office: stopped", file=sys.stderr)
    return 0


def _kiosk_add(args) -> int:
    with _open(args) as db:
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
    with _open(args) as db:
        for kiosk in db.kiosks():
            print(f"{kiosk['id']}\t{kiosk['last_contact_at'] or 'never'}\t{kiosk['events']}")
    return 0


def _config_show(args) -> int:
    """The office name, then what the kiosk is sent (its config answer), as JSON."""
    with _open(args) as db:
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
    with _open(args) as db:
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
    with _open(args) as db:
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
    with _open(args) as db:
        if not remove_user(db, args.name):
            print(f"kiosk-office: there is no staff account {args.name!r}", file=sys.stderr)
            return 2
    print(f"staff account {args.name} removed; every browser signed in with it is signed out", file=sys.stderr)
    return 0


def _admin_list(args) -> int:
    from .staff import ensure_schema, users
    with _open(args) as db:
        ensure_schema(db)
        for user in users(db):
            print(f"{user['name']}\t{user['created_at']}\t{user['password_set_at']}")
    return 0


def _display_add(args) -> int:
    from .displays import add_display, display_path, displays
    with _open(args) as db:
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
    with _open(args) as db:
        for display in displays(db):
            print(f"{display['name']}\t{display['token_issued_at']}\t{display['last_seen_at'] or 'never'}")
    return 0


def _bench(args) -> int:
    if getattr(args, "what", None) == "day":
        if not 1 <= args.tickets <= 2000 or not 1 <= args.counters <= 99:
            print("kiosk-office: bench day needs --tickets 1-2000 and --counters 1-99", file=sys.stderr)
            return 2
        from .bench.day import bench_day
        return bench_day(tickets=args.tickets, counters=args.counters, seed=args.seed)
    if getattr(args, "what", None) == "load":
        if not 1 <= args.kiosks <= 5000 or not 0 <= args.displays <= 2000 or not 1 <= args.seconds <= 3600 \
                or not 0 < args.speed <= 1000:
            print("kiosk-office: bench load needs --kiosks 1-5000, --displays 0-2000, --seconds 1-3600 and "
                  "--speed more than 0, at most 1000", file=sys.stderr)
            return 2
        from .bench.load import bench_load
        return bench_load(kiosks=args.kiosks, displays=args.displays, seconds=args.seconds,
                          db_url=getattr(args, "db", None), serve_args=args.serve,
                          speed=args.speed)
    from .bench.ingest import bench_ingest
    from .bench.monthly_report import bench_report
    bench_ingest(kiosks=max(1, args.kiosks))
    return bench_report(max(1, args.ratings))


def _version(_args) -> int:
    from . import __version__
    print(f"kiosk-office {__version__}")
    return 0


# -- the parser ----------------------------------------------------------------------------------

def _minutes(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of minutes: {text!r}") from None
    if not 0 < value <= 7 * 24 * 60:
        raise argparse.ArgumentTypeError(f"must be more than 0 and at most a week (10080), got {text}")
    return value


def _count(low: int, high: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be {low}-{high}, got {text}")
        return value
    return parse


def _parser() -> argparse.ArgumentParser:
    db = argparse.ArgumentParser(add_help=False)
    db.add_argument("--db", type=_db_url, default=None, metavar="URL",
                    help="SQLAlchemy URL (sqlite:///path, postgresql://...) or a SQLite file path "
                         "(default: $KIOSK_OFFICE_DB, else $XDG_DATA_HOME/kiosk-office/office.db)")
    parser = argparse.ArgumentParser(prog="kiosk-office", description="The office server the kiosks upload to.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    serve = commands.add_parser("serve", parents=[db], help="run the server")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8080, help="port to listen on (default 8080)")
    serve.add_argument("--threads", type=_count(1, 1000), default=16,
                       help="requests served at once, besides the event streams (default 16)")
    serve.add_argument("--streams", type=_count(0, 2000), default=100,
                       help="lobby displays' event streams open at once, each with its own thread (default 100; "
                            "more are refused with 503 and the display polls)")
    serve.add_argument("--connection-limit", type=_count(10, 100_000), default=4000, metavar="N",
                       help="connections open at once, idle ones included (default 4000)")
    serve.add_argument("--idle-timeout", type=_count(2, 3600), default=10, metavar="SECONDS",
                       help="a connection idle this long is closed (default 10: waitress walks every open "
                            "connection on each wake-up, so idle ones cost every request CPU)")
    serve.add_argument("--offline-minutes", type=_minutes, default=15, metavar="N",
                       help="the staff pages mark a kiosk not heard from for more than N minutes offline "
                            "(default 15; kiosks send a heartbeat every 5)")
    serve.add_argument("--trusted-proxy", metavar="ADDRESS", default=None,
                       help="the reverse proxy's address (e.g. 127.0.0.1): a client's address is then the one it "
                            "sets in X-Forwarded-For (failed sign-ins are counted per client address)")
    serve.set_defaults(func=_serve)

    kiosk = commands.add_parser("kiosk", help="register kiosks, list them").add_subparsers(
        dest="action", metavar="ACTION", required=True)
    add = kiosk.add_parser("add", parents=[db], help="register a kiosk or replace its token; prints the token once")
    add.add_argument("id", help="the kiosk's id, as in its config (kiosk.id), e.g. ERLIN-01")
    add.set_defaults(func=_kiosk_add)
    kiosk.add_parser("list", parents=[db], help="id, last contact, events stored").set_defaults(func=_kiosk_list)

    config = commands.add_parser("config", help="what the kiosks read from GET .../config").add_subparsers(
        dest="action", metavar="ACTION", required=True)
    show = config.add_parser("show", parents=[db], help="what a kiosk (or every kiosk) is sent")
    show.add_argument("--kiosk", metavar="ID", help="one kiosk (default: the office-wide settings)")
    show.set_defaults(func=_config_show)
    put = config.add_parser("set", parents=[db], help="set the forms override, the announcements or the office name")
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

    admin = commands.add_parser("admin", help="staff accounts for the report pages").add_subparsers(
        dest="action", metavar="ACTION", required=True)
    user = admin.add_parser("add", parents=[db], help="add a staff account, or set its new password")
    user.add_argument("name", help="the sign-in name, e.g. chen")
    user.add_argument("--password-stdin", action="store_true",
                      help="read the password from the first line of stdin instead of prompting twice")
    user.set_defaults(func=_admin_add)
    admin.add_parser("list", parents=[db], help="name, created, password set: one account a line").set_defaults(
        func=_admin_list)
    gone = admin.add_parser("remove", parents=[db], help="remove a staff account (its sessions end at once)")
    gone.add_argument("name")
    gone.set_defaults(func=_admin_remove)

    display = commands.add_parser("display", help="lobby displays: a token instead of a staff sign-in").add_subparsers(
        dest="action", metavar="ACTION", required=True)
    screen = display.add_parser("add", parents=[db], help="a display's token (or a new one); prints its address once")
    screen.add_argument("name", help="a name for the display, e.g. lobby-1")
    screen.set_defaults(func=_display_add)
    display.add_parser("list", parents=[db], help="name, token issued, last seen: one display a line").set_defaults(
        func=_display_list)

    from .forms_cli import add_commands as add_forms_commands
    add_forms_commands(commands, db)

    bench = commands.add_parser("bench", help="ingest rate with several kiosks at once; the report over many ratings; "
                                              "`bench day`: a simulated office day")
    bench.add_argument("--kiosks", type=int, default=4, help="kiosks posting at once (default 4)")
    bench.add_argument("--ratings", type=int, default=1_000_000, help="ratings for the report figure (default 1,000,000)")
    bench.set_defaults(func=_bench)
    subcommands = bench.add_subparsers(dest="what", metavar="WHAT")
    sim = subcommands.add_parser(
        "day", help="a simulated office day (tickets, counters, no-shows) replayed through a real server: "
                    "waits, estimate error, call-to-display latency")
    sim.add_argument("--tickets", type=int, default=400, help="tickets printed over the day (default 400)")
    sim.add_argument("--counters", type=int, default=4, help="counters calling numbers (default 4)")
    sim.add_argument("--seed", type=int, default=1, help="seed of the simulated day (default 1)")
    sim.set_defaults(func=_bench)
    load = subcommands.add_parser(
        "load", help="N kiosks (uploads, heartbeats, queue polls, config), their residents' phones and M lobby "
                     "displays against a real kiosk-office serve: events/s, p50/p99 per endpoint, errors, lost "
                     "and doubled events")
    load.add_argument("--kiosks", type=int, default=1000, help="simulated kiosks (default 1000)")
    load.add_argument("--displays", type=int, default=100, help="lobby displays, each an event stream (default 100)")
    load.add_argument("--seconds", type=float, default=60, help="how long the load runs (default 60)")
    load.add_argument("--speed", type=float, default=10,
                      help="the kiosks' pace: 1 is real time (an event every 30 s, queue figures every 20 s ...), "
                           "10 ten times that (default 10)")
    load.add_argument("--db", type=_db_url, default=argparse.SUPPRESS, metavar="URL",
                      help="the database to load (PostgreSQL: postgresql+psycopg://...); default a temporary "
                           "SQLite file")
    load.add_argument("--serve", action="append", default=[], metavar="OPTION",
                      help="an option for the server instead of serve's default, e.g. --serve=--idle-timeout=30 "
                           "(repeatable)")
    load.set_defaults(func=_bench)
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

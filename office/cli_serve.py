"""
``kiosk-office serve``: the server under waitress, and its settings
===================================================================

::

    kiosk-office serve [--db URL] [--host 127.0.0.1] [--port 8080] [--threads 16] [--streams 100]
                       [--connection-limit 4000] [--idle-timeout 10] [--offline-minutes 15]
                       [--trusted-proxy ADDRESS]

waitress's settings and why each is what it is (office/README.md, "Deployment"): the threads for uploads and
pages beside those for the displays' event streams, the connections and the open-file limit they need, idle
connections closed, and a reverse proxy's X-Forwarded-For trusted only from that proxy.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from typing import Optional

from .cli_common import open_db

__all__ = ["serve_settings", "proxy_settings", "add_commands"]

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
    from .push import Notifier
    logging.getLogger().setLevel(logging.INFO)
    wanted = args.connection_limit * FILES_PER_CONNECTION + args.threads + args.streams + FILES_BESIDES
    limit = _open_files(wanted)
    if limit < wanted:
        args.connection_limit = max(10, (limit - FILES_BESIDES - args.threads - args.streams) // FILES_PER_CONNECTION)
        print(f"kiosk-office: this process may open only {limit} files: at most {args.connection_limit} "
              f"connections (raise LimitNOFILE)", file=sys.stderr)
    db = open_db(args)
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
        notifier = Notifier(db).start()  # 提醒我: the live pages' reminders, sent at each call (office/push.py)
        try:
            server.run()
        finally:
            notifier.stop()
    finally:
        db.close()
    print("kiosk-office: stopped", file=sys.stderr)
    return 0


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


def add_commands(commands, db_parent) -> None:
    """The ``serve`` command, on ``kiosk-office``'s subparsers."""
    serve = commands.add_parser("serve", parents=[db_parent], help="run the server")
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

"""
The office server for one kiosk on this machine
===============================================

``python -m office.local FOLDER KIOSK_ID [--port N] [--lan ADDRESS]``: the
reference office server with a SQLite database in ``FOLDER``, a token for
``KIOSK_ID`` and a staff account set up, for ``make run`` (``kiosk run
--local-office``) and ``kiosk bench upload``.  The kiosk starts it as a
process (``kiosk/local_office.py``): the two programs share no code, only the
protocol.

Once it listens it prints one line of JSON on stdout, ``{"url": ...,
"public_url": ..., "lan_note": ..., "staff_user": ...}``, and serves until its standard input
closes (the kiosk that started it exited, however it exited) or it is sent
SIGTERM.  It always listens on 127.0.0.1; with ``--lan ADDRESS`` on that
address too, on the same port, so that a phone on the same Wi-Fi opens the
ticket's QR code (``public_url``).

The token and the staff password are secrets even here: they are kept in
files readable by this user only (``<KIOSK_ID>.token``, ``staff-password``)
and never printed.
"""

from __future__ import annotations

import argparse
import json
import secrets
import signal
import sys
import threading
from pathlib import Path
from typing import List, Optional

from .app import create_app
from .db import Database
from .staff import add_user, check_user

__all__ = ["STAFF_USER", "main"]

#: The staff account ``make run`` signs in with at /login (its password: the ``staff-password`` file).
STAFF_USER = "staff"


def _kiosk_token(db: Database, folder: Path, kiosk_id: str) -> None:
    """The kiosk's token in ``<kiosk_id>.token``: the one already there if the database still knows it."""
    token_file = folder / f"{kiosk_id}.token"
    if token_file.exists() and db.kiosk_for_token(token_file.read_text().strip()) == kiosk_id:
        return
    token = db.add_kiosk(kiosk_id)
    token_file.touch(mode=0o600)
    token_file.write_text(token)  # readable by this user only: it is a secret


def _staff(db: Database, folder: Path) -> None:
    """A staff account for the counter and display pages, its password kept in a file only this user reads."""
    path = folder / "staff-password"
    if path.exists() and check_user(db, STAFF_USER, path.read_text().strip()):
        return
    password = secrets.token_urlsafe(12)
    add_user(db, STAFF_USER, password)
    path.touch(mode=0o600)
    path.write_text(password + "\n")


def _serve(servers: List, app, host: str, port: int) -> int:
    """Serve ``app`` on ``host:port`` in a thread of its own; return the port (the one chosen for port 0)."""
    import waitress

    server = waitress.create_server(app, host=host, port=port, threads=4, ident="kiosk-office")
    threading.Thread(target=server.run, name=f"local-office-{host}", daemon=True).start()
    servers.append(server)
    return server.effective_port


def _wait_for_the_end() -> None:
    """Return when standard input closes (the kiosk is gone) or SIGTERM arrives."""
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda _signum, _frame: done.set())

    def read_until_eof():
        sys.stdin.read()
        done.set()

    threading.Thread(target=read_until_eof, name="local-office-stdin", daemon=True).start()
    done.wait()


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m office.local",
                                     description="The office server for one kiosk on this machine (make run).")
    parser.add_argument("folder", type=Path, help="where the database, the token and the staff password live")
    parser.add_argument("kiosk_id", help="the kiosk that uploads here (kiosk.id)")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--lan", metavar="ADDRESS", help="listen on this LAN address too, on the same port")
    args = parser.parse_args(argv)

    args.folder.mkdir(parents=True, exist_ok=True)
    db = Database(f"sqlite:///{args.folder / 'office.db'}")
    _kiosk_token(db, args.folder, args.kiosk_id)
    _staff(db, args.folder)
    app = create_app(db)
    servers: List = []
    try:
        port = _serve(servers, app, "127.0.0.1", args.port)
    except OSError as exc:
        print(json.dumps({"error": f"cannot listen on 127.0.0.1:{args.port} ({exc.strerror or exc})"}), flush=True)
        return 1
    started = {"url": f"http://127.0.0.1:{port}/", "public_url": None, "lan_note": "", "staff_user": STAFF_USER}
    if args.lan:
        try:
            _serve(servers, app, args.lan, port)  # the same port: one address to remember per machine
        except OSError as exc:
            started["lan_note"] = f"cannot listen on {args.lan}:{port} ({exc.strerror or exc})"
        else:
            started["public_url"] = f"http://{args.lan}:{port}/"
    print(json.dumps(started), flush=True)
    try:
        _wait_for_the_end()
    finally:
        for server in servers:
            server.close()
        db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""
A local office server
=====================

The reference office server (``office/``) run as a process of its own
(``python -m office.local``), with a kiosk token and a staff account set up:
for ``make run`` (a newcomer sees the kiosk's ratings and tickets arrive,
calls a ticket at ``/counter``, watches ``/display``, and opens the ticket's
live queue page) and for ``kiosk bench upload``.  Needs the ``office`` extra
(Flask, SQLAlchemy, waitress) installed beside the kiosk; the kiosk imports
none of it: the two programs share only the protocol.

It always listens on 127.0.0.1, where the kiosk reaches it.  With ``on_lan``
(``make run``) it listens on this machine's LAN address too, on the same
port, so that a phone on the same Wi-Fi opens the ticket's QR code:
:attr:`LocalOffice.public_url` is then that address (``server.public_url``),
else None.  That opens the whole office server to the network — the staff
sign-in and the kiosk API included — which is why only ``make run`` asks for
it, and not on 0.0.0.0: on the one address phones use, not every interface.

The token and the staff password are secrets even here: the office process
keeps them in files readable by this user only (``<kiosk id>.token``,
``staff-password``) and never prints them; the console names the file.  The
process serves until its standard input closes, so it ends with the kiosk
that started it, even one that was killed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Optional

from .reachable import lan_address

__all__ = ["LocalOffice", "LocalOfficeFailed"]

#: Seconds the office process may take to start listening (imports, the database's first creation).
START_TIMEOUT = 60


class LocalOfficeFailed(OSError):
    """The office process did not start (the office extra not installed, a busy port): the message says why."""


class LocalOffice:
    """``python -m office.local`` as a child process: ``url`` and ``token`` for one kiosk; ``close()`` stops it.

    ``on_lan``: also serve on this machine's LAN address; :attr:`public_url` is it (None when there is no LAN, or
    the address could not be listened on: :attr:`lan_note` says which).
    """

    def __init__(self, folder, kiosk_id: str, port: int = 0, on_lan: bool = False):
        folder = Path(folder)
        command = [sys.executable, "-m", "office.local", str(folder), kiosk_id, "--port", str(port)]
        address = lan_address() if on_lan else None
        if address is not None:
            command += ["--lan", address]
        self.staff_password_file = folder / "staff-password"
        self.database_file = folder / "office.db"  # SQLite (office/local.py)
        #: what the office process logs (its requests, its errors): a file, so that a full pipe never stops it
        self.log_file = folder / "office.log"
        folder.mkdir(parents=True, exist_ok=True)
        with open(self.log_file, "a", encoding="utf-8") as log:
            self._process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                                             text=True)
        started = self._started()
        #: the staff account to sign in with at /login; its password is in :attr:`staff_password_file`
        self.staff_user: str = started["staff_user"]
        self.url: str = started["url"]
        self.token = (folder / f"{kiosk_id}.token").read_text().strip()
        self.public_url: Optional[str] = started["public_url"]
        #: why there is no public_url, when on_lan was asked for
        self.lan_note = started["lan_note"] or ("this machine has no network address" if on_lan and address is None
                                                else "")

    def _started(self) -> dict:
        """The office process's first line: where it listens; LocalOfficeFailed if it ends or says it cannot."""
        import selectors

        with selectors.DefaultSelector() as selector:
            selector.register(self._process.stdout, selectors.EVENT_READ)
            ready = selector.select(START_TIMEOUT)
        line = self._process.stdout.readline() if ready else ""
        try:
            started = json.loads(line)
        except ValueError:
            started = None
        if not isinstance(started, dict) or "url" not in started:
            started = started if isinstance(started, dict) else {}
            self.close()
            logged = self.log_file.read_text(encoding="utf-8", errors="replace").strip().splitlines()
            why = started.get("error") or (logged or ["no answer"])[-1]
            raise LocalOfficeFailed(f"the office server did not start: {why}")
        return started

    def phones_hint(self) -> str:
        """One console line for ``make run``: where a phone on this network opens the tickets' QR codes, or why not."""
        if self.public_url:
            return (f"  phones on this network open the tickets' QR codes at {self.public_url} (server.public_url); "
                    f"this network can reach the whole office server there, staff sign-in included. "
                    "KIOSK_LOCAL_OFFICE_LAN=no keeps it on this machine")
        return (f"  tickets carry no live-queue QR code: {self.lan_note or 'the office server is on 127.0.0.1 only'}, "
                "so there is no address a phone could open (server.public_url is not set)")

    def close(self) -> None:
        """Stop the office process: its standard input closes, it closes its database and exits."""
        if self._process.poll() is None:
            try:
                self._process.stdin.close()
                self._process.wait(15)
            except (OSError, subprocess.TimeoutExpired):
                self._process.kill()
                self._process.wait()
        self._process.stdout.close()

"""
A local office server
=====================

The reference office server (``office/``) run inside this process, with a
kiosk token and a staff account set up: for ``make run`` (a newcomer sees the
kiosk's ratings and tickets arrive, calls a ticket at ``/counter``, watches
``/display``, and opens the ticket's live queue page) and for ``kiosk bench
upload``.  Needs the ``office`` extra (Flask, SQLAlchemy, waitress).

It always listens on 127.0.0.1, where the kiosk reaches it.  With ``on_lan``
(``make run``) it listens on this machine's LAN address too, on the same
port, so that a phone on the same Wi-Fi opens the ticket's QR code:
:attr:`LocalOffice.public_url` is then that address (``server.public_url``),
else None.  That opens the whole office server to the network — the staff
sign-in and the kiosk API included — which is why only ``make run`` asks for
it, and not on 0.0.0.0: on the one address phones use, not every interface.

The token and the staff password are secrets even here: they are kept in
files readable by this user only (``kiosk.token``, ``staff-password``) and
never printed; the console names the file.
"""

from __future__ import annotations

import secrets
import threading
from pathlib import Path
from typing import Optional

from .reachable import lan_address

__all__ = ["LocalOffice", "STAFF_USER"]

#: The staff account ``make run`` signs in with at /login (its password: the ``staff-password`` file).
STAFF_USER = "staff"


class LocalOffice:
    """``kiosk-office serve`` in a thread: ``url`` and ``token`` for one kiosk; ``close()`` stops it.

    ``on_lan``: also serve on this machine's LAN address; :attr:`public_url` is it (None when there is no LAN, or
    the address could not be listened on: :attr:`lan_note` says which).
    """

    def __init__(self, folder, kiosk_id: str, port: int = 0, on_lan: bool = False):
        from office.app import create_app
        from office.db import Database

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.db = Database(f"sqlite:///{folder / 'office.db'}")
        token_file = folder / f"{kiosk_id}.token"
        if token_file.exists() and self.db.kiosk_for_token(token_file.read_text().strip()) == kiosk_id:
            self.token = token_file.read_text().strip()
        else:
            self.token = self.db.add_kiosk(kiosk_id)
            token_file.touch(mode=0o600)
            token_file.write_text(self.token)  # readable by this user only: it is a secret
        self.staff_password_file = folder / "staff-password"
        self._ensure_staff()
        app = create_app(self.db)
        self._servers, self._threads = [], []
        port = self._serve(app, "127.0.0.1", port)
        self.url = f"http://127.0.0.1:{port}/"
        self.public_url: Optional[str] = None
        self.lan_note = ""  # why there is no public_url, when on_lan was asked for
        if on_lan:
            address = lan_address()
            if address is None:
                self.lan_note = "this machine has no network address"
            else:
                try:
                    self._serve(app, address, port)  # the same port: one address to remember per machine
                except OSError as exc:
                    self.lan_note = f"cannot listen on {address}:{port} ({exc.strerror or exc})"
                else:
                    self.public_url = f"http://{address}:{port}/"

    def _serve(self, app, host: str, port: int) -> int:
        """Serve ``app`` on ``host:port`` in a thread of its own; return the port (the one chosen for port 0)."""
        import waitress

        server = waitress.create_server(app, host=host, port=port, threads=4, ident="kiosk-office")
        thread = threading.Thread(target=server.run, name=f"local-office-{host}", daemon=True)
        thread.start()
        self._servers.append(server)
        self._threads.append(thread)
        return server.effective_port

    def _ensure_staff(self) -> None:
        """A staff account for the counter and display pages, its password kept in a file only this user reads."""
        from office.staff import add_user, check_user

        path = self.staff_password_file
        if path.exists() and check_user(self.db, STAFF_USER, path.read_text().strip()):
            return
        password = secrets.token_urlsafe(12)
        add_user(self.db, STAFF_USER, password)
        path.touch(mode=0o600)
        path.write_text(password + "\n")

    def phones_hint(self) -> str:
        """One console line for ``make run``: where a phone on this network opens the tickets' QR codes, or why not."""
        if self.public_url:
            return (f"  phones on this network open the tickets' QR codes at {self.public_url} (server.public_url); "
                    f"this network can reach the whole office server there, staff sign-in included. "
                    "KIOSK_LOCAL_OFFICE_LAN=no keeps it on this machine")
        return (f"  tickets carry no live-queue QR code: {self.lan_note or 'the office server is on 127.0.0.1 only'}, "
                "so there is no address a phone could open (server.public_url is not set)")

    def close(self) -> None:
        for server in self._servers:
            server.close()
        for thread in self._threads:
            thread.join(5)
        self.db.close()

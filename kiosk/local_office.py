"""
A local office server
=====================

The reference office server (``office/``) run inside this process, on
127.0.0.1, with a kiosk token and a staff account set up: for ``make run`` (a
newcomer sees the kiosk's ratings and tickets arrive, calls a ticket at
``/counter``, watches ``/display``, and opens the ticket's live queue page) and
for ``kiosk bench upload``.  Needs the ``office`` extra (Flask, SQLAlchemy,
waitress).

The token and the staff password are secrets even here: they are kept in
files readable by this user only (``kiosk.token``, ``staff-password``) and
never printed; the console names the file.
"""

from __future__ import annotations

import secrets
import threading
from pathlib import Path

__all__ = ["LocalOffice", "STAFF_USER"]

#: The staff account ``make run`` signs in with at /login (its password: the ``staff-password`` file).
STAFF_USER = "staff"


class LocalOffice:
    """``kiosk-office serve`` in a thread: ``url`` and ``token`` for one kiosk; ``close()`` stops it."""

    def __init__(self, folder, kiosk_id: str, port: int = 0):
        import waitress

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
        self.server = waitress.create_server(create_app(self.db), host="127.0.0.1", port=port, threads=4,
                                             ident="kiosk-office")
        self.url = f"http://127.0.0.1:{self.server.effective_port}/"
        self._thread = threading.Thread(target=self.server.run, name="local-office", daemon=True)
        self._thread.start()

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

    def close(self) -> None:
        self.server.close()
        self._thread.join(5)
        self.db.close()

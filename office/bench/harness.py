"""
What every bench shares: the simulated clients' HTTP sessions and stopping the server
=====================================================================================

Kiosks, phones, lobby displays and clerks are each a ``requests.Session`` (one kept-alive connection, as
``kiosk/`` and a browser keep theirs); :func:`client_session` makes them all, so how a simulated client
talks to the server is set in one place.  :class:`ServerThread` runs a waitress server in a thread of this
process (``bench``, ``bench day``) and stops it without the traceback ``server.close()`` leaves.
"""

from __future__ import annotations

import threading
from typing import Optional

__all__ = ["client_session", "ServerThread"]


def client_session(token: Optional[str] = None, cookies=None):
    """A simulated client's ``requests.Session``: a kiosk's sends its bearer ``token``, a display signed in
    as staff its ``cookies``; a phone or a clerk before signing in, neither."""
    import requests

    session = requests.Session()
    if token is not None:
        session.headers["Authorization"] = f"Bearer {token}"
    if cookies is not None:
        session.cookies.update(cookies)
    return session


class ServerThread:
    """A waitress ``server`` serving in a thread of this process until :meth:`stop`.

    The loop runs one poll at a time and looks at a flag in between, so stopping needs nothing from the
    server's own trigger pipe.  ``server.close()`` from another thread closes that pipe while a worker may
    still be finishing a response, whose last act is to pull it (``OSError: Bad file descriptor`` in
    ``pull_trigger``); and pulling it to stop the loop fails the same way once the pipe is gone.  So:
    the loop ends first, then the workers finish (``task_dispatcher.shutdown`` joins them), then every
    socket is closed here, with no loop running.
    """

    def __init__(self, server, name: str = "bench-server"):
        self.server = server
        self._stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self.thread.start()

    @property
    def _map(self) -> dict:
        found = getattr(self.server, "map", None)
        return found if found is not None else self.server._map

    def _serve(self) -> None:
        from waitress import wasyncore

        adj = self.server.adj
        while not self._stopping.is_set():
            wasyncore.loop(timeout=min(adj.asyncore_loop_timeout, 0.1), map=self._map,
                           use_poll=adj.asyncore_use_poll, count=1)

    def stop(self) -> None:
        """End the loop, let the workers finish, close every socket; safe to call twice."""
        from waitress import wasyncore

        if self._stopping.is_set():
            return
        self._stopping.set()
        self.thread.join(10)
        self.server.task_dispatcher.shutdown()
        wasyncore.close_all(self._map)

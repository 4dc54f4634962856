"""
What every bench shares: the simulated clients' HTTP sessions and stopping the server
=====================================================================================

Kiosks, phones, lobby displays and clerks are each a ``requests.Session`` (one kept-alive connection, as
``kiosk/`` and a browser keep theirs); :func:`client_session` makes them all, so how a simulated client
talks to the server is set in one place.  :func:`stop_server` stops a waitress server run in a thread of
this process (``bench``, ``bench day``) without the traceback ``server.close()`` leaves.
"""

from __future__ import annotations

import threading
from typing import Optional

__all__ = ["client_session", "stop_server"]


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


def stop_server(server, thread: threading.Thread) -> None:
    """Stop a waitress server running ``server.run()`` in ``thread``, without a traceback.

    ``server.close()`` from another thread closes the trigger while a worker may still be finishing a
    response, whose last act is to pull that trigger: ``OSError: Bad file descriptor`` in ``pull_trigger``.
    So the workers finish first (``task_dispatcher.shutdown`` joins them), then the loop closes every socket
    from its own thread, and its map being empty, returns.
    """
    from waitress import wasyncore

    server.task_dispatcher.shutdown()
    socket_map = getattr(server, "map", None)
    if socket_map is None:
        socket_map = server._map
    server.trigger.pull_trigger(lambda: wasyncore.close_all(socket_map))
    thread.join(10)

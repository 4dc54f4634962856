"""
``kiosk-office bench day``: the residents' reminders (提醒我) and the push service
=================================================================================

Every resident who took the number on a phone turns reminders on from its live page (``office/push.py``): a
subscription per ticket, with keys of its own (RFC 8291), sent to ``POST /q/<day>/<number>/push``.  The push
services are on the Internet; :class:`PushReceiver` stands in for them on 127.0.0.1 (the office's allowed
endpoints say so: ``KIOSK_OFFICE_PUSH_ENDPOINTS``), decrypts each message with the phone's keys and notes when
it arrived, so that the bench can time each call from the clerk's press to the "called" message leaving the
office (the push service's own delivery to the phone is theirs, not the office's).
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Dict, Tuple

__all__ = ["PushReceiver"]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class PushReceiver:
    """The stand-in push service: ``subscription(number)`` makes a phone's; ``called[number]`` is when (perf
    counter) its "called" message arrived."""

    def __init__(self):
        self.keys: Dict[str, Tuple[object, bytes]] = {}   # number → (the phone's private key, its auth secret)
        self.called: Dict[str, float] = {}
        self.messages = 0
        self.errors = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                arrived = time.perf_counter()
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self.send_response(201)
                self.send_header("Content-Length", "0")
                self.end_headers()
                receiver.take(self.path.rsplit("/", 1)[-1], body, arrived)

            def log_message(self, *_args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self._lock = threading.Lock()
        threading.Thread(target=self.server.serve_forever, name="bench-push", daemon=True).start()

    def subscription(self, number: str) -> dict:
        """A phone's ``PushSubscription.toJSON()`` for ticket ``number``, its keys kept to read what comes."""
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        key, auth = ec.generate_private_key(ec.SECP256R1()), os.urandom(16)
        self.keys[number] = (key, auth)
        public = key.public_key().public_bytes(serialization.Encoding.X962,
                                               serialization.PublicFormat.UncompressedPoint)
        return {"endpoint": self.url + number, "keys": {"p256dh": _b64(public), "auth": _b64(auth)}}

    def take(self, number: str, body: bytes, arrived: float) -> None:
        import http_ece

        try:
            key, auth = self.keys[number]
            message = json.loads(http_ece.decrypt(body, private_key=key, auth_secret=auth, version="aes128gcm"))
        except Exception as exc:  # a message the phone could not read: the run is broken
            self.errors.append(f"{number}: {type(exc).__name__}")
            return
        with self._lock:
            self.messages += 1
            if message.get("kind") == "called":
                self.called.setdefault(number, arrived)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

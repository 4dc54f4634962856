"""A stand-in for a browser's push service (FCM, Mozilla's, Apple's), for the tests of 提醒我 (office/push.py).

The real ones are on the Internet, which the tests do not reach.  This one listens on 127.0.0.1 and does what
they do with a message: checks the VAPID signature (RFC 8292) against the key the office gave the browser, and
keeps the encrypted body, which a :class:`Browser` (the subscriber's keys, RFC 8291) decrypts as the phone would.
``answer`` sets its reply (201; 410 for a browser that has gone).
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import List, Optional

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Browser:
    """A subscriber's keys: what ``PushSubscription.toJSON()`` gives for ``endpoint``, and decrypting a message."""

    def __init__(self, endpoint: str):
        self.endpoint = endpoint
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)

    def subscription(self) -> dict:
        public = self.key.public_key().public_bytes(serialization.Encoding.X962,
                                                    serialization.PublicFormat.UncompressedPoint)
        return {"endpoint": self.endpoint, "keys": {"p256dh": b64(public), "auth": b64(self.auth)}}

    def read(self, body: bytes) -> dict:
        import http_ece
        return json.loads(http_ece.decrypt(body, private_key=self.key, auth_secret=self.auth, version="aes128gcm"))


def vapid_ok(authorization: str, endpoint_origin: str, application_key: str) -> bool:
    """Whether ``Authorization: vapid t=<JWT>, k=<key>`` is signed by ``application_key`` for ``endpoint_origin``."""
    scheme, _, rest = authorization.partition(" ")
    fields = dict(part.strip().split("=", 1) for part in rest.split(","))
    if scheme.lower() != "vapid" or fields.get("k") != application_key:
        return False
    head, claims, signature = fields["t"].split(".")
    raw = unb64(signature)
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64(application_key))
    try:
        public.verify(encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")),
                      f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
    except Exception:
        return False
    return json.loads(unb64(claims)).get("aud") == endpoint_origin


class PushService:
    """The stand-in, serving until ``close()``: ``received`` holds (path, headers in lower case, body) of each
    message."""

    def __init__(self):
        self.received: List[tuple] = []
        self.times: List[float] = []  # time.monotonic() of each arrival
        self.answer = 201
        self.arrived = threading.Condition()
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with service.arrived:
                    service.received.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                    service.times.append(time.monotonic())
                    service.arrived.notify_all()
                self.send_response(service.answer)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, count: int, seconds: float = 15) -> bool:
        """Wait until ``count`` messages have arrived."""
        with self.arrived:
            return self.arrived.wait_for(lambda: len(self.received) >= count, seconds)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def last_body(service: PushService) -> Optional[bytes]:
    return service.received[-1][2] if service.received else None

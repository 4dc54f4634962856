"""
Told when the turn nears (提醒我): Web Push
==========================================

The live queue page offers 提醒我 / Notify me (``templates/queue.html``, its
service worker ``/q/sw.js``): the phone's browser subscribes to its own push
service (Google's for Chrome on Android, Apple's for a web app added to an
iPhone's Home Screen, Mozilla's for Firefox) with this server's VAPID public
key, and the page sends the subscription here (``POST /q/<day>/<number>/push``,
``office/push_pages.py``).  The office keeps it beside the ticket's number for
the day and nothing else: no account, no phone number, no app.

Two messages, each sent once (:func:`notify_once`): when :data:`NEAR` or fewer
people are ahead (the page's choice), and when the number is called, with the
counter; then the subscription is gone.  The payload is encrypted for the
browser (RFC 8291) and signed with the office's VAPID key (RFC 8292): pywebpush.
:class:`Notifier`, a thread of ``kiosk-office serve``, runs it at each call
(``office.calls.wait_for_change``) and every :data:`POLL_SECONDS` (tickets
uploaded, other server processes' calls).

A subscription's endpoint is where this server will send requests, so only the
push services' own hosts are taken (:data:`PUSH_HOSTS`, HTTPS), and the address
prefixes ``KIOSK_OFFICE_PUSH_ENDPOINTS`` adds (a push service of one's own; the
tests' stand-in): any other address would let anyone make the office's server
send requests where they liked.

The VAPID key pair is made on first use and kept in the database (``meta``),
as the staff session key is: backed up with it, one for every server process.
The private key is never logged nor shown.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import threading
import weakref
from datetime import datetime
from typing import Callable, Dict, List, Optional, Sequence, Tuple
from urllib.parse import urlsplit

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from protocol import officetime

from . import calls
from .queue_texts import texts
from .schema import META, PUSH_SUBSCRIPTIONS

__all__ = ["NEAR", "PUSH_HOSTS", "POLL_SECONDS", "ENDPOINTS_ENV", "PushError", "application_key", "extra_endpoints",
           "check_subscription", "subscribe", "unsubscribe", "notify_once", "Notifier"]

log = logging.getLogger("office.push")

#: "Your turn is near" when this many or fewer people are ahead, unless the page asks for another (1-20).
NEAR = 3
#: The push services' hosts (a subscription's endpoint must be HTTPS on one of them, or under a suffix here).
PUSH_HOSTS = ("fcm.googleapis.com", "updates.push.services.mozilla.com", "web.push.apple.com",
              ".notify.windows.com", ".push.apple.com")
#: Address prefixes allowed besides (comma-separated): a private push service, or a test's.
ENDPOINTS_ENV = "KIOSK_OFFICE_PUSH_ENDPOINTS"
#: Who runs the server, for the push services (VAPID ``sub``); KIOSK_OFFICE_PUSH_CONTACT sets the office's own.
CONTACT = "mailto:kiosk-office@example.com"
POLL_SECONDS = 5.0
#: A push service that fails this many times in a row: the subscription is dropped.
MAX_FAILURES = 5
_KEY = "vapid_private_key"


class PushError(ValueError):
    """A subscription that cannot be kept (the message says what is wrong, in English: the page's script reads
    only the status)."""


#: Each database's key pair, read once: it never changes once made, and every message is signed with it.
_keys: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _vapid(db):
    """The office's VAPID key pair, made and kept the first time, then read once per process."""
    found = _keys.get(db)
    if found is None:
        found = _keys[db] = _load_vapid(db)
    return found


def _load_vapid(db):
    from py_vapid import Vapid02

    pem = db.read(lambda conn: conn.execute(select(META.c.value).where(META.c.key == _KEY)).scalar())
    if pem is None:
        made = Vapid02()
        made.generate_keys()

        def keep(conn):
            found = conn.execute(select(META.c.value).where(META.c.key == _KEY)).scalar()
            if found is None:  # another server process may have made one in between: one key for all
                conn.execute(insert(META).values(key=_KEY, value=made.private_pem().decode("ascii")))
                return made.private_pem().decode("ascii")
            return found
        pem = db.write(keep)
    return Vapid02.from_pem(pem.encode("ascii"))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def application_key(db) -> str:
    """The VAPID public key, as the page's ``pushManager.subscribe`` takes it (base64url, uncompressed point)."""
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return _b64(_vapid(db).public_key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint))


def extra_endpoints(environ=os.environ) -> Tuple[str, ...]:
    """The address prefixes ``KIOSK_OFFICE_PUSH_ENDPOINTS`` allows besides the push services."""
    return tuple(p.strip() for p in environ.get(ENDPOINTS_ENV, "").split(",") if p.strip())


def _allowed(endpoint: str, extra: Sequence[str]) -> bool:
    if any(endpoint.startswith(prefix) for prefix in extra):
        return True
    parts = urlsplit(endpoint)
    host = (parts.hostname or "").lower()
    return parts.scheme == "https" and parts.port in (None, 443) and any(
        host == h or (h.startswith(".") and host.endswith(h)) for h in PUSH_HOSTS)


def check_subscription(body, extra: Sequence[str] = ()) -> Dict[str, str]:
    """``{"endpoint", "p256dh", "auth"}`` from a ``PushSubscription.toJSON()``; PushError if it is not one."""
    if not isinstance(body, dict) or not isinstance(body.get("keys"), dict):
        raise PushError("send the browser's PushSubscription as JSON: {endpoint, keys: {p256dh, auth}}")
    endpoint, keys = body.get("endpoint"), body["keys"]
    if not isinstance(endpoint, str) or len(endpoint) > 1000 or not _allowed(endpoint, extra):
        raise PushError("the endpoint is not a known push service's")
    try:
        p256dh, auth = _unb64(str(keys.get("p256dh", ""))), _unb64(str(keys.get("auth", "")))
    except (binascii.Error, ValueError):
        raise PushError("keys.p256dh and keys.auth must be base64url") from None
    if len(p256dh) != 65 or p256dh[0] != 4 or len(auth) != 16:
        raise PushError("keys.p256dh must be a P-256 public key (65 bytes), keys.auth 16 bytes")
    return {"endpoint": endpoint, "p256dh": _b64(p256dh), "auth": _b64(auth)}


def subscribe(db, day: str, number: str, subscription: Dict[str, str], lang: str, near: int = NEAR) -> None:
    """Keep ``subscription`` for ticket ``number`` of ``day`` (the caller checked it and the ticket); asked again,
    the same row with the new language and threshold."""
    stamp = officetime.rfc3339(officetime.now())
    row = dict(day=day, number=number, lang=lang, near=near, created_at=stamp, failures=0, **subscription)
    same = ((PUSH_SUBSCRIPTIONS.c.day == day) & (PUSH_SUBSCRIPTIONS.c.number == number)
            & (PUSH_SUBSCRIPTIONS.c.endpoint == subscription["endpoint"]))

    def write(conn):
        if not conn.execute(update(PUSH_SUBSCRIPTIONS).where(same).values(
                lang=lang, near=near, p256dh=subscription["p256dh"], auth=subscription["auth"])).rowcount:
            conn.execute(insert(PUSH_SUBSCRIPTIONS).values(**row))
    try:
        db.write(write)
    except IntegrityError:  # the same browser twice at once: the other request kept it
        pass


def unsubscribe(db, day: str, number: str, endpoint: str) -> bool:
    """Forget one browser's subscription for the ticket; whether there was one."""
    return bool(db.write(lambda conn: conn.execute(delete(PUSH_SUBSCRIPTIONS).where(
        PUSH_SUBSCRIPTIONS.c.day == day, PUSH_SUBSCRIPTIONS.c.number == number,
        PUSH_SUBSCRIPTIONS.c.endpoint == endpoint)).rowcount))


def _message(row, kind: str, position: dict) -> dict:
    t = texts(row["lang"])
    if kind == "called":
        title, body = t("push.called_title"), t("push.called_body", number=row["number"], counter=position["counter"])
    else:
        title, body = t("push.near_title"), t("push.near_body", number=row["number"], count=position["ahead"])
    return {"kind": kind, "number": row["number"], "counter": position.get("counter"), "ahead": position["ahead"],
            "title": title, "body": body, "lang": row["lang"],
            "url": f"/q/{row['day']}/{row['number']}?lang={row['lang']}"}


def send(db, row, message: dict) -> Optional[int]:
    """Send ``message`` to one subscription (pywebpush): the push service's HTTP status, None without one."""
    from pywebpush import WebPushException, webpush

    info = {"endpoint": row["endpoint"], "keys": {"p256dh": row["p256dh"], "auth": row["auth"]}}
    contact = os.environ.get("KIOSK_OFFICE_PUSH_CONTACT", CONTACT)
    try:
        answer = webpush(info, json.dumps(message, ensure_ascii=False), vapid_private_key=_vapid(db),
                         vapid_claims={"sub": contact}, ttl=600, timeout=5)
        return answer.status_code
    except WebPushException as exc:
        return exc.response.status_code if exc.response is not None else None
    except Exception as exc:  # a push service that is down or unreachable: tried again later
        log.warning("push to %s failed: %s", urlsplit(row["endpoint"]).hostname, type(exc).__name__)
        return None


def notify_once(db, now: Optional[datetime] = None,
                sender: Callable[[object, dict, dict], Optional[int]] = None) -> List[Tuple[str, str]]:
    """Send what is due to today's subscriptions; ``(number, kind)`` of each message the push service took."""
    now = now or officetime.now()
    sender = sender or send
    today = officetime.office_day(now).isoformat()
    rows = db.read(lambda conn: conn.execute(select(PUSH_SUBSCRIPTIONS)).mappings().all())
    if any(row["day"] < today for row in rows):  # an earlier day's: nobody will call those numbers now
        db.write(lambda conn: conn.execute(delete(PUSH_SUBSCRIPTIONS).where(PUSH_SUBSCRIPTIONS.c.day < today)))
    rows = [row for row in rows if row["day"] == today]
    sent = []
    for row in rows:
        position = calls.queue_position(db, today, row["number"])
        if position is None:
            continue  # not uploaded yet
        if position["state"] == "called":
            kind = "called"
        elif position["state"] == "waiting" and position["ahead"] <= row["near"] and row["near_sent_at"] is None:
            kind = "near"
        elif position["state"] == "waiting":
            continue
        else:  # done or skipped without a call seen here: nothing more to say
            db.write(lambda conn, i=row["id"]: conn.execute(delete(PUSH_SUBSCRIPTIONS).where(
                PUSH_SUBSCRIPTIONS.c.id == i)))
            continue
        status = sender(db, row, _message(row, kind, position))
        _after(db, row, kind, status, now)
        if status is not None and 200 <= status < 300:
            sent.append((row["number"], kind))
    return sent


def _after(db, row, kind: str, status: Optional[int], now: datetime) -> None:
    """What a send leaves: a called number, or a browser gone (404, 410), or one failing for good: no row;
    near sent: noted; else one more failure."""
    ok = status is not None and 200 <= status < 300
    gone = status in (404, 410) or (not ok and row["failures"] + 1 >= MAX_FAILURES)
    only = PUSH_SUBSCRIPTIONS.c.id == row["id"]
    if (ok and kind == "called") or gone:
        db.write(lambda conn: conn.execute(delete(PUSH_SUBSCRIPTIONS).where(only)))
    elif ok:
        db.write(lambda conn: conn.execute(update(PUSH_SUBSCRIPTIONS).where(only).values(
            near_sent_at=officetime.rfc3339(now.astimezone(officetime.TAIPEI)), failures=0)))
    else:
        db.write(lambda conn: conn.execute(update(PUSH_SUBSCRIPTIONS).where(only).values(
            failures=row["failures"] + 1)))


class Notifier:
    """``kiosk-office serve``'s thread that sends the messages (:func:`notify_once`) after each change to the
    calls of this process, and every :data:`POLL_SECONDS` besides."""

    def __init__(self, db, poll: float = POLL_SECONDS, clock: Callable[[], datetime] = None):
        self.db, self.poll, self.clock = db, poll, clock  # clock: the office's now (None: officetime.now)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="push", daemon=True)

    def start(self) -> "Notifier":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        calls.changed(self.db)  # wake the wait
        self._thread.join(10)

    def _run(self) -> None:
        while not self._stop.is_set():
            seen = calls.generation(self.db)
            try:
                notify_once(self.db, self.clock() if self.clock else None)
            except Exception:  # the database busy or gone for a moment: the next round tries again
                log.exception("push notifications failed this round")
            calls.wait_for_change(self.db, self.poll, seen)

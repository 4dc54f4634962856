"""
Logging: to the journal with fields, or to stderr; no secrets; no floods
=======================================================================

``setup()`` is called once by the CLI.  Under systemd (``$JOURNAL_STREAM``
names our stderr) records go to the journal over its native socket, each
with fields a technician can filter on (``journalctl -u kiosk
KIOSK_LOGGER=kiosk.upload``, ``PRIORITY=3``, ``KIOSK_FAULT=printer_paper_out``);
anywhere else they go to stderr as one line each.  No extra dependency: the
journal's native protocol is a datagram of ``KEY=value`` lines.

Two filters sit on the handler, so no code path can get around them:

- :class:`SecretFilter` replaces every configured secret (the server token,
  the admin PIN hash) that appears in a message by ``***``;
- :class:`RepeatFilter` lets the same message (same logger, level and
  format string) through at most ``burst`` times per ``window`` seconds; the
  next one that gets through says how many were held back.  A printer that
  is out of paper for a night writes a few lines, not thousands.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import time
from typing import Callable, Dict, Iterable, Optional, Tuple

__all__ = ["setup", "hide_secrets_of", "SecretFilter", "RepeatFilter", "JournalHandler", "under_journal"]

JOURNAL_SOCKET = "/run/systemd/journal/socket"
_PRIORITY = {logging.CRITICAL: 2, logging.ERROR: 3, logging.WARNING: 4, logging.INFO: 6, logging.DEBUG: 7}


class SecretFilter(logging.Filter):
    """Replace each secret value that appears in a record's message with ``***``."""

    def __init__(self, secrets: Iterable[str] = ()):
        super().__init__()
        self.secrets: list = []
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        """Hide these too (longest first, so a secret containing another is replaced whole)."""
        self.secrets = sorted(set(self.secrets) | {s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: the handler reports it (handleError); never raise here
            return True
        cleaned = message
        for secret in self.secrets:
            cleaned = cleaned.replace(secret, "***")
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:  # a traceback can quote a token too
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            for secret in self.secrets:
                record.exc_text = record.exc_text.replace(secret, "***")
        return True


class RepeatFilter(logging.Filter):
    """At most ``burst`` records per ``window`` seconds for each (logger, level, format string)."""

    def __init__(self, burst: int = 5, window: float = 300.0, clock: Callable[[], float] = time.monotonic):
        super().__init__()
        self.burst, self.window, self.clock = burst, window, clock
        self._seen: Dict[Tuple[str, int, str], list] = {}  # key -> [window start, count, held back]

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, record.levelno, str(record.msg))
        now = self.clock()
        state = self._seen.get(key)
        if state is None or now - state[0] >= self.window:
            held = state[2] if state else 0
            self._seen[key] = [now, 1, 0]
            if held:
                try:
                    text = record.getMessage()
                except Exception:  # a bad format string: left for the handler to report
                    text = str(record.msg)
                record.msg = f"{text} ({held} more like this held back in the last {self.window:.0f} s)"
                record.args = None
            if len(self._seen) > 1000:  # forget old keys: a long-running kiosk must not grow
                self._seen = {k: v for k, v in self._seen.items() if now - v[0] < self.window}
            return True
        state[1] += 1
        if state[1] <= self.burst:
            return True
        state[2] += 1
        return False


class JournalHandler(logging.Handler):
    """Send records to systemd's journal with fields (native protocol); stderr if the socket fails."""

    def __init__(self, identifier: str = "kiosk", fields: Optional[Dict[str, str]] = None,
                 path: str = JOURNAL_SOCKET):
        super().__init__()
        self.identifier, self.fields, self.path = identifier, dict(fields or {}), path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.fallback = logging.StreamHandler(sys.stderr)

    def _datagram(self, record: logging.LogRecord) -> bytes:
        message = self.format(record)
        fields = {"MESSAGE": message, "PRIORITY": str(_PRIORITY.get(record.levelno, 6)),
                  "SYSLOG_IDENTIFIER": self.identifier, "KIOSK_LOGGER": record.name,
                  "CODE_FILE": record.pathname, "CODE_LINE": str(record.lineno), "CODE_FUNC": record.funcName,
                  **self.fields, **{k.upper(): str(v) for k, v in getattr(record, "fields", {}).items()}}
        out = bytearray()
        for key, value in fields.items():
            data = value.encode("utf-8", "replace")
            if b"\n" in data:  # the protocol's form for values with newlines: KEY\n<64-bit LE length><data>\n
                out += key.encode() + b"\n" + len(data).to_bytes(8, "little") + data + b"\n"
            else:
                out += key.encode() + b"=" + data + b"\n"
        return bytes(out)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.sock.sendto(self._datagram(record), self.path)
        except OSError:
            self.fallback.emit(record)

    def close(self) -> None:
        self.sock.close()
        super().close()


def under_journal(environ=os.environ, stream=sys.stderr) -> bool:
    """True when stderr is connected to the journal (systemd sets ``JOURNAL_STREAM=dev:inode`` for it)."""
    value = environ.get("JOURNAL_STREAM", "")
    try:
        device, inode = (int(part) for part in value.split(":"))
        info = os.fstat(stream.fileno())
    except (ValueError, OSError, AttributeError):
        return False
    return (info.st_dev, info.st_ino) == (device, inode)


def hide_secrets_of(config) -> None:
    """Add the config's secret values (server token, PIN hash) to the filter of the handler :func:`setup` made."""
    secrets = [value for setting, value in config.items() if setting.secret and isinstance(value, str) and value]
    for handler in logging.getLogger().handlers:
        for f in handler.filters:
            if isinstance(f, SecretFilter):
                f.add(secrets)
        if isinstance(handler, JournalHandler) and config.kiosk.id:
            handler.fields.setdefault("KIOSK_ID", config.kiosk.id)


def setup(verbose: bool = False, secrets: Iterable[str] = (), kiosk_id: str = "") -> logging.Handler:
    """Configure the root logger once: journal or stderr, with the secret and repeat filters."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    if under_journal():
        handler: logging.Handler = JournalHandler(fields={"KIOSK_ID": kiosk_id} if kiosk_id else None)
        handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))  # the journal adds time and host
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(SecretFilter(secrets))
    handler.addFilter(RepeatFilter())
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    return handler

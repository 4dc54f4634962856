"""
What the office edits centrally
===============================

``GET {server.url}/api/v1/kiosks/{id}/config`` (bearer token, ``ETag``)
returns what the office edits for all its kiosks (office/PROTOCOL.md).  The
kiosk takes:

* ``forms``: the text of a forms override in the format of
  ``protocol/data/forms.toml``, checked like a local one;
* ``announcements`` and ``announcements_en``: the marquee's announcements in
  Chinese and, the same length, in English (``""``: none, the English screen
  shows the Chinese).  **The office's, when it sends any, replace kiosk.toml's
  ``[marquee] messages``; an empty list means "show the kiosk's own".**  They
  are kept in the store's meta, so a restart while the server is down still
  shows the last ones, and handed to :attr:`ConfigSync.on_announcements`
  listeners (on the sync thread: the UI hands them to Kivy's).

The answer's ETag is kept, so an unchanged answer costs a ``304 Not
Modified``; a server that is down, slow or refusing leaves the last good
catalogue and announcements in place, so the kiosk works offline for as long
as it must; a TLS certificate it does not trust (``server.ca_bundle``) is a
``server_certificate`` fault.  A malformed member is refused with a fault, and
the last good one kept; the others are still taken.  It asks through the
kiosk's one :class:`~kiosk.office_client.OfficeClient` (URL, token, CA bundle,
timeout), which never logs the token.
"""

from __future__ import annotations

import json
import logging
from typing import Callable, List, Optional, Tuple

from .office_client import OfficeClient, OfficeUnreachable

__all__ = ["ConfigSync", "read_announcements"]

log = logging.getLogger("kiosk.office")

#: "_v2" since the kiosk takes the announcements too: an ETag kept by a kiosk that took only the forms would
#: get a 304 and never the announcements already set.  Take a new member, name a new key.
ETAG_KEY = "office_config_etag_v2"
ANNOUNCEMENTS_KEY = "office_announcements"  # the last good ones, JSON {"announcements": [...], "announcements_en"}
TIMEOUT = (5, 15)  # seconds to connect, seconds to read
#: The protocol's limits (office/PROTOCOL.md, office/marquee.py): an answer beyond them is refused.
MAX_ANNOUNCEMENTS = 20
MAX_ANNOUNCEMENT_CHARS = 200

#: The marquee's announcements: the Chinese texts, and the English ones (same length, "" for none).
Announcements = Tuple[List[str], List[str]]


def read_announcements(answer: dict) -> Announcements:
    """The config answer's announcements, checked: ValueError naming what is wrong.

    A member left out is an empty list (an older office server sends no ``announcements_en``).
    """
    chinese, english = answer.get("announcements", []), answer.get("announcements_en", [])
    for name, texts in (("announcements", chinese), ("announcements_en", english)):
        if not isinstance(texts, list):
            raise ValueError(f"{name} must be a list of strings, got {type(texts).__name__}")
        if len(texts) > MAX_ANNOUNCEMENTS:
            raise ValueError(f"{name} has {len(texts)} items, at most {MAX_ANNOUNCEMENTS}")
        for number, text in enumerate(texts, start=1):
            if not isinstance(text, str):
                raise ValueError(f"{name} item {number} must be a string, got {type(text).__name__}")
            if len(text) > MAX_ANNOUNCEMENT_CHARS:
                raise ValueError(f"{name} item {number} has {len(text)} characters, at most {MAX_ANNOUNCEMENT_CHARS}")
    if len(english) > len(chinese):
        raise ValueError(f"announcements_en has {len(english)} items but announcements {len(chinese)}")
    blank = [number for number, text in enumerate(chinese, start=1) if not text.strip()]
    if blank:
        raise ValueError(f"announcements item {blank[0]} is empty")
    return list(chinese), list(english) + [""] * (len(chinese) - len(english))


class ConfigSync:
    """Fetches the office's central settings: the forms catalogue to the cache, the announcements to the
    store and the listeners."""

    def __init__(self, config, store, forms, record_fault, client: Optional[OfficeClient] = None):
        self.config = config
        self.store = store
        self.forms = forms
        self.record_fault = record_fault
        self.client = client or OfficeClient(config)
        self.session = self.client.session
        #: Called with :meth:`marquee_texts` when the office's announcements changed, on the sync thread.
        self.on_announcements: List[Callable[[Announcements], None]] = []

    @property
    def url(self) -> str:
        return self.client.kiosk_url("config")

    def refresh(self) -> str:
        """Ask once; return ``updated``, ``unchanged``, ``offline``, ``untrusted`` (its TLS certificate),
        ``refused``, ``invalid`` or ``disabled``."""
        if not self.client.configured:
            return "disabled"
        etag = self.store.get_meta(ETAG_KEY)
        try:
            response = self.client.get(self.url, TIMEOUT, **({"If_None_Match": etag} if etag else {}))
        except OfficeUnreachable as exc:  # its message names the URL and why, never the token
            if exc.kind in ("certificate", "ca_bundle"):  # a setting to fix, not a network to wait for
                self.record_fault("server_certificate", f"{exc}; the last catalogue and announcements are kept")
                return "untrusted"
            log.warning("office server not reachable, keeping the last catalogue: %s", exc)
            return "offline"
        if response.status_code == 304:
            return "unchanged"
        if response.status_code in (401, 403):
            self.record_fault("server_refused", f"the office server refused this kiosk's token "
                                                f"(HTTP {response.status_code}) at {self.url}")
            return "refused"
        if response.status_code != 200:
            log.warning("office server answered HTTP %s for %s; keeping the last catalogue",
                        response.status_code, self.url)
            return "offline"
        try:
            answer = self.client.json(response)
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            self.record_fault("server_config_invalid", f"the office server's answer at {self.url} is not a JSON "
                                                       "object")
            return "invalid"
        # Each member on its own: a broken forms catalogue does not hold back good announcements.
        outcome = "updated"
        forms = answer.get("forms")
        if forms is not None:
            problems = self.forms.update(forms, f"office server {self.url}")
            if problems:
                self.record_fault("forms_catalogue", f"the forms catalogue from the office server has "
                                  f"{len(problems)} problem(s), the last good one is kept: "
                                  + "; ".join(map(str, problems[:3])))
                outcome = "invalid"
        if not self._take_announcements(answer):
            outcome = "invalid"
        if outcome == "updated" and response.headers.get("ETag"):  # else asked in full again next time
            self.store.set_meta(ETAG_KEY, response.headers["ETag"])
        return outcome

    # -- announcements ----------------------------------------------------------------------------

    def marquee_texts(self) -> Announcements:
        """What the marquee shows: the office's announcements when it sent any, else kiosk.toml's."""
        chinese, english = self._office_announcements()
        if chinese:
            return chinese, english
        return list(self.config.marquee.messages), list(self.config.marquee.messages_en)

    def _office_announcements(self) -> Announcements:
        """The office's last good announcements, from the store (none: two empty lists)."""
        try:
            return read_announcements(json.loads(self.store.get_meta(ANNOUNCEMENTS_KEY) or "{}"))
        except (ValueError, AttributeError):  # a damaged row: the kiosk's own, never a blank strip
            return [], []

    def _take_announcements(self, answer: dict) -> bool:
        """Keep the answer's announcements and tell the listeners if they changed; False if refused."""
        try:
            chinese, english = read_announcements(answer)
        except ValueError as exc:
            self.record_fault("server_config_invalid", f"the announcements from the office server at {self.url} "
                              f"are refused, the last good ones kept: {exc}")
            return False
        if (chinese, english) != self._office_announcements():
            self.store.set_meta(ANNOUNCEMENTS_KEY, json.dumps(
                {"announcements": chinese, "announcements_en": english}, ensure_ascii=False))
            log.info("%d announcement(s) from the office server%s", len(chinese),
                     "" if chinese else ": the marquee shows kiosk.toml's own")
            shown = self.marquee_texts()
            for listener in list(self.on_announcements):
                listener(shown)
        return True

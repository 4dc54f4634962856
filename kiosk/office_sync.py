"""
What the office edits centrally
===============================

``GET {server.url}/api/v1/kiosks/{id}/config`` (bearer token, ``ETag``)
returns what the office edits for all its kiosks (office/PROTOCOL.md).  The
kiosk takes:

* ``forms``: the text of a forms override in the format of
  ``protocol/data/forms.toml``, checked like a local one;
* ``announcements``, ``announcements_en``, ``announcements_vi``…: the
  marquee's announcements, a list per language of the same length
  (protocol/announcements.py; ``""``: no text in that language, the screen
  shows the Chinese).  **The office's, when it sends any, replace the kiosk's
  own (kiosk/announcements.py: kiosk.toml's ``[marquee] messages``); an empty
  list means "show the kiosk's own".**  They are kept in the store's meta, so
  a restart while the server is down still shows the last ones, and handed to
  :attr:`ConfigSync.on_announcements` listeners (on the sync thread: the UI
  hands them to Kivy's);
* ``update``: a new system for this kiosk (protocol/updates.py), kept in the store's meta and handed to
  :attr:`ConfigSync.on_update` listeners (the update agent: kiosk/updates/agent.py);
* ``number_slot``: the slot this kiosk numbers from while cut off from the
  server (protocol/numbering.py), kept in the store's meta, so that a kiosk
  that has only ever fetched its settings can print its first ticket alone.

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

from protocol.announcements import Announcement, answer_members, read_answer
from protocol.updates import Offer, read_offer

from .announcements import own_announcements
from .office_client import OfficeClient, OfficeUnreachable
from .office_numbers import keep_slot

__all__ = ["ConfigSync", "read_announcements", "Announcements"]

log = logging.getLogger("kiosk.office")

#: "_v2" since the kiosk takes the announcements, "_v3" since it takes them in vi, id, th and fil too: an ETag
#: kept by a kiosk that took fewer members would get a 304 and never what is already set in the new ones.
#: Take a new member, name a new key ("_v4": the system update offer, ``update``).
ETAG_KEY = "office_config_etag_v4"
#: The last good announcements, JSON: the answer's members (``announcements``, ``announcements_en``, …); a row
#: kept by the two-language kiosk has only the first two, and reads as announcements without other texts.
ANNOUNCEMENTS_KEY = "office_announcements"
#: The last good ``update`` member, JSON ("null": nothing offered); none: no answer had one yet.
UPDATE_KEY = "office_update_offer"
TIMEOUT = (5, 15)  # seconds to connect, seconds to read

#: The marquee's announcements: each one's text per language (language -> text, "zh-TW" always there).
Announcements = List[Announcement]


def read_announcements(answer: dict) -> Announcements:
    """The config answer's announcements, checked against the protocol's limits (at most 20, 200 characters
    each: protocol/announcements.py): ValueError naming what is wrong.

    A member left out is no text in that language (an older office server sends only ``announcements``
    and ``announcements_en``, or no ``announcements_en`` at all).
    """
    return read_answer(answer)


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
        #: Called with the office's system update offer (an Offer or None) at each answer, on the sync thread.
        self.on_update: List[Callable[[Optional[Offer]], None]] = []

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
        if not self._take_update(answer):
            outcome = "invalid"
        keep_slot(self.store, answer.get("number_slot"))  # an older server sends none: a ticket's answer brings it
        if outcome == "updated" and response.headers.get("ETag"):  # else asked in full again next time
            self.store.set_meta(ETAG_KEY, response.headers["ETag"])
        return outcome

    # -- the system update offer ---------------------------------------------------------------------

    def last_offer(self) -> Tuple[bool, Optional[Offer]]:
        """Whether an answer said anything of updates yet, and the last good offer (kept across restarts: an
        unchanged answer is a 304 without one)."""
        kept = self.store.get_meta(UPDATE_KEY)
        if kept is None:
            return False, None
        try:
            return True, read_offer(json.loads(kept))
        except ValueError:
            return False, None

    def _take_update(self, answer: dict) -> bool:
        """Keep the answer's ``update`` member and hand it on; False if refused (the last good one stays)."""
        try:
            offer = read_offer(answer.get("update"))
        except ValueError as exc:
            self.record_fault("server_config_invalid", f"the system update offered by the office server at "
                              f"{self.url} is refused: {exc}")
            return False
        self.store.set_meta(UPDATE_KEY, json.dumps(answer.get("update")))
        for listener in list(self.on_update):
            listener(offer)
        return True

    # -- announcements ----------------------------------------------------------------------------

    def marquee_texts(self) -> Announcements:
        """What the marquee shows: the office's announcements when it sent any, else the kiosk's own."""
        return self._office_announcements() or own_announcements(self.config)

    def _office_announcements(self) -> Announcements:
        """The office's last good announcements, from the store (none: an empty list)."""
        try:
            return read_announcements(json.loads(self.store.get_meta(ANNOUNCEMENTS_KEY) or "{}"))
        except (ValueError, AttributeError):  # a damaged row: the kiosk's own, never a blank strip
            return []

    def _take_announcements(self, answer: dict) -> bool:
        """Keep the answer's announcements and tell the listeners if they changed; False if refused."""
        try:
            announcements = read_announcements(answer)
        except ValueError as exc:
            self.record_fault("server_config_invalid", f"the announcements from the office server at {self.url} "
                              f"are refused, the last good ones kept: {exc}")
            return False
        if announcements != self._office_announcements():
            self.store.set_meta(ANNOUNCEMENTS_KEY, json.dumps(answer_members(announcements), ensure_ascii=False))
            log.info("%d announcement(s) from the office server%s", len(announcements),
                     "" if announcements else ": the marquee shows the kiosk's own")
            shown = self.marquee_texts()
            for listener in list(self.on_announcements):
                listener(shown)
        return True

"""
What the office edits centrally
===============================

``GET {server.url}/api/v1/kiosks/{id}/config`` (bearer token, ``ETag``)
returns what the office edits for all its kiosks.  For now the kiosk takes
the ``forms`` member: the text of a forms override in the format of
``kiosk/data/forms.toml``, checked like a local one.  The answer's ETag is
kept, so an unchanged catalogue costs a ``304 Not Modified``; a server that is
down, slow or refusing leaves the last good catalogue in place (it is kept on
disk by :class:`~kiosk.forms.CatalogueCache`), so the kiosk works offline for
as long as it must.  The token is never logged.
"""

from __future__ import annotations

import logging
from urllib.parse import quote, urljoin

import requests

__all__ = ["ConfigSync", "kiosk_endpoint", "office_headers"]

log = logging.getLogger("kiosk.office")

ETAG_KEY = "office_config_etag"
TIMEOUT = (5, 15)  # seconds to connect, seconds to read


def kiosk_endpoint(config, name: str) -> str:
    """``{server.url}/api/v1/kiosks/{id}/{name}``: this kiosk's own endpoints on the office server."""
    base = config.server.url
    return urljoin(base if base.endswith("/") else base + "/", f"api/v1/kiosks/{quote(config.kiosk.id)}/{name}")


def office_headers(config) -> dict:
    """What every request to the office server carries: JSON wanted, and the token (never logged) if set."""
    headers = {"Accept": "application/json"}
    if config.server.token:
        headers["Authorization"] = f"Bearer {config.server.token}"
    return headers


class ConfigSync:
    """Fetches the office's central settings and hands the forms catalogue to the cache."""

    def __init__(self, config, store, forms, record_fault, session=None):
        self.config = config
        self.store = store
        self.forms = forms
        self.record_fault = record_fault
        self.session = session or requests.Session()

    @property
    def url(self) -> str:
        return kiosk_endpoint(self.config, "config")

    def refresh(self) -> str:
        """Ask once; return ``updated``, ``unchanged``, ``offline``, ``refused``, ``invalid`` or ``disabled``."""
        if not self.config.server.url:
            return "disabled"
        headers = office_headers(self.config)
        etag = self.store.get_meta(ETAG_KEY)
        if etag:
            headers["If-None-Match"] = etag
        try:
            response = self.session.get(self.url, headers=headers, timeout=TIMEOUT)
        except requests.RequestException as exc:
            # The exception text names the URL, never the headers: no token can leak here.
            log.warning("office server not reachable, keeping the last catalogue: %s", type(exc).__name__)
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
            forms = response.json().get("forms")
        except (ValueError, AttributeError):
            self.record_fault("server_config_invalid", f"the office server's answer at {self.url} is not JSON")
            return "invalid"
        if forms is not None:
            problems = self.forms.update(forms, f"office server {self.url}")
            if problems:
                self.record_fault("forms_catalogue", f"the forms catalogue from the office server has "
                                  f"{len(problems)} problem(s), the last good one is kept: "
                                  + "; ".join(map(str, problems[:3])))
                return "invalid"
        if response.headers.get("ETag"):
            self.store.set_meta(ETAG_KEY, response.headers["ETag"])
        return "updated"

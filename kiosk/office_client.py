"""
The kiosk's one way to its office server
========================================

Everything the kiosk asks of the office server goes through one
:class:`OfficeClient`: the uploads (``kiosk/uploader.py``, and with them the
heartbeats, which are outbox events), the central config
(``kiosk/office_sync.py``), the queue (``kiosk/queue_status.py``) and the
self-test's network row (``kiosk/selftest/network.py``).  So what ``[server]`` says is
honoured by all of them alike, never by some and not others:

* ``server.url``: the base every path is joined to (:meth:`OfficeClient.url`;
  :meth:`OfficeClient.kiosk_url` for this kiosk's ``api/v1/kiosks/{id}/…``);
* ``server.ca_bundle``: the certificates trusted for the server's TLS
  certificate (empty: the default ones).  It is passed with every request:
  requests would let ``REQUESTS_CA_BUNDLE`` in the environment override a
  session's own setting;
* ``server.token``: the bearer token, on every request, never logged nor put
  in a message;
* a timeout (connect, read) on every request.

The session keeps no cookies (the kiosk API sets none; the threads that share
the session then share no state but its connection pool).

A request that gets no HTTP answer raises :class:`OfficeUnreachable`, whose
message says why in a technician's words — no answer in time, a certificate
not trusted (and what to do), a CA bundle that cannot be read, no connection
— naming the URL, never the headers; its ``kind`` tells the callers apart.
An HTTP answer, whatever its status, is returned: what a status means is the
caller's.  :meth:`OfficeClient.json` reads an answer's JSON with text that
cannot be stored or sent again (a lone UTF-16 surrogate, ``"\\ud800"``)
replaced by U+FFFD.
"""

from __future__ import annotations

import http.cookiejar
import json
import re
from typing import Any, Optional, Tuple
from urllib.parse import quote

import requests

from protocol.events import valid_text
from protocol.urls import under

__all__ = ["OfficeClient", "OfficeUnreachable", "DEFAULT_TIMEOUT"]

#: Seconds to connect, seconds to wait for the answer, when a caller names none.
DEFAULT_TIMEOUT: Tuple[float, float] = (5, 15)


class OfficeUnreachable(Exception):
    """No HTTP answer from the office server.

    ``kind``: ``timeout``, ``certificate`` (its TLS certificate is not trusted),
    ``ca_bundle`` (``server.ca_bundle`` cannot be read), ``tls`` (another TLS
    failure) or ``connection``.  The message names the URL, never the token.
    """

    def __init__(self, message: str, kind: str):
        super().__init__(message)
        self.kind = kind


def _valid(value: Any) -> Any:
    if isinstance(value, str):
        return valid_text(value)
    if isinstance(value, list):
        return [_valid(item) for item in value]
    if isinstance(value, dict):
        return {valid_text(key): _valid(item) for key, item in value.items()}
    return value


class OfficeClient:
    """One ``requests`` session set up from ``config.server`` (see the module docstring); ``close()`` ends it."""

    def __init__(self, config, session: Optional[requests.Session] = None):
        self.config = config
        self.session = session or requests.Session()
        # No cookies: the API sets none, and a jar would be state shared by the uploader's, the sync's and the
        # queue's threads.
        self.session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))

    # -- what [server] says ----------------------------------------------------------------------

    @property
    def configured(self) -> bool:
        """Whether there is an office server at all (``server.url``)."""
        return bool(self.config.server.url)

    @property
    def verify(self):
        """What TLS certificates are checked against: ``server.ca_bundle``, else requests' default."""
        return self.config.server.ca_bundle or True

    def url(self, path: str) -> str:
        """``path`` (``api/v1/events``) under ``server.url``, with or without its trailing slash."""
        return under(self.config.server.url, path)

    def kiosk_url(self, name: str) -> str:
        """``{server.url}/api/v1/kiosks/{id}/{name}``: this kiosk's own endpoints on the office server."""
        return self.url(f"api/v1/kiosks/{quote(self.config.kiosk.id, safe='')}/{name}")

    def headers(self, **extra: str) -> dict:
        """JSON wanted, and the token (never logged) if set; ``extra`` headers with ``_`` for ``-``."""
        headers = {"Accept": "application/json"}
        if self.config.server.token:
            headers["Authorization"] = f"Bearer {self.config.server.token}"
        headers.update({name.replace("_", "-"): value for name, value in extra.items()})
        return headers

    # -- asking ------------------------------------------------------------------------------------

    def get(self, url: str, timeout: Tuple[float, float] = DEFAULT_TIMEOUT, **headers: str) -> requests.Response:
        """GET ``url`` (from :meth:`url`) with the token; OfficeUnreachable without an HTTP answer."""
        return self._send("GET", url, timeout, self.headers(**headers))

    def post_json(self, url: str, body: bytes, timeout: Tuple[float, float] = DEFAULT_TIMEOUT) -> requests.Response:
        """POST ``body`` (JSON, UTF-8) to ``url`` with the token; OfficeUnreachable without an HTTP answer."""
        return self._send("POST", url, timeout, self.headers(Content_Type="application/json"), body)

    def _send(self, method: str, url: str, timeout, headers: dict, body: Optional[bytes] = None):
        try:
            return self.session.request(method, url, headers=headers, data=body, timeout=timeout,
                                        verify=self.verify)
        except requests.ConnectTimeout:
            raise OfficeUnreachable(f"no connection to the office server at {url} within {timeout[0]:g} s",
                                    "timeout") from None
        except requests.Timeout:
            raise OfficeUnreachable(f"the office server did not answer within {timeout[1]:g} s", "timeout") from None
        except requests.exceptions.SSLError as exc:
            raise self._tls_failure(url, exc) from None
        except requests.RequestException as exc:
            # Exceptions' texts name the URL; ours names only their type: no header, no token, can leak.
            raise OfficeUnreachable(f"cannot reach the office server at {url}: {type(exc).__name__}",
                                    "connection") from None
        except OSError as exc:  # requests' own check of a CA bundle path that is not there
            raise self._bundle_failure(exc) from None

    def _tls_failure(self, url: str, exc: Exception) -> OfficeUnreachable:
        text = str(exc)
        bundle = self.config.server.ca_bundle
        if "CERTIFICATE_VERIFY_FAILED" in text:
            found = re.search(r"certificate verify failed: ([^(')\"]+)", text)
            detail = f" ({found.group(1).strip()})" if found else ""
            if bundle:
                return OfficeUnreachable(f"the office server's TLS certificate at {url} is not trusted by "
                                         f"server.ca_bundle {bundle}{detail}: is it the office's CA certificate, "
                                         "and is the kiosk's clock right?", "certificate")
            return OfficeUnreachable(f"the office server's TLS certificate at {url} is not trusted{detail}: set "
                                     "server.ca_bundle to the office's CA certificate (PEM), or check the kiosk's "
                                     "clock", "certificate")
        if bundle and re.search(r"PEM|no certificate|X509|Errno 2|No such file", text):
            return self._bundle_failure(exc)
        return OfficeUnreachable(f"TLS with the office server at {url} failed: {type(exc).__name__}", "tls")

    def _bundle_failure(self, exc: Exception) -> OfficeUnreachable:
        bundle = self.config.server.ca_bundle
        if not bundle:
            return OfficeUnreachable(f"the default TLS certificates cannot be read: {type(exc).__name__}",
                                     "ca_bundle")
        return OfficeUnreachable(f"server.ca_bundle {bundle} cannot be read as a CA certificate (PEM): "
                                 "check the path and the file", "ca_bundle")

    @staticmethod
    def json(response: requests.Response) -> Any:
        """The answer's JSON (ValueError if it is none), every text such that UTF-8 can carry it."""
        return _valid(json.loads(response.content))

    def close(self) -> None:
        """Drop the kept-alive connections (the client still works: it opens new ones)."""
        self.session.close()

"""
The self-test's network row
===========================

Whether this kiosk reaches its office server, step by step so that the row
says which step failed: the server's name resolved (with a deadline of its
own), a TCP connection to its port, then the config endpoint asked with the
token through the kiosk's own :class:`~kiosk.office_client.OfficeClient`
(``server.ca_bundle``, the token, the URL taken exactly as the uploader takes
them): accepted, refused, not trusted, or no answer.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from .rows import FAIL, PASS, Check

if TYPE_CHECKING:
    from . import SelfTest

__all__ = ["check_network", "NET_TIMEOUT"]

NET_TIMEOUT = 3.0         # seconds for DNS, for the connection, and to connect over HTTP
HTTP_READ_TIMEOUT = 5.0   # seconds for the office server's answer


def _resolve(host: str, port: int, timeout: float):
    """getaddrinfo with a deadline (it has none of its own); TimeoutError when DNS is silent."""
    answer: dict = {}

    def ask():
        try:
            answer["infos"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            answer["error"] = exc

    thread = threading.Thread(target=ask, name="selftest-dns", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise TimeoutError(f"no DNS answer for {host} within {timeout:g} s")
    if "error" in answer:
        raise answer["error"]
    return answer["infos"]


def check_network(t: SelfTest) -> Check:
    server = t.config.server
    if not server.url:
        from ..reachable import lan_address
        address = lan_address()
        return Check("network", PASS, "no office server configured (uploads off)"
                     + (f"; this kiosk's address {address}" if address else ""))
    parts = urlsplit(server.url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = _resolve(host, port, NET_TIMEOUT)
    except (OSError, TimeoutError) as exc:
        why = exc.strerror if isinstance(exc, socket.gaierror) and exc.strerror else str(exc)
        return Check("network", FAIL, f"cannot resolve the office server's name {host}: {why}",
                     "check the network and its DNS server, or put the server's IP address in server.url")
    family, _type, _proto, _name, address = infos[0]
    ip = address[0]
    server_at = f"office server {host}:{port}" + (f" ({ip})" if ip != host else "")
    try:
        with socket.socket(family, socket.SOCK_STREAM) as conn:
            conn.settimeout(NET_TIMEOUT)
            conn.connect(address)
            local = conn.getsockname()[0]
    except OSError as exc:
        why = "no answer" if isinstance(exc, socket.timeout) else (exc.strerror or str(exc))
        return Check("network", FAIL, f"{server_at} unreachable: {why}",
                     "check the kiosk's cable or Wi-Fi, and that the office server runs (kiosk-office serve) "
                     "and its firewall lets the port through")
    where = f"{server_at} reachable from {local}"
    if not server.token:
        return Check("network", FAIL, f"{where}, but server.token is empty",
                     f"on the office server: kiosk-office kiosk add {t.config.kiosk.id}; put the token it prints "
                     "in server.token")
    return _ask_config(t, where)


def _ask_config(t: SelfTest, where: str) -> Check:
    """GET the config endpoint with the token (office/PROTOCOL.md): is this kiosk's token accepted?

    Asked through the kiosk's own :class:`~kiosk.office_client.OfficeClient`, so ``server.ca_bundle``, the token
    and the URL are taken exactly as the uploader, the config sync and the queue status take them.
    """
    from ..office_client import OfficeClient, OfficeUnreachable

    config = t.config
    client = OfficeClient(config)
    url = client.kiosk_url("config")
    started = time.monotonic()
    try:
        # The client's messages name the URL, never the headers: the token cannot leak through them.
        response = client.get(url, (NET_TIMEOUT, HTTP_READ_TIMEOUT))
    except OfficeUnreachable as exc:
        if exc.kind == "certificate":
            bundle = config.server.ca_bundle
            return Check("network", FAIL, f"{where}, but its TLS certificate is not trusted"
                         + (f" by server.ca_bundle {bundle}" if bundle else ""),
                         "set server.ca_bundle to the office's CA certificate (PEM), or check the kiosk's clock")
        if exc.kind == "ca_bundle":
            return Check("network", FAIL, f"{where}, but {exc}",
                         "server.ca_bundle must name a PEM file holding the office's CA certificate")
        if exc.kind == "timeout":
            return Check("network", FAIL, f"{where}, but it did not answer {url} within {HTTP_READ_TIMEOUT:g} s",
                         "check that the office server runs (kiosk-office serve) and is not overloaded")
        return Check("network", FAIL, f"{where}, but {exc}",
                     "check server.url: it is the office server's base address")
    finally:
        client.close()
    ms = (time.monotonic() - started) * 1000
    if response.status_code == 200:
        return Check("network", PASS, f"{where}, token accepted (config endpoint, {ms:.0f} ms)")
    if response.status_code in (401, 403):
        try:
            said = str(response.json().get("error", ""))[:160]
        except (ValueError, AttributeError):
            said = ""
        return Check("network", FAIL, f"{where}, but the token was refused (HTTP {response.status_code}"
                                      + (f": {said}" if said else "") + ")",
                     f"on the office server: kiosk-office kiosk add {config.kiosk.id} issues a new token; put it "
                     "in server.token")
    if response.status_code == 404:
        return Check("network", FAIL, f"{where}, but it has no config endpoint at {url} (HTTP 404)",
                     "server.url must be the office server's base address (what kiosk-office serve listens on)")
    return Check("network", FAIL, f"{where}, but it answered HTTP {response.status_code} at {url}",
                 "look at the office server's log")

"""
Addresses a resident's phone can open
=====================================

A QR code on a ticket (and on the forms screen) is scanned by a resident's
phone, most often on mobile data, not on the office's network.  An address
that only this machine or this network knows — 127.0.0.1, 192.168.x.x, a
``.local`` name — opens nothing there, so ``kiosk config check`` and ``kiosk
selftest`` warn about it (:func:`local_only`).  No name is looked up: a DNS
answer on the office's network says nothing about the phone's.

:func:`lan_address` is this machine's address on its network, for ``make
run``'s local office server, which a phone on the same Wi-Fi can open.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Optional
from urllib.parse import urlsplit

__all__ = ["local_only", "lan_address"]

#: Private ranges (RFC 1918 for IPv4, unique local addresses for IPv6): routed inside one network only.
#: Listed rather than ``ip.is_private``, which also counts documentation and reserved ranges.
PRIVATE = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"))


def local_only(url: str) -> Optional[str]:
    """Why a phone on mobile data cannot open ``url`` (``"127.0.0.1 is a loopback address"``), or None.

    None also for a public name: whether it resolves is the phone's network's business.
    """
    try:
        host = (urlsplit(url).hostname or "").rstrip(".")
    except ValueError:  # a malformed [IPv6] part: config validation reports it
        return None
    if not host:
        return None
    name = host.lower()
    if name == "localhost" or name.endswith(".localhost"):
        return f"{host} is this machine's own name (loopback)"
    if name.endswith(".local"):
        return f"{host} is a .local name, known only on the local network (mDNS)"
    try:
        ip = ipaddress.ip_address(name)
    except ValueError:
        return None  # a name: not resolved here
    if ip.is_loopback:
        return f"{host} is a loopback address (this machine itself)"
    if ip.is_unspecified:
        return f"{host} is no address a phone can open"
    if ip.is_link_local:
        return f"{host} is a link-local address, reachable on this network segment only"
    if any(ip in network for network in PRIVATE):
        kind = "a unique local IPv6 address (fc00::/7)" if ip.version == 6 else "a private address (RFC 1918)"
        return f"{host} is {kind}, reachable on the office's own network only"
    return None


def lan_address() -> Optional[str]:
    """This machine's IPv4 address on its network, or None when it has none (no network, loopback only).

    The address the route to a TEST-NET-1 address leaves from: connecting a UDP socket only looks the route
    up, nothing is sent, and no outside server is asked.
    """
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))
            address = probe.getsockname()[0]
    except OSError:
        return None
    ip = ipaddress.ip_address(address)
    return None if ip.is_loopback or ip.is_unspecified else address

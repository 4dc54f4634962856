"""
System updates on the wire
==========================

The office server offers a kiosk a new system (a RAUC bundle: images/README.md) in the config answer's
``update`` member, and the kiosk says how far it got in its heartbeat's ``system`` member
(office/PROTOCOL.md, "Updates").

The offer::

    {"version": "0.3.0", "url": "api/v1/updates/3/bundle", "sha256": "<64 hex>", "size": 231211008}

``url`` is under the office server's base address (the kiosk sends its token there), or an absolute
``https://`` address the office gave (a mirror: no token is sent to it).  ``null`` or no member: nothing
offered, and a kiosk that was downloading stops (the office withdrew it).

:func:`offer_member` writes it (the office), :func:`read_offer` reads and checks it (the kiosk: ValueError
naming what is wrong).  :data:`STATES` are the steps a kiosk reports, in their usual order.
"""

from __future__ import annotations

import configparser
import re
from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional, Tuple

__all__ = ["Offer", "read_offer", "offer_member", "read_manifest", "STATES", "ENDED", "MAX_BUNDLE_BYTES",
           "VERSION_RE", "SIMULATED_MAGIC", "COMPATIBLE"]

#: What a kiosk reports of an update, in order.  ``idle``: nothing offered or the offer is the running system;
#: ``downloading`` (with ``done``/``size``), ``downloaded`` (verified, waiting for the update window),
#: ``installing``, ``installed`` (waiting to restart into it), ``trying`` (running it, checking itself), then
#: one of :data:`ENDED`; ``unsupported``: a kiosk whose system cannot be updated this way.
STATES = ("idle", "downloading", "downloaded", "installing", "installed", "trying", "good", "failed",
          "rolled_back", "unsupported")
#: Where an update ends: ``good`` (committed), ``failed`` (not installed: download, signature, install),
#: ``rolled_back`` (installed, then the kiosk went back to the system it came from, saying why).
ENDED = ("good", "failed", "rolled_back")
#: A bundle is the whole root file system, compressed: a few hundred MB.  Anything far beyond is not one.
MAX_BUNDLE_BYTES = 4 * 1024 ** 3
#: A version as the build writes it (protocol/__init__.py's __version__, maybe with a local part: 0.3.0+test2).
VERSION_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.+~_-]{0,63}$")
#: The kind of kiosk the bundles are made for: RAUC's ``compatible`` (images/rauc/system.conf, the manifest
#: images/build-image.sh writes). The office refuses a bundle for another, and so does the kiosk.
COMPATIBLE = "erlin-kiosk-rpi-arm64"
#: The first line of a simulated bundle (``make run`` and the tests: kiosk/updates/slots.py writes and installs
#: them; the office reads their version as it reads a RAUC bundle's manifest).
SIMULATED_MAGIC = "kiosk-simulated-bundle 1"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Offer:
    """A system the office wants this kiosk to run."""

    version: str
    url: str        # under the server's base address, or absolute https://
    sha256: str     # of the whole bundle file, lower-case hex
    size: int       # bytes

    @property
    def external(self) -> bool:
        """Whether ``url`` is another server's (no token goes there)."""
        return "://" in self.url


def offer_member(version: str, url: str, sha256: str, size: int) -> Dict[str, Any]:
    """The config answer's ``update`` member for a bundle."""
    return {"version": version, "url": url, "sha256": sha256, "size": int(size)}


def read_offer(member: Any) -> Optional[Offer]:
    """The ``update`` member of a config answer, checked; None when nothing is offered.

    ValueError naming the member that is wrong.
    """
    if member is None:
        return None
    if not isinstance(member, Mapping):
        raise ValueError(f"update: must be an object or null, got {type(member).__name__}")
    version, url, digest, size = (member.get(key) for key in ("version", "url", "sha256", "size"))
    if not isinstance(version, str) or not VERSION_RE.match(version):
        raise ValueError(f"update.version: must be a version such as 0.3.0, got {version!r}")
    if not isinstance(url, str) or not url or len(url) > 2000 or any(c.isspace() for c in url):
        raise ValueError("update.url: must be a path under the office server or an https:// address")
    if "://" in url and not url.startswith("https://"):
        raise ValueError("update.url: an address of another server must be https://")
    if not isinstance(digest, str) or not _SHA256.match(digest):
        raise ValueError("update.sha256: must be 64 lower-case hex digits")
    if isinstance(size, bool) or not isinstance(size, int) or not 0 < size <= MAX_BUNDLE_BYTES:
        raise ValueError(f"update.size: must be a number of bytes from 1 to {MAX_BUNDLE_BYTES}, got {size!r}")
    return Offer(version=version, url=url, sha256=digest, size=size)


def read_manifest(text: str) -> Tuple[str, str]:
    """A bundle's version and compatible, from its manifest: RAUC's ``manifest.raucm`` (INI, section
    ``[update]``), or a simulated bundle's first lines.  ValueError when the text is neither."""
    lines = text.splitlines()
    if lines and lines[0] == SIMULATED_MAGIC:
        fields = dict(line.split("=", 1) for line in lines[1:] if "=" in line)
        return fields.get("version", ""), fields.get("compatible", "")
    parser = configparser.ConfigParser()
    try:
        parser.read_string(text)
    except configparser.Error as exc:
        raise ValueError(f"the bundle's manifest cannot be read: {exc}") from None
    if not parser.has_section("update"):
        raise ValueError("the bundle's manifest has no [update] section")
    return parser.get("update", "version", fallback=""), parser.get("update", "compatible", fallback="")

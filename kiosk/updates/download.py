"""
Downloading a bundle
====================

A bundle is a few hundred megabytes and an office's line may drop: :func:`fetch` writes into
``<folder>/<sha256>.part`` and, when called again, asks for the rest only (HTTP ``Range``), so a download
cut off by the network, a restart or a power cut goes on where it stopped.  The whole file is checked
against the offer's SHA-256 before it is named ``<sha256>.raucb``: a file that does not match is deleted
and fetched again from the start.  (The signature is checked after that, by the slots:
kiosk/updates/slots.py.)

The token goes only to the office server's own address; a bundle the office points to elsewhere (a mirror,
``https://`` only) is fetched without it.  Nothing here imports Kivy.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import threading
from pathlib import Path
from typing import Callable, Optional

from protocol.updates import Offer

from ..office_client import OfficeClient

__all__ = ["fetch", "DownloadFailed", "bundle_path", "CHUNK"]

log = logging.getLogger("kiosk.updates")

CHUNK = 256 * 1024
#: Room a download always leaves on the data partition: the store and the outbox come first.
RESERVE = 200 * 1024 * 1024
TIMEOUT = (10, 60)  # seconds to connect, seconds between two pieces


class DownloadFailed(Exception):
    """The bundle did not arrive whole this time; what came is kept, to go on from."""


def bundle_path(folder: Path, offer: Offer) -> Path:
    return folder / f"{offer.sha256}.raucb"


def _hash_of(path: Path) -> "hashlib._Hash":
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for piece in iter(lambda: f.read(CHUNK), b""):
            digest.update(piece)
    return digest


def fetch(client: OfficeClient, offer: Offer, folder: Path, progress: Callable[[int], None] = lambda done: None,
          stop: Optional[threading.Event] = None) -> Path:
    """The offered bundle, whole and checked, in ``folder``; DownloadFailed if it could not be had now."""
    done_path = bundle_path(folder, offer)
    if done_path.exists():
        return done_path
    folder.mkdir(parents=True, exist_ok=True)
    for stale in list(folder.glob("*.part")) + list(folder.glob("*.raucb")):  # another offer's: replaced
        if stale.name not in (f"{offer.sha256}.part", done_path.name):
            stale.unlink()
    part = folder / f"{offer.sha256}.part"
    have = part.stat().st_size if part.exists() else 0
    if have > offer.size:
        part.unlink()
        have = 0
    digest = _hash_of(part) if have else hashlib.sha256()
    free = shutil.disk_usage(folder).free
    if have < offer.size and free - (offer.size - have) < RESERVE:
        raise DownloadFailed(f"not enough room for the bundle: {free // 2**20} MB free, {offer.size // 2**20} MB "
                             f"needed and {RESERVE // 2**20} MB kept for the store")
    if have < offer.size:
        have, digest = _download(client, offer, part, have, digest, progress, stop)
    if have != offer.size or digest.hexdigest() != offer.sha256:
        part.unlink()  # damaged on the way, or a different file behind the address: all again, next time
        raise DownloadFailed(f"the bundle {offer.version} arrived with {have} bytes and a different SHA-256 "
                             "than offered; it is fetched again")
    part.rename(done_path)
    return done_path


def _download(client, offer, part, have, digest, progress, stop):
    """Append what the server sends after ``have`` bytes; return the bytes had and their running hash."""
    url = offer.url if offer.external else client.url(offer.url)
    headers = {"Range": f"bytes={have}-"} if have else {}
    try:
        if offer.external:  # never the office's token to another server
            response = client.session.get(url, headers=headers, timeout=TIMEOUT, stream=True, verify=True)
        else:
            response = client.session.get(url, headers=client.headers(**headers), timeout=TIMEOUT, stream=True,
                                          verify=client.verify)
    except Exception as exc:  # noqa: BLE001 -- requests' texts name the URL only; ours names the type
        raise DownloadFailed(f"cannot reach {url}: {type(exc).__name__}") from None
    with response:
        if response.status_code == 200 and have:  # the server ignores Range: from the start
            part.unlink()
            have, digest = 0, hashlib.sha256()
        elif response.status_code not in (200, 206):
            raise DownloadFailed(f"{url} answered HTTP {response.status_code}")
        try:
            with open(part, "ab") as f:
                for piece in response.iter_content(CHUNK):
                    if stop is not None and stop.is_set():
                        raise DownloadFailed("stopped")
                    f.write(piece)
                    digest.update(piece)
                    have += len(piece)
                    progress(have)
                    if have > offer.size:
                        break
                f.flush()
        except OSError as exc:
            raise DownloadFailed(f"the bundle cannot be written: {exc.strerror or exc}") from None
        except Exception as exc:  # noqa: BLE001 -- a connection dropped midway
            if isinstance(exc, DownloadFailed):
                raise
            raise DownloadFailed(f"the download from {url} stopped at {have} bytes: {type(exc).__name__}") from None
    return have, digest

"""
System updates rolled out to the kiosks
=======================================

Staff add a bundle (``kiosk-<version>-arm64.raucb`` from ``make bundle``: images/README.md), as a file
uploaded to this server or as the https address of a copy elsewhere, then choose which kiosks get it: one
first, then, once that one runs it (``good`` in its heartbeat), the rest.  A kiosk learns of its system in
the config answer's ``update`` member (protocol/updates.py: version, address, SHA-256, size), downloads it
in the background (``GET /api/v1/updates/<id>/bundle``, resumable: HTTP ranges), installs it in its update
window, and reports every step in its heartbeat's ``system`` member, which the kiosk list shows.

The server does not check a bundle's signature (the kiosks do, against the certificate in their image); it
reads the bundle's manifest for its version and the kind of kiosk it is for (RAUC's ``manifest.raucm``, read
with ``unsquashfs`` from squashfs-tools), and refuses a file that has none.  Bundles are kept in a folder,
not the database (a few hundred MB each): ``$KIOSK_OFFICE_BUNDLES``, else ``bundles/`` beside a SQLite file,
else ``$XDG_DATA_HOME/kiosk-office/bundles``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Dict, List, Optional, Sequence

from sqlalchemy import delete, insert, select, update

from protocol import officetime
from protocol.updates import COMPATIBLE, MAX_BUNDLE_BYTES, SIMULATED_MAGIC, VERSION_RE, offer_member, read_manifest

from .db import Database
from .schema import BUNDLES, KIOSKS, UPDATE_TARGETS

__all__ = ["BundleError", "Bundle", "bundle_folder", "add_file", "add_url", "bundles", "bundle", "assign",
           "assign_rest", "withdraw", "offer_for", "targets"]

CHUNK = 1024 * 1024


class BundleError(ValueError):
    """A bundle that cannot be added; the message says why, in words staff act on."""


@dataclass(frozen=True)
class Bundle:
    id: int
    version: str
    compatible: str
    sha256: str
    size: int
    file_name: Optional[str]
    url: Optional[str]
    added_by: str
    added_at: str


def bundle_folder(db: Database) -> Path:
    """Where uploaded bundles are kept (see the module docstring)."""
    if os.environ.get("KIOSK_OFFICE_BUNDLES"):
        return Path(os.environ["KIOSK_OFFICE_BUNDLES"])
    if db.is_sqlite and db.url.database not in (None, "", ":memory:"):
        return Path(db.url.database).expanduser().resolve().parent / "bundles"
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "kiosk-office" / "bundles"


def _manifest(path: Path) -> Dict[str, str]:
    """The bundle's version and compatible, from its manifest; BundleError if it has none."""
    with open(path, "rb") as f:
        head = f.read(4096)
    if head.startswith(SIMULATED_MAGIC.encode()):  # the simulated slots' bundles (make run, the tests)
        return _fields(head.decode("utf-8", "replace"))
    if shutil.which("unsquashfs") is None:
        raise BundleError("unsquashfs is not installed on this server (apt install squashfs-tools): the bundle's "
                          "version cannot be read")
    done = subprocess.run(["unsquashfs", "-cat", str(path), "manifest.raucm"], capture_output=True, timeout=120)
    if done.returncode != 0 or not done.stdout:
        raise BundleError("this file is not a kiosk system bundle (.raucb from make bundle): it has no manifest")
    try:
        return _fields(done.stdout.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise BundleError(f"the bundle's manifest cannot be read: {exc}") from None


def _fields(manifest: str) -> Dict[str, str]:
    try:
        version, compatible = read_manifest(manifest)
    except ValueError as exc:
        raise BundleError(str(exc)) from None
    return {"version": version, "compatible": compatible}


def _check(version: str, compatible: str) -> None:
    if not VERSION_RE.match(version or ""):
        raise BundleError(f"the bundle's version {version!r} is not one (such as 0.3.0)")
    if compatible != COMPATIBLE:
        raise BundleError(f"the bundle is for {compatible!r}; these kiosks take {COMPATIBLE!r}")


def add_file(db: Database, stream: BinaryIO, who: str) -> Bundle:
    """Keep an uploaded bundle (``stream``, read in pieces) and list it; BundleError if it is not one."""
    folder = bundle_folder(db)
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".upload-{os.getpid()}-{id(stream)}"
    digest, size = hashlib.sha256(), 0
    try:
        with open(partial, "wb") as out:
            for piece in iter(lambda: stream.read(CHUNK), b""):
                size += len(piece)
                if size > MAX_BUNDLE_BYTES:
                    raise BundleError(f"the file is larger than {MAX_BUNDLE_BYTES // 1024 ** 3} GB: not a bundle")
                digest.update(piece)
                out.write(piece)
        if size == 0:
            raise BundleError("the file is empty")
        found = _manifest(partial)
        _check(found["version"], found["compatible"])
        sha256 = digest.hexdigest()
        name = f"kiosk-{found['version']}-{sha256[:12]}.raucb"
        _refuse_twice(db, sha256)
        os.replace(partial, folder / name)
    finally:
        partial.unlink(missing_ok=True)
    return _insert(db, found["version"], found["compatible"], sha256, size, who, file_name=name)


def add_url(db: Database, url: str, version: str, sha256: str, size: int, who: str) -> Bundle:
    """List a bundle kept elsewhere (an https mirror); its version, SHA-256 and size as its build printed them."""
    if not url.startswith("https://") or any(c.isspace() for c in url):
        raise BundleError("the address must be https://… (the kiosks fetch it without this server's token)")
    sha256 = (sha256 or "").strip().lower()
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise BundleError("the SHA-256 must be the 64 hex digits in the build's .raucb.sha256 file")
    if not 0 < size <= MAX_BUNDLE_BYTES:
        raise BundleError("the size must be the bundle's size in bytes")
    _check(version, COMPATIBLE)
    _refuse_twice(db, sha256)
    return _insert(db, version, COMPATIBLE, sha256, size, who, url=url)


def _refuse_twice(db: Database, sha256: str) -> None:
    known = db.read(lambda c: c.execute(select(BUNDLES.c.version).where(BUNDLES.c.sha256 == sha256)).scalar())
    if known is not None:
        raise BundleError(f"this bundle is already listed (version {known})")


def _insert(db: Database, version, compatible, sha256, size, who, file_name=None, url=None) -> Bundle:
    at = officetime.rfc3339(officetime.now())
    new_id = db.write(lambda c: c.execute(insert(BUNDLES).values(
        version=version, compatible=compatible, sha256=sha256, size=size, file_name=file_name, url=url,
        added_by=who, added_at=at)).inserted_primary_key[0])
    return bundle(db, new_id)


def bundles(db: Database) -> List[Bundle]:
    """Every bundle listed, newest first."""
    rows = db.read(lambda c: c.execute(select(BUNDLES).order_by(BUNDLES.c.id.desc())).all())
    return [Bundle(**row._mapping) for row in rows]


def bundle(db: Database, bundle_id: int) -> Optional[Bundle]:
    row = db.read(lambda c: c.execute(select(BUNDLES).where(BUNDLES.c.id == bundle_id)).first())
    return Bundle(**row._mapping) if row is not None else None


def assign(db: Database, bundle_id: int, kiosk_ids: Sequence[str], who: str) -> List[str]:
    """Offer bundle ``bundle_id`` to these kiosks (replacing what they were offered); return those changed."""
    if bundle(db, bundle_id) is None:
        raise BundleError(f"no bundle {bundle_id}")
    at = officetime.rfc3339(officetime.now())

    def write(conn):
        known = set(conn.execute(select(KIOSKS.c.id).where(KIOSKS.c.id.in_(list(kiosk_ids)))).scalars())
        unknown = sorted(set(kiosk_ids) - known)
        if unknown:
            raise BundleError(f"no kiosk {', '.join(unknown)}")
        changed = []
        for kiosk_id in kiosk_ids:
            values = dict(bundle_id=bundle_id, set_by=who, set_at=at)
            current = conn.execute(select(UPDATE_TARGETS.c.bundle_id).where(
                UPDATE_TARGETS.c.kiosk_id == kiosk_id)).scalar()
            if current == bundle_id:
                continue
            if current is None:
                conn.execute(insert(UPDATE_TARGETS).values(kiosk_id=kiosk_id, **values))
            else:
                conn.execute(update(UPDATE_TARGETS).where(UPDATE_TARGETS.c.kiosk_id == kiosk_id).values(**values))
            changed.append(kiosk_id)
        return changed
    return db.write(write)


def assign_rest(db: Database, bundle_id: int, who: str) -> List[str]:
    """Offer the bundle to every kiosk not offered it yet (the rollout's second stage)."""
    everyone = db.read(lambda c: list(c.execute(select(KIOSKS.c.id).order_by(KIOSKS.c.id)).scalars()))
    return assign(db, bundle_id, everyone, who)


def withdraw(db: Database, bundle_id: int) -> int:
    """Offer this bundle to nobody any more (a kiosk downloading it stops; one that installed it keeps it)."""
    return db.write(lambda c: c.execute(delete(UPDATE_TARGETS).where(
        UPDATE_TARGETS.c.bundle_id == bundle_id)).rowcount)


def targets(db: Database) -> Dict[str, int]:
    """kiosk id -> the bundle offered it."""
    rows = db.read(lambda c: c.execute(select(UPDATE_TARGETS.c.kiosk_id, UPDATE_TARGETS.c.bundle_id)).all())
    return {row.kiosk_id: row.bundle_id for row in rows}


def offer_for(db: Database, kiosk_id: str) -> Optional[Dict[str, Any]]:
    """The config answer's ``update`` member for this kiosk (None: nothing offered)."""
    query = (select(BUNDLES).join(UPDATE_TARGETS, UPDATE_TARGETS.c.bundle_id == BUNDLES.c.id)
             .where(UPDATE_TARGETS.c.kiosk_id == kiosk_id))
    row = db.read(lambda c: c.execute(query).first())
    if row is None:
        return None
    url = row.url or f"api/v1/updates/{row.id}/bundle"
    return offer_member(row.version, url, row.sha256, row.size)

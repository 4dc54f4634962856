"""
The update's record
===================

What the kiosk knows of the update under way, in ``<data>/update/update.json`` on the data partition, which
both slots share: the offer taken, how far it got (:data:`protocol.updates.STATES`), which slot it came from
and went to, how the kiosk's printer, buttons and upload were before (the new system must do no worse:
kiosk/updates/confirm.py), why it failed, and the bundles never to try again (rolled back or refused).

Written whole at every step (:func:`~kiosk.atomic_files.write_atomically`): after a power cut at any moment
the record is the step before or the step after, and the agent and the check at boot go on from there.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Dict, List, Optional

from protocol import officetime
from protocol.updates import STATES

from ..atomic_files import write_atomically

__all__ = ["UpdateRecord", "system_summary", "MAX_REFUSED"]

log = logging.getLogger("kiosk.updates")

#: The bundles never to try again, newest last: a few are enough (the office uploads a new one to retry).
MAX_REFUSED = 20


def _stamp(path: Path) -> Optional[int]:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


@dataclass
class UpdateRecord:
    state: str = "idle"
    version: str = ""            # the offered system's version
    sha256: str = ""
    size: int = 0
    done: int = 0                # bytes downloaded (kept at each step, counted live by the agent)
    at: str = ""                 # when the state was entered, office time
    error: str = ""              # why the last attempt failed, or why the kiosk went back
    from_slot: str = ""
    from_version: str = ""
    to_slot: str = ""
    installs: int = 0            # attempts to install this bundle
    before: Dict[str, Any] = field(default_factory=dict)  # printer, gpio, upload before the install
    refused: List[str] = field(default_factory=list)      # sha256 of bundles never to try again

    path: Optional[Path] = field(default=None, repr=False, compare=False)
    stamp: Optional[int] = field(default=None, repr=False, compare=False)  # the file's mtime as read or written

    @classmethod
    def load(cls, folder: Path) -> "UpdateRecord":
        """The record in ``folder`` (a fresh one where there is none or it cannot be read)."""
        path = Path(folder) / "update.json"
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raw = {}
        except (OSError, ValueError) as exc:  # the atomic write makes this unlikely; never stop the kiosk for it
            log.warning("the update record %s cannot be read (%s): starting a new one", path, exc)
            raw = {}
        known = {f.name for f in fields(cls)} - {"path", "stamp"}
        record = cls(**{k: v for k, v in raw.items() if k in known})
        if record.state not in STATES:
            record.state = "idle"
        record.path, record.stamp = path, _stamp(path)
        return record

    def changed_on_disk(self) -> bool:
        """Whether another process (the check at boot) wrote the record since this one read or wrote it."""
        return _stamp(self.path) != self.stamp

    def save(self) -> None:
        data = {k: v for k, v in asdict(self).items() if k not in ("path", "stamp")}
        write_atomically(self.path, json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8"))
        self.stamp = _stamp(self.path)

    def enter(self, state: str, error: str = "") -> None:
        """Move to ``state`` (``error``: why, for failed and rolled_back) and keep it."""
        self.state, self.error = state, error
        self.at = officetime.rfc3339(officetime.now())
        self.save()
        log.info("update %s: %s%s", self.version or "-", state, f" ({error})" if error else "")

    def start(self, version: str, sha256: str, size: int) -> None:
        """A new offer: everything about the last one goes, except the bundles never to try again."""
        fresh = UpdateRecord(version=version, sha256=sha256, size=size, refused=self.refused, path=self.path)
        self.__dict__.update(fresh.__dict__)

    def refuse(self) -> None:
        """Never try this bundle again."""
        if self.sha256 and self.sha256 not in self.refused:
            self.refused = (self.refused + [self.sha256])[-MAX_REFUSED:]

    def summary(self) -> Dict[str, Any]:
        """The heartbeat's ``system.update`` member."""
        out: Dict[str, Any] = {"state": self.state}
        if self.version:
            out["version"] = self.version
        if self.state == "downloading":
            out.update(done=self.done, size=self.size)
        if self.error:
            out["error"] = self.error[:300]
        if self.at:
            out["at"] = self.at
        return out


def system_summary(slots, record: UpdateRecord) -> Dict[str, Any]:
    """The running system (its version; its slot, "" where there are none) and the update's state, as the heartbeat
    sends it and ``kiosk update status`` prints it; ``slots`` is a kiosk/updates/slots.py ``Slots``."""
    return {"version": slots.version(), "slot": slots.booted(),
            "update": record.summary() if slots.supported else {"state": "unsupported"}}

"""
The update agent
================

Takes the system the office offers (the config answer's ``update``: kiosk/office_sync.py hands it to
:meth:`UpdateAgent.offer`) and walks it through the steps of :data:`protocol.updates.STATES`, one
:meth:`UpdateAgent.step` at a time, on a thread of its own (a download of minutes must not hold back an
upload)::

    idle -> downloading (resumable) -> downloaded (SHA-256 and signature checked)
         -> installing (in [update] window, the screen idle) -> installed -> restart
         -> trying -> good | rolled_back          (kiosk/updates/confirm.py, at boot)

* An offer of the running version, or of a bundle this kiosk went back from (or refused), is left alone:
  the record keeps saying what happened until the office offers another bundle.
* An offer withdrawn (no ``update`` member any more) stops a download and deletes it.
* A power cut while installing: the other slot was being written and is not trusted (RAUC marks it so
  first), so the install is done again in the next window.
* The restart waits for the window and for a screen nobody uses (``is_idle``, set by the UI: the home
  screen, untouched for two minutes, no voice guide).

The state goes to the office in every heartbeat (:meth:`summary`).  Nothing here imports Kivy.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any, Callable, Dict, Optional

from protocol import officetime
from protocol.updates import COMPATIBLE, ENDED, Offer

from .download import DownloadFailed, bundle_path, fetch
from .record import UpdateRecord, system_summary
from .slots import BundleRefused, InstallFailed, Slots
from .window import in_window

__all__ = ["UpdateAgent", "STEP_SECONDS", "MAX_INSTALLS"]

log = logging.getLogger("kiosk.updates")

#: How often the agent looks again while nothing wakes it (a download that failed is tried again then).
STEP_SECONDS = 60.0
#: Installs of one bundle that fail before it is given up (a card that cannot be written).
MAX_INSTALLS = 3


class UpdateAgent:
    """One kiosk's updates: ``slots`` (kiosk/updates/slots.py), ``client`` the kiosk's OfficeClient,
    ``before`` what the kiosk's printer, buttons and upload are like now (kept before installing)."""

    def __init__(self, config, slots: Slots, client, before: Callable[[], Dict[str, Any]] = dict,
                 now: Callable = officetime.now):
        self.config = config
        self.slots = slots
        self.client = client
        self.before = before
        self.now = now
        self.folder = Path(config.data_dir) / "update"
        self.record = UpdateRecord.load(self.folder)
        #: Whether nobody is at the screen (the UI sets it; without a screen nobody can be).
        self.is_idle: Callable[[], bool] = lambda: True
        #: Called after the restart was asked for (``kiosk run`` with simulated slots stops the app).
        self.on_reboot: Optional[Callable[[], None]] = None
        #: Called when a step changed the state (Services: a heartbeat goes out soon, not in 5 minutes).
        self.on_change: Optional[Callable[[], None]] = None
        self._offer: Optional[Offer] = None
        self._offered = False  # no config answer yet: nothing is known, nothing is withdrawn
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None

    # -- what others call ---------------------------------------------------------------------

    def offer(self, offer: Optional[Offer]) -> None:
        """The office's offer from its config answer (None: nothing offered); on the sync thread."""
        with self._lock:
            changed = not self._offered or offer != self._offer
            self._offer, self._offered = offer, True
        if changed:
            self._wake.set()

    def _fresh_record(self) -> UpdateRecord:
        """The record, read again if the check at boot (another process) wrote it since."""
        if self.record.changed_on_disk() and self.record.state != "downloading":
            self.record = UpdateRecord.load(self.folder)
        return self.record

    def summary(self) -> Dict[str, Any]:
        """The heartbeat's ``system`` member: the running system and the update's state."""
        return system_summary(self.slots, self._fresh_record())

    def start(self) -> None:
        if self._thread is None and self.slots.supported:
            self._thread = threading.Thread(target=self._run, name="updates", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            before = self.record.state
            try:
                self.step()
            except Exception:  # never take the kiosk down for an update
                log.exception("update step failed")
            if self.record.state != before and self.on_change is not None:
                self.on_change()
            self._wake.wait(STEP_SECONDS)
            self._wake.clear()

    # -- one step ---------------------------------------------------------------------------------

    def step(self) -> str:
        """Take the update one step further, as far as it can go now; return its state."""
        record = self._fresh_record()
        if not self.slots.supported:
            return "unsupported"
        if record.state == "installing":  # a power cut or a crash mid-install: write the slot again
            record.enter("downloaded", "the last install was cut off; it is done again")
        if record.state in ("installed", "trying"):
            return record.state  # the restart and the check at boot take it from here
        with self._lock:
            offer, offered = self._offer, self._offered
        if not offered:
            return record.state
        if offer is None:
            return self._withdrawn()
        if offer.version == self.slots.version() or offer.sha256 in record.refused:
            return record.state
        if not self.config.update.enabled:
            if record.version != offer.version:
                record.start(offer.version, offer.sha256, offer.size)
                record.enter("idle", "update.enabled is false in kiosk.toml: not taken")
            return record.state
        if record.sha256 != offer.sha256 or record.state in ENDED or record.state == "idle":
            record.start(offer.version, offer.sha256, offer.size)
            record.enter("downloading")
        if record.state == "downloading":
            self._download(offer)
        if record.state == "downloaded":
            self._install(offer)
        return record.state

    def _withdrawn(self) -> str:
        record = self.record
        if record.state in ("downloading", "downloaded"):
            for leftover in list(self.folder.glob("*.part")) + list(self.folder.glob("*.raucb")):
                leftover.unlink()
            record.enter("idle", f"the office withdrew {record.version}")
        return record.state

    def _download(self, offer: Offer) -> None:
        record = self.record

        def progress(done: int) -> None:
            record.done = done

        try:
            path = fetch(self.client, offer, self.folder, progress, self._stop)
        except DownloadFailed as exc:
            record.error = str(exc)  # kept in the heartbeat; tried again at the next step
            log.warning("update %s: download: %s", offer.version, exc)
            return
        record.done = offer.size
        try:
            info = self.slots.check(path)
            if info.compatible != COMPATIBLE:
                raise BundleRefused(f"the bundle is for {info.compatible!r}, this kiosk is {COMPATIBLE!r}")
            if info.version != offer.version:
                raise BundleRefused(f"the bundle holds {info.version!r}, the office offered {offer.version!r}")
        except BundleRefused as exc:
            path.unlink()
            record.refuse()
            record.enter("failed", f"refused: {exc}")
            return
        record.enter("downloaded")

    def _install(self, offer: Offer) -> None:
        record = self.record
        if not in_window(self.config.update.window, self.now()) or not self.is_idle():
            return
        record.before = self.before()
        record.from_slot, record.from_version = self.slots.booted(), self.slots.version()
        record.installs += 1
        record.enter("installing")
        path = bundle_path(self.folder, offer)
        try:
            record.to_slot = self.slots.install(path)
        except InstallFailed as exc:
            if record.installs >= MAX_INSTALLS:
                record.refuse()
                record.enter("failed", f"install failed {record.installs} times: {exc}")
            else:
                record.enter("downloaded", f"install failed, tried again in the next step: {exc}")
            return
        record.enter("installed")
        path.unlink(missing_ok=True)  # the slot holds it now; the data partition gets its room back
        self.slots.reboot()
        if self.on_reboot is not None:
            self.on_reboot()

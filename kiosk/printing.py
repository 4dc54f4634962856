"""
Printing a job
==============

What every print job (a queue ticket, a form's QR slip) does around its
bytes: ask the printer first and store a fault if it cannot print (paper out,
cover open, offline, no answer) so the caller can refuse *before* consuming
anything; send; then ask again, because a printer unplugged or out of paper
mid-job only shows in its answer afterwards.  A port that fails is closed, so
the next job opens it afresh (a USB printer plugged back in).  No Kivy here.
"""

from __future__ import annotations

import logging
from typing import Callable, List

from hardware.exc import PrinterError

__all__ = ["Printing"]

log = logging.getLogger("kiosk.printing")

FAULT_KINDS = {"PrinterPaperOut": "printer_paper_out", "PrinterCoverOpen": "printer_cover_open",
               "PrinterOffline": "printer_offline", "PrinterNoReply": "printer_no_reply",
               "PrinterNotConnected": "printer_not_connected"}
#: Failures of the link itself, after which the port is opened afresh.
LINK_FAILURES = ("PrinterNoReply", "PrinterError")


class Printing:
    """Print jobs on the printer ``provider()`` returns; faults go to the store and to ``on_fault``."""

    def __init__(self, store, provider: Callable[[], object]):
        self.store = store
        self.provider = provider
        self.on_fault: List[Callable[[str], None]] = []

    def ready(self):
        """An open printer that says it can print; else a stored fault and the PrinterError, re-raised."""
        link = None
        try:
            link = self.provider()
            status = link.check_ready()
        except PrinterError as exc:
            if link is not None and type(exc).__name__ in LINK_FAILURES:
                link.close()
            self.fault(FAULT_KINDS.get(type(exc).__name__, "printer_error"), str(exc))
            raise
        if status.paper_near_end:
            self.fault("printer_paper_near_end", "the printer's paper roll is nearly finished: have a new one ready",
                       warn_only=True)
        return link

    def send(self, link, data: bytes) -> None:
        """Write a job and make sure the printer is still there afterwards; PrinterError if not."""
        try:
            link.write(data)
            link.check_ready()
        except PrinterError:
            link.close()  # opened afresh for the next job
            raise

    def fault(self, kind: str, message: str, warn_only: bool = False, **data) -> None:
        """Store a fault for the office and tell the listeners (a warning is only stored)."""
        (log.warning if warn_only else log.error)("%s", message)
        try:
            self.store.record_event("fault", {"kind": kind, "message": message, **data})
        except Exception as exc:  # a full disk must not hide the printer problem from the screen
            log.error("could not record fault %s: %s", kind, exc)
        if not warn_only:
            for listener in list(self.on_fault):
                listener(message)

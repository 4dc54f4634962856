"""
Safe shutdown, asked for from the admin screen (no Kivy)
========================================================

The kiosk runs as an unprivileged user and cannot power the machine off
itself.  It writes a file in its runtime folder, ``/run/kiosk/poweroff``;
root's ``kiosk-poweroff.path`` unit watches for that file and powers off
(its units are in ``provisioning/systemd/``).  On a machine without them (a laptop
running ``make run``) there is no such folder, and the request says so
instead of pretending.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["request_poweroff", "AdminError"]


def request_poweroff(runtime_dir: Path = Path("/run/kiosk")) -> None:
    """Ask the system to power off safely (``kiosk-poweroff.path``, root's, watches for this file).

    :raises AdminError: where no such service runs (a laptop: ``make run``).
    """
    if not runtime_dir.is_dir():
        raise AdminError(f"no {runtime_dir}: safe shutdown works on the kiosk image only")
    (runtime_dir / "poweroff").write_text("requested from the admin screen\n")


class AdminError(RuntimeError):
    """An admin action that cannot be done here; the message says why."""

"""
``kiosk simulate press``
========================

Presses a rating button the way a resident would, through gpiozero's mock
pins: the pin goes low, is held, goes high, and everything after that is the
kiosk's own code (debounce, misuse, the store, the LED).  It writes to the
configured data directory, so ``kiosk ratings stats`` sees the result.  A
press that could not be stored (a full data folder) is said, with why, and
the command exits 1: it never reports success for ratings it did not keep.
"""

from __future__ import annotations

import sys
import time

from .config import Config
from .services import open_services

__all__ = ["simulate_press"]


def simulate_press(config: Config, key: str, count: int = 1, gap: float = 4.0, hold: float = 0.1) -> int:
    """Press button ``key`` ``count`` times, ``gap`` seconds apart; print what was recorded; return the exit code."""
    from protocol.ratings import Scale

    scale = Scale.of_size(len(config.buttons.pins))
    try:
        index = scale.index_of(key)
    except ValueError as exc:
        print(f"kiosk simulate: {exc}", file=sys.stderr)
        return 2
    if count < 1 or gap < 0 or hold < 0:
        print("kiosk simulate: --count must be at least 1, --gap and --hold at least 0", file=sys.stderr)
        return 2
    # Mock pins whatever the config says: this must never drive a real pin of a running kiosk.
    services = open_services(config, mode="simulated")
    recorded, lost = [], []
    services.report_rating = recorded.append  # the last step after a rating (Services.after_rating_steps)
    services.ratings.on_fault.append(lost.append)
    try:
        pin = services.hardware.buttons.devices[index].pin
        for n in range(count):
            if n:
                time.sleep(gap)
            pin.drive_low()
            time.sleep(hold)
            pin.drive_high()
        # A press shorter than the debounce window counts once the window is over (hardware/buttons.py).
        time.sleep(config.buttons.debounce_ms / 1000 + 0.05)
    finally:
        services.close()
    choice = scale.choice(index)
    if lost:
        print(f"kiosk simulate: {len(lost)} of {count} press{'es' if count != 1 else ''} not stored: {lost[-1]}",
              file=sys.stderr)
        return 1
    misuse = sum(r.misuse for r in recorded)
    print(f"pressed {choice.key} ({choice.label}) {count} time{'s' if count != 1 else ''}, {gap:g} s apart: "
          f"{len(recorded)} rating{'s' if len(recorded) != 1 else ''} stored in {services.store.path}, "
          f"{misuse} marked misuse")
    return 0

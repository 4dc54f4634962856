"""
The self-test's display row
===========================

In simulated mode: whether ``kiosk run`` would find a display to open a window
on.  On the kiosk itself: the screen as the kernel sees it, read from
``/sys/class/drm`` (a KMS connector, connected, its mode) and
``/proc/bus/input/devices`` (exactly one multi-touch device), and whether the
kiosk's user may open ``/dev/dri`` and ``/dev/input``.  Read from files, never
through Kivy, and under a ``root`` a test can point at a fake tree.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, List, Optional, Tuple

from .rows import FAIL, PASS, WARN, Check, plural, worst

if TYPE_CHECKING:
    from . import SelfTest

__all__ = ["check_display", "drm_connectors", "input_devices"]

MIN_SCREEN = (800, 480)   # the smallest layout the kiosk is drawn for
ABS_MT_POSITION_X = 0x35  # linux/input-event-codes.h: a multi-touch screen has this axis


def check_display(t: SelfTest) -> Check:
    if t.simulated:
        from ..displays import find_display  # plain Python: opens no window
        from ..errors import NoDisplayError
        try:
            driver = find_display()
        except NoDisplayError:
            return Check("display", PASS, "simulated: no display here (kiosk screenshot works headless), "
                                          "no touch screen checked")
        return Check("display", PASS, f"simulated: kiosk run opens a window (SDL {driver}), no touch screen checked")
    return _display_real(t.root, t.config.display.rotation)


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


def drm_connectors(root: Path) -> List[Tuple[str, str, str, List[str]]]:
    """``(card, connector, status, modes)`` of each display connector the kernel's KMS driver has."""
    found = []
    for status in sorted((root / "sys/class/drm").glob("card*-*/status")):
        card, _, connector = status.parent.name.partition("-")
        if connector.startswith("Writeback"):
            continue  # not a screen
        found.append((card, connector, _read(status).strip(), _read(status.parent / "modes").split()))
    return found


def _word_bits(words: List[str]) -> int:
    """Bits per word of the kernel's bitmaps: its ``long`` (a 64-bit kernel may run 32-bit programs)."""
    machine = os.uname().machine
    return 64 if "64" in machine or machine == "s390x" or any(len(w) > 8 for w in words) else 32


def input_devices(text: str, word_bits: Optional[int] = None) -> List[dict]:
    """Each device of ``/proc/bus/input/devices``: name, event node, and whether it is a multi-touch screen.

    ``word_bits``: the kernel's ``long`` in bits, in which the ``B: ABS=`` bitmap is written (default: guessed).
    """
    devices = []
    for block in re.split(r"\n\s*\n", text):
        name = re.search(r'^N: Name="(.*)"$', block, re.M)
        handlers = re.search(r"^H: Handlers=(.*)$", block, re.M)
        axes = re.search(r"^B: ABS=(.*)$", block, re.M)
        if not name or not handlers:
            continue
        event = next((h for h in handlers.group(1).split() if h.startswith("event")), None)
        bits = 0
        if axes:
            words = axes.group(1).split()
            size = word_bits or _word_bits(words)
            for word in words:  # most significant word first
                bits = bits << size | int(word, 16)
        devices.append({"name": name.group(1), "event": event, "touch": bool(bits >> ABS_MT_POSITION_X & 1)})
    return devices


def _display_real(root: Path, rotation: int) -> Check:
    connectors = drm_connectors(root)
    if not connectors:
        return Check("display", FAIL, "no KMS display: no connector in /sys/class/drm",
                     "the Pi's display driver is off: dtoverlay=vc4-kms-v3d in the boot partition's config.txt, "
                     "then reboot")
    connected = [c for c in connectors if c[2] == "connected"]
    if not connected:
        seen = ", ".join(f"{name} {status}" for _card, name, status, _modes in connectors)
        return Check("display", FAIL, f"no screen connected ({seen})",
                     "check the HDMI or DSI cable and that the screen has power, then reboot "
                     "(the screen is detected at boot)")
    card, name, _status, modes = connected[0]
    mode = modes[0] if modes else "no modes"
    parts = [f"{name} {mode}" + (f", rotated {rotation}°" if rotation else "")]
    problems: List[Tuple[str, str, str]] = []
    size = re.match(r"(\d+)x(\d+)", mode)
    if size and (int(size.group(1)) * int(size.group(2)) < MIN_SCREEN[0] * MIN_SCREEN[1]):
        problems.append((WARN, f"{mode} is smaller than the {MIN_SCREEN[0]}x{MIN_SCREEN[1]} the screens are drawn for",
                         "use a screen of at least 800x480"))
    node = root / "dev/dri" / card
    if node.exists() and not os.access(node, os.R_OK | os.W_OK):
        problems.append((FAIL, f"cannot open /dev/dri/{card}",
                         "run as the kiosk user or root: the kiosk user needs the video and render groups"))
    devices = input_devices(_read(root / "proc/bus/input/devices"))
    touch = [d for d in devices if d["touch"]]
    if not touch:
        problems.append((FAIL, f"no touch device among {plural(len(devices), 'input device')}",
                         "connect the touch screen's USB cable (an HDMI monitor needs it for touch), then check "
                         "/proc/bus/input/devices"))
    else:
        first = touch[0]
        parts.append(f"touch: {first['name']} ({first['event']})")
        if len(touch) > 1:
            names = ", ".join(f"{d['name']} ({d['event']})" for d in touch)
            problems.append((WARN, f"{len(touch)} touch devices ({names}): each one is an input, so a tap may "
                                   "count twice", "unplug the extra touch device"))
        else:
            parts.append("one input provider (hidinput)")
        for device in touch:
            event = root / "dev/input" / (device["event"] or "")
            if device["event"] and event.exists() and not os.access(event, os.R_OK):
                problems.append((FAIL, f"cannot read /dev/input/{device['event']}",
                                 "run as the kiosk user or root: the kiosk user needs the input group"))
    status = worst(p[0] for p in problems)
    return Check("display", status, "; ".join(parts + [p[1] for p in problems]),
                 "; ".join(p[2] for p in problems if p[0] == status))

"""The system's identity: host name, ``/etc/hosts``, the kiosk user, the kernel command line.

``kiosk.id`` becomes the host name (so here it may hold only letters, digits
and ``-``); ``[wifi] country`` and ``display.rotation`` reach the kernel
through Debian's ``/etc/default/raspi-extra-cmdline``, whose other words
belong to the image and are kept.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import List, Optional, Tuple

from .layout import EXTRA_CMDLINE

__all__ = ["HOSTNAME", "hosts", "passwd_ids", "cmdline", "boot_args"]

HOSTNAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?")

#: Kernel command-line words this tool owns in /etc/default/raspi-extra-cmdline.
_OWNED_CMDLINE = re.compile(r"^(video=HDMI-A-1:|fbcon=rotate:|cfg80211\.ieee80211_regdom=)")


def hosts(root: Path, hostname: str) -> str:
    """/etc/hosts with the ``127.0.1.1`` line naming ``hostname`` (the image's other lines kept)."""
    try:
        lines = (root / "etc/hosts").read_text().splitlines()
    except OSError:
        lines = ["127.0.0.1\tlocalhost", "::1\t\tlocalhost ip6-localhost ip6-loopback"]
    lines = [line for line in lines if not line.split()[:1] == ["127.0.1.1"]]
    lines.append(f"127.0.1.1\t{hostname}")
    return "\n".join(lines) + "\n"


def passwd_ids(root: Path, user: str) -> Optional[Tuple[int, int]]:
    """(uid, gid) of ``user`` in ``root``'s /etc/passwd, or None."""
    try:
        for line in (root / "etc/passwd").read_text().splitlines():
            fields = line.split(":")
            if len(fields) >= 4 and fields[0] == user:
                return int(fields[2]), int(fields[3])
    except (OSError, ValueError):
        pass
    return None


def _with_own_words(words: List[str], rotation: int, country: str) -> List[str]:
    """``words`` without this tool's, then this tool's for ``rotation`` and ``country``."""
    words = [w for w in words if not _OWNED_CMDLINE.match(w)]
    words.append(f"cfg80211.ieee80211_regdom={country}")
    if rotation:
        # The text console only: the app turns its own picture and touches (Kivy), and KMS clients
        # ignore video=...:rotate, which would only turn the console a second time.
        words.append(f"fbcon=rotate:{rotation // 90}")
    return words


def cmdline(root: Path, rotation: int, country: str) -> str:
    """/etc/default/raspi-extra-cmdline: the image's own words kept, this tool's replaced."""
    try:
        words = (root / EXTRA_CMDLINE).read_text().split()
    except OSError:
        words = []
    return " ".join(_with_own_words(words, rotation, country)) + "\n"


def boot_args(current: str, rotation: int, country: str) -> str:
    """The boot partition's kiosk-args.txt (``extra_args=...``, read by U-Boot's boot script): the words
    this tool does not own kept (``kiosk.test=1`` of the image test), its own replaced."""
    words = []
    for line in current.splitlines():
        if line.startswith("extra_args="):
            words = line[len("extra_args="):].split()
    words = ["consoleblank=0"] + [w for w in words if w != "consoleblank=0"]  # the image's word, always there
    return "extra_args=" + " ".join(_with_own_words(words, rotation, country)) + "\n"

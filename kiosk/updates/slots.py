"""
The system's two slots
======================

The SD image holds two root file systems, slots A and B (images/README.md): the kiosk runs from one, an
update is written into the other, and the bootloader starts the new one a few times at most until it is
marked good; otherwise it goes back.  What the kiosk does with them goes through one small interface,
chosen by ``[update] system`` the way gpiozero chooses its pin factory:

* :class:`RaucSlots`: the real ones, through RAUC's command line (``rauc install``, ``status
  mark-good``/``mark-bad``), which asks the RAUC service over D-Bus (the image allows the ``kiosk`` user
  that: images/rauc/kiosk-rauc.conf); a restart is asked of a root unit by a file
  (``kiosk-update-reboot.path``);
* :class:`SimulatedSlots`: two slots in a JSON file in the data folder, with the same bootloader rules
  (``BOOT_ORDER``, three tries), for ``make run`` and the tests; its bundles are small text files
  (:func:`write_simulated_bundle`);
* :class:`NoSlots`: a system that cannot be updated this way (the pi-gen route, a developer's machine).

A signature is checked by RAUC against the certificate in the image; the simulated slots check only that a
file is one of their bundles and for this kind of kiosk.  Nothing here imports Kivy.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from protocol.updates import COMPATIBLE, SIMULATED_MAGIC, read_manifest

from ..atomic_files import write_atomically

__all__ = ["Slots", "RaucSlots", "SimulatedSlots", "NoSlots", "BundleInfo", "BundleRefused", "InstallFailed",
           "slots_for", "write_simulated_bundle", "TRIES"]

#: Boots a new slot gets before the bootloader goes back (RAUC's U-Boot backend: BOOT_x_LEFT).
TRIES = 3
#: Where the image says which system it is (images/build-image.sh writes it): VERSION=0.3.0
RELEASE_FILE = Path("/etc/kiosk-release")
RAUC_CONF = Path("/etc/rauc/system.conf")
PROC_CMDLINE = Path("/proc/cmdline")
#: Where the kiosk asks root for a restart (kiosk-update-reboot.path; /run/kiosk-update made by tmpfiles.d).
REBOOT_REQUEST = Path("/run/kiosk-update/reboot")


class BundleRefused(Exception):
    """A downloaded file that is not a bundle this kiosk may install (signature, kind, damage): the message
    says which."""


class InstallFailed(Exception):
    """Writing the bundle into the other slot failed; the running slot is untouched."""


@dataclass(frozen=True)
class BundleInfo:
    version: str
    compatible: str


class Slots:
    """What the update agent needs of a system with two slots."""

    name = "none"
    supported = True

    def booted(self) -> str:
        """The running slot's name (A or B)."""
        raise NotImplementedError

    def version(self) -> str:
        """The running system's version."""
        raise NotImplementedError

    def boot_id(self) -> str:
        """Different on every boot (the kernel's): what the app's health report is matched against."""
        try:
            return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        except OSError:
            return "unknown"

    def check(self, bundle: Path) -> BundleInfo:
        """The bundle's version, its signature verified; BundleRefused otherwise."""
        raise NotImplementedError

    def install(self, bundle: Path) -> str:
        """Write ``bundle`` into the other slot and make it the next boot's first choice; return that slot."""
        raise NotImplementedError

    def mark_good(self) -> None:
        """The running slot is good: the bootloader keeps starting it."""
        raise NotImplementedError

    def mark_bad(self) -> None:
        """The running slot failed: the next boot starts the other one."""
        raise NotImplementedError

    def reboot(self) -> None:
        """Restart the machine (asked, not waited for)."""
        raise NotImplementedError


class NoSlots(Slots):
    """A system that is not updated by the kiosk: it reports ``unsupported`` and takes nothing."""

    name, supported = "none", False

    def __init__(self, version: str):
        self._version = version

    def booted(self) -> str:
        return ""

    def version(self) -> str:
        return self._version


def _release_version(path: Path = RELEASE_FILE) -> Optional[str]:
    try:
        for line in path.read_text().splitlines():
            if line.startswith("VERSION="):
                return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return None


class RaucSlots(Slots):
    """The image's slots through RAUC's command line."""

    name = "rauc"

    def __init__(self, reboot_request: Path, run=subprocess.run):
        self.reboot_request = reboot_request
        self._run = run

    def _rauc(self, *args: str, timeout: float = 60) -> str:
        try:
            done = self._run(["rauc", *args], capture_output=True, text=True, timeout=timeout)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise InstallFailed(f"rauc {args[0]}: {exc}") from None
        if done.returncode != 0:
            raise InstallFailed(f"rauc {' '.join(args[:2])}: {(done.stderr or done.stdout).strip()[-300:]}")
        return done.stdout

    def booted(self) -> str:
        """The slot the boot script started: ``rauc.slot=`` on the kernel command line (RAUC reads the same)."""
        try:
            words = PROC_CMDLINE.read_text().split()
        except OSError:
            return ""
        return next((w.split("=", 1)[1] for w in words if w.startswith("rauc.slot=")), "")

    def version(self) -> str:
        return _release_version() or "unknown"

    def check(self, bundle: Path) -> BundleInfo:
        """The bundle's manifest, read without mounting it (``rauc info`` would need root).  Its signature is
        checked by RAUC's install, against the image's keyring, before anything is written."""
        try:
            done = self._run(["unsquashfs", "-cat", str(bundle), "manifest.raucm"], capture_output=True,
                             text=True, timeout=120)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise BundleRefused(f"the bundle's manifest cannot be read: {exc}") from None
        if done.returncode != 0 or "[update]" not in done.stdout:
            raise BundleRefused("the file is not a bundle (no manifest)")
        return _info(done.stdout)

    def install(self, bundle: Path) -> str:
        """RAUC checks the signature, writes the other slot and puts it first in BOOT_ORDER with 3 tries."""
        before = self.booted()
        self._rauc("install", str(bundle), timeout=3600)
        return "B" if before == "A" else "A"

    def mark_good(self) -> None:
        self._rauc("status", "mark-good")

    def mark_bad(self) -> None:
        self._rauc("status", "mark-bad")

    def reboot(self) -> None:
        write_atomically(self.reboot_request, b"reboot\n")  # kiosk-update-reboot.path, as root, restarts


class SimulatedSlots(Slots):
    """Two slots in ``<data>/update/slots.json``, with the bootloader's rules: a new slot first in the boot
    order with :data:`TRIES` tries; each boot takes one; a slot marked good gets them back; none left: the
    next in the order.  :meth:`reboot` is that boot (a running ``kiosk run`` is then stopped by its caller)."""

    name = "simulated"

    def __init__(self, folder: Path, version: str):
        self.path = folder / "slots.json"
        if not self.path.exists():
            self._save({"order": ["A", "B"], "booted": "A", "boots": 1,
                        "slots": {"A": {"version": version, "left": TRIES}, "B": {"version": "", "left": 0}}})

    def _load(self) -> dict:
        return json.loads(self.path.read_text())

    def _save(self, state: dict) -> None:
        write_atomically(self.path, json.dumps(state, indent=1).encode())

    def booted(self) -> str:
        return self._load()["booted"]

    def version(self) -> str:
        state = self._load()
        return state["slots"][state["booted"]]["version"]

    def boot_id(self) -> str:
        return f"simulated-{self._load()['boots']}"

    def check(self, bundle: Path) -> BundleInfo:
        try:
            with open(bundle, encoding="utf-8") as f:
                head = f.read(4096).splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise BundleRefused(f"{bundle.name} is not a bundle: {exc}") from None
        if not head or head[0] != SIMULATED_MAGIC:
            raise BundleRefused(f"{bundle.name} is not a bundle (no signature)")
        return _info("\n".join(head))

    def install(self, bundle: Path) -> str:
        info = self.check(bundle)
        state = self._load()
        other = "B" if state["booted"] == "A" else "A"
        state["slots"][other] = {"version": info.version, "left": TRIES}
        state["order"] = [other, state["booted"]]
        self._save(state)
        return other

    def _mark(self, left: int) -> None:
        state = self._load()
        state["slots"][state["booted"]]["left"] = left
        if left == 0:  # mark-bad: the other first
            state["order"] = [s for s in state["order"] if s != state["booted"]] + [state["booted"]]
        self._save(state)

    def mark_good(self) -> None:
        self._mark(TRIES)

    def mark_bad(self) -> None:
        self._mark(0)

    def reboot(self) -> None:
        state = self._load()
        usable = [s for s in state["order"] if state["slots"][s]["left"] > 0 and state["slots"][s]["version"]]
        if not usable:  # as the boot script: never a kiosk that starts nothing
            for slot in state["order"]:
                state["slots"][slot]["left"] = TRIES if state["slots"][slot]["version"] else 0
            usable = [s for s in state["order"] if state["slots"][s]["left"] > 0]
        state["booted"] = usable[0]
        state["slots"][usable[0]]["left"] -= 1
        state["boots"] += 1
        self._save(state)


def _info(manifest: str) -> BundleInfo:
    try:
        version, compatible = read_manifest(manifest)
    except ValueError as exc:
        raise BundleRefused(str(exc)) from None
    return BundleInfo(version=version, compatible=compatible)


def write_simulated_bundle(path: Path, version: str, compatible: str = COMPATIBLE, padding: int = 0) -> Path:
    """A bundle the simulated slots take (``padding`` bytes more, to download something)."""
    body = f"{SIMULATED_MAGIC}\nversion={version}\ncompatible={compatible}\n" + "#" * padding + "\n"
    path.write_text(body, encoding="utf-8")
    return path


def slots_for(config, version: str) -> Slots:
    """The slots ``[update] system`` names (``auto``: RAUC where it is set up, simulated with simulated
    hardware, else none)."""
    system = config.update.system
    if system == "auto":
        system = "rauc" if RAUC_CONF.exists() else "simulated" if config.simulated else "none"
    folder = Path(config.data_dir) / "update"
    if system == "rauc":
        return RaucSlots(REBOOT_REQUEST)
    if system == "simulated":
        folder.mkdir(parents=True, exist_ok=True)
        return SimulatedSlots(folder, version)
    return NoSlots(version)

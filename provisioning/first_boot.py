"""Applying the boot file to the kiosk: ``kiosk-provision apply``, at every boot.

:func:`apply` writes the system files under ``root`` ("/" on the Pi, a
temporary directory in tests) only when the boot file is free of problems,
queues the system commands that make them take effect, scrubs the secrets off
the card and records the boot file's hash, so running it again changes nothing
and an edited file is applied again.  Each step below writes one concern's
files; their order is the order of the log.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

from .app_toml import app_toml, applied_token
from .boot_file import Parsed, ProvisioningError, read
from .files import sha256, symlink, write_boot, write_file
from .host import boot_args, cmdline, hosts, passwd_ids
from .kept_secrets import keep_secrets
from .layout import (APP_TOML, AUTHORIZED_KEYS, BOOT_ARGS, ERRORS_FILE, EXTRA_CMDLINE, HASH_FILE, KIOSK_USER,
                     LOG_FILE, RASPI_FIRMWARE_HOOK, ROOT_MARK, SSHD_CONF, TIMESYNCD_CONF, TIMEZONE, WLAN, WPA_CONF)
from .network import applied_psk, network_units, timesyncd_conf, wpa_conf, wpa_psk
from .scrub import scrubbed
from .ssh_access import authorized_keys, sshd_conf

__all__ = ["apply"]

log = logging.getLogger("kiosk.provision")


def apply(boot_toml, root, run: Optional[Callable] = None) -> List[str]:
    """Apply the boot file to the system under ``root``; return the files changed (empty: nothing to do).

    Invalid file: nothing is applied, the problems go to
    ``root/var/lib/kiosk/provisioning-errors.txt`` (the kiosk shows it full
    screen) and :class:`ProvisioningError` is raised.  ``run`` is called with
    each system command (``["systemctl", "enable", ...]``) once something
    changed; None only logs them (tests, image builds).
    """
    boot_toml, root = Path(boot_toml), Path(root)
    if _applied_already(boot_toml, root):
        return []  # the file we applied (and scrubbed) last time

    parsed = read(boot_toml, root)
    if parsed.problems:
        _report_problems(root, parsed.problems)
        raise ProvisioningError(parsed.problems)

    with _root_writable(root, run):
        return _apply_valid(parsed, boot_toml, root, run)


def _applied_already(boot_toml: Path, root: Path) -> bool:
    """The boot file is the one applied (and scrubbed) last time, and that went well, to this root slot (a slot
    a system update wrote has no mark: it is provisioned again)."""
    try:
        raw = boot_toml.read_bytes()
    except OSError:
        raw = None
    try:
        recorded = (root / HASH_FILE).read_text().split()[0]
        marked = (root / ROOT_MARK).read_text().split()[0]
    except (OSError, IndexError):
        recorded = marked = None
    return raw is not None and recorded == marked == sha256(raw) and not (root / ERRORS_FILE).exists()


def _report_problems(root: Path, problems: List[str]) -> None:
    """The errors file the kiosk shows full screen, and the journal."""
    report = ("The kiosk's settings file (kiosk.toml on the SD card's boot partition) has mistakes;\n"
              "nothing was changed. Fix each line below, then restart the kiosk.\n\n"
              + "\n".join(problems) + "\n")
    write_file(root, ERRORS_FILE, report, 0o644, [])
    for problem in problems:
        log.error("%s", problem)


def _apply_valid(parsed: Parsed, boot_toml: Path, root: Path, run: Optional[Callable]) -> List[str]:
    changes: List[str] = []
    system, app = parsed.system, parsed.app
    hostname = app["kiosk"]["id"].lower()
    # machine-id: made on the first boot (the image has none) but only in memory while / is read-only;
    # commit it, or networkd's DHCP identity (and so the kiosk's address) changes at every boot.
    actions: List[List[str]] = [["hostname", hostname], ["systemd-machine-id-setup", "--commit"]]

    # secrets: a scrubbed one means "keep the one this kiosk already has" (in this root, else kept on /data)
    if "server" in app and not app["server"].get("token") and "server.token" in parsed.kept:
        app = {**app, "server": {**app["server"], "token": applied_token(root)}}
    psk_hex = None
    if system["ssid"]:
        psk_hex = wpa_psk(system["ssid"], system["psk"]) if system["psk"] else applied_psk(root, system["ssid"])
    keep_secrets(root, (app.get("server") or {}).get("token", ""), system["ssid"], psk_hex, changes)

    _apply_identity(root, hostname, changes)
    _apply_network(root, system, psk_hex, changes, actions)
    _apply_ssh(root, system, changes, actions)
    _apply_cmdline(root, app, system, changes, actions)
    _apply_boot_args(boot_toml.parent / BOOT_ARGS, app, system, changes)
    _apply_app(root, app, changes)
    _finish(parsed, boot_toml, root, changes)

    if changes:
        _log(root, changes, actions, run)
    return changes


def _apply_identity(root: Path, hostname: str, changes: List[str]) -> None:
    """Host name, /etc/hosts, the time zone."""
    write_file(root, "etc/hostname", hostname + "\n", 0o644, changes)
    write_file(root, "etc/hosts", hosts(root, hostname), 0o644, changes)
    write_file(root, "etc/timezone", TIMEZONE + "\n", 0o644, changes)
    symlink(root, "etc/localtime", f"/usr/share/zoneinfo/{TIMEZONE}", changes)


def _apply_network(root: Path, system: Dict[str, Any], psk_hex: Optional[str], changes: List[str],
                   actions: List[List[str]]) -> None:
    """networkd's units, wpa_supplicant's file, the NTP servers, and the commands that start them."""
    for rel, content in network_units(bool(psk_hex)).items():
        write_file(root, rel, content, 0o644, changes)
    write_file(root, WPA_CONF, wpa_conf(system["ssid"], psk_hex, system["country"]) if psk_hex else None,
               0o600, changes)
    # --no-block everywhere: at boot this runs before the network and D-Bus are up, and waiting there for a
    # unit ordered after us would hold the boot for minutes. Units not running yet start with the new files.
    # enable alone is not enough: a unit enabled while the system boots is not in that boot's transaction, so
    # the card's first boot had no network (no SSH, NTP or upload) until it was power-cycled. --now queues
    # their start too; networkd is ordered after network-pre.target, which waits for this unit, so it starts
    # once the files are written and / is read-only again, then SSH (after network.target), timesyncd (which
    # follows networkd's links) and the app's uploader (which retries) find a network. A card with no cable
    # or Wi-Fi just has networkd idle: nothing waits for it (no network-online.target in the kiosk's boot).
    actions.append(["systemctl", "--no-block", "enable", "--now", "systemd-networkd.service",
                    "systemd-resolved.service"])
    actions.append(["systemctl", "--no-block", "enable" if psk_hex else "disable", "--now",
                    f"wpa_supplicant@{WLAN}.service"])
    actions.append(["systemctl", "--no-block", "try-reload-or-restart", "systemd-networkd.service"])

    write_file(root, TIMESYNCD_CONF, timesyncd_conf(system["ntp"]), 0o644, changes)
    actions.append(["systemctl", "--no-block", "try-restart", "systemd-timesyncd.service"])


def _apply_ssh(root: Path, system: Dict[str, Any], changes: List[str], actions: List[List[str]]) -> None:
    """sshd's drop-in, root's keys, and SSH on (with this card's own host keys) or off."""
    keys = [k.strip() for k in system["authorized_keys"]]
    write_file(root, SSHD_CONF, sshd_conf(), 0o644, changes)
    (root / "root/.ssh").mkdir(parents=True, exist_ok=True)
    os.chmod(root / "root/.ssh", 0o700)
    write_file(root, AUTHORIZED_KEYS, authorized_keys(keys), 0o600, changes)
    if keys:
        actions.append(["ssh-keygen", "-A"])  # this card's own host keys (the image has none), while / is writable
    actions.append(["systemctl", "--no-block", "enable" if keys else "disable", "--now", "ssh.service"])


def _apply_cmdline(root: Path, app: Dict[str, Any], system: Dict[str, Any], changes: List[str],
                   actions: List[List[str]]) -> None:
    """The Wi-Fi country and the console's rotation on the kernel command line."""
    rotation = (app.get("display") or {}).get("rotation", 0)
    if write_file(root, EXTRA_CMDLINE, cmdline(root, rotation, system["country"]), 0o644, changes):
        # raspi-firmware's hook rewrites /boot/firmware/cmdline.txt (used from the next boot); called
        # directly, not through update-initramfs, which rebuilds the initrd for minutes on a Pi 3.
        actions.append(["env", "DEB_MAINT_PARAMS=configure", RASPI_FIRMWARE_HOOK])


def _apply_boot_args(path: Path, app: Dict[str, Any], system: Dict[str, Any], changes: List[str]) -> None:
    """The same words for U-Boot's boot script (kiosk-args.txt beside kiosk.toml: images/boot.cmd)."""
    try:
        current = path.read_text(encoding="utf-8")
    except OSError:
        current = ""
    wanted = boot_args(current, (app.get("display") or {}).get("rotation", 0), system["country"])
    if wanted != current:
        write_boot(path, wanted)
        changes.append(str(path))


def _apply_app(root: Path, app: Dict[str, Any], changes: List[str]) -> None:
    """/etc/kiosk/kiosk.toml, the kiosk user's alone."""
    owner = passwd_ids(root, KIOSK_USER)
    if owner is None:
        log.warning("no user %r in %s: %s stays owned by root", KIOSK_USER, root / "etc/passwd", "/" + APP_TOML)
    write_file(root, APP_TOML, app_toml(app), 0o600, changes, owner)


def _finish(parsed: Parsed, boot_toml: Path, root: Path, changes: List[str]) -> None:
    """Secrets off the card, the errors file gone, the applied file's hash recorded."""
    # Off the FAT partition with the secrets: a lost card leaks nothing.
    text = scrubbed(parsed.text, parsed)
    if text != parsed.text:
        write_boot(boot_toml, text)
        changes.append(str(boot_toml))
    write_file(root, ERRORS_FILE, None, 0o644, changes)
    write_file(root, HASH_FILE, f"{sha256(text.encode('utf-8'))}  {boot_toml}\n", 0o644, changes)
    write_file(root, ROOT_MARK, f"{sha256(text.encode('utf-8'))}  {boot_toml}\n", 0o644, changes)


@contextlib.contextmanager
def _root_writable(root: Path, run: Optional[Callable]):
    """On the kiosk / is mounted read-only (power may be pulled at any moment): open it for the writes.

    Only for the real root with commands allowed; the data partition (/var/lib/kiosk) is always writable.
    """
    remount = (run is not None and root.resolve() == Path("/")
               and bool(os.statvfs("/").f_flag & os.ST_RDONLY))
    if remount:
        run(["mount", "-o", "remount,rw", "/"])
    try:
        yield
    finally:
        if remount:
            os.sync()
            result = run(["mount", "-o", "remount,ro", "/"])
            if getattr(result, "returncode", 0):
                log.warning("/ stays writable until the next boot (remount read-only failed)")


def _log(root: Path, changes: List[str], actions: List[List[str]], run: Optional[Callable]) -> None:
    """Run the commands (or, without ``run``, say what would run) and log every change and command."""
    entries = [f"changed {c}" for c in changes]
    for argv in actions:
        if run is None:
            entries.append(f"would run: {' '.join(argv)}")
            continue
        try:
            result = run(argv)
            code = getattr(result, "returncode", 0)
        except OSError as exc:
            code = exc.strerror
        entries.append(f"ran: {' '.join(argv)} -> {code}")
    for entry in entries:
        log.info("%s", entry)
    path = root / LOG_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as stream:
        stream.write("".join(e + "\n" for e in entries))

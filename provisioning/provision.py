"""
First-boot provisioning of a kiosk from the boot partition's ``kiosk.toml``
===========================================================================

One file configures a kiosk: the app's own sections (``[kiosk]``,
``[printer]``, ``[server]``, ``[display]``, ...; checked by
:mod:`kiosk.config`) plus three system sections checked here:

``[wifi]``     ``ssid`` (1-32 bytes), ``psk`` (8-63 printable ASCII, secret),
               ``country`` (two capital letters, default ``"TW"``).  No
               ``[wifi]`` or an empty ssid: wired only.
``[network]``  ``ntp``: NTP servers (default the national time servers).
``[ssh]``      ``authorized_keys``: public keys for root; empty: SSH off.

``kiosk.id`` becomes the host name (lower-cased), so here it must be letters,
digits and hyphens only - stricter than the app's own rule.

:func:`validate` lists every problem as ``FILE:LINE: KEY: message`` (secrets
never echoed).  :func:`apply` writes the system files under ``root`` ("/" on
the Pi, a temporary directory in tests), atomically and only when their
content changes; then it scrubs the secrets from the boot file and records the
boot file's hash, so running it again changes nothing and an edited file is
applied again.  A scrubbed secret (``psk = ""`` / ``token = ""`` with the
marker line this module writes at the top) means "keep the one already
applied".

:func:`inject` writes a ``kiosk.toml`` into an image file's FAT boot partition
with mtools (no root, no mount); :func:`inject_batch` makes one image per row
of a CSV of kiosk ids and tokens.
"""

from __future__ import annotations

import base64
import contextlib
import csv
import hashlib
import json
import logging
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.9/3.10
    import tomli as tomllib

try:  # the app's own sections; in this repository, or installed with the kiosk
    from kiosk.config import SECTIONS as APP_SECTIONS
    from protocol.toml_lines import key_lines
    from kiosk.config import validate as app_validate
    from kiosk.config import SETTINGS as _APP_SETTINGS
    from kiosk.config import toml_value as _app_toml_value
    _KINDS = {s.key: s.kind for s in _APP_SETTINGS}
except ImportError:  # pragma: no cover - a laptop with provision.py alone
    _app_toml_value = None
    APP_SECTIONS = None
    app_validate = None
    _KINDS = {}

    def key_lines(text: str) -> Dict[str, int]:
        """Fallback: ``section.key`` / ``[section]`` -> line number (simple files only)."""
        lines: Dict[str, int] = {}
        table = ""
        for number, line in enumerate(text.splitlines(), start=1):
            stripped = line.strip()
            header = re.match(r"\[\[?\s*([A-Za-z0-9_.\-]+)\s*\]\]?", stripped)
            if header:
                table = header.group(1)
                lines.setdefault(table, number)
                continue
            assignment = re.match(r"([A-Za-z0-9_.\-\"']+)\s*=", stripped)
            if assignment:
                name = assignment.group(1).replace('"', "").replace("'", "")
                lines.setdefault(f"{table}.{name}" if table else name, number)
        return lines

__all__ = ["validate", "apply", "inject", "inject_batch", "ProvisioningError", "main",
           "SYSTEM_SECTIONS", "DEFAULT_NTP", "TIMEZONE"]

log = logging.getLogger("kiosk.provision")

SYSTEM_SECTIONS = ("wifi", "network", "ssh")
DEFAULT_NTP = ["time.stdtime.gov.tw", "tock.stdtime.gov.tw"]
DEFAULT_COUNTRY = "TW"
TIMEZONE = "Asia/Taipei"
KIOSK_USER = "kiosk"
WLAN = "wlan0"
BOOT_TOML = Path("/boot/firmware/kiosk.toml")  # Debian's raspi image mounts the FAT partition here

#: The first line of a scrubbed boot file; it lists the secrets kept on the kiosk.
SCRUB_MARKER = "# kiosk-provision: secrets moved off this card:"
SECRET_KEYS = ("wifi.psk", "server.token")

APP_TOML = "etc/kiosk/kiosk.toml"
WPA_CONF = f"etc/wpa_supplicant/wpa_supplicant-{WLAN}.conf"
WIRED_NETWORK = "etc/systemd/network/20-kiosk-wired.network"
WIFI_NETWORK = "etc/systemd/network/30-kiosk-wifi.network"
TIMESYNCD_CONF = "etc/systemd/timesyncd.conf.d/kiosk.conf"
SSHD_CONF = "etc/ssh/sshd_config.d/kiosk.conf"
AUTHORIZED_KEYS = "root/.ssh/authorized_keys"
EXTRA_CMDLINE = "etc/default/raspi-extra-cmdline"
RASPI_FIRMWARE_HOOK = "/etc/kernel/postinst.d/z50-raspi-firmware"
STATE_DIR = "var/lib/kiosk"
HASH_FILE = f"{STATE_DIR}/provisioned.sha256"
ERRORS_FILE = f"{STATE_DIR}/provisioning-errors.txt"
LOG_FILE = f"{STATE_DIR}/provisioning.log"
MANAGED = "# Written by kiosk-provision from the boot partition's kiosk.toml; edit that file, not this one.\n"

#: Kernel command-line words this module owns in /etc/default/raspi-extra-cmdline.
_OWNED_CMDLINE = re.compile(r"^(video=HDMI-A-1:|fbcon=rotate:|cfg80211\.ieee80211_regdom=)")

_HOSTNAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_NTP_HOST = re.compile(r"(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*")
_KEY_TYPES = ("ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
              "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com")


class ProvisioningError(ValueError):
    """The boot file has problems; nothing was applied.  ``problems`` holds one line per problem."""

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


# -- reading and checking ------------------------------------------------------------------------

class _Parsed:
    """A boot file read and checked: the app's data, the system settings, the problems."""

    def __init__(self):
        self.text = ""
        self.app: Dict[str, Any] = {}
        self.system: Dict[str, Any] = {}
        self.problems: List[str] = []
        self.kept: Tuple[str, ...] = ()  # secrets scrubbed earlier: keep the applied ones


def _where(name: str, line: Optional[int]) -> str:
    return f"{name}:{line}" if line else name


def _read(path: Path, root: Optional[Path] = None) -> _Parsed:
    parsed = _Parsed()
    name = str(path)

    def problem(key: str, message: str, line: Optional[int] = None):
        parsed.problems.append(f"{_where(name, line)}: {key}: {message}")

    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        problem("(file)", f"cannot read: {exc.strerror or exc}")
        return parsed
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problem("(file)", "is not UTF-8 text; save it as UTF-8 (Big5 files are not accepted)",
                raw[: exc.start].count(b"\n") + 1)
        return parsed
    parsed.text = text
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        problem("(syntax)", f"not valid TOML: {message}", int(match.group(1)) if match else None)
        return parsed

    lines = key_lines(text)
    first = text.splitlines()[0] if text else ""
    if first.startswith(SCRUB_MARKER):
        parsed.kept = tuple(k for k in first[len(SCRUB_MARKER):].split() if k in SECRET_KEYS)

    # Split: the system sections are checked here, the rest by kiosk.config with the
    # original text, so its line numbers point into this very file.
    system = {s: data.pop(s) for s in SYSTEM_SECTIONS if s in data}
    known = list(APP_SECTIONS or []) + list(SYSTEM_SECTIONS)
    for section in list(data):
        if APP_SECTIONS is not None and section not in APP_SECTIONS:
            problem(section, f"unknown section [{section}]; known: {', '.join(known)}", lines.get(section))
            del data[section]
    parsed.app = data
    if app_validate is not None:
        _values, found = app_validate(data, text, base_dir=Path(path).resolve().parent)
        for p in found:
            problem(p.key, p.message, p.line)
        app_reported = {p.key for p in found}
    else:
        app_reported = set()

    parsed.system = _check_system(system, lines, problem, parsed.kept, root)

    kiosk = data.get("kiosk") if isinstance(data.get("kiosk"), dict) else {}
    kiosk_id = kiosk.get("id")
    if kiosk_id is None:
        problem("kiosk.id", "must be set: it is this kiosk's name and becomes its host name (e.g. 'ERLIN-01')",
                lines.get("kiosk"))
    elif "kiosk.id" not in app_reported and (not isinstance(kiosk_id, str) or not _HOSTNAME.fullmatch(kiosk_id)):
        problem("kiosk.id", f"becomes the host name, so only letters, digits and '-' (not first or last, "
                            f"no '_'), at most 63; got {kiosk_id!r}", lines.get("kiosk.id"))

    server = data.get("server") if isinstance(data.get("server"), dict) else {}
    if "server.token" in parsed.kept and not server.get("token") and root is not None:
        if not _applied_token(root):
            problem("server.token", "was moved off the card earlier but this kiosk has none; type it again",
                    lines.get("server.token"))
    return parsed


def _check_system(system: Dict[str, Any], lines: Dict[str, int], problem: Callable, kept, root) -> Dict[str, Any]:
    """Check [wifi], [network], [ssh]; return their values with defaults filled in."""
    allowed = {"wifi": ("ssid", "psk", "country"), "network": ("ntp",), "ssh": ("authorized_keys",)}
    values = {"ssid": "", "psk": "", "country": DEFAULT_COUNTRY, "ntp": list(DEFAULT_NTP), "authorized_keys": []}
    for section, table in system.items():
        if not isinstance(table, dict):
            problem(section, f"must be a table [{section}], not a value", lines.get(section))
            continue
        for name, value in table.items():
            key = f"{section}.{name}"
            if name not in allowed[section]:
                problem(key, f"unknown key; [{section}] knows: {', '.join(allowed[section])}", lines.get(key))
                continue
            message = _check_value(key, value)
            if message:
                problem(key, message, lines.get(key))
            else:
                values[name] = value
    if values["ssid"] and not values["psk"]:
        wifi = system.get("wifi") if isinstance(system.get("wifi"), dict) else {}
        if "psk" in wifi and (not isinstance(wifi["psk"], str) or _check_value("wifi.psk", wifi["psk"])):
            pass  # already reported
        elif "wifi.psk" not in kept:
            problem("wifi.psk", "needs the Wi-Fi password (8-63 characters); open networks are not supported",
                    lines.get("wifi.psk") or lines.get("wifi.ssid"))
        elif root is not None and _applied_psk(root, values["ssid"]) is None:
            problem("wifi.psk", "was moved off the card earlier, but the network name changed: type its password",
                    lines.get("wifi.psk"))
    if values["psk"] and not values["ssid"]:
        problem("wifi.ssid", "must be set when wifi.psk is (the network's name)", lines.get("wifi.ssid") or lines.get("wifi"))
    return values


def _check_value(key: str, value: Any) -> Optional[str]:
    """What is wrong with one system setting, or None.  Never echoes a secret."""
    if key in ("wifi.ssid", "wifi.psk", "wifi.country"):
        if not isinstance(value, str):
            shown = "***" if key == "wifi.psk" else repr(value)
            return f"expected a string in \"double quotes\", got {type(value).__name__} {shown}"
    if key == "wifi.ssid":
        if len(value.encode("utf-8")) > 32:
            return f"is {len(value.encode('utf-8'))} bytes long; a Wi-Fi network name has at most 32"
    elif key == "wifi.psk":
        if value == "":
            return None
        if not 8 <= len(value) <= 63:
            return f"must be 8-63 characters (a WPA password), got {len(value)}"
        if not all(32 <= ord(c) <= 126 for c in value):
            return "may only hold printable ASCII characters (letters, digits, punctuation, spaces)"
    elif key == "wifi.country":
        if not re.fullmatch(r"[A-Z]{2}", value):
            return f"must be two capital letters (ISO 3166 country code, e.g. 'TW'), got {value!r}"
    elif key == "network.ntp":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return f"expected a list of strings (server names), got {value!r}"
        if not value:
            return "needs at least one NTP server (leave the key out for the default ones)"
        for host in value:
            if not _NTP_HOST.fullmatch(host):
                return f"{host!r} is not a host name or IPv4 address (e.g. 'time.stdtime.gov.tw')"
    elif key == "ssh.authorized_keys":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return "expected a list of strings, one public key line (\"ssh-ed25519 AAAA... name\") each"
        for number, entry in enumerate(value, start=1):
            message = _check_public_key(entry)
            if message:
                return f"key {number}: {message}"
    return None


def _check_public_key(line: str) -> Optional[str]:
    parts = line.strip().split()
    if len(parts) < 2 or parts[0] not in _KEY_TYPES:
        return (f"must be a public key line starting with one of {', '.join(_KEY_TYPES[:3])}, ... "
                f"(the contents of id_ed25519.pub, not the private key)")
    if "\n" in line.strip():
        return "must be one line"
    try:
        blob = base64.b64decode(parts[1], validate=True)
        (length,) = struct.unpack(">I", blob[:4])
        inner = blob[4:4 + length].decode("ascii")
    except Exception:  # noqa: BLE001 - anything undecodable is the same mistake
        return f"the {parts[0]} key's data is not valid base64 (was the line cut or wrapped?)"
    if inner != parts[0]:
        return f"says {parts[0]} but holds a {inner} key"
    return None


def validate(path, root: Optional[Path] = None) -> List[str]:
    """Every problem with a boot ``kiosk.toml``, one ``FILE:LINE: KEY: message`` line each.

    ``root`` (the kiosk's root) lets a scrubbed secret count as present when the
    kiosk already has it; on a laptop leave it out.
    """
    return _read(Path(path), Path(root) if root is not None else None).problems


# -- what the kiosk's files should hold ------------------------------------------------------------

def _toml_value(value: Any) -> str:
    """A value as TOML text: the app's own writer (kiosk.config.toml_value) where the kiosk is installed."""
    if _app_toml_value is not None:
        return _app_toml_value(value)
    if isinstance(value, bool):  # a laptop with provision.py alone
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _app_toml(app: Dict[str, Any]) -> str:
    """The app's sections as TOML, tables first and ``[[services]]`` last."""
    out = [MANAGED]
    for section, table in app.items():
        if section == "services":
            continue
        out.append(f"\n[{section}]\n")
        out.extend(f"{name} = {_toml_value(value)}\n" for name, value in table.items())
    for service in app.get("services", []):
        out.append("\n[[services]]\n")
        out.extend(f"{name} = {_toml_value(value)}\n" for name, value in service.items())
    return "".join(out)


def _wpa_psk(ssid: str, passphrase: str) -> str:
    """The 256-bit WPA key, as wpa_passphrase computes it: the password itself never reaches the disk."""
    return hashlib.pbkdf2_hmac("sha1", passphrase.encode("ascii"), ssid.encode("utf-8"), 4096, 32).hex()


def _wpa_conf(ssid: str, psk_hex: str, country: str) -> str:
    return (f"{MANAGED}ctrl_interface=DIR=/run/wpa_supplicant GROUP=netdev\nupdate_config=0\ncountry={country}\n\n"
            f"network={{\n\tssid={ssid.encode('utf-8').hex()}\n\tpsk={psk_hex}\n\tkey_mgmt=WPA-PSK\n}}\n")


def _applied_psk(root: Path, ssid: str) -> Optional[str]:
    """The WPA key applied earlier for this network, if any."""
    try:
        text = (root / WPA_CONF).read_text()
    except OSError:
        return None
    found_ssid = re.search(r"^\s*ssid=([0-9a-f]+)\s*$", text, re.M)
    found_psk = re.search(r"^\s*psk=([0-9a-f]{64})\s*$", text, re.M)
    if found_ssid and found_psk and found_ssid.group(1) == ssid.encode("utf-8").hex():
        return found_psk.group(1)
    return None


def _applied_token(root: Path) -> str:
    try:
        data = tomllib.loads((root / APP_TOML).read_text(encoding="utf-8"))
        return data.get("server", {}).get("token", "") or ""
    except (OSError, ValueError):
        return ""


def _network_units(wifi: bool) -> Dict[str, Optional[str]]:
    wired = (f"{MANAGED}[Match]\nName=eth* en*\n\n[Network]\nDHCP=yes\n\n[DHCPv4]\nRouteMetric=100\n")
    wireless = (f"{MANAGED}[Match]\nName={WLAN}\n\n[Network]\nDHCP=yes\n\n[DHCPv4]\nRouteMetric=600\n")
    return {WIRED_NETWORK: wired, WIFI_NETWORK: wireless if wifi else None}


def _cmdline(root: Path, rotation: int, country: str) -> str:
    """/etc/default/raspi-extra-cmdline: the image's own words kept, this module's replaced."""
    try:
        words = (root / EXTRA_CMDLINE).read_text().split()
    except OSError:
        words = []
    words = [w for w in words if not _OWNED_CMDLINE.match(w)]
    words.append(f"cfg80211.ieee80211_regdom={country}")
    if rotation:
        # The text console only: the app turns its own picture and touches (Kivy), and KMS clients
        # ignore video=...:rotate, which would only turn the console a second time.
        words.append(f"fbcon=rotate:{rotation // 90}")
    return " ".join(words) + "\n"


def _hosts(root: Path, hostname: str) -> str:
    try:
        lines = (root / "etc/hosts").read_text().splitlines()
    except OSError:
        lines = ["127.0.0.1\tlocalhost", "::1\t\tlocalhost ip6-localhost ip6-loopback"]
    lines = [line for line in lines if not line.split()[:1] == ["127.0.1.1"]]
    lines.append(f"127.0.1.1\t{hostname}")
    return "\n".join(lines) + "\n"


def _passwd_ids(root: Path, user: str) -> Optional[Tuple[int, int]]:
    try:
        for line in (root / "etc/passwd").read_text().splitlines():
            fields = line.split(":")
            if len(fields) >= 4 and fields[0] == user:
                return int(fields[2]), int(fields[3])
    except (OSError, ValueError):
        pass
    return None


# -- writing -------------------------------------------------------------------------------------

def _write(root: Path, rel: str, content: Optional[str], mode: int, changes: List[str],
           owner: Optional[Tuple[int, int]] = None) -> bool:
    """Make ``root/rel`` hold ``content`` with ``mode`` (None: absent).  Atomic; True when changed."""
    path = root / rel
    shown = "/" + rel
    if content is None:
        if path.exists() or path.is_symlink():
            path.unlink()
            changes.append(shown)
            return True
        return False
    data = content.encode("utf-8")
    try:
        st = path.stat()
        same = path.read_bytes() == data and (st.st_mode & 0o7777) == mode
        if same and owner is not None and (st.st_uid, st.st_gid) != owner:
            same = False
    except OSError:
        same = False
    if same:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=str(path.parent), prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)  # before the content: a secret is never readable by others, not even briefly
        if owner is not None:
            try:
                os.fchown(fd, *owner)
            except PermissionError:
                log.warning("cannot give %s to uid %d (not root); left to the image build", shown, owner[0])
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    changes.append(shown)
    return True


def _symlink(root: Path, rel: str, target: str, changes: List[str]) -> bool:
    path = root / rel
    if path.is_symlink() and os.readlink(path) == target:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.kiosk-provision")
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(target, tmp)
    os.replace(tmp, path)
    changes.append("/" + rel)
    return True


def _scrubbed(text: str, parsed: _Parsed) -> str:
    """The boot file with psk and token emptied and the marker line on top."""
    lines = text.splitlines(keepends=True)
    if lines and lines[0].startswith(SCRUB_MARKER):
        lines = lines[1:]
        offset = 1
    else:
        offset = 0
    positions = key_lines(text)
    kept = set(parsed.kept)
    for key in SECRET_KEYS:
        line = positions.get(key)
        if not line:
            continue
        section, name = key.split(".")
        value = (parsed.system.get("psk") if key == "wifi.psk"
                 else (parsed.app.get("server") or {}).get("token"))
        if value:
            index = line - 1 - offset
            indent = re.match(r"\s*", lines[index]).group(0)
            lines[index] = (f'{indent}{name} = ""  # moved off the card on first boot; '
                            f"type a new one here to change it\n")
            kept.add(key)
    if kept:
        lines.insert(0, f"{SCRUB_MARKER} {' '.join(k for k in SECRET_KEYS if k in kept)}\n")
    return "".join(lines)


def _write_boot(path: Path, text: str) -> None:
    """Rewrite the boot file (FAT: no modes, no owners), atomically."""
    fd, tmp = tempfile.mkstemp(dir=str(path.parent), prefix=".kiosk-toml.")
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as stream:
        stream.write(text)
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(tmp, path)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def apply(boot_toml, root, run: Optional[Callable] = None) -> List[str]:
    """Apply the boot file to the system under ``root``; return the files changed (empty: nothing to do).

    Invalid file: nothing is applied, the problems go to
    ``root/var/lib/kiosk/provisioning-errors.txt`` (the kiosk shows it full
    screen) and :class:`ProvisioningError` is raised.  ``run`` is called with
    each system command (``["systemctl", "enable", ...]``) once something
    changed; None only logs them (tests, image builds).
    """
    boot_toml, root = Path(boot_toml), Path(root)
    changes: List[str] = []
    try:
        raw = boot_toml.read_bytes()
    except OSError:
        raw = None
    try:
        recorded = (root / HASH_FILE).read_text().split()[0]
    except (OSError, IndexError):
        recorded = None
    if raw is not None and recorded == _sha256(raw) and not (root / ERRORS_FILE).exists():
        return []  # the file we applied (and scrubbed) last time

    parsed = _read(boot_toml, root)
    if parsed.problems:
        report = ("The kiosk's settings file (kiosk.toml on the SD card's boot partition) has mistakes;\n"
                  "nothing was changed. Fix each line below, then restart the kiosk.\n\n"
                  + "\n".join(parsed.problems) + "\n")
        _write(root, ERRORS_FILE, report, 0o644, changes)
        for problem in parsed.problems:
            log.error("%s", problem)
        raise ProvisioningError(parsed.problems)

    with _root_writable(root, run):
        return _apply_valid(parsed, boot_toml, root, run)


def _apply_valid(parsed: _Parsed, boot_toml: Path, root: Path, run: Optional[Callable]) -> List[str]:
    changes: List[str] = []
    system, app = parsed.system, parsed.app
    hostname = app["kiosk"]["id"].lower()
    # machine-id: made on the first boot (the image has none) but only in memory while / is read-only;
    # commit it, or networkd's DHCP identity (and so the kiosk's address) changes at every boot.
    actions: List[List[str]] = [["hostname", hostname], ["systemd-machine-id-setup", "--commit"]]

    # secrets: a scrubbed one means "keep the one this kiosk already has"
    if "server" in app and not app["server"].get("token") and "server.token" in parsed.kept:
        app = {**app, "server": {**app["server"], "token": _applied_token(root)}}
    psk_hex = None
    if system["ssid"]:
        psk_hex = _wpa_psk(system["ssid"], system["psk"]) if system["psk"] else _applied_psk(root, system["ssid"])

    _write(root, "etc/hostname", hostname + "\n", 0o644, changes)
    _write(root, "etc/hosts", _hosts(root, hostname), 0o644, changes)
    _write(root, "etc/timezone", TIMEZONE + "\n", 0o644, changes)
    _symlink(root, "etc/localtime", f"/usr/share/zoneinfo/{TIMEZONE}", changes)

    for rel, content in _network_units(bool(psk_hex)).items():
        _write(root, rel, content, 0o644, changes)
    _write(root, WPA_CONF, _wpa_conf(system["ssid"], psk_hex, system["country"]) if psk_hex else None,
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

    _write(root, TIMESYNCD_CONF, f"{MANAGED}[Time]\nNTP={' '.join(system['ntp'])}\n", 0o644, changes)
    actions.append(["systemctl", "--no-block", "try-restart", "systemd-timesyncd.service"])

    keys = [k.strip() for k in system["authorized_keys"]]
    _write(root, SSHD_CONF, f"{MANAGED}PasswordAuthentication no\nKbdInteractiveAuthentication no\n"
                            f"PermitRootLogin prohibit-password\n", 0o644, changes)
    (root / "root/.ssh").mkdir(parents=True, exist_ok=True)
    os.chmod(root / "root/.ssh", 0o700)
    _write(root, AUTHORIZED_KEYS, (MANAGED + "\n".join(keys) + "\n") if keys else None, 0o600, changes)
    if keys:
        actions.append(["ssh-keygen", "-A"])  # this card's own host keys (the image has none), while / is writable
    actions.append(["systemctl", "--no-block", "enable" if keys else "disable", "--now", "ssh.service"])

    rotation = (app.get("display") or {}).get("rotation", 0)
    if _write(root, EXTRA_CMDLINE, _cmdline(root, rotation, system["country"]), 0o644, changes):
        # raspi-firmware's hook rewrites /boot/firmware/cmdline.txt (used from the next boot); called
        # directly, not through update-initramfs, which rebuilds the initrd for minutes on a Pi 3.
        actions.append(["env", "DEB_MAINT_PARAMS=configure", RASPI_FIRMWARE_HOOK])

    owner = _passwd_ids(root, KIOSK_USER)
    if owner is None:
        log.warning("no user %r in %s: %s stays owned by root", KIOSK_USER, root / "etc/passwd", "/" + APP_TOML)
    _write(root, APP_TOML, _app_toml(app), 0o600, changes, owner)

    # Off the FAT partition with the secrets: a lost card leaks nothing.
    scrubbed = _scrubbed(parsed.text, parsed)
    if scrubbed != parsed.text:
        _write_boot(boot_toml, scrubbed)
        changes.append(str(boot_toml))
    _write(root, ERRORS_FILE, None, 0o644, changes)
    _write(root, HASH_FILE, f"{_sha256(scrubbed.encode('utf-8'))}  {boot_toml}\n", 0o644, changes)

    if changes:
        _log(root, changes, actions, run)
    return changes


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


# -- images --------------------------------------------------------------------------------------

FAT_TYPES = (0x0B, 0x0C, 0x0E, 0x06)


class ImageError(RuntimeError):
    """The image or mtools cannot do what was asked."""


def fat_offset(image) -> int:
    """Byte offset of the first FAT partition in an MBR disk image."""
    with open(image, "rb") as stream:
        mbr = stream.read(512)
    if len(mbr) < 512 or mbr[510:512] != b"\x55\xaa":
        raise ImageError(f"{image}: no MBR partition table (is it compressed? unpack .img.xz first)")
    for index in range(4):
        entry = mbr[446 + 16 * index: 462 + 16 * index]
        kind = entry[4]
        (start, sectors) = struct.unpack("<II", entry[8:16])
        if kind == 0xEE:
            raise ImageError(f"{image}: GPT disks are not supported (Raspberry Pi images use MBR)")
        if kind in FAT_TYPES and sectors:
            return start * 512
    raise ImageError(f"{image}: no FAT partition (type 0x0b, 0x0c or 0x0e) in the partition table")


def _mtools(argv: List[str]) -> subprocess.CompletedProcess:
    if shutil.which(argv[0]) is None:
        raise ImageError(f"{argv[0]} not found: install mtools (Debian/Ubuntu: apt install mtools; macOS: brew install mtools)")
    env = {**os.environ, "MTOOLS_SKIP_CHECK": "1"}
    result = subprocess.run(argv, capture_output=True, env=env)
    if result.returncode != 0:
        raise ImageError(f"{' '.join(argv[:2])} failed: {result.stderr.decode(errors='replace').strip()}")
    return result


def inject(image, toml, name: str = "kiosk.toml") -> None:
    """Check ``toml`` and write it into the image's boot partition as ``name``; ProvisioningError if bad."""
    problems = validate(toml)
    if problems:
        raise ProvisioningError(problems)
    target = f"{image}@@{fat_offset(image)}"
    _mtools(["mcopy", "-o", "-i", target, str(toml), f"::/{name}"])
    written = _mtools(["mtype", "-i", target, f"::/{name}"]).stdout
    if written != Path(toml).read_bytes():
        raise ImageError(f"{image}: reading {name} back gave different bytes")


def _set_key(text: str, key: str, value: Any) -> str:
    """``text`` with ``section.name = value`` (replacing the key's line, or added under its header)."""
    section, name = key.split(".", 1)
    lines = text.splitlines(keepends=True)
    positions = key_lines(text)
    line = f"{name} = {_toml_value(value)}\n"
    if key in positions:
        lines[positions[key] - 1] = line
    elif section in positions:
        lines.insert(positions[section], line)
    else:
        lines.insert(0, f"[{section}]\n{line}\n")
    return "".join(lines)


_CSV_KEYS = {"id": "kiosk.id", "token": "server.token", "office": "kiosk.office", "office_en": "kiosk.office_en",
             "ssid": "wifi.ssid", "psk": "wifi.psk", "rotation": "display.rotation"}


def batch_configs(template, csv_path) -> Tuple[List[Tuple[str, str]], List[str]]:
    """One (kiosk id, toml text) per CSV row, and every problem in any of them."""
    template_text = Path(template).read_text(encoding="utf-8")
    with open(csv_path, newline="", encoding="utf-8-sig") as stream:
        rows = list(csv.DictReader(stream))
    configs, problems, seen = [], [], set()
    if not rows or "id" not in rows[0]:
        return [], [f"{csv_path}: needs a header row with at least 'id' (and usually 'token')"]
    for number, row in enumerate(rows, start=2):
        text = template_text
        for column, value in row.items():
            if column is None or value is None:
                continue
            key = _CSV_KEYS.get(column.strip(), column.strip())
            if "." not in key:
                problems.append(f"{csv_path}:{number}: {column}: unknown column; use id, token, office, ... or section.key")
                continue
            value = value.strip()
            if _KINDS.get(key) == "int" and re.fullmatch(r"-?\d+", value):
                value = int(value)
            elif _KINDS.get(key) == "bool" and value.lower() in ("true", "false"):
                value = value.lower() == "true"
            text = _set_key(text, key, value)
        kiosk_id = row["id"].strip()
        if kiosk_id in seen:
            problems.append(f"{csv_path}:{number}: id: {kiosk_id!r} appears twice")
        seen.add(kiosk_id)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "kiosk.toml"
            path.write_text(text, encoding="utf-8")
            problems.extend(p.replace(str(path), f"{csv_path}:{number} ({kiosk_id})") for p in validate(path))
        configs.append((kiosk_id, text))
    return configs, problems


def inject_batch(image, template, csv_path, out_dir=None, name: str = "kiosk.toml") -> List[Path]:
    """``kiosk-<id>.img`` per CSV row: a copy of ``image`` with the template's id, token... set."""
    configs, problems = batch_configs(template, csv_path)
    if problems:
        raise ProvisioningError(problems)  # all rows checked before a single image is copied
    out_dir = Path(out_dir) if out_dir else Path(image).parent
    out_dir.mkdir(parents=True, exist_ok=True)
    made = []
    for kiosk_id, text in configs:
        target = out_dir / f"kiosk-{kiosk_id}.img"
        shutil.copyfile(image, target)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / name
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as stream:
                stream.write(text)
            inject(target, path, name)
        made.append(target)
    return made


# -- command line --------------------------------------------------------------------------------

USAGE = """\
usage: kiosk-provision validate KIOSK.TOML
       kiosk-provision inject IMAGE.img KIOSK.TOML
       kiosk-provision inject IMAGE.img TEMPLATE.TOML --batch KIOSKS.csv [--out DIR]
       kiosk-provision apply [--boot /boot/firmware/kiosk.toml] [--root /] [--dry-run]

Exit status: 0 done, 2 the file has problems (each one listed), 1 anything else."""


def main(argv: Optional[Sequence[str]] = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="kiosk-provision", usage=USAGE.split("\n\n")[0].replace("usage: ", "", 1),
                                     description="Check kiosk.toml, put it into SD-card images, apply it on first boot.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("validate", help="check a kiosk.toml (exit 2 listing every problem)")
    p.add_argument("toml")
    p = sub.add_parser("inject", help="write kiosk.toml into an image's boot partition (mtools, no root)")
    p.add_argument("image")
    p.add_argument("toml")
    p.add_argument("--batch", metavar="CSV", help="one image per row: columns id,token[,office,...]")
    p.add_argument("--out", metavar="DIR", help="where kiosk-<id>.img go (default: the image's folder)")
    p = sub.add_parser("apply", help="the first-boot service: apply the boot file to this system")
    p.add_argument("--boot", default=str(BOOT_TOML))
    p.add_argument("--root", default="/")
    p.add_argument("--dry-run", action="store_true", help="write the files but run no systemctl/hostname commands")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="kiosk-provision: %(message)s")

    try:
        if args.command == "validate":
            problems = validate(args.toml)
            if problems:
                print("\n".join(problems), file=sys.stderr)
                print(f"{args.toml}: {len(problems)} problem(s); nothing is right until all are fixed", file=sys.stderr)
                return 2
            print(f"OK {args.toml}")
            return 0
        if args.command == "inject":
            if args.batch:
                for made in inject_batch(args.image, args.toml, args.batch, args.out):
                    print(made)
            else:
                inject(args.image, args.toml)
                print(f"OK {args.toml} -> {args.image} ::/kiosk.toml")
            return 0
        if args.command == "apply":
            if not Path(args.boot).exists() and not (Path(args.root) / HASH_FILE).exists():
                print(f"{args.boot}: no such file; nothing to apply", file=sys.stderr)
                return 0
            run = None if args.dry_run else (lambda cmd: subprocess.run(cmd, check=False))
            changes = apply(args.boot, args.root, run)
            print("\n".join(changes) if changes else "nothing changed")
            return 0
    except ProvisioningError as exc:
        print("\n".join(exc.problems), file=sys.stderr)
        return 2
    except (ImageError, OSError) as exc:
        print(f"kiosk-provision: {exc}", file=sys.stderr)
        return 1
    return 1  # pragma: no cover

"""Checking the boot file's system sections: ``[wifi]``, ``[network]`` and ``[ssh]``.

The app's own sections are checked by :mod:`kiosk.config`; these three are the
provisioning tool's, so it checks them itself, with the same
``FILE:LINE: KEY: message`` lines.  No message ever shows the Wi-Fi password.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, Optional

from .layout import DEFAULT_COUNTRY, DEFAULT_NTP
from .network import applied_psk
from .ssh_access import check_public_key

__all__ = ["check_system", "check_value"]

_ALLOWED = {"wifi": ("ssid", "psk", "country"), "network": ("ntp",), "ssh": ("authorized_keys",)}
_NTP_HOST = re.compile(r"(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*")


def check_system(system: Dict[str, Any], lines: Dict[str, int], problem: Callable, kept: Iterable[str],
                 root: Optional[Path]) -> Dict[str, Any]:
    """Check [wifi], [network], [ssh]; return their values with defaults filled in.

    ``problem(key, message, line)`` is called once per mistake; ``kept`` names the secrets scrubbed
    from the card earlier, which ``root`` (the kiosk's root, None on a laptop) may still hold.
    """
    values = {"ssid": "", "psk": "", "country": DEFAULT_COUNTRY, "ntp": list(DEFAULT_NTP), "authorized_keys": []}
    for section, table in system.items():
        if not isinstance(table, dict):
            problem(section, f"must be a table [{section}], not a value", lines.get(section))
            continue
        for name, value in table.items():
            key = f"{section}.{name}"
            if name not in _ALLOWED[section]:
                problem(key, f"unknown key; [{section}] knows: {', '.join(_ALLOWED[section])}", lines.get(key))
                continue
            message = check_value(key, value)
            if message:
                problem(key, message, lines.get(key))
            else:
                values[name] = value
    _check_wifi_pair(system, values, lines, problem, kept, root)
    return values


def _check_wifi_pair(system, values, lines, problem, kept, root) -> None:
    """A network name needs its password (or the one kept on the kiosk), and a password its name."""
    if values["ssid"] and not values["psk"]:
        wifi = system.get("wifi") if isinstance(system.get("wifi"), dict) else {}
        if "psk" in wifi and (not isinstance(wifi["psk"], str) or check_value("wifi.psk", wifi["psk"])):
            pass  # already reported
        elif "wifi.psk" not in kept:
            problem("wifi.psk", "needs the Wi-Fi password (8-63 characters); open networks are not supported",
                    lines.get("wifi.psk") or lines.get("wifi.ssid"))
        elif root is not None and applied_psk(root, values["ssid"]) is None:
            problem("wifi.psk", "was moved off the card earlier, but the network name changed: type its password",
                    lines.get("wifi.psk"))
    if values["psk"] and not values["ssid"]:
        problem("wifi.ssid", "must be set when wifi.psk is (the network's name)", lines.get("wifi.ssid") or lines.get("wifi"))


def check_value(key: str, value: Any) -> Optional[str]:
    """What is wrong with one system setting, or None.  Never echoes a secret."""
    if key.startswith("wifi."):
        return _check_wifi(key, value)
    if key == "network.ntp":
        return _check_ntp(value)
    if key == "ssh.authorized_keys":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return "expected a list of strings, one public key line (\"ssh-ed25519 AAAA... name\") each"
        for number, entry in enumerate(value, start=1):
            message = check_public_key(entry)
            if message:
                return f"key {number}: {message}"
    return None


def _check_wifi(key: str, value: Any) -> Optional[str]:
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
    return None


def _check_ntp(value: Any) -> Optional[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return f"expected a list of strings (server names), got {value!r}"
    if not value:
        return "needs at least one NTP server (leave the key out for the default ones)"
    for host in value:
        if not _NTP_HOST.fullmatch(host):
            return f"{host!r} is not a host name or IPv4 address (e.g. 'time.stdtime.gov.tw')"
    return None

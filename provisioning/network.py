"""Wi-Fi and the network: systemd-networkd units, wpa_supplicant's file, the NTP servers.

What ``[wifi]`` and ``[network]`` become on the kiosk.  The Wi-Fi password
never reaches the disk: only the WPA key derived from it, which is also how a
password scrubbed from the boot file is found again (:func:`applied_psk`).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Dict, List, Optional

from .kept_secrets import kept_secrets
from .layout import MANAGED, WIFI_NETWORK, WIRED_NETWORK, WLAN, WPA_CONF

__all__ = ["wpa_psk", "wpa_conf", "applied_psk", "network_units", "timesyncd_conf"]


def wpa_psk(ssid: str, passphrase: str) -> str:
    """The 256-bit WPA key, as wpa_passphrase computes it: the password itself never reaches the disk."""
    return hashlib.pbkdf2_hmac("sha1", passphrase.encode("ascii"), ssid.encode("utf-8"), 4096, 32).hex()


def wpa_conf(ssid: str, psk_hex: str, country: str) -> str:
    """wpa_supplicant-wlan0.conf for one WPA-PSK network (the SSID in hex: any bytes are safe)."""
    return (f"{MANAGED}ctrl_interface=DIR=/run/wpa_supplicant GROUP=netdev\nupdate_config=0\ncountry={country}\n\n"
            f"network={{\n\tssid={ssid.encode('utf-8').hex()}\n\tpsk={psk_hex}\n\tkey_mgmt=WPA-PSK\n}}\n")


def applied_psk(root: Path, ssid: str) -> Optional[str]:
    """The WPA key applied earlier for this network, if any: in this root, else kept on the data partition for a
    root slot a system update wrote (provisioning/kept_secrets.py)."""
    try:
        text = (root / WPA_CONF).read_text()
    except OSError:
        kept = kept_secrets(root)
        return kept.get("psk_hex") or None if kept.get("ssid") == ssid else None
    found_ssid = re.search(r"^\s*ssid=([0-9a-f]+)\s*$", text, re.M)
    found_psk = re.search(r"^\s*psk=([0-9a-f]{64})\s*$", text, re.M)
    if found_ssid and found_psk and found_ssid.group(1) == ssid.encode("utf-8").hex():
        return found_psk.group(1)
    return None


def network_units(wifi: bool) -> Dict[str, Optional[str]]:
    """systemd-networkd's units: DHCP on the cable (preferred route) and, with Wi-Fi, on wlan0 (None: absent)."""
    wired = (f"{MANAGED}[Match]\nName=eth* en*\n\n[Network]\nDHCP=yes\n\n[DHCPv4]\nRouteMetric=100\n")
    wireless = (f"{MANAGED}[Match]\nName={WLAN}\n\n[Network]\nDHCP=yes\n\n[DHCPv4]\nRouteMetric=600\n")
    return {WIRED_NETWORK: wired, WIFI_NETWORK: wireless if wifi else None}


def timesyncd_conf(ntp: List[str]) -> str:
    """systemd-timesyncd's drop-in naming the ``[network] ntp`` servers."""
    return f"{MANAGED}[Time]\nNTP={' '.join(ntp)}\n"

"""Where provisioning reads and writes, and the defaults of the system sections.

One place for every path under the kiosk's root that ``kiosk-provision apply``
owns (relative to that root: "/" on the Pi, a temporary directory in tests),
so the writers, the secret scrubbing and the tests all name the same files.
"""

from __future__ import annotations

from pathlib import Path

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

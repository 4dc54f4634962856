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
#: The same hash in the root slot itself: a slot written by a system update (images/README.md) has none, so the
#: boot file is applied to it again, with the secrets kept on the data partition, which every slot shares.
ROOT_MARK = "etc/kiosk/provisioned.sha256"
SECRETS_FILE = "data/provisioning/secrets.toml"  # root's alone: the token and the Wi-Fi key (derived), for a new slot
#: Beside kiosk.toml on the boot partition: the kernel command line's extra words, read by U-Boot's boot script
#: (images/boot.cmd) as ``extra_args=...``; this tool's words replaced, the others (a test's) kept.
BOOT_ARGS = "kiosk-args.txt"
ERRORS_FILE = f"{STATE_DIR}/provisioning-errors.txt"
LOG_FILE = f"{STATE_DIR}/provisioning.log"
MANAGED = "# Written by kiosk-provision from the boot partition's kiosk.toml; edit that file, not this one.\n"

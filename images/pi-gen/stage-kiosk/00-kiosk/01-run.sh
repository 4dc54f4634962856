#!/bin/bash -e
# pi-gen sub-stage, runs on the build host: the same install as the Debian image (images/install-kiosk.sh),
# then what only Raspberry Pi OS needs. pi-gen provides ROOTFS_DIR and on_chroot.
set -e
: "${KIOSK_REPO:?set KIOSK_REPO in the pi-gen config, see images/pi-gen/config.example}"
SRC="${ROOTFS_DIR}/tmp/kiosk-install"
rm -rf "$SRC"; mkdir -p "$SRC"
python3 -m pip wheel -q --no-deps -w "$SRC" "$KIOSK_REPO"
cp -a "$KIOSK_REPO/provisioning" "$SRC/provisioning"
cp "$KIOSK_REPO/images/install-kiosk.sh" "$SRC/"
on_chroot <<'CHROOT'
bash /tmp/kiosk-install/install-kiosk.sh /tmp/kiosk-install
rm -rf /tmp/kiosk-install
# kiosk-provision speaks systemd-networkd and wpa_supplicant@wlan0 on both routes
systemctl disable NetworkManager.service 2>/dev/null || true
systemctl enable systemd-networkd.service systemd-resolved.service
# the printer gets the full UART (PL011) on GPIO 14/15: Bluetooth off, no serial console
systemctl disable hciuart.service 2>/dev/null || true
passwd --lock kioskadmin
CHROOT
BOOT="${ROOTFS_DIR}/boot/firmware"
grep -q '^# kiosk' "$BOOT/config.txt" || cat >>"$BOOT/config.txt" <<'TXT'

# kiosk: the ticket printer on the UART at GPIO 14/15 (Bluetooth off, so it gets the PL011)
enable_uart=1
dtoverlay=disable-bt
TXT
sed -i 's/console=serial0,[0-9]* //' "$BOOT/cmdline.txt"
grep -q 'consoleblank=0' "$BOOT/cmdline.txt" || sed -i 's/$/ consoleblank=0/' "$BOOT/cmdline.txt"
install -m 644 "$KIOSK_REPO/provisioning/kiosk.toml.example" "$BOOT/kiosk.toml.example"

#!/bin/bash
# Install the kiosk into a root filesystem; runs INSIDE it (chroot), as root.
#
#   install-kiosk.sh SRC
#
# SRC holds the kiosk wheel (kiosk/erlin_kiosk-*.whl, built on the host) and a copy of the repository's
# provisioning/ folder. Shared by both image routes, so they cannot drift apart:
#   - images/build-image.sh        Debian bookworm arm64 (Pi 3/4/400), built on any Debian 12 machine
#   - images/pi-gen/stage-kiosk    Raspberry Pi OS (Pi 5 and the official 7" DSI screen), built with pi-gen
# What differs between them (boot config, partitions, read-only root) stays in the route's own script.
#
# Needs: python3, python3-venv, fonts-noto-cjk and fonts-noto-core (purged again here once the fonts are built), network for
# pip (aarch64 wheels only: nothing is compiled under QEMU; PIP_CERT etc. come from the caller).
set -euo pipefail

SRC=${1:?usage: install-kiosk.sh SRC}
VENV=/opt/kiosk/venv
UNITS=$SRC/provisioning/systemd

step() { printf '\n--- install-kiosk: %s\n' "$*"; }

step "kiosk user (groups video render input gpio dialout audio)"
for g in gpio render; do getent group "$g" >/dev/null || groupadd --system "$g"; done
if ! id kiosk >/dev/null 2>&1; then
  useradd --system --create-home --home-dir /var/lib/kiosk --shell /usr/sbin/nologin --user-group kiosk
fi
usermod --groups video,render,input,dialout,gpio,audio kiosk  # audio: the voice guide (espeak-ng)
passwd --lock root >/dev/null   # no password login at all: SSH keys from kiosk.toml only

step "venv $VENV from aarch64 wheels"
[ -x $VENV/bin/python ] || python3 -m venv $VENV
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PIP_DEFAULT_TIMEOUT=${PIP_DEFAULT_TIMEOUT:-180}
# [kiosk]: the appliance's own dependencies (Kivy, gpiozero, pyserial, qrcode...); the office server's are not installed
WHEEL=$(ls "$SRC"/*.whl)
$VENV/bin/pip install -q --only-binary=:all: "$WHEEL[kiosk]"
# gpiozero's pin factory on the Pi; a missing aarch64 wheel must not stop the build (gpiozero then says so)
$VENV/bin/pip install -q --only-binary=:all: lgpio || echo "WARNING: lgpio not installed"

step "fonts: Traditional Chinese extracted by name from fonts-noto-cjk, Thai copied from fonts-noto-core; both packages then go"
KIVY_NO_CONFIG=1 KIVY_NO_FILELOG=1 KIVY_NO_ARGS=1 KIVY_HOME=/tmp/kivy-build \
  $VENV/bin/kiosk fonts build --dest /usr/share/kiosk/fonts
rm -rf /tmp/kivy-build
for package in fonts-noto-cjk fonts-noto-core; do   # 89 MB and 42 MB of faces the kiosk never draws
  if dpkg-query -W -f='${Status}' $package 2>/dev/null | grep -q 'ok installed'; then
    DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq $package >/dev/null
  fi
done

step "provisioning tools and systemd units"
rm -rf /opt/kiosk/provisioning
cp -a "$SRC/provisioning" /opt/kiosk/provisioning
find /opt/kiosk/provisioning -name __pycache__ -prune -exec rm -rf {} +
chmod 755 /opt/kiosk/provisioning/kiosk-provision /opt/kiosk/provisioning/grow-data-partition
install -m 644 "$UNITS/kiosk.service" "$UNITS/kiosk-provision.service" "$UNITS/kiosk-provision.path" \
  "$UNITS/kiosk-poweroff.path" "$UNITS/kiosk-poweroff.service" /etc/systemd/system/
install -D -m 644 "$UNITS/journald-kiosk.conf" /etc/systemd/journald.conf.d/kiosk.conf
install -D -m 644 "$UNITS/watchdog-kiosk.conf" /etc/systemd/system.conf.d/kiosk.conf
install -d -m 755 /etc/kiosk

step "kiosk command for technicians (as the kiosk user, whoever types it)"
cat >/usr/local/bin/kiosk <<'EOF'
#!/bin/sh
# `kiosk selftest`, `kiosk upload status`... typed by a technician over SSH (root) run as the kiosk user,
# with the kiosk service's settings, so nothing in /var/lib/kiosk ends up owned by root.
if [ "$(id -u)" = 0 ]; then
  exec runuser -u kiosk -- env XDG_DATA_HOME=/var/lib KIVY_HOME=/var/lib/kiosk/kivy LG_WD=/tmp \
    /opt/kiosk/venv/bin/kiosk "$@"
fi
exec /opt/kiosk/venv/bin/kiosk "$@"
EOF
chmod 755 /usr/local/bin/kiosk

step "SSH off until kiosk.toml lists keys; no shared host keys"
# provisioning makes this card's host keys (ssh-keygen -A) when it enables SSH; the drop-in is the fallback
mkdir -p /etc/systemd/system/ssh.service.d
printf '[Service]\nExecStartPre=\nExecStartPre=/usr/bin/ssh-keygen -A\nExecStartPre=/usr/sbin/sshd -t\n' \
  >/etc/systemd/system/ssh.service.d/kiosk-hostkeys.conf
rm -f /etc/ssh/ssh_host_*
systemctl disable ssh.service ssh.socket 2>/dev/null || true

step "enable the kiosk; nothing else wakes up to write to the card"
systemctl enable kiosk.service kiosk-provision.service kiosk-provision.path kiosk-poweroff.path
systemctl enable systemd-timesyncd.service 2>/dev/null || true
# The printer's UART carries tickets, not a login prompt.
systemctl mask serial-getty@ttyS0.service serial-getty@ttyS1.service serial-getty@ttyAMA0.service
for t in apt-daily.timer apt-daily-upgrade.timer man-db.timer dpkg-db-backup.timer e2scrub_all.timer; do
  systemctl disable "$t" 2>/dev/null || true
  systemctl mask "$t" >/dev/null 2>&1 || true
done
step "byte-compile: checked-hash .pyc files (a read-only root cannot cache them; same bytes on every build)"
# Without them every start compiles Kivy & co. from source. checked-hash: valid whatever the file times,
# and still checked against the source, so a package updated in place (images/README.md) is not shadowed.
$VENV/bin/python -m compileall -q -f -j 0 --invalidation-mode checked-hash $VENV/lib /opt/kiosk/provisioning >/dev/null
echo "install-kiosk: done ($($VENV/bin/kiosk --version))"

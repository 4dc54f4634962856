#!/bin/bash
# Build the flashable Raspberry Pi SD image (Debian bookworm arm64) for the lobby kiosk.
#
#   sudo images/build-image.sh            build build/kiosk-<version>-arm64.img(.xz) + .sha256 + manifest
#   sudo images/build-image.sh --test     boot the built image under qemu-system-aarch64 -M virt and check
#                                         that systemd reaches kiosk.service (no build)
#
# Runs as root on Debian 12 x86_64 (apt-installs its tools). Route and measurements:
# ../shared/reference/image.md (mmdebstrap + QEMU binfmt, MODULES=list, mkfs.ext4 -d, sfdisk + dd).
# Environment: BUILD_DIR (default <repo>/build), MIRROR, XZ_LEVEL (default 6), TEST_TIMEOUT (default 300 s).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$REPO/build}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
XZ_LEVEL=${XZ_LEVEL:-6}
TEST_TIMEOUT=${TEST_TIMEOUT:-300}
SUITE=bookworm
BOOT_MB=256
VERSION=$(sed -n 's/^__version__ = "\([^"]*\)"/\1/p' "$REPO/kiosk/__init__.py")
NAME=kiosk-$VERSION-arm64
IMG=$BUILD_DIR/$NAME.img
WORK=$BUILD_DIR/image-work
ROOT=$WORK/rootfs

# Kernel modules the initrd carries (MODULES=list: `dep` cannot work in a chroot, `most` takes minutes
# under QEMU). Pi 3/4 SD and eMMC, Pi 4 USB (for USB boot), and QEMU virt for the boot test.
INITRD_MODULES="mmc_block sdhci sdhci_pltfm sdhci_iproc bcm2835 bcm2835_dma
  reset_raspberrypi pcie_brcmstb xhci_pci xhci_hcd dwc2 usb_storage uas
  virtio virtio_ring virtio_pci virtio_mmio virtio_blk ext4 vfat nls_cp437 nls_ascii"

PACKAGES="systemd-sysv udev linux-image-arm64 raspi-firmware firmware-brcm80211 wpasupplicant
  openssh-server ca-certificates python3 python3-venv libgl1 libegl1 libgles2 libdrm2 libgbm1
  fonts-noto-cjk zstd systemd-timesyncd
  passwd kmod dbus tzdata systemd-resolved iproute2"
# ^ second line: what kiosk-provision apply uses (useradd, modprobe, hostnamectl/networkctl, Asia/Taipei,
#   systemd-resolved, ip) that --variant=apt does not bring.

log() { printf '\n=== [%s] %s\n' "$(date +%T)" "$*"; }
die() { echo "build-image: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root"

host_tools() {
  local need=(mmdebstrap qemu-user-static binfmt-support dosfstools mtools fdisk e2fsprogs xz-utils parted)
  [ "${1:-}" = test ] && need+=(qemu-system-arm)
  local missing=()
  for p in "${need[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    log "apt-get install ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

# ---------------------------------------------------------------------------------------------- test
if [ "${1:-}" = --test ]; then
  host_tools test
  [ -f "$IMG" ] || die "$IMG missing: build it first"
  KERNEL=$(ls "$WORK"/vmlinuz-* 2>/dev/null | sort -V | tail -1) || true
  INITRD=$(ls "$WORK"/initrd.img-* 2>/dev/null | sort -V | tail -1) || true
  [ -n "$KERNEL" ] && [ -n "$INITRD" ] || die "kernel/initrd not in $WORK (kept by the build)"
  SERIAL=$BUILD_DIR/$NAME.test-serial.log
  # a copy of the image with the example kiosk.toml on its boot partition, as a technician would leave it
  TESTIMG=$WORK/test.img
  cp --sparse=always "$IMG" "$TESTIMG"
  "$REPO/provisioning/kiosk-provision" inject "$TESTIMG" "$REPO/provisioning/kiosk.toml.example"
  log "boot $IMG under qemu-system-aarch64 -M virt (timeout ${TEST_TIMEOUT}s), serial log $SERIAL"
  start=$(date +%s)
  set +e
  timeout "$TEST_TIMEOUT" qemu-system-aarch64 -M virt -cpu cortex-a53 -smp 2 -m 1024 -nographic -no-reboot \
    -snapshot -kernel "$KERNEL" -initrd "$INITRD" \
    -append "root=/dev/vda2 rw rootwait console=ttyAMA0 kiosk.test=1 systemd.show_status=1" \
    -drive "file=$TESTIMG,format=raw,if=virtio" -netdev user,id=n0 -device virtio-net-pci,netdev=n0,romfile= \
    -device virtio-gpu-pci \
    </dev/null >"$SERIAL" 2>&1
  rc=$?
  set -e
  rm -f "$TESTIMG"
  echo "qemu exit status $rc after $(( $(date +%s) - start )) s"
  grep -a -E 'kiosk|KIOSK-TEST|Failed|Reached target' "$SERIAL" | tail -40 || true
  if grep -a -q 'KIOSK-TEST: kiosk.service reached.*ActiveState=active ' "$SERIAL"; then
    echo "TEST PASS: kiosk.service is active"; exit 0
  fi
  grep -a -q 'KIOSK-TEST: kiosk.service reached' "$SERIAL" \
    && echo "TEST FAIL: systemd started kiosk.service but it is not active (see its journal above)" \
    || echo "TEST FAIL: no 'KIOSK-TEST: kiosk.service reached' on the serial console"
  exit 1
fi

# --------------------------------------------------------------------------------------------- build
T0=$(date +%s)
host_tools

log "binfmt for aarch64"
mountpoint -q /proc/sys/fs/binfmt_misc || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
update-binfmts --enable qemu-aarch64 2>/dev/null || true
[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || die "binfmt qemu-aarch64 not registered"

SOURCE_DATE_EPOCH=$(git -C "$REPO" log -1 --format=%ct 2>/dev/null || date +%s)
export SOURCE_DATE_EPOCH
log "version $VERSION, SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH"

cleanup() {
  for m in dev/pts dev sys proc; do mountpoint -q "$ROOT/$m" 2>/dev/null && umount -l "$ROOT/$m"; done
  return 0
}
trap cleanup EXIT

rm -rf "$WORK"
mkdir -p "$WORK/cfg" "$WORK/wheels" "$BUILD_DIR"

log "kiosk wheel (host)"
python3 -m pip wheel -q --no-deps -w "$WORK/wheels" "$REPO"
WHEEL=$(ls "$WORK"/wheels/*.whl)
echo "$WHEEL"

# initramfs: only the listed modules (a hook adds them; conf.d sets MODULES=list before the kernel installs)
printf 'MODULES=list\nCOMPRESS=zstd\n' >"$WORK/cfg/kiosk.conf"
cat >"$WORK/cfg/kiosk-modules" <<EOF
#!/bin/sh
PREREQ=""
prereqs() { echo "\$PREREQ"; }
case "\$1" in prereqs) prereqs; exit 0;; esac
. /usr/share/initramfs-tools/hook-functions
for m in $(echo $INITRD_MODULES); do
  modinfo -k "\$version" "\$m" >/dev/null 2>&1 && manual_add_modules "\$m"
done
exit 0
EOF
chmod 755 "$WORK/cfg/kiosk-modules"

log "mmdebstrap $SUITE arm64"
# shellcheck disable=SC2086
mmdebstrap --mode=root --arch=arm64 --variant=apt \
  --components="main contrib non-free-firmware" \
  --include="$(echo $PACKAGES | tr ' ' ,)" \
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-include=/usr/share/doc/*/copyright' --dpkgopt='path-exclude=/usr/share/locale/*' \
  --dpkgopt='path-include=/usr/share/locale/locale.alias' --dpkgopt='path-exclude=/usr/share/info/*' \
  --setup-hook='mkdir -p "$1/etc/initramfs-tools/conf.d" "$1/etc/initramfs-tools/hooks"' \
  --setup-hook="cp '$WORK/cfg/kiosk.conf' \"\$1/etc/initramfs-tools/conf.d/kiosk.conf\"" \
  --setup-hook="cp -p '$WORK/cfg/kiosk-modules' \"\$1/etc/initramfs-tools/hooks/kiosk-modules\"" \
  "$SUITE" "$ROOT" "$MIRROR"
log "mmdebstrap done ($(( $(date +%s) - T0 )) s), $(du -sh "$ROOT" | cut -f1)"

mount -t proc proc "$ROOT/proc"
mount -t sysfs sysfs "$ROOT/sys"
mount --bind /dev "$ROOT/dev"
mount --bind /dev/pts "$ROOT/dev/pts"
in_root() { chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"; }

log "kiosk user"
in_root getent group gpio >/dev/null || in_root groupadd --system gpio
in_root useradd --system --create-home --home-dir /var/lib/kiosk --shell /usr/sbin/nologin \
  --user-group --groups video,render,input,dialout,gpio kiosk
in_root usermod -L root

log "venv + pip (aarch64 wheels)"
mkdir -p "$ROOT/tmp/build"
cp /etc/ssl/certs/ca-certificates.crt "$ROOT/tmp/build/host-ca.crt"
cp "$WHEEL" "$ROOT/tmp/build/"
# DNS inside the root: the host's resolver for the pip step only (systemd-resolved owns /etc/resolv.conf)
RESOLV_SAVED=
if [ -e "$ROOT/etc/resolv.conf" ] || [ -L "$ROOT/etc/resolv.conf" ]; then
  mv "$ROOT/etc/resolv.conf" "$WORK/resolv.conf.image"; RESOLV_SAVED=1
fi
cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf"
in_root python3 -m venv /opt/kiosk/venv
PIPENV=(PIP_CERT=/tmp/build/host-ca.crt PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_DEFAULT_TIMEOUT=180 PIP_NO_CACHE_DIR=1)
pstart=$(date +%s)
in_root "${PIPENV[@]}" /opt/kiosk/venv/bin/pip install -q --only-binary=:all: "/tmp/build/$(basename "$WHEEL")"
# gpiozero's pin factory on the Pi (lgpio); a missing aarch64 wheel must not stop the build
in_root "${PIPENV[@]}" /opt/kiosk/venv/bin/pip install -q --only-binary=:all: lgpio \
  || echo "WARNING: lgpio not installed (gpiozero will need another pin factory)"
echo "pip: $(( $(date +%s) - pstart )) s"
rm -f "$ROOT/etc/resolv.conf"
[ -n "$RESOLV_SAVED" ] && mv "$WORK/resolv.conf.image" "$ROOT/etc/resolv.conf"

log "fonts"
in_root KIVY_NO_CONFIG=1 KIVY_NO_FILELOG=1 KIVY_NO_ARGS=1 KIVY_HOME=/tmp/build/kivy \
  /opt/kiosk/venv/bin/kiosk fonts build --dest /usr/share/kiosk/fonts

log "provisioning + units"
mkdir -p "$ROOT/opt/kiosk"
cp -a "$REPO/provisioning" "$ROOT/opt/kiosk/provisioning"
find "$ROOT/opt/kiosk/provisioning" -name __pycache__ -prune -exec rm -rf {} +
chmod 755 "$ROOT/opt/kiosk/provisioning/kiosk-provision"
S=$REPO/provisioning/systemd
install -m 644 "$S/kiosk.service" "$S/kiosk-provision.service" "$S/kiosk-provision.path" "$ROOT/etc/systemd/system/"
install -D -m 644 "$S/journald-kiosk.conf" "$ROOT/etc/systemd/journald.conf.d/kiosk.conf"
install -D -m 644 "$S/watchdog-kiosk.conf" "$ROOT/etc/systemd/system.conf.d/kiosk.conf"
install -d -m 755 "$ROOT/etc/kiosk"
# The boot test (kernel command line kiosk.test=1 only): report whether kiosk.service was reached, power off.
cat >"$ROOT/etc/systemd/system/kiosk-boot-test.service" <<'EOF'
[Unit]
Description=Kiosk image boot test (kiosk.test=1 only)
ConditionKernelCommandLine=kiosk.test=1
After=kiosk.service
[Service]
Type=oneshot
StandardOutput=journal+console
ExecStart=/bin/sh -c 'sleep 5; s=$(systemctl show -p ActiveState,SubState,NRestarts,ExecMainStartTimestamp kiosk.service | tr "\\n" " "); if [ "$(systemctl show -p ExecMainStartTimestampMonotonic --value kiosk.service)" != 0 ]; then echo "KIOSK-TEST: kiosk.service reached: $s" >/dev/console; else echo "KIOSK-TEST: kiosk.service NOT reached: $s" >/dev/console; fi; journalctl -b -u kiosk.service --no-pager | tail -15 >/dev/console'
ExecStartPost=/bin/systemctl --no-block poweroff
[Install]
WantedBy=multi-user.target
EOF
# SSH: off until kiosk.toml has [ssh] keys; host keys are made on the card, not shared by every image.
mkdir -p "$ROOT/etc/systemd/system/ssh.service.d"
printf '[Service]\nExecStartPre=\nExecStartPre=/usr/bin/ssh-keygen -A\nExecStartPre=/usr/sbin/sshd -t\n' \
  >"$ROOT/etc/systemd/system/ssh.service.d/kiosk-hostkeys.conf"
rm -f "$ROOT"/etc/ssh/ssh_host_*
in_root systemctl enable kiosk.service kiosk-provision.service kiosk-provision.path kiosk-boot-test.service
in_root systemctl disable ssh.service ssh.socket 2>/dev/null || true
in_root systemctl enable systemd-timesyncd.service || true

log "Raspberry Pi boot config"
cat >"$ROOT/etc/fstab" <<'EOF'
LABEL=RASPIROOT  /              ext4  rw,noatime,errors=remount-ro  0 1
LABEL=RASPIFIRM  /boot/firmware vfat  rw,noatime,nofail,x-systemd.device-timeout=90s  0 2
EOF
printf 'kiosk\n' >"$ROOT/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tkiosk\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$ROOT/etc/hosts"
ln -sf /usr/share/zoneinfo/Asia/Taipei "$ROOT/etc/localtime"; echo Asia/Taipei >"$ROOT/etc/timezone"
# raspi-firmware: root by label; console only on the screen (the UART on GPIO 14/15 is the ticket printer's)
sed -i -e 's|^#\?ROOTPART=.*|ROOTPART=LABEL=RASPIROOT|' -e 's|^#\?CONSOLES=.*|CONSOLES="tty0"|' \
  "$ROOT/etc/default/raspi-firmware"
grep -q '^ROOTPART=' "$ROOT/etc/default/raspi-firmware" || echo 'ROOTPART=LABEL=RASPIROOT' >>"$ROOT/etc/default/raspi-firmware"
grep -q '^CONSOLES=' "$ROOT/etc/default/raspi-firmware" || echo 'CONSOLES="tty0"' >>"$ROOT/etc/default/raspi-firmware"
printf '# kiosk: the UART on GPIO 14/15 is the ticket printer (no serial console on it)\nenable_uart=1\n' \
  >"$ROOT/etc/default/raspi-firmware-custom"
echo 'consoleblank=0' >"$ROOT/etc/default/raspi-extra-cmdline"
in_root update-initramfs -u -k all   # raspi-firmware's hook rewrites /boot/firmware (config.txt, cmdline.txt)
in_root systemctl mask serial-getty@ttyS0.service serial-getty@ttyS1.service serial-getty@ttyAMA0.service
echo "--- config.txt (tail)"; tail -5 "$ROOT/boot/firmware/config.txt"
echo "--- cmdline.txt"; cat "$ROOT/boot/firmware/cmdline.txt"
grep -q 'ttyS1\|ttyAMA0' "$ROOT/boot/firmware/cmdline.txt" && die "serial console still on the kernel command line"
cp "$REPO/provisioning/kiosk.toml.example" "$ROOT/boot/firmware/kiosk.toml.example"

log "manifest"
MANIFEST=$BUILD_DIR/$NAME.manifest
{
  echo "# $NAME  SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH  git=$(git -C "$REPO" describe --always --dirty 2>/dev/null || echo none)"
  echo "# dpkg"
  in_root dpkg-query -W -f='${Package}\t${Version}\t${Architecture}\n'
  echo "# pip (/opt/kiosk/venv)"
  in_root /opt/kiosk/venv/bin/pip freeze --all
} >"$MANIFEST"

log "clean the root"
in_root apt-get clean
rm -rf "$ROOT"/tmp/* "$ROOT"/var/tmp/* "$ROOT"/var/lib/apt/lists/* "$ROOT"/var/cache/debconf/*-old \
  "$ROOT"/var/log/*.log "$ROOT"/root/.cache
find "$ROOT/opt/kiosk/venv" -name __pycache__ -prune -exec rm -rf {} + 2>/dev/null || true
: >"$ROOT/etc/machine-id"; rm -f "$ROOT/var/lib/dbus/machine-id"
cleanup
# keep the kernel and initrd for the boot test
cp "$ROOT"/boot/vmlinuz-* "$ROOT"/boot/initrd.img-* "$WORK/"

log "filesystems"
rm -rf "$WORK/bootfs"; mv "$ROOT/boot/firmware" "$WORK/bootfs"; mkdir "$ROOT/boot/firmware"
find "$ROOT" "$WORK/bootfs" -newermt "@$SOURCE_DATE_EPOCH" -print0 2>/dev/null \
  | xargs -0r touch --no-dereference --date="@$SOURCE_DATE_EPOCH"
BOOTIMG=$WORK/boot.vfat; ROOTIMG=$WORK/root.ext4
rm -f "$BOOTIMG" "$ROOTIMG"
mkfs.vfat -F 32 -n RASPIFIRM -i 4b494f53 --invariant -C "$BOOTIMG" $((BOOT_MB * 1024)) >/dev/null
mcopy -s -p -m -i "$BOOTIMG" "$WORK"/bootfs/* ::
ROOT_MB=$(du -sm --apparent-size "$ROOT" | cut -f1)
ROOT_MB=$(( ROOT_MB * 115 / 100 + 512 ))   # 15 % for ext4 metadata, 512 MB free (the card's rest stays unused)
E2FSPROGS_FAKE_TIME=$SOURCE_DATE_EPOCH mkfs.ext4 -q -L RASPIROOT -U 6b696f73-6b00-4000-8000-000000000002 -E root_owner=0:0,hash_seed=3c7a0c1e-0000-4000-8000-6b696f736b31 \
  -d "$ROOT" "$ROOTIMG" "${ROOT_MB}M"

log "disk image"
rm -f "$IMG" "$IMG.xz"
BOOT_START=8192; BOOT_SECTORS=$((BOOT_MB * 2048)); ROOT_START=$((BOOT_START + BOOT_SECTORS))
ROOT_SECTORS=$(( $(stat -c %s "$ROOTIMG") / 512 ))
truncate -s $(( (ROOT_START + ROOT_SECTORS) * 512 )) "$IMG"
sfdisk -q "$IMG" <<EOF
label: dos
label-id: 0x6b696f73
unit: sectors
start=$BOOT_START, size=$BOOT_SECTORS, type=c, bootable
start=$ROOT_START, size=$ROOT_SECTORS, type=83
EOF
dd if="$BOOTIMG" of="$IMG" bs=1M seek=$((BOOT_START * 512)) oflag=seek_bytes conv=notrunc,sparse status=none
dd if="$ROOTIMG" of="$IMG" bs=4M seek=$((ROOT_START * 512)) oflag=seek_bytes conv=notrunc,sparse status=none
rm -f "$BOOTIMG" "$ROOTIMG"
sfdisk -l "$IMG"

log "xz -$XZ_LEVEL"
xstart=$(date +%s)
xz -T0 -"$XZ_LEVEL" -k -f "$IMG"
echo "xz: $(( $(date +%s) - xstart )) s"
(cd "$BUILD_DIR" && sha256sum "$NAME.img" "$NAME.img.xz" >"$NAME.img.sha256")

log "done in $(( $(date +%s) - T0 )) s"
ls -l "$IMG" "$IMG.xz" "$BUILD_DIR/$NAME.img.sha256" "$MANIFEST"
echo "root used: $(du -sh "$ROOT" | cut -f1)   image: $(du -h --apparent-size "$IMG" | cut -f1)   xz: $(du -h "$IMG.xz" | cut -f1)"

#!/bin/bash
# Build the flashable Raspberry Pi SD image (Debian bookworm arm64) for the lobby kiosk.
#
#   sudo images/build-image.sh            build build/kiosk-<version>-arm64.img(.xz) + .sha256 + manifest
#   sudo images/build-image.sh --test     boot the built image under qemu-system-aarch64 -M virt (user network,
#                                         restrict=on), check SSH, network, NTP and upload from this machine on
#                                         the first boot, pull the power, boot again and check (no build)
#   sudo images/build-image.sh --bundle   build/kiosk-<version>-arm64.raucb: the last build's root, signed (RAUC)
#   sudo images/build-image.sh --update-test   N -> N+1 through an office server under QEMU, a power cut during the
#                                         install, a failing N+2 left by itself (images/update-test.sh)
#
# Runs as root on Debian 12 x86_64 (apt-installs its tools). Route and measurements:
# ../shared/reference/image.md (mmdebstrap + QEMU binfmt, MODULES=list, mkfs.ext4 -d, sfdisk + dd).
# Environment: BUILD_DIR (default <repo>/build), MIRROR, XZ_LEVEL (default 6), TEST_TIMEOUT (default 900 s),
# DATA_MB (default 64), SLOT_MB (default 1280: each root slot), VERSION (default protocol/__init__.py's), and the
# update keys RAUC_KEYRING (the certificate the image trusts), RAUC_CERT + RAUC_KEY (the bundle's signer): unset,
# development keys are made in build/keys (images/README.md, "Keys").
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$REPO/build}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
XZ_LEVEL=${XZ_LEVEL:-6}
TEST_TIMEOUT=${TEST_TIMEOUT:-900}
SUITE=bookworm
BOOT_MB=256
DATA_MB=${DATA_MB:-64}   # the data partition as shipped; the first boot grows it to fill the card
SLOT_MB=${SLOT_MB:-1280}  # each root slot, A and B: the root (about 1 GB) and room for later versions
VERSION=${VERSION:-$(sed -n 's/^__version__ = "\([^"]*\)".*/\1/p' "$REPO/protocol/__init__.py")}
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
  openssh-server ca-certificates python3 python3-venv libgl1 libegl1 libgles2 libdrm2 libgbm1 libmtdev1
  fonts-noto-cjk fonts-noto-core zstd systemd-timesyncd espeak-ng
  u-boot-rpi rauc rauc-service libubootenv-tool squashfs-tools
  passwd kmod dbus tzdata systemd-resolved iproute2 cloud-guest-utils"
# ^ the line before: the A/B updates (U-Boot for the Pi, RAUC with its D-Bus service, fw_setenv for its U-Boot
#   backend, unsquashfs for the kiosk to read a bundle's manifest)
# ^ last line: what kiosk-provision apply uses (useradd, modprobe, hostnamectl/networkctl, Asia/Taipei,
#   systemd-resolved, ip) that --variant=apt does not bring, and growpart for the data partition.

log() { printf '\n=== [%s] %s\n' "$(date +%T)" "$*"; }
die() { echo "build-image: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root"

host_tools() {
  local need=(mmdebstrap arch-test qemu-user-static binfmt-support dosfstools mtools fdisk e2fsprogs xz-utils parted
    u-boot-tools rauc squashfs-tools openssl)
  [ "${1:-}" = test ] && need+=(qemu-system-arm u-boot-qemu)
  local missing=()
  for p in "${need[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    log "apt-get install ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

# The update keys (images/README.md, "Keys"). The image trusts RAUC_KEYRING (a CA certificate); bundles are signed
# with RAUC_CERT and RAUC_KEY, a certificate that CA issued and its key, which the office keeps out of this
# repository. Unset: development keys in build/keys, made once: fine for make update-test, never for an office.
keys() {
  if [ -n "${RAUC_KEYRING:-}" ]; then
    KEYRING=$RAUC_KEYRING SIGN_CERT=${RAUC_CERT:-} SIGN_KEY=${RAUC_KEY:-}
    return 0
  fi
  local K=$BUILD_DIR/keys
  if [ ! -f "$K/signer.cert.pem" ]; then
    mkdir -p "$K"; chmod 700 "$K"
    openssl req -x509 -newkey rsa:3072 -nodes -days 3650 -keyout "$K/ca.key.pem" -out "$K/ca.cert.pem" \
      -subj "/O=Kiosk development/CN=Kiosk development update CA" \
      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
    openssl req -newkey rsa:3072 -nodes -keyout "$K/signer.key.pem" -out "$K/signer.csr" \
      -subj "/O=Kiosk development/CN=Kiosk development bundle signer" 2>/dev/null
    printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n' >"$K/signer.ext"
    openssl x509 -req -in "$K/signer.csr" -CA "$K/ca.cert.pem" -CAkey "$K/ca.key.pem" -CAcreateserial \
      -days 3650 -extfile "$K/signer.ext" -out "$K/signer.cert.pem" 2>/dev/null
    rm -f "$K/signer.csr" "$K/signer.ext"
  fi
  KEYRING=$K/ca.cert.pem SIGN_CERT=$K/signer.cert.pem SIGN_KEY=$K/signer.key.pem
  echo "build-image: DEVELOPMENT update keys ($K): set RAUC_KEYRING, RAUC_CERT, RAUC_KEY for an office's images" >&2
}

# A RAUC bundle of a root file system image: $1 the ext4 image, $2 its version, $3 the .raucb to write (and its
# .sha256 beside it). Verity format: the signature covers every block, checked as the kiosk reads it.
make_bundle() {
  keys
  [ -n "$SIGN_CERT" ] && [ -n "$SIGN_KEY" ] || die "RAUC_CERT and RAUC_KEY are needed to sign a bundle"
  local c=$WORK/bundle-content t0
  t0=$(date +%s)
  rm -rf "$c" "$3"; mkdir -p "$c"
  cp --sparse=always "$1" "$c/rootfs.ext4"
  printf '[update]\ncompatible=erlin-kiosk-rpi-arm64\nversion=%s\n\n[bundle]\nformat=verity\n\n[image.rootfs]\nfilename=rootfs.ext4\n' \
    "$2" >"$c/manifest.raucm"
  rauc bundle --cert="$SIGN_CERT" --key="$SIGN_KEY" --keyring="$KEYRING" "$c" "$3" >/dev/null
  rm -rf "$c"
  (cd "$(dirname "$3")" && sha256sum "$(basename "$3")" >"$(basename "$3").sha256")
  echo "bundle $3: version $2, $(stat -c %s "$3") bytes, $(( $(date +%s) - t0 )) s"
}

# -------------------------------------------------------------------------------------------- bundle
if [ "${1:-}" = --bundle ]; then
  host_tools
  # the root of the last build of this version (make image keeps it); none: build it first
  if [ ! -f "$WORK/root.ext4" ] || [ "$(cat "$WORK/root.version" 2>/dev/null)" != "$VERSION" ]; then
    log "no root of $VERSION in $WORK: make image first"
    "$0"
  fi
  log "bundle $NAME.raucb"
  make_bundle "$WORK/root.ext4" "$VERSION" "$BUILD_DIR/$NAME.raucb"
  exit 0
fi

# -------------------------------------------------------------------------------------- update test
if [ "${1:-}" = --update-test ]; then
  # shellcheck source=images/update-test.sh
  . "$REPO/images/update-test.sh"
fi

# ---------------------------------------------------------------------------------------------- test
if [ "${1:-}" = --test ]; then
  host_tools test
  [ -f "$IMG" ] || die "$IMG missing: build it first"
  SERIAL=$BUILD_DIR/$NAME.test-serial.log
  # shellcheck source=images/test-lib.sh
  . "$REPO/images/test-lib.sh"
  test_office_and_kiosk_toml
  TESTIMG=$WORK/test.img
  test_card "$TESTIMG" "kiosk.test=1 kiosk.test.hold=1"
  qemu_for "$TESTIMG"
  failed=0
  ok() { echo "ok    $*"; }
  fail() { echo "FAIL  $*"; failed=1; }
  office_events() { "$REPO/.venv/bin/kiosk-office" kiosk list 2>/dev/null | awk -F'\t' '$1 == "ERLIN-01" { print $3 }'; }
  office_contact() { "$REPO/.venv/bin/kiosk-office" kiosk list 2>/dev/null | awk -F'\t' '$1 == "ERLIN-01" { print $2 }'; }
  # One boot: QEMU in the background, SSH tried from power-on (its first answer timed), until the boot test
  # prints "holding for the host's checks"; then the host's checks over SSH and of the office server.
  # $1: the boot's number, $2: its serial log, $3: the office's last contact with ERLIN-01 before it.
  boot() {
    local n=$1 serial=$2 contact_before=$3 start ssh_at= facts now
    start=$(date +%s)
    "${QEMU[@]}" </dev/null >"$serial" 2>&1 &
    qpid=$!
    while kill -0 "$qpid" 2>/dev/null && ! grep -a -q "^KIOSK-TEST: holding for the host's checks" "$serial"; do
      [ $(( $(date +%s) - start )) -lt "$TEST_TIMEOUT" ] || break
      if [ -z "$ssh_at" ] && timeout 20 "${SSH[@]}" true </dev/null 2>/dev/null; then ssh_at=$(( $(date +%s) - start )); fi
      sleep 2
    done
    grep -a -q "^KIOSK-TEST: holding" "$serial" || { fail "boot $n: the boot test never reached its end (serial $serial)"; return; }
    echo "boot $n: the boot test is done after $(( $(date +%s) - start )) s; SSH first answered at ${ssh_at:-?} s"
    # the facts, as root on the kiosk through the forwarded port with the key from kiosk.toml
    facts=$(timeout 120 "${SSH[@]}" sh -s <<'REMOTE' 2>&1 | tr -d '\r'
echo "user: $(id -un)"
echo "hostname: $(hostname)"
echo "units: $(systemctl is-active systemd-networkd.service systemd-resolved.service systemd-timesyncd.service ssh.service kiosk.service | tr '\n' ' ')"
echo "address: $(ip -4 -o addr show scope global | awk '{print $2, $4}' | tr '\n' ' ')"
echo "route: $(ip -4 route get 10.0.2.100 2>&1 | head -1)"
echo "ntp: $(timedatectl show -p NTP -p NTPSynchronized | tr '\n' ' ')servers $(timedatectl show-timesync -p SystemNTPServers --value)"
echo "upload: $(/usr/local/bin/kiosk upload status 2>&1 | tail -1)"
REMOTE
    ) || true
    printf '%s\n' "$facts" | sed "s/^/SSH boot $n: /"
    has() { grep -q -E "$1" <<<"$facts"; }   # not a pipe: grep -q leaving early would fail it (pipefail)
    if has '^user: root$'; then ok "boot $n: SSH as root with the test key from kiosk.toml, through QEMU's forwarded port"
    else fail "boot $n: no SSH login with the test key (127.0.0.1:$SSH_PORT)"; fi
    has '^hostname: erlin-01$' && ok "boot $n: host name erlin-01 (over SSH)" || fail "boot $n: host name over SSH"
    has '^units: active active active active active $' \
      && ok "boot $n: systemd-networkd, -resolved, -timesyncd, ssh and kiosk all running" \
      || fail "boot $n: networkd, resolved, timesyncd, ssh, kiosk not all running"
    # under restrict=on QEMU's DHCP gives no router and no DNS server (an office's DHCP gives both): the
    # office server, 10.0.2.100, is on the link
    has '^address: .* 10\.0\.2\.15/24 $' && has '^route: 10\.0\.2\.100 dev [a-z0-9]+ src 10\.0\.2\.15 ' \
      && ok "boot $n: DHCP address 10.0.2.15 (systemd-networkd), the office server on the link" \
      || fail "boot $n: no DHCP address, or no route to the office server"
    # restrict=on lets no UDP out, so no NTP server answers here: the sync service must run and be set up
    # with kiosk.toml's servers; that it synchronizes is not checked (NTPSynchronized=no is expected).
    has '^ntp: (.* )?NTP=yes .*servers time\.stdtime\.gov\.tw tock\.stdtime\.gov\.tw$' \
      && ok "boot $n: NTP on, timesyncd asking kiosk.toml's servers (not synchronized: no NTP server is reachable under restrict=on)" \
      || fail "boot $n: NTP not on, or not with kiosk.toml's servers"
    # the kiosk's own uploader (nothing forced): the office server on this machine hears from it
    now=$(date +%s)
    while [ $(( $(date +%s) - now )) -lt 300 ]; do
      [ "$(office_events)" -gt 0 ] 2>/dev/null && [ "$(office_contact)" != "$contact_before" ] && break
      sleep 5
    done
    if [ "$(office_events)" -gt 0 ] 2>/dev/null && [ "$(office_contact)" != "$contact_before" ]; then
      ok "boot $n: the kiosk reached the office server on this machine: $(office_events) events stored, last contact $(office_contact)"
    else
      fail "boot $n: the office server on this machine heard nothing new from ERLIN-01 (events: $(office_events), contact: $(office_contact))"
    fi
  }

  # Boot 1: the card's first boot (provisioning, growing /data): network, SSH, NTP and the first upload
  # checked from here; then the power is pulled while the kiosk runs.
  log "boot 1 of $IMG under qemu-system-aarch64 -M virt (restrict=on), serial $SERIAL.cut"
  start1=$(date +%s)
  boot 1 "$SERIAL.cut" "never"
  kill -9 "$qpid" 2>/dev/null || true
  wait "$qpid" 2>/dev/null || true
  qpid=
  tr -d '\r' <"$SERIAL.cut" >"$SERIAL.cut.txt"
  grep -a -E '^KIOSK-TEST' "$SERIAL.cut.txt" | sed 's/^/boot 1: /' || true
  before=$(sed -n 's/^KIOSK-TEST: store: ok \([0-9]*\) events$/\1/p' "$SERIAL.cut.txt" | head -1)
  echo "power cut after $(( $(date +%s) - start1 )) s; the store had ${before:-?} events"
  contact1=$(office_contact)

  # Boot 2: the same card after the power cut; the same checks from here, then the boot test's own facts.
  log "boot 2 (timeout ${TEST_TIMEOUT}s), serial log $SERIAL"
  start=$(date +%s)
  boot 2 "$SERIAL" "$contact1"
  if [ -n "$qpid" ]; then
    timeout 120 "${SSH[@]}" touch /run/kiosk-test.release </dev/null || true
    for _ in $(seq 240); do kill -0 "$qpid" 2>/dev/null || break; sleep 1; done
    kill -9 "$qpid" 2>/dev/null || true
    wait "$qpid" 2>/dev/null || true
    qpid=
  fi
  echo "boot 2 ended after $(( $(date +%s) - start )) s"
  grep -a -E '^KIOSK-(TEST|LOG)' "$SERIAL" | tr -d '\r' || true
  rm -f "$TESTIMG"
  # Each fact the boot should have produced; every one that is missing is named.
  # a file, not a pipe: under pipefail, grep -q leaving early makes the pipe fail (SIGPIPE) now and then
  tr -d '\r' <"$SERIAL" >"$SERIAL.txt"
  expect() {
    if grep -a -q -E "^KIOSK-TEST: $2" "$SERIAL.txt"; then echo "ok    $1"; else echo "FAIL  $1"; failed=1; fi
  }
  expect "kiosk.service is running (READY=1 from its main loop)" 'kiosk.service: .*ActiveState=active SubState=running'
  expect "root file system read-only"                            'root: ro,'
  expect "running from root slot A, started by U-Boot's boot script" "slot: A $VERSION\$"
  expect "data partition grown to the card (1 GiB more than shipped)" 'data: /dev/vda4 ([0-9.]+G|([2-9][0-9]{2}|[0-9]{4})(\.[0-9])?M) rw'
  expect "/var/lib/kiosk and /var/lib/systemd on /data"          'data bind: /dev/vda4\[/kiosk\] /dev/vda4\[/systemd\]'
  expect "/etc/kiosk/kiosk.toml applied, mode 600, owner kiosk"  'app config: 600 kiosk'
  expect "host name from kiosk.id"                               'hostname: erlin-01'
  expect "no provisioning errors"                                'provisioning errors: 0 lines'
  expect "SSH on (a key in kiosk.toml) and running"              'ssh: enabled active$'
  expect "network: networkd and resolved running, a DHCP address" 'network: active active .*10\.0\.2\.15/24'
  expect "journal in memory"                                     'journal: /run/log/journal/'
  expect "lgpio keeps its pipes off the read-only root (LG_WD)"  'lgpio pipe errors: 0$'
  expect "no failed units"                                       'failed units: *$'
  expect "the boot test ran to its end (released by the host, then powered off)" 'done$'
  # the power cut of boot 1
  expect "after the power cut: the store intact"                'store: ok [0-9]+ events$'
  after=$(sed -n 's/^KIOSK-TEST: store: ok \([0-9]*\) events$/\1/p' "$SERIAL.txt" | head -1)
  if [ -n "$before" ] && [ -n "$after" ] && [ "$after" -ge "$before" ]; then
    echo "ok    nothing recorded before the power cut was lost ($before events then, $after now)"
  else
    echo "FAIL  events before the power cut: ${before:-none seen}, after: ${after:-none}"; failed=1
  fi
  # kiosk-provision's own words in boot 2's journal (the boot test copies them to the console)
  if grep -a -q -E '^KIOSK-LOG: .* kiosk-provision\[[0-9]+\]: nothing changed$' "$SERIAL.txt"; then
    echo "ok    provisioning at boot 2: the same file, nothing to change"
  else
    echo "FAIL  provisioning at boot 2 did not say 'nothing changed'"; failed=1
  fi
  [ $failed = 0 ] && { echo "TEST PASS"; exit 0; }
  echo "TEST FAIL (serial console: $SERIAL, boot 1: $SERIAL.cut, office server: $TDIR/office.log)"; exit 1
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
# SOURCE_DATE_EPOCH inside too: useradd's password-change day, compileall and others honour it
in_root() { chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
  SOURCE_DATE_EPOCH="$SOURCE_DATE_EPOCH" "$@"; }

log "kernel modules: drop what no Pi 3/4 kiosk can use (about 120 MB)"
# Debian's arm64 kernel serves every arm64 machine. Kept: everything the Pi's display (vc4 needs cec and
# rc-core from drivers/media, and sound), Wi-Fi, Ethernet, USB devices and SD card use; images/tests
# checks that those modules still resolve. Gone: TV tuners and cameras, data-centre network cards and
# file systems, other vendors' GPUs and PCIe Wi-Fi.
KVER=$(ls "$ROOT/usr/lib/modules" | sort -V | tail -1)
K=$ROOT/usr/lib/modules/$KVER/kernel
before=$(du -sm --apparent-size "$ROOT/usr/lib/modules" | cut -f1)
find "$K/drivers/media" -mindepth 1 -maxdepth 1 ! -name cec ! -name rc -exec rm -rf {} +
rm -rf "$K"/drivers/infiniband "$K"/drivers/target "$K"/drivers/gpu/drm/{amd,nouveau,radeon}
find "$K/drivers/net/ethernet" -mindepth 1 -maxdepth 1 ! -name broadcom -exec rm -rf {} +
find "$K/drivers/net/wireless" -mindepth 1 -maxdepth 1 -type d \
  ! -name broadcom ! -name realtek ! -name mediatek ! -name ralink -exec rm -rf {} +
rm -rf "$K"/fs/{btrfs,xfs,ocfs2,nfs,nfsd,smb,f2fs,gfs2,jfs,ceph,reiserfs,nilfs2,afs,orangefs,dlm,ubifs}
in_root depmod -a "$KVER"
echo "modules: $before MB -> $(du -sm --apparent-size "$ROOT/usr/lib/modules" | cut -f1) MB"

log "install the kiosk (images/install-kiosk.sh, shared with the pi-gen route)"
SRC=$ROOT/tmp/build/src
mkdir -p "$SRC"
cp /etc/ssl/certs/ca-certificates.crt "$ROOT/tmp/build/host-ca.crt"
cp "$WHEEL" "$SRC/"
cp -a "$REPO/provisioning" "$SRC/provisioning"
cp "$REPO/images/install-kiosk.sh" "$ROOT/tmp/build/"
# DNS inside the root: the host's resolver for the pip step only (systemd-resolved owns /etc/resolv.conf)
RESOLV_SAVED=
if [ -e "$ROOT/etc/resolv.conf" ] || [ -L "$ROOT/etc/resolv.conf" ]; then
  mv "$ROOT/etc/resolv.conf" "$WORK/resolv.conf.image"; RESOLV_SAVED=1
fi
cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf"
istart=$(date +%s)
in_root PIP_CERT=/tmp/build/host-ca.crt bash /tmp/build/install-kiosk.sh /tmp/build/src
echo "install-kiosk: $(( $(date +%s) - istart )) s"
rm -f "$ROOT/etc/resolv.conf"
[ -n "$RESOLV_SAVED" ] && mv "$WORK/resolv.conf.image" "$ROOT/etc/resolv.conf"

log "A/B system updates: RAUC, its keyring, the update units (images/README.md, \"Updates\")"
keys
install -D -m 644 "$REPO/images/rauc/system.conf" "$ROOT/etc/rauc/system.conf"
install -D -m 644 "$KEYRING" "$ROOT/etc/rauc/keyring.pem"
install -D -m 644 "$REPO/images/rauc/fw_env.config" "$ROOT/etc/fw_env.config"
install -D -m 644 "$REPO/images/rauc/kiosk-rauc.conf" "$ROOT/etc/dbus-1/system.d/kiosk-rauc.conf"
printf 'VERSION=%s\n' "$VERSION" >"$ROOT/etc/kiosk-release"; chmod 644 "$ROOT/etc/kiosk-release"
S=$REPO/provisioning/systemd
install -m 644 "$S/kiosk-update-confirm.service" "$S/kiosk-update-reboot.path" "$S/kiosk-update-reboot.service" \
  "$ROOT/etc/systemd/system/"
install -D -m 644 "$S/kiosk-update.tmpfiles" "$ROOT/usr/lib/tmpfiles.d/kiosk-update.conf"
in_root systemctl enable kiosk-update-confirm.service kiosk-update-reboot.path
# U-Boot's boot script loads the kernel and initrd from the slot it starts (images/boot.cmd): stable names
KVER=$(ls "$ROOT/usr/lib/modules" | sort -V | tail -1)
ln -sfn "vmlinuz-$KVER" "$ROOT/boot/vmlinuz"; ln -sfn "initrd.img-$KVER" "$ROOT/boot/initrd.img"

log "Debian route: read-only root, data partition, boot test hooks"
S=$REPO/provisioning/systemd
install -m 644 "$S/kiosk-grow-data.service" "$ROOT/etc/systemd/system/"
install -m 644 "$REPO/provisioning/udev/70-kiosk-serial0.rules" "$ROOT/etc/udev/rules.d/"
# make image-test only: inert unless the kernel command line says kiosk.test=1
install -D -m 755 "$REPO/images/kiosk-test-generator" "$ROOT/usr/lib/systemd/system-generators/kiosk-test-generator"
install -m 644 "$REPO/images/kiosk-boot-test.service" "$ROOT/etc/systemd/system/"
install -D -m 755 "$REPO/images/kiosk-boot-test" "$ROOT/usr/local/sbin/kiosk-boot-test"
# / is read-only (a power cut cannot damage it; kiosk-provision opens it for its writes). What must be
# written lives on the data partition (/data: the kiosk's store, systemd's clock file and random seed,
# grown to fill the card on the first boot) or in memory (/tmp, /var/tmp, /var/log; the journal).
# / is not in fstab: both root slots carry the same file system (label RASPIROOT), so U-Boot's boot script names
# the slot it starts on the kernel command line (root=PARTUUID=6b696f73-02 or -03, ro).
cat >"$ROOT/etc/fstab" <<'EOF2'
LABEL=RASPIFIRM  /boot/firmware    vfat   rw,noatime,nofail,x-systemd.device-timeout=90s  0 2
LABEL=KIOSKDATA  /data             ext4   rw,noatime,x-systemd.growfs,x-systemd.requires=kiosk-grow-data.service  0 2
/data/kiosk      /var/lib/kiosk    none   bind,x-systemd.requires-mounts-for=/data  0 0
/data/systemd    /var/lib/systemd  none   bind,x-systemd.requires-mounts-for=/data  0 0
tmpfs            /tmp              tmpfs  mode=1777,nosuid,nodev,size=64M  0 0
tmpfs            /var/tmp          tmpfs  mode=1777,nosuid,nodev,size=16M  0 0
tmpfs            /var/log          tmpfs  mode=0755,nosuid,nodev,size=16M  0 0
EOF2
mkdir -p "$ROOT/data"
printf 'kiosk\n' >"$ROOT/etc/hostname"; chmod 644 "$ROOT/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tkiosk\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$ROOT/etc/hosts"
ln -sf /usr/share/zoneinfo/Asia/Taipei "$ROOT/etc/localtime"; echo Asia/Taipei >"$ROOT/etc/timezone"

log "Raspberry Pi boot config"
# raspi-firmware: root by label; console only on the screen (the UART on GPIO 14/15 is the ticket printer's)
sed -i -e 's|^#\?ROOTPART=.*|ROOTPART=LABEL=RASPIROOT|' -e 's|^#\?CONSOLES=.*|CONSOLES="tty0"|' \
  "$ROOT/etc/default/raspi-firmware"
grep -q '^ROOTPART=' "$ROOT/etc/default/raspi-firmware" || echo 'ROOTPART=LABEL=RASPIROOT' >>"$ROOT/etc/default/raspi-firmware"
grep -q '^CONSOLES=' "$ROOT/etc/default/raspi-firmware" || echo 'CONSOLES="tty0"' >>"$ROOT/etc/default/raspi-firmware"
printf '# kiosk: the UART on GPIO 14/15 is the ticket printer (no serial console on it)\nenable_uart=1\n# the voice guide speaks through the audio jack (or the HDMI monitor)\ndtparam=audio=on\n# U-Boot starts root slot A or B (images/boot.cmd); last, so it wins over the kernel= line above it\nkernel=u-boot.bin\n' \
  >"$ROOT/etc/default/raspi-firmware-custom"
echo 'consoleblank=0' >"$ROOT/etc/default/raspi-extra-cmdline"
# raspi-firmware's hook rewrites /boot/firmware (config.txt, cmdline.txt); the initrd is already built
in_root env DEB_MAINT_PARAMS=configure /etc/kernel/postinst.d/z50-raspi-firmware
echo "--- config.txt (tail)"; tail -5 "$ROOT/boot/firmware/config.txt"
echo "--- cmdline.txt"; cat "$ROOT/boot/firmware/cmdline.txt"
cp "$REPO/provisioning/kiosk.toml.example" "$ROOT/boot/firmware/kiosk.toml.example"
# U-Boot (Debian's u-boot-rpi: one arm64 build for the Pi 3 and 4), its A/B boot script, the A/B state file it
# keeps (RAUC's U-Boot backend writes it with fw_setenv), and the kernel words provisioning adds (kiosk-args.txt)
install -m 644 "$ROOT/usr/lib/u-boot/rpi_arm64/u-boot.bin" "$ROOT/boot/firmware/u-boot.bin"
mkimage -A arm64 -T script -C none -n "kiosk A/B boot" -d "$REPO/images/boot.cmd" "$ROOT/boot/firmware/boot.scr" >/dev/null
printf 'BOOT_ORDER=A B\nBOOT_A_LEFT=3\nBOOT_B_LEFT=3\n' >"$WORK/rauc.env.txt"
mkenvimage -s 0x4000 -o "$ROOT/boot/firmware/rauc.env" "$WORK/rauc.env.txt"
printf 'extra_args=consoleblank=0\n' >"$ROOT/boot/firmware/kiosk-args.txt"

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
# /var/log: a tmpfs covers it on the kiosk; what the build left there (apt's logs) only carries times
rm -rf "$ROOT"/tmp/* "$ROOT"/var/tmp/* "$ROOT"/var/lib/apt/lists/* "$ROOT"/var/cache/debconf/*-old \
  "$ROOT"/var/log/* "$ROOT"/root/.cache
: >"$ROOT/etc/machine-id"; rm -f "$ROOT/var/lib/dbus/machine-id"
# /usr is as new as /etc and /var (all clamped to SOURCE_DATE_EPOCH below): without these stamps systemd
# would run ldconfig, hwdb and update-done at boot, to write into the read-only root, and fail.
for d in etc var; do echo "TIMESTAMP_NSEC=${SOURCE_DATE_EPOCH}000000000" >"$ROOT/$d/.updated"; done

log "check the root (images/tests, on the host: users, units, boot config, modes; kiosk runs under QEMU)"
[ -x "$REPO/.venv/bin/python" ] || make -C "$REPO" setup
cstart=$(date +%s)
KIOSK_IMAGE_ROOT=$ROOT "$REPO/.venv/bin/python" -m pytest -q -p no:cacheprovider --rootdir="$REPO/images" \
  "$REPO/images/tests"
echo "checks: $(( $(date +%s) - cstart )) s"
rm -rf "$ROOT"/tmp/*
cleanup

log "filesystems"
# boot: the FAT partition's files; data: what the kiosk and systemd write, moved off the read-only root
rm -rf "$WORK/bootfs" "$WORK/datafs"; mkdir -p "$WORK/datafs"
mv "$ROOT/boot/firmware" "$WORK/bootfs"; mkdir "$ROOT/boot/firmware"
mv "$ROOT/var/lib/kiosk" "$WORK/datafs/kiosk"; mkdir -m 750 "$ROOT/var/lib/kiosk"
mv "$ROOT/var/lib/systemd" "$WORK/datafs/systemd"; mkdir "$ROOT/var/lib/systemd"
mkdir -m 700 "$WORK/datafs/rauc"   # RAUC's slot status (system.conf's data-directory), shared by both slots
for d in "$ROOT" "$WORK/bootfs" "$WORK/datafs"; do
  find "$d" -newermt "@$SOURCE_DATE_EPOCH" -print0 2>/dev/null | xargs -0r touch --no-dereference --date="@$SOURCE_DATE_EPOCH"
done
BOOTIMG=$WORK/boot.vfat; ROOTIMG=$WORK/root.ext4; DATAIMG=$WORK/data.ext4
# mkfs.ext4 -d copies each file's ctime (no touch can set it) and atime (reading a directory updates it):
# set both to SOURCE_DATE_EPOCH inside the file system, so two builds of one commit give the same bytes.
clamp_times() {
  (cd "$2" && find . -mindepth 1 -printf '%P\n') | awk -v t="$SOURCE_DATE_EPOCH" \
    '{ gsub(/"/, "\\\""); printf "sif \"/%s\" ctime @%s\nsif \"/%s\" atime @%s\n", $0, t, $0, t }' >"$WORK/times.cmds"
  printf 'sif / ctime @%s\nsif / atime @%s\n' "$SOURCE_DATE_EPOCH" "$SOURCE_DATE_EPOCH" >>"$WORK/times.cmds"
  E2FSPROGS_FAKE_TIME=$SOURCE_DATE_EPOCH debugfs -w -f "$WORK/times.cmds" "$1" >/dev/null 2>&1
}
rm -f "$BOOTIMG" "$ROOTIMG" "$DATAIMG"
mkfs.vfat -F 32 -n RASPIFIRM -i 4b494f53 --invariant -C "$BOOTIMG" $((BOOT_MB * 1024)) >/dev/null
mcopy -s -p -m -i "$BOOTIMG" "$WORK"/bootfs/* ::
ROOT_MB=$(du -sm --apparent-size "$ROOT" | cut -f1)
ROOT_MB=$(( ROOT_MB * 105 / 100 + 64 ))   # ext4 metadata and small files' slack; read-only, so little free
# -m 0: no blocks reserved for root on a read-only file system; fixed UUIDs and hash seeds: reproducible
E2FSPROGS_FAKE_TIME=$SOURCE_DATE_EPOCH mkfs.ext4 -q -m 0 -L RASPIROOT -U 6b696f73-6b00-4000-8000-000000000002 \
  -E root_owner=0:0,hash_seed=3c7a0c1e-0000-4000-8000-6b696f736b31 -d "$ROOT" "$ROOTIMG" "${ROOT_MB}M"
E2FSPROGS_FAKE_TIME=$SOURCE_DATE_EPOCH mkfs.ext4 -q -L KIOSKDATA -U 6b696f73-6b00-4000-8000-000000000003 \
  -E root_owner=0:0,hash_seed=3c7a0c1e-0000-4000-8000-6b696f736b33 -d "$WORK/datafs" "$DATAIMG" "${DATA_MB}M"
clamp_times "$ROOTIMG" "$ROOT"
clamp_times "$DATAIMG" "$WORK/datafs"

log "disk image"
rm -f "$IMG" "$IMG.xz"
# boot, root slot A (this root), root slot B (empty until the first update writes it), data (grown on the card)
[ $(( $(stat -c %s "$ROOTIMG") / 1048576 )) -le "$SLOT_MB" ] || die "the root ($ROOT_MB MB) does not fit a slot (SLOT_MB=$SLOT_MB)"
BOOT_START=8192; BOOT_SECTORS=$((BOOT_MB * 2048)); SLOT_SECTORS=$((SLOT_MB * 2048))
A_START=$((BOOT_START + BOOT_SECTORS)); B_START=$((A_START + SLOT_SECTORS)); DATA_START=$((B_START + SLOT_SECTORS))
DATA_SECTORS=$(( $(stat -c %s "$DATAIMG") / 512 ))
truncate -s $(( (DATA_START + DATA_SECTORS) * 512 )) "$IMG"
sfdisk -q "$IMG" <<EOF
label: dos
label-id: 0x6b696f73
unit: sectors
start=$BOOT_START, size=$BOOT_SECTORS, type=c, bootable
start=$A_START, size=$SLOT_SECTORS, type=83
start=$B_START, size=$SLOT_SECTORS, type=83
start=$DATA_START, size=$DATA_SECTORS, type=83
EOF
dd if="$BOOTIMG" of="$IMG" bs=1M seek=$((BOOT_START * 512)) oflag=seek_bytes conv=notrunc,sparse status=none
dd if="$ROOTIMG" of="$IMG" bs=4M seek=$((A_START * 512)) oflag=seek_bytes conv=notrunc,sparse status=none
dd if="$DATAIMG" of="$IMG" bs=4M seek=$((DATA_START * 512)) oflag=seek_bytes conv=notrunc,sparse status=none
# the root ($WORK/root.ext4) stays for make bundle (the same bytes as slot A), with its version
echo "$VERSION" >"$WORK/root.version"
rm -f "$BOOTIMG" "$DATAIMG"
touch --date="@$SOURCE_DATE_EPOCH" "$IMG"
sfdisk -l "$IMG"

log "xz -$XZ_LEVEL"
xstart=$(date +%s)
xz -T0 -"$XZ_LEVEL" -k -f "$IMG"
echo "xz: $(( $(date +%s) - xstart )) s"
(cd "$BUILD_DIR" && sha256sum "$NAME.img" "$NAME.img.xz" >"$NAME.img.sha256")

log "done in $(( $(date +%s) - T0 )) s"
ls -l "$IMG" "$IMG.xz" "$BUILD_DIR/$NAME.img.sha256" "$MANIFEST"
echo "root: $(du -sh --apparent-size "$ROOT" | cut -f1) in a ${ROOT_MB} MB file system, slots A and B ${SLOT_MB} MB each   data: ${DATA_MB} MB" \
  "(grows on first boot)   image: $(du -h --apparent-size "$IMG" | cut -f1)   xz: $(du -h "$IMG.xz" | cut -f1)"

# Shared by the image's tests under QEMU (sourced: images/build-image.sh --test, images/update-test.sh).
# Needs REPO, WORK, IMG and die() from the caller.
#
# The test's own office server, SSH key and kiosk.toml, in a private folder. The guest's network is QEMU's user
# network with restrict=on: it reaches nothing beyond this machine, and on it only what is forwarded: SSH from
# 127.0.0.1:SSH_PORT to the guest's port 22 (hostfwd), and the office server, which the kiosk knows as
# http://10.0.2.100/, to a `kiosk-office serve` on 127.0.0.1:OFFICE_PORT (guestfwd, one relay process per
# connection). DHCP still answers under restrict=on, without a router or DNS server; DNS and NTP (UDP) get no
# answer. The machine boots as a Pi does: U-Boot (Debian's u-boot-qemu, as the firmware) finds boot.scr on the
# FAT partition, which starts root slot A or B (images/boot.cmd).

UBOOT_QEMU=/usr/lib/u-boot/qemu_arm64/u-boot.bin

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# The office server (ERLIN-01's token in TOKEN), the SSH key, and $TDIR/kiosk.toml: the example as a technician
# fills it in (this office's address and token, the test key), with $1's extra TOML lines at its end.
test_office_and_kiosk_toml() {
  [ -x "$REPO/.venv/bin/kiosk-office" ] || make -C "$REPO" setup
  TDIR=$WORK/test
  rm -rf "$TDIR"; mkdir -m 700 "$TDIR"
  SSH_PORT=$(free_port); OFFICE_PORT=$(free_port)
  ssh-keygen -q -t ed25519 -N '' -C kiosk-image-test -f "$TDIR/id_ed25519"
  export KIOSK_OFFICE_DB=$TDIR/office.db KIOSK_OFFICE_BUNDLES=$TDIR/bundles
  TOKEN=$("$REPO/.venv/bin/kiosk-office" kiosk add ERLIN-01 2>/dev/null | tail -1)
  [ -n "$TOKEN" ] || die "kiosk-office kiosk add ERLIN-01 gave no token"
  "$REPO/.venv/bin/kiosk-office" serve --host 127.0.0.1 --port "$OFFICE_PORT" >"$TDIR/office.log" 2>&1 &
  OFFICE_PID=$!
  qpid=
  trap 'kill "$OFFICE_PID" 2>/dev/null; [ -n "$qpid" ] && kill -9 "$qpid" 2>/dev/null; true' EXIT
  cat >"$TDIR/relay" <<'PY'
#!/usr/bin/python3
# QEMU's guestfwd command: one guest connection (stdin/stdout) relayed to 127.0.0.1:PORT on this machine
import os, socket, sys, threading
sys.stderr = open(os.devnull, "w")  # stderr is the guest's connection too
conn = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
def guest_to_host():
    while True:
        data = os.read(0, 65536)
        if not data:
            break
        conn.sendall(data)
    try:
        conn.shutdown(socket.SHUT_WR)
    except OSError:
        pass
threading.Thread(target=guest_to_host, daemon=True).start()
while True:
    data = conn.recv(65536)
    if not data:
        break
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()
PY
  chmod 700 "$TDIR/relay"
  PYTHONPATH=$REPO "$REPO/.venv/bin/python" - "$REPO/provisioning/kiosk.toml.example" "$TDIR/kiosk.toml" "$TOKEN" \
    "$(cat "$TDIR/id_ed25519.pub")" "${1:-}" <<'PY'
import sys
from pathlib import Path
from provisioning.batch import set_key
example, out, token, key, extra = sys.argv[1:]
text = Path(example).read_text(encoding="utf-8")
for name, value in (("server.url", "http://10.0.2.100/"), ("server.token", token), ("ssh.authorized_keys", [key])):
    text = set_key(text, name, value)
for line in filter(None, extra.split(";")):  # "update.window=00:00-00:00;update.confirm_minutes=4"
    name, value = line.split("=", 1)
    text = set_key(text, name, int(value) if value.isdigit() else value)
Path(out).write_text(text, encoding="utf-8")
PY
}

# $1: a copy of the image as a technician leaves it: $TDIR/kiosk.toml on the boot partition (injected without root,
# as on a laptop), on a card 1 GiB larger than the image (the data partition grows); $2: kernel words for the boot
# script (kiosk-args.txt: the serial console, the boot test's flags).
test_card() {
  cp --sparse=always "$IMG" "$1"
  truncate -s +1G "$1"
  "$REPO/provisioning/kiosk-provision" inject "$1" "$TDIR/kiosk.toml"
  printf 'extra_args=consoleblank=0 console=ttyAMA0 systemd.show_status=1 %s\n' "$2" >"$TDIR/kiosk-args.txt"
  mcopy -o -i "$1@@$(PYTHONPATH=$REPO python3 -c 'import sys; from provisioning.images import fat_offset; print(fat_offset(sys.argv[1]))' "$1")" \
    "$TDIR/kiosk-args.txt" ::/kiosk-args.txt
}

# QEMU (array QEMU) for card $1; $2 "reboot": a restart inside the guest resets the machine (U-Boot again),
# else QEMU exits. SSH (array SSH): root on the guest with the test key.
qemu_for() {
  [ -f "$UBOOT_QEMU" ] || die "$UBOOT_QEMU missing (apt install u-boot-qemu)"
  QEMU=(qemu-system-aarch64 -M virt -cpu cortex-a53 -smp 2 -m 1024 -nographic -bios "$UBOOT_QEMU"
    -drive "file=$1,format=raw,if=virtio"
    -netdev "user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:$SSH_PORT-:22,guestfwd=tcp:10.0.2.100:80-cmd:$TDIR/relay $OFFICE_PORT"
    -device virtio-net-pci,netdev=n0,romfile=)
  [ "${2:-}" = reboot ] || QEMU+=(-no-reboot)
  SSH=(ssh -i "$TDIR/id_ed25519" -p "$SSH_PORT" -o BatchMode=yes -o IdentitiesOnly=yes -o ConnectTimeout=10
    -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR root@127.0.0.1)
}

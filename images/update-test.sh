# make update-test (sourced by images/build-image.sh --update-test, after a build: its root and keys).
#
# A kiosk goes from version N to N+1 through a real office server without a hand on it, survives a power cut
# during the install, and leaves a failing N+2 by itself, its ratings and outbox intact. Under QEMU, booted by
# U-Boot (u-boot-qemu) as the Pi boots (images/test-lib.sh). Each step's time is printed.
#
#   N    the built image (slot A)
#   N+1  the same root with another version (/etc/kiosk-release: $VERSION+u1), as a RAUC bundle
#   N+2  the same, $VERSION+u2, whose kiosk app cannot start (kiosk.service runs /bin/false): no first frame
#
# N+1 and N+2 are the built root with a file or two changed (debugfs), not whole builds: a build takes 20 min
# here, and what is tested is the path of a bundle, whatever is in it.

host_tools test
[ -f "$IMG" ] && [ -f "$WORK/root.ext4" ] || die "$IMG or $WORK/root.ext4 missing: make image first"
# shellcheck source=images/test-lib.sh
. "$REPO/images/test-lib.sh"
T0=$(date +%s)
step() { printf '\n=== [%s, +%d s] %s\n' "$(date +%T)" $(( $(date +%s) - T0 )) "$*"; }
failed=0
ok() { echo "ok    $*"; }
fail() { echo "FAIL  $*"; failed=1; }
V1=$VERSION+u1 V2=$VERSION+u2 TAB=$'\t'
UT=$WORK/update-test
mkdir -p "$UT"; rm -f "$UT"/card.img

step "bundles N+1 ($V1) and N+2 ($V2, its kiosk cannot start)"
variant() {  # $1 version, $2 "broken": the kiosk app's unit runs /bin/false
  local img=$UT/root-$1.ext4 cmds=$UT/debugfs-$1
  # made from this build's root already (a run cut short): 3 min each saved
  [ "$UT/kiosk-$1-arm64.raucb" -nt "$WORK/root.ext4" ] && { echo "bundle $1: kept from the last run"; return; }
  cp --sparse=always "$WORK/root.ext4" "$img"
  printf 'VERSION=%s\n' "$1" >"$UT/kiosk-release"
  printf 'rm /etc/kiosk-release\nwrite %s /etc/kiosk-release\n' "$UT/kiosk-release" >"$cmds"
  if [ "${2:-}" = broken ]; then
    debugfs -R "cat /etc/systemd/system/kiosk.service" "$img" 2>/dev/null \
      | sed 's|^ExecStart=.*|ExecStart=/bin/false|' >"$UT/kiosk.service"
    printf 'rm /etc/systemd/system/kiosk.service\nwrite %s /etc/systemd/system/kiosk.service\n' "$UT/kiosk.service" >>"$cmds"
  fi
  debugfs -w -f "$cmds" "$img" >/dev/null 2>&1
  [ "$(debugfs -R 'cat /etc/kiosk-release' "$img" 2>/dev/null)" = "VERSION=$1" ] || die "could not make the root of $1"
  make_bundle "$img" "$1" "$UT/kiosk-$1-arm64.raucb"
  rm -f "$img"
}
variant "$V1"
variant "$V2" broken

# The office server; kiosk.toml with the update window open all day and a short check (4 min under emulation).
test_office_and_kiosk_toml "update.window=00:00-00:00;update.confirm_minutes=4"
OFFICE=("$REPO/.venv/bin/kiosk-office")
CARD=$UT/card.img
test_card "$CARD" "kiosk.test=1 kiosk.test.report=0"
qemu_for "$CARD" reboot
SERIAL=$BUILD_DIR/$NAME.update-serial.log
: >"$SERIAL"
power_on() { "${QEMU[@]}" </dev/null >>"$SERIAL" 2>&1 & qpid=$!; }
power_cut() { kill -9 "$qpid" 2>/dev/null || true; wait "$qpid" 2>/dev/null || true; qpid=; }  # QEMU killed: wait says 137
on_kiosk() { timeout 60 "${SSH[@]}" "$@" </dev/null 2>/dev/null | tr -d '\r'; }
status() { on_kiosk /usr/local/bin/kiosk update status --json; }
field() { python3 -c 'import json, sys
try:
    v = json.loads(sys.stdin.read().strip().splitlines()[-1])
except (ValueError, IndexError):  # no answer yet (the kiosk is booting)
    v = {}
for k in sys.argv[1].split("."):
    v = v.get(k, "") if isinstance(v, dict) else ""
print(v)' "$1"; }
re() { sed 's/[.+]/\\&/g' <<<"$1"; }  # a version as a regular expression (0.1.0+u1 has two of its characters)
# wait up to $1 s until `kiosk update status` matches the regular expression $2 ("version slot state")
wait_for() {
  local limit=$1 want=$2 t0 now s
  t0=$(date +%s)
  while [ $(( $(date +%s) - t0 )) -lt "$limit" ]; do
    s=$(status)
    now="$(field version <<<"$s") $(field slot <<<"$s") $(field update.state <<<"$s")"
    [ "$now" != "$LAST" ] && { echo "  +$(( $(date +%s) - T0 )) s: $now $(field update.error <<<"$s")"; LAST=$now; }
    [[ $now =~ ^($want)$ ]] && return 0
    sleep 5
  done
  return 1
}
events_on_kiosk() { timeout 60 "${SSH[@]}" runuser -u kiosk -- /opt/kiosk/venv/bin/python - 2>/dev/null <<'PY' | tr -d '\r'
import sqlite3
print(sqlite3.connect("/var/lib/kiosk/kiosk.db", timeout=10).execute("SELECT count(*) FROM events WHERE type = 'rating'").fetchone()[0])
PY
}
ratings_at_office() { python3 - "$TDIR/office.db" <<'PY'
import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM events WHERE type = 'rating'").fetchone()[0])
PY
}

step "N+1 offered to ERLIN-01 on the office server (kiosk-office update add, offer)"
"${OFFICE[@]}" update add "$UT/kiosk-$V1-arm64.raucb"
"${OFFICE[@]}" update offer "$V1" --kiosk ERLIN-01

step "power on N ($VERSION, slot A): it provisions itself, then takes the offer"
LAST=
power_on
wait_for 900 "$(re "$VERSION") A (idle|downloading|downloaded)" && ok "N runs from slot A" || fail "N did not come up"
on_kiosk /usr/local/bin/kiosk simulate press smile --count 3 --gap 0.5 >/dev/null
on_kiosk /usr/local/bin/kiosk simulate press frown --count 2 --gap 0.5 >/dev/null
RATINGS=$(events_on_kiosk)
echo "  ratings on the kiosk before the update: $RATINGS"

step "the install: the power is pulled while RAUC writes slot B"
if wait_for 900 "$(re "$VERSION") A installing"; then
  sleep 10
  power_cut
  ok "power cut during the install (+$(( $(date +%s) - T0 )) s)"
else
  fail "the kiosk never started installing N+1"
fi
step "power on again: slot A (B was not finished), the install again, the restart into B, its check"
power_on
wait_for 600 "$(re "$VERSION") A .*" && ok "after the cut: N from slot A" || fail "after the cut: not N on slot A"
wait_for 1800 "$(re "$V1") B good" && ok "N+1 runs from slot B and kept itself (good)" || fail "N+1 did not become good on slot B"
[ "$(events_on_kiosk)" -ge "$RATINGS" ] && ok "the ratings are all there on N+1 ($(events_on_kiosk))" \
  || fail "ratings lost: $RATINGS before, $(events_on_kiosk) now"
on_kiosk hostname | grep -qx erlin-01 && ok "N+1 provisioned from the kept settings (host name erlin-01, SSH with the test key)" \
  || fail "N+1 not provisioned"

step "N+2 offered; its kiosk app cannot start"
"${OFFICE[@]}" update add "$UT/kiosk-$V2-arm64.raucb"
"${OFFICE[@]}" update offer "$V2" --kiosk ERLIN-01
wait_for 1200 "$(re "$V2") A trying" || true
wait_for 2400 "$(re "$V1") B rolled_back" && ok "N+2 failed its check, the kiosk went back to N+1 on slot B by itself" \
  || fail "the kiosk did not go back from N+2"
s=$(status); echo "  the kiosk says: $(field update.error <<<"$s")"
grep -q "drew no first frame" <<<"$(field update.error <<<"$s")" && ok "the reason: no first frame" || fail "no reason given"

step "the office's view, and nothing lost"
for _ in $(seq 60); do
  "${OFFICE[@]}" update list | grep -q "^kiosk ERLIN-01.*rolled_back" && break; sleep 10
done
"${OFFICE[@]}" update list
"${OFFICE[@]}" update list | grep -qF "kiosk ERLIN-01$TAB$V1${TAB}B${TAB}offered $V2${TAB}rolled_back" \
  && ok "the office sees ERLIN-01 on $V1, slot B, N+2 rolled back with its reason" || fail "the office does not see the rollback"
for _ in $(seq 60); do [ "$(ratings_at_office)" -ge "$RATINGS" ] && break; sleep 10; done
[ "$(ratings_at_office)" -ge "$RATINGS" ] && [ "$(events_on_kiosk)" -ge "$RATINGS" ] \
  && ok "every rating on the kiosk ($(events_on_kiosk)) and at the office ($(ratings_at_office))" \
  || fail "ratings: $RATINGS before, $(events_on_kiosk) on the kiosk, $(ratings_at_office) at the office"
power_cut
echo "serial console: $SERIAL; office server: $TDIR/office.log; $(( $(date +%s) - T0 )) s in all"
grep -a "^AB: " "$SERIAL" | tr -d '\r' | sed 's/^/  U-Boot /' | tail -20
[ $failed = 0 ] && { echo "UPDATE TEST PASS"; exit 0; }
echo "UPDATE TEST FAIL"; exit 1

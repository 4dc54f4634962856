"""First-boot provisioning (provisioning/) against a temporary root directory.

Good, bad and partial boot files; idempotence; secrets scrubbed from the boot
file and never printed; file modes; ``kiosk-provision inject`` into a small MBR
+ FAT image built here (needs mtools and dosfstools, else those tests skip).
"""

import base64
import os
import shutil
import stat
import struct
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # provisioning/ is a folder of the repository, not an installed package

from kiosk.config import parse_file  # noqa: E402
from provisioning.boot_file import ProvisioningError, validate  # noqa: E402
from provisioning.first_boot import apply  # noqa: E402
from provisioning.images import fat_offset  # noqa: E402
from provisioning.layout import SCRUB_MARKER  # noqa: E402

SCRIPT = REPO / "provisioning" / "kiosk-provision"
PSK = "correct-horse-battery"
TOKEN = "tok-7f3a9c-secret"


def ed25519_line(comment="tech@laptop"):
    blob = struct.pack(">I", 11) + b"ssh-ed25519" + struct.pack(">I", 32) + bytes(range(32))
    return f"ssh-ed25519 {base64.b64encode(blob).decode()} {comment}"


GOOD = f"""\
# the technician's file
[kiosk]
id = "ERLIN-01"
office = "彰化縣二林戶政事務所"

[printer]
baudrate = 19200

[server]
url = "https://office.example/"
token = "{TOKEN}"

[display]
rotation = 90

[wifi]
ssid = "Erlin-Office"
psk = "{PSK}"

[network]
ntp = ["time.stdtime.gov.tw"]

[ssh]
authorized_keys = ["{ed25519_line()}"]
"""


@pytest.fixture
def root(tmp_path):
    r = tmp_path / "root"
    (r / "etc").mkdir(parents=True)
    (r / "etc/passwd").write_text(f"root:x:0:0:root:/root:/bin/bash\nkiosk:x:{os.getuid()}:{os.getgid()}::/var/lib/kiosk:/usr/sbin/nologin\n")
    (r / "etc/hosts").write_text("127.0.0.1\tlocalhost\n127.0.1.1\tdebian\n")
    (r / "etc/default").mkdir()
    (r / "etc/default/raspi-extra-cmdline").write_text("consoleblank=0\n")
    return r


@pytest.fixture
def boot(tmp_path):
    b = tmp_path / "boot"
    b.mkdir()
    path = b / "kiosk.toml"
    path.write_text(GOOD, encoding="utf-8")
    return path


def mode(path):
    return stat.S_IMODE(path.lstat().st_mode)


def every_file_text(*dirs):
    for d in dirs:
        for p in Path(d).rglob("*"):
            if p.is_file() and not p.is_symlink():
                yield p, p.read_bytes().decode("utf-8", "replace")


# -- a good file --------------------------------------------------------------------------------

def test_good_file_writes_every_system_file(root, boot):
    calls = []
    changes = apply(boot, root, run=calls.append)
    assert (root / "etc/hostname").read_text() == "erlin-01\n"
    hosts = (root / "etc/hosts").read_text()
    assert "127.0.1.1\terlin-01" in hosts and "debian" not in hosts and "127.0.0.1\tlocalhost" in hosts
    assert (root / "etc/timezone").read_text() == "Asia/Taipei\n"
    assert os.readlink(root / "etc/localtime") == "/usr/share/zoneinfo/Asia/Taipei"

    wpa = root / "etc/wpa_supplicant/wpa_supplicant-wlan0.conf"
    assert mode(wpa) == 0o600
    text = wpa.read_text()
    assert f"ssid={'Erlin-Office'.encode().hex()}" in text and "country=TW" in text
    import hashlib
    assert hashlib.pbkdf2_hmac("sha1", PSK.encode(), b"Erlin-Office", 4096, 32).hex() in text
    assert "Name=wlan0" in (root / "etc/systemd/network/30-kiosk-wifi.network").read_text()
    assert "DHCP=yes" in (root / "etc/systemd/network/20-kiosk-wired.network").read_text()

    assert "NTP=time.stdtime.gov.tw\n" in (root / "etc/systemd/timesyncd.conf.d/kiosk.conf").read_text()
    keys = root / "root/.ssh/authorized_keys"
    assert mode(keys) == 0o600 and mode(root / "root/.ssh") == 0o700
    assert ed25519_line() in keys.read_text()
    assert "PasswordAuthentication no" in (root / "etc/ssh/sshd_config.d/kiosk.conf").read_text()
    cmdline = (root / "etc/default/raspi-extra-cmdline").read_text()
    # the console turns with the screen; the app turns its own picture, so no video=...:rotate as well
    assert cmdline.startswith("consoleblank=0 ") and "video=" not in cmdline
    assert "fbcon=rotate:1" in cmdline and "cfg80211.ieee80211_regdom=TW" in cmdline and cmdline.count("\n") == 1

    app = root / "etc/kiosk/kiosk.toml"
    assert mode(app) == 0o600 and app.stat().st_uid == os.getuid()
    assert "[wifi]" not in app.read_text() and "[ssh]" not in app.read_text()
    values, problems = parse_file(app)
    assert problems == []
    assert values["server"]["token"] == TOKEN and values["printer"]["baudrate"] == 19200
    assert values["kiosk"]["id"] == "ERLIN-01"

    assert "/etc/hostname" in changes and "/etc/kiosk/kiosk.toml" in changes
    assert ["systemctl", "--no-block", "enable", "--now", "ssh.service"] in calls
    # the card's own host keys exist before sshd starts (the image ships none)
    assert calls.index(["ssh-keygen", "-A"]) < calls.index(["systemctl", "--no-block", "enable", "--now", "ssh.service"])
    # the new command line reaches cmdline.txt through raspi-firmware's hook, not an initrd rebuild
    assert ["env", "DEB_MAINT_PARAMS=configure", "/etc/kernel/postinst.d/z50-raspi-firmware"] in calls
    assert not any(call[0] == "update-initramfs" for call in calls)
    assert ["systemctl", "--no-block", "enable", "--now", "wpa_supplicant@wlan0.service"] in calls
    assert not (root / "var/lib/kiosk/provisioning-errors.txt").exists()


def unit_options(name):
    """``{option: [values]}`` of a unit file in provisioning/systemd/ (every section together)."""
    options = {}
    for line in (REPO / "provisioning/systemd" / name).read_text().splitlines():
        if "=" in line and not line.lstrip().startswith(("#", ";", "[")):
            key, value = line.split("=", 1)
            options.setdefault(key.strip(), []).extend(value.split())
    return options


def test_the_first_boot_starts_the_network_it_enables(root, boot):
    # Issue 17: the card's first boot had no network (no SSH, NTP or upload) until a power cycle, because
    # provisioning only enabled systemd-networkd, and a unit enabled while the system boots is not in that
    # boot's transaction. The real command kiosk-provision.service runs (--dry-run logs what it would run).
    result = run_cli("apply", "--boot", boot, "--root", root, "--dry-run")
    assert result.returncode == 0, result.stderr
    ran = [line.split("would run: ", 1)[1].split() for line in
           (root / "var/lib/kiosk/provisioning.log").read_text().splitlines() if "would run: " in line]
    started = [argv for argv in ran if argv[0] == "systemctl"
               and ("start" in argv or ("enable" in argv and "--now" in argv))]
    for unit in ("systemd-networkd.service", "systemd-resolved.service", "ssh.service"):
        matching = [argv for argv in started if unit in argv]
        assert len(matching) == 1, f"{unit} is enabled but not started on this boot: {ran}"
        argv = matching[0]
        # never waited for: networkd is ordered after network-pre.target, which waits for this very unit
        assert "--no-block" in argv, argv
        assert "enable" in argv  # and every later boot too
    # the .network files exist before networkd is started (all files are written before any command runs)
    assert (root / "etc/systemd/network/20-kiosk-wired.network").exists()
    # ... and networkd's start waits for provisioning: kiosk-provision.service runs before network-pre.target
    unit = unit_options("kiosk-provision.service")
    assert "network-pre.target" in unit["Before"] and "network-pre.target" in unit["Wants"]
    assert unit["DefaultDependencies"] == ["no"]  # else it would be ordered after sysinit and basic.target
    # a kiosk whose file does not change (every later boot) runs no command at all: networkd starts as enabled
    assert run_cli("apply", "--boot", boot, "--root", root, "--dry-run").stdout.strip() == "nothing changed"


def test_defaults_and_partial_file_wired_only_ssh_off(root, boot):
    boot.write_text('[kiosk]\nid = "LUKANG-3"\n', encoding="utf-8")
    calls = []
    apply(boot, root, run=calls.append)
    assert (root / "etc/hostname").read_text() == "lukang-3\n"
    assert "NTP=time.stdtime.gov.tw tock.stdtime.gov.tw\n" in (root / "etc/systemd/timesyncd.conf.d/kiosk.conf").read_text()
    assert not (root / "etc/wpa_supplicant/wpa_supplicant-wlan0.conf").exists()
    assert not (root / "etc/systemd/network/30-kiosk-wifi.network").exists()
    assert (root / "etc/systemd/network/20-kiosk-wired.network").exists()
    assert not (root / "root/.ssh/authorized_keys").exists()
    assert ["systemctl", "--no-block", "disable", "--now", "ssh.service"] in calls and ["ssh-keygen", "-A"] not in calls
    assert "video=" not in (root / "etc/default/raspi-extra-cmdline").read_text()
    assert boot.read_text() == '[kiosk]\nid = "LUKANG-3"\n'  # no secrets: the boot file is left alone


def test_owner_recorded_not_changed_when_kiosk_user_missing(root, boot):
    (root / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
    apply(boot, root)
    assert mode(root / "etc/kiosk/kiosk.toml") == 0o600


# -- idempotence and re-applying ----------------------------------------------------------------

def test_second_apply_changes_nothing(root, boot):
    assert apply(boot, root)
    snapshot = {p: p.read_bytes() for p, _ in every_file_text(root)}
    calls = []
    assert apply(boot, root, run=calls.append) == []
    assert calls == []
    assert {p: p.read_bytes() for p, _ in every_file_text(root)} == snapshot


def test_idempotent_without_the_hash_too(root, boot):
    """Even if the recorded hash is lost, the scrubbed file re-applies to the same files."""
    apply(boot, root)
    (root / "var/lib/kiosk/provisioned.sha256").unlink()
    assert apply(boot, root) == ["/var/lib/kiosk/provisioned.sha256"]
    assert parse_file(root / "etc/kiosk/kiosk.toml")[0]["server"]["token"] == TOKEN
    assert "psk=" in (root / "etc/wpa_supplicant/wpa_supplicant-wlan0.conf").read_text()


def test_changed_file_is_applied_again_keeping_moved_secrets(root, boot):
    apply(boot, root)
    wpa_before = (root / "etc/wpa_supplicant/wpa_supplicant-wlan0.conf").read_text()
    text = boot.read_text(encoding="utf-8").replace("baudrate = 19200", "baudrate = 9600").replace(
        'rotation = 90', 'rotation = 0')
    boot.write_text(text, encoding="utf-8")
    changes = apply(boot, root)
    assert "/etc/kiosk/kiosk.toml" in changes and "/etc/default/raspi-extra-cmdline" in changes
    assert "/etc/hostname" not in changes
    values = parse_file(root / "etc/kiosk/kiosk.toml")[0]
    assert values["printer"]["baudrate"] == 9600 and values["server"]["token"] == TOKEN
    assert (root / "etc/wpa_supplicant/wpa_supplicant-wlan0.conf").read_text() == wpa_before
    assert apply(boot, root) == []


def test_new_secret_typed_on_a_scrubbed_file_replaces_the_old(root, boot):
    apply(boot, root)
    text = boot.read_text(encoding="utf-8").replace('token = ""', 'token = "new-token-42"', 1)
    boot.write_text(text, encoding="utf-8")
    apply(boot, root)
    assert parse_file(root / "etc/kiosk/kiosk.toml")[0]["server"]["token"] == "new-token-42"
    assert "new-token-42" not in boot.read_text(encoding="utf-8")


def test_changed_network_name_after_scrub_needs_the_password(root, boot):
    apply(boot, root)
    boot.write_text(boot.read_text(encoding="utf-8").replace("Erlin-Office", "Other-Net"), encoding="utf-8")
    with pytest.raises(ProvisioningError) as caught:
        apply(boot, root)
    assert any("wifi.psk" in p and "network name changed" in p for p in caught.value.problems)


# -- secrets -------------------------------------------------------------------------------------

def test_secrets_scrubbed_from_boot_file_and_never_logged(root, boot, caplog):
    caplog.set_level("DEBUG")
    apply(boot, root)
    scrubbed = boot.read_text(encoding="utf-8")
    assert PSK not in scrubbed and TOKEN not in scrubbed
    assert scrubbed.startswith(SCRUB_MARKER)
    assert 'psk = ""  # moved' in scrubbed and 'token = ""  # moved' in scrubbed
    assert validate(boot, root) == []  # still a valid file, for the next edit
    assert not list(boot.parent.glob(".kiosk-toml.*"))
    for path, text in every_file_text(root, boot.parent):
        assert PSK not in text, path  # the Wi-Fi password is stored only as its derived key
        # the app's file, and the copy a new root slot takes it from (a system update), root's alone
        if path not in (root / "etc/kiosk/kiosk.toml", root / "data/provisioning/secrets.toml"):
            assert TOKEN not in text, path
    assert mode(root / "data/provisioning/secrets.toml") == 0o600 and mode(root / "data/provisioning") == 0o700
    assert PSK not in caplog.text and TOKEN not in caplog.text


def test_problems_never_echo_the_psk(root, boot):
    secret = "bad\u00e9-pass-word"
    boot.write_text(GOOD.replace(PSK, secret), encoding="utf-8")
    problems = validate(boot)
    assert any("wifi.psk" in p and "ASCII" in p for p in problems)
    assert all(secret not in p for p in problems)
    boot.write_text(GOOD.replace(f'psk = "{PSK}"', "psk = 12345678"), encoding="utf-8")
    assert any("wifi.psk" in p and "***" in p for p in validate(boot))


# -- bad files -----------------------------------------------------------------------------------

def line_of(text, needle):
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize("old, new, key, words", [
    (f'psk = "{PSK}"', 'psk = "7chars!"', "wifi.psk", "8-63"),
    ('id = "ERLIN-01"', 'id = "ERLIN_01"', "kiosk.id", "host name"),
    ('id = "ERLIN-01"', 'id = "ERLIN-"', "kiosk.id", "host name"),
    ('ssid = "Erlin-Office"', 'ssid = "Erlin-Office"\ncountry = "tw"', "wifi.country", "two capital"),
    ('ssid = "Erlin-Office"', 'ssid = "Erlin-Office"\nchannel = 6', "wifi.channel", "unknown key"),
    ("baudrate = 19200", "baudrate = 1234", "printer.baudrate", "must be one of"),
    ('ntp = ["time.stdtime.gov.tw"]', 'ntp = ["time stdtime"]', "network.ntp", "host name"),
    ('ntp = ["time.stdtime.gov.tw"]', "ntp = []", "network.ntp", "at least one"),
    (f'authorized_keys = ["{ed25519_line()}"]', 'authorized_keys = ["-----BEGIN OPENSSH PRIVATE KEY-----"]',
     "ssh.authorized_keys", "public key"),
    ('ssid = "Erlin-Office"', 'ssid = "' + "x" * 33 + '"', "wifi.ssid", "32"),
])
def test_each_bad_value_is_named_with_its_line_and_nothing_applied(root, boot, old, new, key, words):
    text = GOOD.replace(old, new)
    assert text != GOOD
    boot.write_text(text, encoding="utf-8")
    with pytest.raises(ProvisioningError) as caught:
        apply(boot, root)
    line = line_of(text, new.splitlines()[-1])
    expected = f"{boot}:{line}: {key}: "
    assert any(p.startswith(expected) and words in p for p in caught.value.problems), caught.value.problems
    assert not (root / "etc/hostname").exists() and not (root / "etc/kiosk/kiosk.toml").exists()
    errors = (root / "var/lib/kiosk/provisioning-errors.txt").read_text(encoding="utf-8")
    assert expected in errors
    assert boot.read_text(encoding="utf-8") == text  # not scrubbed: nothing was applied


def test_every_problem_at_once_with_lines_into_the_original_file(root, boot):
    text = (GOOD.replace(f'psk = "{PSK}"', 'psk = "short"').replace('id = "ERLIN-01"', 'id = "ERLIN_01"')
            .replace("baudrate = 19200", "baudrate = 1234") + "\n[extra]\nx = 1\n")
    boot.write_text(text, encoding="utf-8")
    problems = validate(boot)
    assert len(problems) == 4, problems
    keys = {p.split(": ")[1]: int(p.split(": ")[0].rsplit(":", 1)[1]) for p in problems}
    assert keys == {"wifi.psk": line_of(text, 'psk = "short"'), "kiosk.id": line_of(text, "ERLIN_01"),
                    "printer.baudrate": line_of(text, "1234"), "extra": line_of(text, "[extra]")}


def test_bad_file_after_a_good_one_keeps_the_system_and_reports(root, boot):
    apply(boot, root)
    before = (root / "etc/kiosk/kiosk.toml").read_bytes()
    boot.write_text(boot.read_text(encoding="utf-8").replace("baudrate = 19200", "baudrate = 1234"), encoding="utf-8")
    with pytest.raises(ProvisioningError):
        apply(boot, root)
    assert (root / "etc/kiosk/kiosk.toml").read_bytes() == before
    assert (root / "var/lib/kiosk/provisioning-errors.txt").exists()
    boot.write_text(boot.read_text(encoding="utf-8").replace("baudrate = 1234", "baudrate = 9600"), encoding="utf-8")
    assert "/var/lib/kiosk/provisioning-errors.txt" in apply(boot, root)
    assert not (root / "var/lib/kiosk/provisioning-errors.txt").exists()


def test_syntax_error_and_missing_id(root, boot):
    boot.write_text('[kiosk]\nid = "A\n', encoding="utf-8")
    assert validate(boot)[0].startswith(f"{boot}:2: (syntax): not valid TOML")
    boot.write_text('[printer]\nbaudrate = 9600\n', encoding="utf-8")
    assert any("kiosk.id: must be set" in p for p in validate(boot))


# -- the command line ----------------------------------------------------------------------------

def run_cli(*args):
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], capture_output=True, text=True)


def test_cli_validate_exit_codes(boot):
    assert run_cli("validate", boot).returncode == 0
    assert run_cli("validate", REPO / "provisioning" / "kiosk.toml.example").returncode == 0
    boot.write_text(GOOD.replace(f'psk = "{PSK}"', 'psk = "1234567"').replace("19200", "1234"), encoding="utf-8")
    result = run_cli("validate", boot)
    assert result.returncode == 2
    assert "wifi.psk" in result.stderr and "printer.baudrate" in result.stderr
    assert "1234567" not in result.stderr + result.stdout


def test_cli_apply_dry_run(root, boot):
    result = run_cli("apply", "--boot", boot, "--root", root, "--dry-run")
    assert result.returncode == 0, result.stderr
    assert (root / "etc/hostname").read_text() == "erlin-01\n"
    assert run_cli("apply", "--boot", boot, "--root", root, "--dry-run").stdout.strip() == "nothing changed"


# -- images --------------------------------------------------------------------------------------

needs_mtools = pytest.mark.skipif(not (shutil.which("mcopy") and shutil.which("mkfs.vfat")),
                                  reason="needs mtools and dosfstools (apt install mtools dosfstools)")


@pytest.fixture
def image(tmp_path):
    img = tmp_path / "base.img"
    with open(img, "wb") as f:
        f.truncate(40 * 1024 * 1024)
        mbr = bytearray(512)
        mbr[446:462] = struct.pack("<B3sB3sII", 0, b"\0\0\0", 0x0C, b"\0\0\0", 2048, 40 * 2048 - 2048)
        mbr[510:512] = b"\x55\xaa"
        f.write(mbr)
    subprocess.run(["mkfs.vfat", "-F", "32", "--offset", "2048", str(img)], check=True, capture_output=True)
    return img


def mtype(img, name="kiosk.toml"):
    return subprocess.run(["mtype", "-i", f"{img}@@1M", f"::/{name}"], check=True, capture_output=True,
                          env={**os.environ, "MTOOLS_SKIP_CHECK": "1"}).stdout.decode("utf-8")


@needs_mtools
def test_inject_round_trip(image, boot):
    assert fat_offset(image) == 1024 * 1024
    result = run_cli("inject", image, boot)
    assert result.returncode == 0, result.stderr
    assert mtype(image) == GOOD


@needs_mtools
def test_inject_refuses_a_bad_file(image, boot):
    boot.write_text(GOOD.replace("19200", "1234"), encoding="utf-8")
    result = run_cli("inject", image, boot)
    assert result.returncode == 2 and "printer.baudrate" in result.stderr
    with pytest.raises(subprocess.CalledProcessError):
        mtype(image)


def test_inject_refuses_a_disk_without_mbr(tmp_path, boot):
    img = tmp_path / "blank.img"
    img.write_bytes(b"\0" * 4096)
    result = run_cli("inject", img, boot)
    assert result.returncode == 1 and "no MBR" in result.stderr


@needs_mtools
def test_batch_makes_one_image_per_kiosk(image, boot, tmp_path):
    rows = tmp_path / "kiosks.csv"
    rows.write_text("id,token,office\nERLIN-01,tok-one,二林戶政\nERLIN-02,tok-two,二林戶政\nXIHU-01,tok-three,溪湖戶政\n",
                    encoding="utf-8")
    out = tmp_path / "out"
    result = run_cli("inject", image, boot, "--batch", rows, "--out", out)
    assert result.returncode == 0, result.stderr
    made = sorted(p.name for p in out.glob("*.img"))
    assert made == ["kiosk-ERLIN-01.img", "kiosk-ERLIN-02.img", "kiosk-XIHU-01.img"]
    for kiosk_id, token, office in (("ERLIN-02", "tok-two", "二林戶政"), ("XIHU-01", "tok-three", "溪湖戶政")):
        text = mtype(out / f"kiosk-{kiosk_id}.img")
        assert f'id = "{kiosk_id}"' in text and f'token = "{token}"' in text and f'office = "{office}"' in text
        assert "ERLIN-01" not in text or kiosk_id == "ERLIN-01"
    assert not list(tmp_path.glob("**/kiosk-*.toml"))
    with pytest.raises(subprocess.CalledProcessError):
        mtype(image)  # the base image is untouched


@needs_mtools
def test_batch_checks_every_row_before_copying(image, boot, tmp_path):
    rows = tmp_path / "kiosks.csv"
    rows.write_text("id,token\nGOOD-1,t1\nBAD_2,t2\nGOOD-1,t3\n", encoding="utf-8")
    out = tmp_path / "out"
    result = run_cli("inject", image, boot, "--batch", rows, "--out", out)
    assert result.returncode == 2
    assert "kiosks.csv:3 (BAD_2)" in result.stderr and "kiosk.id" in result.stderr
    assert "appears twice" in result.stderr
    assert not out.exists() or not list(out.glob("*.img"))


@needs_mtools
def test_a_batch_image_is_applied_by_the_first_boot_units_own_command(image, boot, tmp_path, root):
    # The technician's path end to end, short of booting (make image-test boots it under QEMU): one
    # card's image from the batch, its boot partition read back, and the command kiosk-provision.service
    # runs at boot, pointed at a temporary root.
    rows = tmp_path / "kiosks.csv"
    rows.write_text("id,token\nXIHU-02,tok-xihu-2\n", encoding="utf-8")
    assert run_cli("inject", image, boot, "--batch", rows, "--out", tmp_path / "cards").returncode == 0
    card_boot = tmp_path / "card-boot"
    card_boot.mkdir()
    (card_boot / "kiosk.toml").write_text(mtype(tmp_path / "cards/kiosk-XIHU-02.img"), encoding="utf-8")

    unit = (REPO / "provisioning/systemd/kiosk-provision.service").read_text()
    [exec_start] = [line.split("=", 1)[1].split() for line in unit.splitlines() if line.startswith("ExecStart=")]
    assert exec_start[:2] == ["/opt/kiosk/provisioning/kiosk-provision", "apply"]
    args = exec_start[2:]
    args[args.index("--boot") + 1] = str(card_boot / "kiosk.toml")
    args[args.index("--root") + 1] = str(root)
    result = run_cli("apply", *args, "--dry-run")
    assert result.returncode == 0, result.stderr

    assert (root / "etc/hostname").read_text() == "xihu-02\n"
    values, problems = parse_file(root / "etc/kiosk/kiosk.toml")
    assert problems == [] and values["server"]["token"] == "tok-xihu-2" and values["kiosk"]["id"] == "XIHU-02"
    left = (card_boot / "kiosk.toml").read_text(encoding="utf-8")
    assert "tok-xihu-2" not in left and PSK not in left  # the card's copy no longer holds the secrets
    assert run_cli("apply", *args, "--dry-run").stdout.strip() == "nothing changed"

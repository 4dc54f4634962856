"""
What a technician relies on in the image, checked in the built root before it is packed
=======================================================================================

Users and groups, the units enabled (and the ones that must not be), the Raspberry Pi
boot configuration, file modes, the mounts of a read-only root, the font, and the kiosk
itself running in the arm64 root under QEMU user emulation: ``--version``, a headless
screenshot, and the provisioning tool judging the example file.
"""

import os
import re
import stat
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))


def group_members(root, name):
    for line in (root / "etc/group").read_text().splitlines():
        fields = line.split(":")
        if fields[0] == name:
            return fields[3].split(",") if fields[3] else []
    return None


def test_the_kiosk_user_cannot_log_in_and_has_the_hardware_groups(root):
    [entry] = [line.split(":") for line in (root / "etc/passwd").read_text().splitlines()
               if line.startswith("kiosk:")]
    assert entry[5] == "/var/lib/kiosk" and entry[6] == "/usr/sbin/nologin"
    for group in ("video", "render", "input", "gpio", "dialout", "audio"):
        assert "kiosk" in group_members(root, group), group


def test_no_account_has_a_password(root):
    for line in (root / "etc/shadow").read_text().splitlines():
        name, password = line.split(":")[:2]
        assert password.startswith(("!", "*")) or password == "", name


def wanted(root, target, unit):
    return (root / "etc/systemd/system" / f"{target}.wants" / unit).is_symlink()


def test_the_kiosk_starts_at_boot_and_ssh_does_not(root):
    for unit in ("kiosk.service", "kiosk-provision.service", "kiosk-provision.path", "kiosk-poweroff.path"):
        assert wanted(root, "multi-user.target", unit), unit
    assert not wanted(root, "multi-user.target", "ssh.service")
    assert not (root / "etc/systemd/system/sshd.service").exists()  # the alias `enable` makes
    # the boot test is pulled in by its generator only when the kernel says kiosk.test=1
    assert not wanted(root, "multi-user.target", "kiosk-boot-test.service")
    assert os.access(root / "usr/lib/systemd/system-generators/kiosk-test-generator", os.X_OK)


def test_the_printer_uart_has_no_login_prompt_and_nothing_wakes_up_to_write(root):
    for unit in ("serial-getty@ttyS0.service", "serial-getty@ttyS1.service", "serial-getty@ttyAMA0.service",
                 "apt-daily.timer", "apt-daily-upgrade.timer"):
        assert os.readlink(root / "etc/systemd/system" / unit) == "/dev/null", unit


def test_u_boot_starts_the_slots_and_rauc_knows_them(root):
    """The A/B chain (images/README.md, "Updates"): the firmware starts U-Boot, whose boot.scr picks slot A or B
    from rauc.env; RAUC (its D-Bus service, open to the kiosk user) writes the other slot and flips rauc.env."""
    firmware = root / "boot/firmware"
    kernels = re.findall(r"^kernel=(.*)$", (firmware / "config.txt").read_text(), re.M)
    assert kernels[-1] == "u-boot.bin", kernels  # the last kernel= line wins
    assert (firmware / "u-boot.bin").read_bytes() == (root / "usr/lib/u-boot/rpi_arm64/u-boot.bin").read_bytes()
    assert (firmware / "boot.scr").stat().st_size > 1000
    env = (firmware / "rauc.env").read_bytes()
    assert len(env) == 0x4000 and b"BOOT_ORDER=A B\0" in env and b"BOOT_A_LEFT=3\0" in env
    assert (firmware / "kiosk-args.txt").read_text() == "extra_args=consoleblank=0\n"
    assert "/boot/firmware/rauc.env" in (root / "etc/fw_env.config").read_text()
    conf = (root / "etc/rauc/system.conf").read_text()
    assert "bootloader=uboot" in conf and "compatible=erlin-kiosk-rpi-arm64" in conf
    assert "6b696f73-02" in conf and "6b696f73-03" in conf and "data-directory=/data/rauc" in conf
    assert (root / "etc/rauc/keyring.pem").read_text().startswith("-----BEGIN CERTIFICATE-----")
    assert 'policy user="kiosk"' in (root / "etc/dbus-1/system.d/kiosk-rauc.conf").read_text()
    assert re.match(r"VERSION=\S+\n$", (root / "etc/kiosk-release").read_text())
    for name in ("vmlinuz", "initrd.img"):
        assert (root / "boot" / name).is_symlink() and (root / "boot" / name).resolve().is_file(), name
    for unit in ("kiosk-update-confirm.service", "kiosk-update-reboot.path"):
        assert wanted(root, "multi-user.target", unit), unit
    assert "kiosk-update" in (root / "usr/lib/tmpfiles.d/kiosk-update.conf").read_text()
    assert (root / "usr/bin/rauc").exists() and (root / "usr/bin/fw_setenv").exists()


def test_config_txt_enables_the_uart_and_the_command_line_keeps_the_console_off_it(root):
    config = (root / "boot/firmware/config.txt").read_text()
    assert "arm_64bit=1" in config and re.search(r"^enable_uart=1$", config, re.M)
    assert re.search(r"^dtparam=audio=on$", config, re.M), "the voice guide's audio jack is off"
    cmdline = (root / "boot/firmware/cmdline.txt").read_text()
    assert cmdline.count("\n") == 1
    assert "root=LABEL=RASPIROOT" in cmdline and "consoleblank=0" in cmdline and "console=tty0" in cmdline
    assert not re.search(r"console=(ttyS|ttyAMA|serial)", cmdline)
    for name in ("vmlinuz-", "initrd.img-"):
        assert any(p.name.startswith(name) for p in (root / "boot/firmware").iterdir()), name
    assert (root / "boot/firmware/kiosk.toml.example").read_bytes() == \
        (REPO / "provisioning/kiosk.toml.example").read_bytes()


def fstab(root):
    entries = {}
    for line in (root / "etc/fstab").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            source, target, kind, options = line.split()[:4]
            entries[target] = (source, kind, options.split(","))
    return entries


def test_the_root_is_read_only_and_what_is_written_has_a_place(root):
    mounts = fstab(root)
    # / by the slot U-Boot starts, read-only (images/boot.cmd), not by its label: both slots carry the same one
    assert "/" not in mounts
    assert re.search(r'setenv bootargs "root=PARTUUID=\$\{ab_partuuid\} rootwait ro ', (REPO / "images/boot.cmd").read_text())
    source, kind, options = mounts["/data"]
    assert (source, kind) == ("LABEL=KIOSKDATA", "ext4") and "x-systemd.growfs" in options
    assert "x-systemd.requires=kiosk-grow-data.service" in options
    assert mounts["/var/lib/kiosk"][0] == "/data/kiosk" and "bind" in mounts["/var/lib/kiosk"][2]
    assert mounts["/var/lib/systemd"][0] == "/data/systemd"  # the clock file: a Pi has no RTC
    for path in ("/tmp", "/var/tmp", "/var/log"):
        assert mounts[path][1] == "tmpfs", path
    journald = (root / "etc/systemd/journald.conf.d/kiosk.conf").read_text()
    assert "Storage=volatile" in journald and "RuntimeMaxUse=" in journald
    assert (root / "etc/systemd/system/kiosk-grow-data.service").exists()
    assert os.access(root / "opt/kiosk/provisioning/grow-data-partition", os.X_OK)
    assert "RuntimeWatchdogSec=" in (root / "etc/systemd/system.conf.d/kiosk.conf").read_text()


def mode(path):
    return stat.S_IMODE(path.lstat().st_mode)


def test_file_modes_and_nothing_shared_between_cards(root):
    assert mode(root / "etc/kiosk") == 0o755 and not (root / "etc/kiosk/kiosk.toml").exists()
    for unit in ("kiosk.service", "kiosk-provision.service", "kiosk-grow-data.service"):
        assert mode(root / "etc/systemd/system" / unit) == 0o644, unit
    assert mode(root / "opt/kiosk/provisioning/kiosk-provision") == 0o755
    assert not list((root / "etc/ssh").glob("ssh_host_*")), "every card must make its own SSH host keys"
    assert (root / "etc/machine-id").read_text() == ""
    for stamp in ("etc/.updated", "var/.updated"):  # else ldconfig & co. try to write the read-only root
        assert (root / stamp).read_text().startswith("TIMESTAMP_NSEC="), stamp
    assert (root / "etc/hostname").read_text() == "kiosk\n"
    assert os.readlink(root / "etc/localtime").endswith("Asia/Taipei")


def test_the_traditional_chinese_and_thai_fonts_are_there_and_the_big_packages_are_gone(root):
    fonts = root / "usr/share/kiosk/fonts"
    assert {p.name for p in fonts.iterdir()} >= {"NotoSansCJKtc-Regular.otf", "NotoSansCJKtc-Bold.otf",
                                                  "NotoSansThai-Regular.ttf", "NotoSansThai-Bold.ttf"}
    assert not list((root / "usr/share/fonts").rglob("*.ttc")), "fonts-noto-cjk should be purged after the build"
    assert not (root / "usr/share/fonts/truetype/noto").exists(), "fonts-noto-core should be purged after the build"
    assert list((root / "opt/kiosk/venv/lib").glob("python3*/site-packages/kiosk/fonts/LICENSE-OFL.txt"))


def test_kiosk_version_runs_in_the_arm64_root(in_root):
    from kiosk import __version__

    result = in_root("kiosk", "--version")  # /usr/local/bin/kiosk: what a technician types, as root
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"kiosk {__version__}"


def test_a_headless_screenshot_of_home_renders_in_the_arm64_root(root, in_root):
    from PIL import Image

    out = root / "tmp/image-check-home.png"
    out.unlink(missing_ok=True)
    result = in_root("/opt/kiosk/venv/bin/kiosk", "screenshot", "home", "--out", "/tmp/image-check-home.png",
                     "--size", "800x480", env=["KIVY_HOME=/tmp/kivy", "XDG_DATA_HOME=/tmp/data"])
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    with Image.open(out) as image:
        assert image.size == (800, 480)
        assert len(image.convert("L").getcolors(256)) > 16  # drawn text and tiles, not a blank frame


def test_the_provisioning_tool_in_the_root_judges_kiosk_toml(root, in_root):
    ok = in_root("/opt/kiosk/provisioning/kiosk-provision", "validate", "/boot/firmware/kiosk.toml.example")
    assert ok.returncode == 0, ok.stderr
    (root / "tmp/bad.toml").write_text('[kiosk]\nid = "ERLIN 01"\n[wifi]\nssid = "x"\npsk = "short"\n')
    bad = in_root("/opt/kiosk/provisioning/kiosk-provision", "validate", "/tmp/bad.toml")
    assert bad.returncode == 2
    assert "kiosk.id" in bad.stderr and "wifi.psk" in bad.stderr and "short" not in bad.stderr


def test_dev_serial0_names_the_printer_uart_as_on_raspberry_pi_os(root):
    rules = (root / "etc/udev/rules.d/70-kiosk-serial0.rules").read_text()
    assert 'DRIVERS=="bcm2835-aux-uart"' in rules and 'SYMLINK+="serial0"' in rules


def test_python_files_are_precompiled_for_a_read_only_root(root):
    # checked-hash .pyc (flags 0b11): valid whatever the file times, still checked against the source
    [site] = list((root / "opt/kiosk/venv/lib").glob("python3*/site-packages"))
    for module in ("kiosk/cli.py", "kiosk/ui/app.py", "kivy/app.py", "gpiozero/devices.py"):
        source = site / module
        [pyc] = list((source.parent / "__pycache__").glob(source.stem + ".cpython-*.pyc"))
        assert int.from_bytes(pyc.read_bytes()[4:8], "little") == 0b11, module


@pytest.mark.parametrize("module", ["vc4", "v3d", "brcmfmac", "lan78xx", "smsc95xx", "bcm2835_wdt",
                                    "hid_multitouch", "usbhid", "sdhci_iproc", "usb_storage", "uas", "cdc_acm",
                                    "usblp", "ch341", "pl2303", "cp210x", "ftdi_sio", "rtl8xxxu", "ext4", "vfat"])
def test_the_modules_a_pi_kiosk_needs_survived_the_pruning(root, in_root, module):
    # display (vc4 pulls cec, rc-core and sound), Wi-Fi, Ethernet, watchdog, touch, SD, USB sticks, USB printers
    kver = sorted(p.name for p in (root / "usr/lib/modules").iterdir())[-1]
    result = in_root("modprobe", "-S", kver, "--show-depends", module)
    assert result.returncode == 0 and "not found" not in result.stderr, result.stderr


def test_the_voice_guide_can_speak_each_language_offline(root, in_root):
    """espeak-ng and its voices are in the image (the voice guide, issue 20): a WAV for Mandarin and Thai."""
    for voice in ("cmn", "th"):
        result = in_root("espeak-ng", "-v", voice, "-w", "/tmp/voice.wav", "--", "1 2 3")
        assert result.returncode == 0, result.stderr

"""Provisioning and the A/B root slots of a system update (issue 22): a slot written by an update is
provisioned again from the scrubbed boot file with the secrets kept on the data partition; the words U-Boot's
boot script adds to the kernel command line (kiosk-args.txt).  The fixtures and the good file are
tests/test_provisioning.py's.
"""

from kiosk.config import parse_file
from provisioning.first_boot import apply
from test_provisioning import TOKEN, boot, root  # noqa: F401 -- the fixtures


def test_a_root_slot_written_by_an_update_is_provisioned_again_with_the_kept_secrets(root, boot, tmp_path):
    """A system update writes a fresh root (images/README.md): the scrubbed boot file is applied to it again, the
    token and the Wi-Fi key taken from the data partition, which both slots share."""
    apply(boot, root)
    wpa_before = (root / "etc/wpa_supplicant/wpa_supplicant-wlan0.conf").read_text()
    new_slot = tmp_path / "slot-b"
    (new_slot / "etc/default").mkdir(parents=True)
    for rel in ("etc/passwd", "etc/hosts"):
        (new_slot / rel).write_text((root / rel).read_text())
    (new_slot / "etc/default/raspi-extra-cmdline").write_text("consoleblank=0\n")
    for shared in ("var", "data"):  # /var/lib/kiosk and /data are the data partition's
        (root / shared).rename(new_slot / shared)
    changes = apply(boot, new_slot)
    assert "/etc/kiosk/kiosk.toml" in changes and "/etc/hostname" in changes
    assert parse_file(new_slot / "etc/kiosk/kiosk.toml")[0]["server"]["token"] == TOKEN
    assert (new_slot / "etc/wpa_supplicant/wpa_supplicant-wlan0.conf").read_text() == wpa_before
    assert apply(boot, new_slot) == []


def test_the_boot_scripts_words_keep_what_is_not_provisionings(root, boot):
    """U-Boot's script reads kiosk-args.txt beside kiosk.toml: the rotation and Wi-Fi country are provisioning's,
    a test's kiosk.test=1 stays."""
    (boot.parent / "kiosk-args.txt").write_text("extra_args=kiosk.test=1 fbcon=rotate:3\n")
    apply(boot, root)
    words = (boot.parent / "kiosk-args.txt").read_text().split("=", 1)[1].split()
    assert "kiosk.test=1" in words and "fbcon=rotate:1" in words and "fbcon=rotate:3" not in words
    assert "cfg80211.ieee80211_regdom=TW" in words and "consoleblank=0" in words

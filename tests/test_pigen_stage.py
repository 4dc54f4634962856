"""
The pi-gen stage's host side (images/pi-gen/stage-kiosk/00-kiosk/01-run.sh)
===========================================================================

pi-gen itself cannot run here (it needs github.com and the Raspberry Pi archive), but
the stage's own work on the build host can: it must hand the shared install script to
the chroot, free the printer's UART in Raspberry Pi OS's config.txt and cmdline.txt,
and do so only once when pi-gen re-runs a stage.  ``on_chroot`` (pi-gen's) is played by
a script that keeps what it was given.
"""

import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
STAGE = REPO / "images/pi-gen/stage-kiosk/00-kiosk/01-run.sh"
RPIOS_CMDLINE = "console=serial0,115200 console=tty1 root=PARTUUID=4e639091-02 rootfstype=ext4 fsck.repair=yes rootwait\n"
RPIOS_CONFIG = "# For more options and information see\n[all]\ndtoverlay=vc4-kms-v3d\narm_64bit=1\n"


@pytest.fixture
def rootfs(tmp_path):
    boot = tmp_path / "rootfs/boot/firmware"
    boot.mkdir(parents=True)
    (boot / "cmdline.txt").write_text(RPIOS_CMDLINE)
    (boot / "config.txt").write_text(RPIOS_CONFIG)
    (tmp_path / "rootfs/tmp").mkdir()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    stub = bin_dir / "on_chroot"
    stub.write_text(f"#!/bin/sh\ncat >>'{tmp_path}/chroot-script'\n")
    stub.chmod(0o755)
    return tmp_path


def run_stage(tmp_path):
    env = {**os.environ, "ROOTFS_DIR": str(tmp_path / "rootfs"), "KIOSK_REPO": str(REPO),
           "PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}"}
    # as pi-gen runs it: executed, so its shebang's -e holds
    return subprocess.run([str(STAGE)], env=env, capture_output=True, text=True, timeout=300)


def test_the_stage_hands_over_the_shared_install_and_frees_the_uart_once(rootfs):
    result = run_stage(rootfs)
    assert result.returncode == 0, result.stderr
    src = rootfs / "rootfs/tmp/kiosk-install"
    assert (src / "install-kiosk.sh").read_bytes() == (REPO / "images/install-kiosk.sh").read_bytes()
    assert list(src.glob("*.whl")) and (src / "provisioning/kiosk-provision").exists()
    script = (rootfs / "chroot-script").read_text()
    assert "bash /tmp/kiosk-install/install-kiosk.sh /tmp/kiosk-install" in script
    assert "systemctl enable systemd-networkd.service" in script and "passwd --lock" in script

    boot = rootfs / "rootfs/boot/firmware"
    cmdline = (boot / "cmdline.txt").read_text()
    assert "console=serial0" not in cmdline and cmdline.endswith(" consoleblank=0\n") and "console=tty1" in cmdline
    config = (boot / "config.txt").read_text()
    assert config.startswith(RPIOS_CONFIG) and "enable_uart=1" in config and "dtoverlay=disable-bt" in config
    assert (boot / "kiosk.toml.example").read_bytes() == (REPO / "provisioning/kiosk.toml.example").read_bytes()

    assert run_stage(rootfs).returncode == 0  # pi-gen may run a stage again: nothing doubles
    assert (boot / "cmdline.txt").read_text() == cmdline and (boot / "config.txt").read_text() == config


def test_the_stage_refuses_to_run_without_the_repository(rootfs):
    env = {**os.environ, "ROOTFS_DIR": str(rootfs / "rootfs")}
    env.pop("KIOSK_REPO", None)
    result = subprocess.run([str(STAGE)], env=env, capture_output=True, text=True)
    assert result.returncode != 0 and "KIOSK_REPO" in result.stderr

"""systemd's notify protocol, and the units that use it."""

import configparser
import os
import socket
from pathlib import Path

from kiosk import watchdog

UNITS = Path(__file__).resolve().parent.parent / "provisioning" / "systemd"


def test_notify_sends_a_datagram_to_systemds_socket(tmp_path):
    path = str(tmp_path / "notify")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind(path)
        server.settimeout(2)
        assert watchdog.notify("READY=1", {"NOTIFY_SOCKET": path})
        assert server.recv(100) == b"READY=1"


def test_without_systemd_nothing_is_sent_and_nothing_fails():
    assert watchdog.notify("WATCHDOG=1", {}) is False
    assert watchdog.notify("WATCHDOG=1", {"NOTIFY_SOCKET": "/nonexistent/socket"}) is False


def test_the_watchdog_is_pinged_at_half_its_interval_for_this_process_only():
    assert watchdog.watchdog_interval({"WATCHDOG_USEC": "30000000"}) == 15
    assert watchdog.watchdog_interval({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid())}) == 15
    assert watchdog.watchdog_interval({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}) is None
    assert watchdog.watchdog_interval({}) is None


def unit(name):
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read(UNITS / name)
    return parser


def test_the_kiosk_unit_restarts_always_and_is_watched():
    service = unit("kiosk.service")["Service"]
    assert service["Type"] == "notify" and service["Restart"] == "always"
    assert int(service["WatchdogSec"]) > 0 and service["User"] == "kiosk"
    # systemd adds up repeated Environment= lines (configparser keeps only the last)
    env = " ".join(line.split("=", 1)[1] for line in (UNITS / "kiosk.service").read_text().splitlines()
                   if line.startswith("Environment="))
    assert "SDL_VIDEODRIVER=kmsdrm" in env
    # lgpio's pipe files go to a writable place, not the working directory on a read-only root
    assert "LG_WD=/run/kiosk" in env and service["RuntimeDirectory"] == "kiosk"
    assert service["ExecStart"].endswith("kiosk run")


def test_the_provisioning_unit_runs_before_the_kiosk_and_on_changes():
    import subprocess
    import sys
    service = unit("kiosk-provision.service")
    assert "kiosk.service" in service["Unit"]["Before"]
    # the command line it runs is one the tool accepts
    args = service["Service"]["ExecStart"].split()[1:] + ["--dry-run"]
    tool = UNITS.parent / "kiosk-provision"
    probe = subprocess.run([sys.executable, str(tool), *args, "--help"], capture_output=True, text=True, timeout=60)
    assert probe.returncode == 0 and "--boot" in probe.stdout
    assert unit("kiosk-provision.path")["Path"]["PathChanged"] == "/boot/firmware/kiosk.toml"
    assert unit("journald-kiosk.conf")["Journal"]["Storage"] == "volatile"


def test_the_admin_screens_shutdown_request_is_what_roots_path_unit_watches(tmp_path):
    from kiosk.poweroff import request_poweroff

    path = unit("kiosk-poweroff.path")["Path"]["PathExists"]
    assert path == "/run/kiosk/poweroff"
    assert unit("kiosk.service")["Service"]["RuntimeDirectory"] == "kiosk"  # /run/kiosk, the kiosk's to write
    assert unit("kiosk-poweroff.service")["Service"]["ExecStart"].endswith("poweroff")
    request_poweroff(tmp_path)
    assert (tmp_path / "poweroff").exists()

"""The `kiosk` command as a technician runs it: real processes, real exit codes."""

import glob
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest

from kiosk import __version__


def kiosk(*args, env=None, timeout=120):
    base = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER")}
    return subprocess.run([sys.executable, "-m", "kiosk.cli", *args], capture_output=True, text=True,
                          timeout=timeout, env={**base, **(env or {})})


@pytest.mark.skipif(bool(glob.glob("/dev/dri/card*")), reason="this machine has a KMS display")
def test_run_without_a_display_says_so_and_offers_the_headless_way(tmp_path):
    result = kiosk("run", env={"XDG_DATA_HOME": str(tmp_path)})
    assert result.returncode == 1
    assert "no display" in result.stderr
    assert "xvfb-run" in result.stderr and "kiosk screenshot" in result.stderr
    assert "Traceback" not in result.stderr


def test_run_with_a_bad_config_names_the_key_and_exits_2(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[display]\nidle_timeout = 5\n')
    result = kiosk("run", "--config", str(bad))
    assert result.returncode == 2
    assert "display.idle_timeout" in result.stderr and "line 2" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="needs xvfb-run (.ci/debian-packages installs it)")
def test_run_starts_the_kiosk_in_a_window_and_stops_on_sigterm(tmp_path):
    """What `make run` does, under a virtual X display."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "SDL_VIDEODRIVER")}
    env["XDG_DATA_HOME"] = str(tmp_path)
    proc = subprocess.Popen(["xvfb-run", "-a", "-s", "-screen 0 1024x600x24", sys.executable, "-m", "kiosk.cli",
                             "run", "--window", "1024x600"], env=env, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    log = []
    deadline = time.monotonic() + 60
    try:
        for line in proc.stderr:
            log.append(line)
            if "Start application main loop" in line or time.monotonic() > deadline:
                break
        time.sleep(1)
        assert proc.poll() is None, "".join(log)
        assert any("kiosk ERLIN-01 starting" in line for line in log), "".join(log)
        assert (tmp_path / "kiosk" / "kiosk.db").exists(), "the store was not opened in data_dir"
        # the Python process itself, not the xvfb-run shell whose command line also names it
        pgrep = ["pgrep", "-s", str(proc.pid), "-f", r"^\S*python\S* -m kiosk.cli run"]
        kiosk_pid = int(subprocess.run(pgrep, capture_output=True, text=True).stdout.split()[0])
        os.kill(kiosk_pid, signal.SIGTERM)
        rest = proc.stderr.read()
        assert proc.wait(20) is not None
        assert "Leaving application" in rest, "the kiosk did not leave its main loop on SIGTERM:\n" + rest[-2000:]
        assert "Traceback" not in rest
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(20)


def test_bench_startup_prints_figures_and_ratios_against_a_bare_window():
    result = kiosk("bench", "startup", "--runs", "1", "--changes", "20", timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    for row in ("first frame after process start", "RSS at first frame", "RSS growth over 20 changes"):
        line = next((l for l in out.splitlines() if l.startswith(row)), None)
        assert line is not None, f"no {row!r} row in:\n{out}"
    first = next(l for l in out.splitlines() if l.startswith("first frame"))
    bare_s, kiosk_s, ratio = re.findall(r"([\d.]+) s\s+([\d.]+) s\s+([\d.]+)×", first)[0]
    # the printed figures are rounded to 0.01 s, the ratio comes from the unrounded ones
    assert float(ratio) == pytest.approx(float(kiosk_s) / float(bare_s), rel=0.05)
    assert re.search(r"[+-][\d.]+ MB", out)
    # where the memory goes: a row per step, faces, textures, the screens built
    for row in ("kiosk modules imported", "first frame drawn", "20 measured changes"):
        assert re.search(rf"^  {row}.*[\d.]+ MB", out, re.M), f"no breakdown row {row!r} in:\n{out}"
    # The ticket screen is built either by its first show, or in the background half a second after the first
    # frame if that comes first (a busy machine): either way its building has a row of its own.
    assert re.search(r"^  (first show of ticket|warm-up: screens built after the first frame).*[\d.]+ MB", out, re.M), \
        f"no row for building the ticket screen in:\n{out}"
    assert re.search(r"font faces open .*: \d+ at first frame, \d+ at the end", out)
    assert re.search(r"textures held: \d+ \([\d.]+ MB\) at first frame", out)
    assert re.search(r"screens built: home, ", out)


def test_version_and_usage():
    assert kiosk("version").stdout.strip() == f"kiosk {__version__}"
    assert kiosk("--version").stdout.strip() == f"kiosk {__version__}"  # what the image check runs
    bare = kiosk()
    assert bare.returncode == 2 and "config" in bare.stdout and "screenshot" in bare.stdout


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="needs xvfb-run (.ci/debian-packages installs it)")
def test_make_run_uploads_to_a_local_office_server(tmp_path):
    """`make run` runs `kiosk run --local-office`: what the kiosk recorded arrives at the office server."""
    import sqlite3

    from fake_office import free_port

    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "SDL_VIDEODRIVER", "KIOSK_CONFIG")}
    env.update(XDG_DATA_HOME=str(tmp_path), KIOSK_LOCAL_OFFICE_PORT=str(free_port()))
    pressed = subprocess.run([sys.executable, "-m", "kiosk.cli", "simulate", "press", "smile"], env=env,
                             capture_output=True, text=True, timeout=60)
    assert pressed.returncode == 0, pressed.stderr
    proc = subprocess.Popen(["xvfb-run", "-a", "-s", "-screen 0 800x480x24", sys.executable, "-m", "kiosk.cli",
                             "run", "--window", "800x480", "--local-office"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, start_new_session=True)
    office_db = tmp_path / "kiosk" / "local-office" / "office.db"
    try:
        assert "office server: http://127.0.0.1:" in proc.stdout.readline()
        deadline = time.monotonic() + 60
        ratings = 0
        while time.monotonic() < deadline and not ratings:
            time.sleep(0.5)
            if office_db.exists():
                with sqlite3.connect(office_db) as db:
                    try:
                        ratings = db.execute("SELECT count(*) FROM events WHERE type = 'rating'").fetchone()[0]
                    except sqlite3.OperationalError:
                        pass
        assert ratings == 1, "the rating did not reach the local office server"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(20)


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="needs xvfb-run (.ci/debian-packages installs it)")
def test_under_systemd_the_kiosk_says_ready_and_feeds_the_watchdog_from_its_main_loop(tmp_path):
    import socket as socketlib

    notify_path = str(tmp_path / "notify")
    listener = socketlib.socket(socketlib.AF_UNIX, socketlib.SOCK_DGRAM)
    listener.bind(notify_path)
    listener.settimeout(60)
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "SDL_VIDEODRIVER", "KIOSK_CONFIG")}
    env.update(XDG_DATA_HOME=str(tmp_path))
    # The socket is the kiosk's alone: Xvfb speaks sd_notify too and would answer it.
    proc = subprocess.Popen(["xvfb-run", "-a", "-s", "-screen 0 800x480x24", "env", f"NOTIFY_SOCKET={notify_path}",
                             "WATCHDOG_USEC=1000000", sys.executable, "-m", "kiosk.cli", "run", "--window", "800x480"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        messages = [listener.recv(100) for _ in range(3)]
        assert messages[0] == b"READY=1"
        assert messages[1:] == [b"WATCHDOG=1", b"WATCHDOG=1"]
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(20)
        listener.close()

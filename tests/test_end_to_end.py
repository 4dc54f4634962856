"""The issue's end-to-end check, with real processes: a simulated kiosk's ratings reach `kiosk-office serve`, and
the monthly report page shows the same % satisfied as `kiosk ratings stats` on the kiosk."""

import os
import re
import signal
import subprocess
import time

import requests

from fake_office import free_port
from office_clock import OfficeClock
from office_sign_in import csrf


def run(*args, env, stdin=None):
    """``python -m ARGS``, on the office clock in ``env`` (tests/office_clock.py)."""
    return subprocess.run(OfficeClock.command("-m", *args), env=env, capture_output=True, text=True, input=stdin,
                          timeout=120)


def test_the_monthly_report_matches_the_kiosks_own_statistics(tmp_path, office_clock):
    # Every process on the test's office clock: the kiosk's month and the report's are the same at any hour.
    env = office_clock.env({k: v for k, v in os.environ.items() if k not in ("KIOSK_CONFIG", "KIOSK_OFFICE_DB")})
    env["XDG_DATA_HOME"] = str(tmp_path / "kiosk-home")
    db = f"sqlite:///{tmp_path / 'office.db'}"
    token = run("office", "kiosk", "add", "ERLIN-01", "--db", db, env=env).stdout.strip().splitlines()[-1]
    assert run("office", "admin", "add", "director", "--password-stdin", "--db", db, env=env,
               stdin="correct horse battery\n").returncode == 0
    port = free_port()
    server = subprocess.Popen(OfficeClock.command("-m", "office", "serve", "--db", db, "--port", str(port)), env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        config = tmp_path / "kiosk.toml"
        config.write_text(f'[server]\nurl = "http://127.0.0.1:{port}/"\ntoken = "{token}"\n', encoding="utf-8")
        config.chmod(0o600)  # it holds the token
        # residents rate: two satisfied, one neutral, one dissatisfied, and a child hammering (misuse)
        for key, count, gap in (("smile", 2, 3.1), ("neutral", 1, 0), ("frown", 1, 0), ("smile", 3, 0.2)):
            pressed = run("kiosk.cli", "simulate", "press", key, "--count", str(count), "--gap", str(gap),
                          "--config", str(config), env=env)
            assert pressed.returncode == 0, pressed.stderr
        stats = run("kiosk.cli", "ratings", "stats", "--config", str(config), env=env).stdout
        kiosk_share = re.search(r"satisfied: \d+ of \d+ \(([\d.]+ %)\)", stats).group(1)
        kiosk_misuse = re.search(r"misuse: (\d+)", stats).group(1)

        deadline = time.monotonic() + 30
        while True:
            upload = run("kiosk.cli", "upload", "--once", "--config", str(config), env=env)
            if upload.returncode == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.5)  # the server may still be starting
        assert upload.returncode == 0, upload.stdout + upload.stderr

        session = requests.Session()
        login = session.get(f"http://127.0.0.1:{port}/login", timeout=10)
        session.post(f"http://127.0.0.1:{port}/login", data={"csrf": csrf(login.text), "name": "director",
                                                             "password": "correct horse battery", "next": "/"},
                     timeout=10)
        report = session.get(f"http://127.0.0.1:{port}/report", timeout=30)
        assert report.status_code == 200 and "<svg" in report.text
        big = re.search(r'<span class="big">([^<]+)</span>', report.text).group(1)
        assert big == kiosk_share, f"report says {big}, the kiosk says {kiosk_share}"
        assert f"誤觸 {kiosk_misuse} 次" in report.text
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(20)

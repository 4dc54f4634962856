"""`kiosk-office bench` prints the ingest rates over HTTP and straight into the database, and their ratio."""

import re

import pytest

from office.bench.ingest import bench_ingest


def test_bench_ingest_prints_both_rates_and_the_ratio(capsys):
    assert bench_ingest(kiosks=2, batches=2, size=50) == 0
    out = capsys.readouterr().out
    http = re.search(r"over HTTP, kiosks at once\s+200\s+([\d.]+)\s+(\d+)", out)
    direct = re.search(r"straight into the database\s+200\s+([\d.]+)\s+(\d+)", out)
    ratio = re.search(r"HTTP / database\s+([\d.]+)×", out)
    assert http and direct and ratio, out
    assert float(ratio.group(1)) == pytest.approx(int(http.group(2)) / int(direct.group(2)), rel=0.05)


def test_bench_report_times_the_report_over_the_ratings_it_stored(capsys):
    from office.bench.monthly_report import bench_report
    assert bench_report(ratings=3000) == 0
    out = capsys.readouterr().out
    assert re.search(r"the monthly report over 3,000 ratings of one month \(SQLite\): [\d.]+ s", out), out


def test_bench_ingest_stops_its_server_cleanly(capfd):
    """The server's loop ends, then its workers finish, then its sockets close (harness.ServerThread, which needs
    nothing of waitress's trigger pipe): no `Bad file descriptor` traceback from pull_trigger at the end, and none
    of its threads left running."""
    import threading
    before = set(threading.enumerate())
    assert bench_ingest(kiosks=3, batches=3, size=100) == 0
    left = [t.name for t in set(threading.enumerate()) - before if t.is_alive()]
    assert left == []
    err = capfd.readouterr().err
    assert "Traceback" not in err and "Bad file descriptor" not in err, err


def test_bench_load_prints_every_endpoint_and_checks_the_database(tmp_path):
    """A few kiosks and displays for a few seconds against a real `kiosk-office serve` (the figures come from
    the command run by hand): every endpoint has its line, the displays got the calls, nothing lost or doubled."""
    import os
    import subprocess
    import sys
    env = {k: v for k, v in os.environ.items() if k != "KIOSK_OFFICE_DB"}
    done = subprocess.run([sys.executable, "-m", "office", "bench", "load", "--kiosks", "6", "--displays", "2",
                           "--seconds", "4", "--speed", "20"], env=env, capture_output=True, text=True, timeout=300)
    out = done.stdout
    assert "Traceback" not in done.stderr, done.stderr
    for endpoint in ("upload", "heartbeat", "queue (kiosk)", "config (kiosk)", "/q/ page", "queue (phone)",
                     "call next", "stream open"):
        assert re.search(rf"^{re.escape(endpoint)}\s+\d+\s+[\d.]+\s+[\d–]+\s+[\d–]+\s+[\d–]+\s+\S", out, re.M), out
    events = re.search(r"events: (\d+) recorded, (\d+) stored .*lost (\d+), doubled (\d+), unsent (\d+)", out)
    assert events and int(events.group(1)) > 0 and events.group(1) == events.group(2), out
    assert events.group(3, 4, 5) == ("0", "0", "0"), out
    assert re.search(r"displays: [1-9]\d* events delivered", out), out
    assert re.search(r"goal: .*: (PASS|MISS)", out) and done.returncode in (0, 1), out

"""`make run`'s local office server (kiosk/local_office.py) on this machine's LAN address too (issue 16, item 2).

A phone on the same Wi-Fi opens the ticket's QR code there: the office server answers on the LAN address, which
becomes `server.public_url`; without `on_lan` (kiosk bench upload, the tests) it stays on 127.0.0.1. The servers
are real (waitress, the office app, SQLite) and are asked over HTTP.
"""

import socket

import pytest
import requests

from kiosk.local_office import LocalOffice, LocalOfficeFailed
from kiosk.reachable import lan_address

LAN = lan_address()
needs_lan = pytest.mark.skipif(LAN is None, reason="this machine has no network address")


def refused(host, port):
    """Whether nothing listens on host:port.  A connection reset (or timed out) is a server on its way out, still
    there: ask again."""
    try:
        socket.create_connection((host, port), timeout=3).close()
    except ConnectionRefusedError:
        return True
    except OSError:
        return False
    return False


@needs_lan
def test_on_the_lan_the_office_server_answers_at_the_machines_address_which_is_the_public_url(tmp_path):
    office = LocalOffice(tmp_path / "office", "ERLIN-01", on_lan=True)
    try:
        port = int(office.url.rsplit(":", 1)[1].strip("/"))
        assert office.url == f"http://127.0.0.1:{port}/"  # the kiosk's own way in
        assert office.public_url == f"http://{LAN}:{port}/"
        # a phone's view: the live queue API and the staff sign-in (what the README says is exposed)
        unknown = requests.get(f"{office.public_url}api/v1/queue/2026-11-27/A001", timeout=5)
        assert unknown.status_code == 404 and unknown.headers["Content-Type"].startswith("application/json")
        assert requests.get(f"{office.public_url}login", timeout=5).status_code == 200
        hint = office.phones_hint()
        assert office.public_url in hint and "staff sign-in" in hint and "KIOSK_LOCAL_OFFICE_LAN=no" in hint
        password = office.staff_password_file.read_text().strip()
        assert password not in hint and office.token not in hint
    finally:
        office.close()
    assert refused(LAN, port) and refused("127.0.0.1", port), "close() left a server listening"


@needs_lan
def test_without_on_lan_it_stays_on_this_machine_and_tickets_get_no_public_url(tmp_path):
    office = LocalOffice(tmp_path / "office", "ERLIN-01")
    try:
        port = int(office.url.rsplit(":", 1)[1].strip("/"))
        assert office.public_url is None
        assert requests.get(f"{office.url}login", timeout=5).status_code == 200
        assert refused(LAN, port), "the office server is open to the network without on_lan"
        assert "tickets carry no live-queue QR code" in office.phones_hint()
    finally:
        office.close()


@needs_lan
def test_a_lan_address_already_taken_leaves_the_office_on_this_machine_and_says_why(tmp_path):
    with socket.socket() as taken:
        taken.bind((LAN, 0))
        taken.listen()
        port = taken.getsockname()[1]
        try:
            office = LocalOffice(tmp_path / "office", "ERLIN-01", port=port, on_lan=True)
        except OSError:
            pytest.skip(f"127.0.0.1:{port} is taken too on this machine")
        try:
            assert office.public_url is None
            assert requests.get(f"{office.url}login", timeout=5).status_code == 200
            hint = office.phones_hint()
            assert f"cannot listen on {LAN}:{port}" in hint and "tickets carry no live-queue QR code" in hint
        finally:
            office.close()


def test_a_busy_port_is_a_clear_error_and_no_office_process_is_left(tmp_path):
    """`make run` with port 8080 taken: the kiosk says why and runs without an office server (kiosk/runtime.py)."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(LocalOfficeFailed, match=f"cannot listen on 127.0.0.1:{port}"):
            LocalOffice(tmp_path / "office", "ERLIN-01", port=port)


def test_the_office_process_ends_with_the_kiosk_that_started_it_even_a_killed_one(tmp_path):
    """The kiosk process dies without closing anything (a crash, SIGKILL): its office server goes too."""
    import subprocess
    import sys
    import time

    started = subprocess.run([sys.executable, "-c", (
        "import os, sys\n"
        "from kiosk.local_office import LocalOffice\n"
        f"office = LocalOffice({str(tmp_path / 'office')!r}, 'ERLIN-01')\n"
        "print(office.url, flush=True)\n"
        "os._exit(9)\n")], capture_output=True, text=True, timeout=120)
    assert started.returncode == 9, started.stderr
    port = int(started.stdout.strip().rsplit(":", 1)[1].strip("/"))
    deadline = time.monotonic() + 20
    while not refused("127.0.0.1", port) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert refused("127.0.0.1", port), "the office server outlived the kiosk that started it"

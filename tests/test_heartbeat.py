"""The kiosk's heartbeat (kiosk/heartbeat.py): what its summary says, one kept while the office is away, the interval.

The kiosk runs with its simulated hardware (mock pins, the sim:// printer); the office server, when there is one,
is the real one (kiosk/local_office.py) on 127.0.0.1.
"""

import json
import time
from datetime import timedelta
from pathlib import Path

import pytest

import kiosk
from conftest import FakeMonotonic
from fake_office import free_port
from hardware.printer import SimulatedPrinter
from protocol import officetime
from kiosk.config import Config, defaults, load_config
from kiosk.errors import ConfigError
from kiosk.events import Event
from kiosk.heartbeat import Heartbeat, health
from office_process import LocalOfficeAndDatabase
from kiosk.services import open_services
from kiosk.tickets import TicketRefused
from office.db import Database

pytestmark = pytest.mark.usefixtures("fresh_simulated_printers")

KIOSK = "ERLIN-01"


def kiosk_config(data_dir, url="", token="", minutes=5):
    values = defaults()
    values["kiosk"]["data_dir"] = str(data_dir)
    values["kiosk"]["heartbeat_minutes"] = minutes
    values["server"]["url"], values["server"]["token"] = url, token
    return Config(values)


@pytest.fixture
def services(tmp_path):
    opened = open_services(kiosk_config(tmp_path / "kiosk"))
    yield opened
    opened.close()


def heartbeats(store):
    return [e for e in store.events() if e.type == "heartbeat"]


def pending_heartbeats(store):
    return [e for e in store.pending_events(limit=10_000) if e.type == "heartbeat"]


# -- the summary ---------------------------------------------------------------------------------

def test_the_summary_names_the_kiosk_its_version_uptime_backlog_and_hardware(services):
    services.store.record_event("rating", {"score": 3, "scale": 3, "choice": "smile"})
    services.store.record_event("form_view", {"code": "move-in"})
    summary = health(services)
    assert summary["kiosk_id"] == KIOSK and summary["version"] == kiosk.__version__
    assert summary["mode"] == "simulated" and summary["clock_synced"] is True  # conftest: KIOSK_CLOCK_SYNCED=1
    assert (summary["backlog"], summary["parked"]) == (2, 0)
    assert summary["gpio"] == {"state": "ok"}
    assert summary["printer"] == {"state": "unknown"}  # nothing printed yet: the printer was not asked
    assert summary["faults"] == [] and summary["heartbeat_minutes"] == 5
    assert summary["disk_free_mb"] > 0
    assert 0 <= summary["uptime_s"] < 24 * 3600  # this test process, not the machine
    if Path("/proc/uptime").exists():
        assert summary["boot_uptime_s"] >= summary["uptime_s"]
    json.dumps(summary, allow_nan=False)  # what the event stores and the uploader sends


def test_the_printer_state_is_the_last_one_the_kiosk_saw(services):
    printer = SimulatedPrinter.get("printer")
    services.tickets.issue("A")
    state = health(services)["printer"]
    assert state["state"] == "ok" and state["at"].startswith(officetime.office_day().isoformat())

    printer.paper_out = True
    with pytest.raises(TicketRefused):
        services.tickets.issue("A")
    assert health(services)["printer"]["state"] == "printer_paper_out"
    assert "paper" in health(services)["printer"]["message"]

    printer.paper_out, printer.paper_near_end = False, True  # a nearly finished roll goes in: it prints, and warns
    services.tickets.issue("B")
    assert health(services)["printer"]["state"] == "printer_paper_near_end"

    printer.paper_near_end = False  # a new roll
    services.tickets.issue("B")
    assert health(services)["printer"]["state"] == "ok"


def is_a_raspberry_pi():
    model = Path("/proc/device-tree/model")
    return model.exists() and "Raspberry Pi" in model.read_text(errors="replace")


@pytest.mark.skipif(is_a_raspberry_pi(), reason="this machine has real GPIO")
def test_no_gpio_and_no_printer_are_both_reported(tmp_path, monkeypatch):
    """A kiosk set to real hardware on a machine with neither (a Pi whose GPIO library is missing, no printer)."""
    from gpiozero import Device
    monkeypatch.delenv("GPIOZERO_PIN_FACTORY", raising=False)
    monkeypatch.setattr(Device, "pin_factory", None)
    values = defaults()
    values["kiosk"]["data_dir"] = str(tmp_path)
    values["hardware"]["mode"], values["printer"]["url"] = "real", str(tmp_path / "ttyUSB9")
    services = open_services(Config(values))
    try:
        summary = health(services)
        assert summary["gpio"]["state"] == "gpio_missing" and "no GPIO" in summary["gpio"]["message"]
        assert summary["printer"]["state"] == "printer_missing" and "ttyUSB9" in summary["printer"]["message"]
        assert {f["kind"] for f in summary["faults"]} == {"gpio_missing", "printer_missing"}
    finally:
        services.close()


def test_the_faults_of_the_last_day_are_counted_by_kind(services):
    old = Event.new("fault", {"kind": "button_stuck", "message": "two days ago"},
                    at=officetime.now() - timedelta(days=2))
    services.store.add_event(old)
    services.record_fault("printer_paper_out", "out of paper")
    services.record_fault("button_stuck", "rating button 2 held for 10 s")
    services.record_fault("printer_paper_out", "out of paper")
    faults = health(services)["faults"]
    assert [(f["kind"], f["count"]) for f in faults] == [("printer_paper_out", 2), ("button_stuck", 1)]
    assert all(f["last_at"] >= officetime.rfc3339(officetime.now() - timedelta(minutes=5)) for f in faults)


def test_a_stuck_button_shows_in_the_gpio_state(services):
    services.hardware.buttons.stuck.add(1)
    assert health(services)["gpio"] == {"state": "button_stuck", "buttons": [2]}


# -- when, and how many ----------------------------------------------------------------------------

def test_one_at_start_then_one_every_interval(tmp_path):
    clock = FakeMonotonic()
    services = open_services(kiosk_config(tmp_path, minutes=5), with_hardware=False)
    try:
        beat = Heartbeat(services, monotonic=clock)
        assert beat.tick() == 300 and len(heartbeats(services.store)) == 1  # the start-up heartbeat
        first = heartbeats(services.store)[0]
        clock.advance(299)
        assert beat.tick() == pytest.approx(1) and heartbeats(services.store) == [first]
        clock.advance(1)
        assert beat.tick() == 300
        [second] = heartbeats(services.store)
        assert second.id != first.id and second.seq > first.seq
    finally:
        services.close()


def test_heartbeat_minutes_0_records_none(tmp_path):
    services = open_services(kiosk_config(tmp_path, minutes=0), with_hardware=False)
    try:
        assert services.heartbeat.tick() is None and services.heartbeat.due_in() is None
        assert heartbeats(services.store) == []
    finally:
        services.close()


def test_heartbeat_minutes_is_checked_like_every_setting(tmp_path):
    path = tmp_path / "kiosk.toml"
    path.write_text("[kiosk]\nheartbeat_minutes = -1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="heartbeat_minutes.*between 0 and 60"):
        load_config(str(path))
    path.write_text("[kiosk]\nheartbeat_minutes = 0\n", encoding="utf-8")
    assert load_config(str(path)).kiosk.heartbeat_minutes == 0


def office_folder(tmp_path):
    """A local office server's folder with this kiosk registered; the token (the server may start later)."""
    folder = tmp_path / "office"
    folder.mkdir()
    with Database(f"sqlite:///{folder / 'office.db'}") as db:
        token = db.add_kiosk(KIOSK)
    (folder / f"{KIOSK}.token").write_text(token)
    return folder, token


def close(services, office):
    services.close()
    services.uploader.session.close()  # its keep-alive connection would hold the office server's loop for 5 s
    if office is not None:
        office.close()


def wait_until(condition, seconds=20):
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_while_the_office_is_away_only_the_newest_heartbeat_waits(tmp_path):
    folder, token = office_folder(tmp_path)
    port = free_port()  # nothing listens there yet: the office server is down
    clock = FakeMonotonic()
    services = open_services(kiosk_config(tmp_path / "kiosk", f"http://127.0.0.1:{port}/", token),
                             with_hardware=False)
    office = None
    try:
        beat = Heartbeat(services, monotonic=clock)
        services.uploader.timeout = (2, 2)
        rating = services.store.record_event("rating", {"score": 3, "scale": 3, "choice": "smile"})
        for _ in range(12):  # an hour of heartbeats, every upload failing
            beat.tick()
            assert "cannot reach" in services.uploader.upload_once().error
            clock.advance(300)
        waiting = pending_heartbeats(services.store)
        assert len(waiting) == 1  # not twelve
        assert {e.id for e in services.store.pending_events()} == {rating.id, waiting[0].id}  # the rating stays

        office = LocalOfficeAndDatabase(folder, KIOSK, port=port)  # the office server is back
        assert office.token == token
        result = services.uploader.upload_once()
        assert (result.sent, result.error, result.remaining) == (2, None, 0)
        assert [e["id"] for e in office.db.events(type="heartbeat")] == [waiting[0].id]
        assert office.db.kiosks()[0]["last_heartbeat"]["id"] == waiting[0].id

        beat.tick()  # the next one replaces the delivered one too: the outbox never piles them up
        [newest] = heartbeats(services.store)
        assert newest.id != waiting[0].id and pending_heartbeats(services.store) == [newest]
    finally:
        close(services, office)


def test_the_running_uploader_sends_a_heartbeat_at_start(tmp_path):
    folder, token = office_folder(tmp_path)
    office = LocalOfficeAndDatabase(folder, KIOSK)
    services = open_services(kiosk_config(tmp_path / "kiosk", office.url, token))
    try:
        services.uploader.start()  # what the kiosk app does once its window is up
        assert wait_until(lambda: office.db.kiosks()[0]["last_heartbeat"] is not None), "no heartbeat arrived"
        heartbeat = office.db.kiosks()[0]["last_heartbeat"]
        assert heartbeat["data"]["kiosk_id"] == KIOSK and heartbeat["data"]["version"] == kiosk.__version__
        assert heartbeat["data"]["gpio"] == {"state": "ok"}
    finally:
        close(services, office)


def test_with_heartbeat_minutes_0_the_running_uploader_sends_events_but_no_heartbeat(tmp_path):
    folder, token = office_folder(tmp_path)
    office = LocalOfficeAndDatabase(folder, KIOSK)
    services = open_services(kiosk_config(tmp_path / "kiosk", office.url, token, minutes=0), with_hardware=False)
    try:
        rating = services.store.record_event("rating", {"score": 3, "scale": 3, "choice": "smile"})
        services.uploader.start()
        # A heartbeat would have been recorded before this first pass, and sent with the rating.
        assert wait_until(lambda: office.db.events()), "the rating did not arrive"
        assert [e["id"] for e in office.db.events()] == [rating.id]
        assert office.db.kiosks()[0]["last_heartbeat"] is None and heartbeats(services.store) == []
    finally:
        close(services, office)

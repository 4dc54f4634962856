"""System updates on the kiosk (kiosk/updates/): offered by a real office server (kiosk/local_office.py), downloaded
(resumable), installed into the simulated slots in the update window, kept when the new system proves itself, gone
back from when it does not, and every step in the heartbeat.

The slots are the simulated ones (kiosk/updates/slots.py: the bootloader's rules in a JSON file); the real ones,
RAUC and U-Boot under QEMU, are `make update-test`'s (images/README.md).
"""

from datetime import datetime
from pathlib import Path

import pytest

from conftest import FakeMonotonic
from kiosk.config import Config, defaults
from kiosk.heartbeat import health
from kiosk.services import open_services
from kiosk.updates import download
from kiosk.updates.confirm import confirm
from kiosk.updates.health import HealthReport
from kiosk.updates.record import UpdateRecord
from kiosk.updates.slots import SimulatedSlots, write_simulated_bundle
from kiosk.updates.window import in_window, parse_window
from office import updates
from bundles import squashfs_bundle
from office_process import LocalOfficeAndDatabase
from protocol import officetime

pytestmark = pytest.mark.usefixtures("fresh_simulated_printers")

KIOSK = "ERLIN-01"
EVENING = datetime(2026, 12, 8, 21, 0, tzinfo=officetime.TAIPEI)   # in the default window, 20:00-07:00
MORNING = datetime(2026, 12, 8, 10, 0, tzinfo=officetime.TAIPEI)


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    running = LocalOfficeAndDatabase(tmp_path_factory.mktemp("office"), KIOSK)
    yield running
    running.close()


def kiosk_config(data_dir, office, **update):
    values = defaults()
    values["kiosk"]["data_dir"] = str(data_dir)
    values["server"]["url"], values["server"]["token"] = office.url, office.token
    values["update"].update(update)
    return Config(values)


def offer(office, tmp_path, version, padding=300_000):
    """A bundle of ``version`` listed on the office server and offered to the kiosk, as staff would."""
    path = write_simulated_bundle(tmp_path / f"kiosk-{version}.raucb", version, padding=padding)
    with open(path, "rb") as stream:
        bundle = updates.add_file(office.db, stream, "staff")
    updates.assign(office.db, bundle.id, [KIOSK], "staff")
    return bundle


def offered(kiosk, office, tmp_path, version, **kwargs):
    """The kiosk's update agent once a bundle of ``version`` is offered and the kiosk has asked for its config."""
    offer(office, tmp_path, version, **kwargs)
    kiosk.sync.refresh()
    return kiosk.updates


@pytest.fixture
def kiosk(tmp_path, office):
    """The kiosk's services with its update agent, at 21:00 in Taipei; nothing offered at first."""
    for bundle in updates.bundles(office.db):
        updates.withdraw(office.db, bundle.id)
    services = open_services(kiosk_config(tmp_path / "kiosk", office))
    agent = services.open_updates()
    agent.now = lambda: EVENING
    yield services
    services.close()


def app_started(services, upload=True):
    """What the running app reports once its first frame is drawn (kiosk/ui/update_hooks.py)."""
    report = HealthReport(services.updates.folder, services.updates.slots.boot_id())
    report.note(first_frame=True, store="ok", printer="unknown", gpio="ok")
    if upload:
        report.note(upload="ok")


def test_the_window_is_office_time_and_may_span_midnight():
    assert parse_window("20:00-07:00")[0].hour == 20
    assert in_window("20:00-07:00", EVENING) and not in_window("20:00-07:00", MORNING)
    assert in_window("20:00-07:00", datetime(2026, 12, 8, 23, 0, tzinfo=officetime.TAIPEI).astimezone())
    utc_midnight = datetime(2026, 12, 8, 16, 0, tzinfo=officetime.TAIPEI).astimezone(officetime.TAIPEI.utcoffset(None)
                                                                                      and None or None)
    assert not in_window("20:00-07:00", utc_midnight)  # 16:00 Taipei is 08:00 UTC: the office's clock counts
    with pytest.raises(ValueError, match="HH:MM-HH:MM"):
        parse_window("after hours")


def test_an_offered_system_is_downloaded_installed_in_the_window_and_kept_when_it_proves_itself(kiosk, office,
                                                                                                 tmp_path):
    kiosk.ratings.rate(0, "button")
    bundle = offer(office, tmp_path, "0.9.0")
    agent = kiosk.updates
    assert kiosk.sync.refresh() == "updated"
    assert agent.step() == "installed"  # downloaded, checked, installed into B, restarted
    slots = SimulatedSlots(agent.folder, "")
    assert (slots.booted(), slots.version()) == ("B", "0.9.0")
    record = UpdateRecord.load(agent.folder)
    assert (record.from_slot, record.to_slot, record.from_version) == ("A", "B", agent.slots.version() and "0.1.0")
    assert not list(agent.folder.glob("*.raucb"))  # the slot holds it now: the data partition has its room back

    app_started(kiosk)
    assert confirm(slots, agent.folder, minutes=1) == "good"
    assert health(kiosk)["system"] == {"version": "0.9.0", "slot": "B",
                                       "update": {"state": "good", "version": "0.9.0",
                                                  "at": UpdateRecord.load(agent.folder).at}}
    assert [e.type for e in kiosk.store.events()].count("rating") == 1  # the store is the one it was
    assert bundle.version == "0.9.0"


def test_a_download_cut_off_goes_on_where_it_stopped(kiosk, office, tmp_path):
    bundle = offer(office, tmp_path, "0.9.1", padding=2_000_000)
    kiosk.sync.refresh()
    agent = kiosk.updates
    whole = (updates.bundle_folder(office.db) / bundle.file_name).read_bytes()
    agent.folder.mkdir(parents=True, exist_ok=True)
    (agent.folder / f"{bundle.sha256}.part").write_bytes(whole[:1_500_000])  # the line dropped there
    seen = []
    path = download.fetch(kiosk.office, agent._offer, agent.folder, seen.append)
    assert path.read_bytes() == whole
    assert seen[0] > 1_500_000 and seen[-1] == len(whole)  # only the rest came


def test_a_download_that_arrives_damaged_is_fetched_again_whole(kiosk, office, tmp_path):
    bundle = offer(office, tmp_path, "0.9.2")
    kiosk.sync.refresh()
    agent = kiosk.updates
    agent.folder.mkdir(parents=True, exist_ok=True)
    (agent.folder / f"{bundle.sha256}.part").write_bytes(b"x" * 1000)  # not the bundle's first bytes
    with pytest.raises(download.DownloadFailed, match="different SHA-256"):
        download.fetch(kiosk.office, agent._offer, agent.folder)
    assert agent.step() == "installed"


def test_it_waits_for_the_window_and_for_nobody_at_the_screen(kiosk, office, tmp_path):
    agent = offered(kiosk, office, tmp_path, "0.9.3")
    agent.now = lambda: MORNING
    assert agent.step() == "downloaded"
    agent.now, agent.is_idle = (lambda: EVENING), (lambda: False)
    assert agent.step() == "downloaded"
    assert health(kiosk)["system"]["update"]["state"] == "downloaded"
    agent.is_idle = lambda: True
    assert agent.step() == "installed"


def test_a_system_that_fails_its_checks_is_left_for_the_old_one_and_the_reason_reported(kiosk, office, tmp_path):
    agent = offered(kiosk, office, tmp_path, "0.9.4")
    assert agent.step() == "installed"
    slots = SimulatedSlots(agent.folder, "")
    clock = FakeMonotonic()
    # The new system's app never draws: no health report in this boot.
    state = confirm(slots, agent.folder, minutes=3, monotonic=clock, sleep=clock.advance)
    assert state == "rolled_back"
    assert (slots.booted(), slots.version()) == ("A", "0.1.0")  # marked bad, restarted into the old slot
    assert confirm(slots, agent.folder, minutes=3) == "rolled_back"  # the old slot's check keeps the story
    again = open_services(kiosk.config)
    try:
        again.open_updates()
        summary = health(again)["system"]
    finally:
        again.close()
    assert summary["version"] == "0.1.0" and summary["slot"] == "A"
    assert summary["update"]["state"] == "rolled_back"
    assert "drew no first frame within 3 minutes" in summary["update"]["error"]
    assert kiosk.updates.step() == "rolled_back"  # the same bundle is not tried again


def test_a_new_system_that_never_gets_to_its_check_is_left_by_the_bootloader(kiosk, office, tmp_path):
    offer(office, tmp_path, "0.9.5")
    kiosk.sync.refresh()
    assert kiosk.updates.step() == "installed"
    slots = SimulatedSlots(kiosk.updates.folder, "")
    for _ in range(3):  # it hangs (the watchdog restarts it) or the power goes, three times: its tries are used
        assert slots.booted() == "B"
        slots.reboot()
    assert slots.booted() == "A"
    assert confirm(slots, kiosk.updates.folder, minutes=1) == "rolled_back"
    assert "bootloader went back" in UpdateRecord.load(kiosk.updates.folder).error


def test_a_power_cut_while_installing_installs_again_in_the_next_step(kiosk, office, tmp_path):
    agent = offered(kiosk, office, tmp_path, "0.9.6")
    agent.is_idle = lambda: False
    assert agent.step() == "downloaded"
    agent.record.enter("installing")  # the power went while RAUC wrote slot B
    SimulatedSlots(agent.folder, "").reboot()  # B has no tries: the old slot starts
    fresh = open_services(kiosk.config)
    try:
        fresh_agent = fresh.open_updates()
        fresh_agent.now = lambda: EVENING
        assert fresh_agent.step() == "installed"
    finally:
        fresh.close()


def test_an_offer_withdrawn_stops_the_download_and_deletes_it(kiosk, office, tmp_path):
    bundle = offer(office, tmp_path, "0.9.7")
    kiosk.sync.refresh()
    agent = kiosk.updates
    agent.now = lambda: MORNING
    assert agent.step() == "downloaded" and list(agent.folder.glob("*.raucb"))
    updates.withdraw(office.db, bundle.id)
    kiosk.sync.refresh()
    assert agent.step() == "idle" and not list(agent.folder.glob("*.raucb"))


def test_the_offer_is_kept_across_a_restart_that_gets_a_304(kiosk, office, tmp_path):
    offer(office, tmp_path, "0.9.8")
    assert kiosk.sync.refresh() == "updated"
    again = open_services(kiosk.config)
    try:
        assert again.sync.refresh() == "unchanged"  # the ETag matched: no body, no offer in it
        agent = again.open_updates()
        agent.now = lambda: MORNING
        assert agent.step() == "downloaded"
    finally:
        again.close()


def test_a_file_that_is_not_a_bundle_is_refused(tmp_path):
    slots = SimulatedSlots(tmp_path, "0.1.0")
    junk = tmp_path / "junk.raucb"
    junk.write_bytes(b"\x89PNG not a bundle")
    from kiosk.updates.slots import BundleRefused
    with pytest.raises(BundleRefused, match="not a bundle"):
        slots.check(junk)


def test_kiosk_update_status_says_where_it_is(tmp_path, office):
    import subprocess
    import sys
    config_path = tmp_path / "kiosk.toml"
    config_path.write_text(f'[kiosk]\ndata_dir = "{tmp_path / "data"}"\n[update]\nsystem = "simulated"\n')
    command = str(Path(sys.executable).parent / "kiosk")
    done = subprocess.run([command, "--config", str(config_path), "update", "status"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "system simulated: version 0.1.0, slot A" in done.stdout and "update: idle" in done.stdout
    Path(config_path).write_text('[update]\nwindow = "after hours"\n')
    done = subprocess.run([command, "--config", str(config_path), "config", "check"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "update.window" in done.stdout + done.stderr


def test_the_rauc_slots_read_a_bundles_manifest_the_booted_slot_and_ask_for_a_restart(tmp_path, monkeypatch):
    from kiosk.updates import slots as slots_module
    from kiosk.updates.slots import BundleRefused, RaucSlots
    slots = RaucSlots(tmp_path / "run" / "reboot")
    info = slots.check(squashfs_bundle(tmp_path, "0.3.0"))
    assert (info.version, info.compatible) == ("0.3.0", "erlin-kiosk-rpi-arm64")
    junk = tmp_path / "junk.raucb"
    junk.write_bytes(b"not a squashfs" * 100)
    with pytest.raises(BundleRefused, match="not a bundle"):
        slots.check(junk)
    cmdline = tmp_path / "cmdline"
    cmdline.write_text("root=PARTUUID=6b696f73-03 rootwait ro rauc.slot=B panic=10 console=tty0\n")
    monkeypatch.setattr(slots_module, "PROC_CMDLINE", cmdline)
    assert slots.booted() == "B"
    slots.reboot()
    assert (tmp_path / "run" / "reboot").exists()  # root's kiosk-update-reboot.path acts on it


def test_a_download_leaves_room_for_the_store(kiosk, office, tmp_path, monkeypatch):
    import shutil
    from collections import namedtuple
    agent = offered(kiosk, office, tmp_path, "0.9.9")
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda _path: usage(10**9, 10**9 - 100 * 2**20, 100 * 2**20))
    assert agent.step() == "downloading"  # waits for room, the store keeps its 100 MB
    assert "not enough room" in health(kiosk)["system"]["update"]["error"]
    assert not list(agent.folder.glob("*.part"))


def test_a_slot_left_that_starts_again_is_left_again(kiosk, office, tmp_path):
    offer(office, tmp_path, "0.9.10")
    kiosk.sync.refresh()
    assert kiosk.updates.step() == "installed"
    slots = SimulatedSlots(kiosk.updates.folder, "")
    record = UpdateRecord.load(kiosk.updates.folder)
    record.enter("rolled_back", "0.9.10 failed its checks: the kiosk drew no first frame within 4 minutes")
    assert slots.booted() == "B"  # as if its mark-bad had not reached the bootloader
    assert confirm(slots, kiosk.updates.folder, minutes=1) == "rolled_back"
    assert slots.booted() == "A"


def test_each_step_of_the_agents_thread_is_reported_soon(kiosk, office, tmp_path):
    import time
    heartbeat = kiosk.heartbeat
    heartbeat.tick()  # the start-up heartbeat: the next is 5 minutes away
    assert heartbeat.due_in() > 60
    offer(office, tmp_path, "0.9.11")
    kiosk.updates.start()
    kiosk.sync.refresh()  # the offer wakes the agent's thread
    deadline = time.monotonic() + 30
    while heartbeat.due_in() > 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert UpdateRecord.load(kiosk.updates.folder).state == "installed"
    assert heartbeat.due_in() == 0  # the office hears of it with the uploader's next pass


def test_a_newer_offer_replaces_a_download_waiting_for_its_window(kiosk, office, tmp_path):
    agent = offered(kiosk, office, tmp_path, "0.9.12")
    agent.now = lambda: MORNING
    assert agent.step() == "downloaded"
    first = list(agent.folder.glob("*.raucb"))
    agent = offered(kiosk, office, tmp_path, "0.9.13")
    assert agent.step() == "downloaded" and UpdateRecord.load(agent.folder).version == "0.9.13"
    assert len(first) == 1 and not first[0].exists()  # the card keeps one bundle, the one offered now


def test_the_health_report_keeps_every_note_whatever_thread_writes_it(tmp_path):
    import threading
    report = HealthReport(tmp_path, "boot-1")
    threads = [threading.Thread(target=report.note, kwargs={f"item{i}": i}) for i in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    from kiosk.updates.health import read_report
    assert read_report(tmp_path, "boot-1") == {"boot_id": "boot-1", **{f"item{i}": i for i in range(40)}}
    assert read_report(tmp_path, "boot-2") is None  # another boot's report is not this one's

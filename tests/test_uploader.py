"""The outbox reaches the office server exactly once, whatever the network and the server do."""

import logging
import os
import signal
import subprocess
import sys
import time
import uuid

import pytest

from fake_office import FakeOffice
from kiosk.config import Config, defaults
from kiosk.services import open_services
from kiosk.store import Store
from protocol.events import MAX_EVENTS
from kiosk.uploader import BACKOFF_MAX, Uploader

TOKEN = "test-token"


class Wall:
    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self):
        return self.now


@pytest.fixture
def office():
    server = FakeOffice(token=TOKEN).start()
    yield server
    server.stop()


def setup(tmp_path, url, events=3, token=TOKEN):
    values = defaults()
    values["kiosk"]["data_dir"] = str(tmp_path)
    values["server"]["url"], values["server"]["token"] = url, token
    config = Config(values)
    store = Store.open(tmp_path)
    for n in range(events):
        store.record_event("rating", {"score": 3, "n": n})
    wall = Wall()
    uploader = Uploader(config, store, wall=wall, rng=lambda: 1.0)
    uploader.timeout = (2, 0.5)
    return store, uploader, wall


def outbox_ids(store):
    return {e.id for e in store.events()}


def test_events_are_sent_once_and_marked_delivered(tmp_path, office):
    store, uploader, _ = setup(tmp_path, office.url)
    result = uploader.upload_once()
    assert (result.sent, result.duplicates, result.remaining, result.error) == (3, 0, 0, None)
    assert set(office.events) == outbox_ids(store)
    assert uploader.upload_once().sent == 0 and len(office.batches) == 1  # nothing left to send


def test_batches_hold_at_most_500_events_in_seq_order(tmp_path, office):
    store, uploader, _ = setup(tmp_path, office.url, events=1201)
    assert uploader.upload_once().sent == 1201
    assert [len(b) for b in office.batches] == [MAX_EVENTS, MAX_EVENTS, 201]
    sent_order = [i for batch in office.batches for i in batch]
    assert sent_order == [e.id for e in store.events()]


def test_a_server_down_at_first_gets_everything_once_it_is_up(tmp_path):
    office = FakeOffice(token=TOKEN)  # not started: nothing listens on its port
    store, uploader, wall = setup(tmp_path, office.url)
    result = uploader.upload_once()
    assert result.error and "cannot reach" in result.error and result.remaining == 3
    assert uploader.due_in() == pytest.approx(1.0)
    for failures in range(2, 12):  # still down: the wait doubles, up to five minutes
        wall.now += uploader.due_in()
        uploader.upload_once()
        assert uploader.due_in() == pytest.approx(min(BACKOFF_MAX, 2 ** (failures - 1)))
    office.start()
    try:
        assert uploader.upload_once().sent == 3 and uploader.due_in() == 0
        assert set(office.events) == outbox_ids(store)
    finally:
        office.stop()


def test_full_jitter_spreads_the_retries(tmp_path):
    office = FakeOffice(token=TOKEN)
    store, uploader, _ = setup(tmp_path, office.url)
    uploader.rng = lambda: 0.25
    for _ in range(6):
        uploader.upload_once()
    assert uploader.due_in() == pytest.approx(0.25 * 32)  # a quarter of the sixth ceiling (32 s)


def test_500_then_success(tmp_path, office):
    office.script = [500]
    store, uploader, _ = setup(tmp_path, office.url)
    assert "HTTP 500" in uploader.upload_once().error
    assert uploader.upload_once().sent == 3


def test_429_honours_retry_after(tmp_path, office):
    office.script = [429]
    store, uploader, _ = setup(tmp_path, office.url)
    assert "HTTP 429" in uploader.upload_once().error
    assert uploader.due_in() == pytest.approx(7.0)


@pytest.mark.parametrize("failure", ["drop", "slow"])
def test_an_answer_lost_after_the_server_committed_does_not_double_count(tmp_path, office, failure):
    office.script = [failure]
    store, uploader, _ = setup(tmp_path, office.url)
    first = uploader.upload_once()
    assert first.error and first.remaining == 3  # the kiosk cannot know the server has them
    second = uploader.upload_once()
    assert (second.sent, second.duplicates, second.remaining) == (0, 3, 0)
    assert len(office.events) == 3


def test_a_refused_token_stops_and_is_tried_again_only_rarely(tmp_path, office, caplog):
    store, uploader, _ = setup(tmp_path, office.url, token="wrong-token-abcdefghijklmnop")
    with caplog.at_level(logging.DEBUG):
        result = uploader.upload_once()
    assert result.refused and result.error == "server refused this kiosk's token"
    assert uploader.due_in() == pytest.approx(3600)
    assert uploader.status()["last_error"] == "server refused this kiosk's token"
    assert "wrong-token" not in caplog.text and not office.events


def test_an_answer_that_is_not_json_leaves_the_events_to_send_again(tmp_path, office):
    office.script = ["garbage"]
    store, uploader, _ = setup(tmp_path, office.url)
    assert "not the protocol's JSON" in uploader.upload_once().error
    assert uploader.upload_once().duplicates == 3 and len(office.events) == 3


def test_one_bad_event_is_parked_and_does_not_block_the_rest(tmp_path, office):
    store, uploader, _ = setup(tmp_path, office.url)
    bad = store.record_event("rating", {"bad": True})
    store.record_event("rating", {"score": 1})
    result = uploader.upload_once()
    assert (result.sent, result.rejected, result.remaining) == (4, 1, 0)
    assert bad.id in result.rejections[0] and "data.bad" in result.rejections[0]
    assert store.outbox_counts() == {"pending": 0, "parked": 1}
    uploader.upload_once()
    assert sum(b.count(bad.id) for b in office.batches) == 1, "a parked event was sent again"


def cli(config, *args, timeout=60):
    env = {k: v for k, v in os.environ.items() if k != "KIOSK_CONFIG"}
    return subprocess.run([sys.executable, "-m", "kiosk.cli", *args, "--config", str(config)], capture_output=True,
                          text=True, timeout=timeout, env=env)


def config_file(tmp_path, url):
    path = tmp_path / "kiosk.toml"
    path.write_text(f'[kiosk]\ndata_dir = "{tmp_path / "data"}"\n[server]\nurl = "{url}"\ntoken = "{TOKEN}"\n',
                    encoding="utf-8")
    path.chmod(0o600)  # it holds the token
    return path


def test_upload_once_repeated_until_it_exits_0_delivers_everything_exactly_once(tmp_path):
    office = FakeOffice(token=TOKEN)
    config = config_file(tmp_path, office.url)
    with Store.open(tmp_path / "data") as store:
        for n in range(700):
            store.record_event("ticket", {"n": n})
        bad = store.record_event("rating", {"bad": True}).id
        ours = {e.id for e in store.events()}
    runs = [cli(config, "upload", "--once")]  # the server is down
    office.start()
    office.script = [500, "drop", 429, "garbage", "slow"]
    office.retry_after = "0"
    office.slow_seconds = 0.1
    try:
        for _ in range(12):
            runs.append(cli(config, "upload", "--once"))
            if runs[-1].returncode == 0:
                break
        assert runs[-1].returncode == 0, runs[-1].stdout + runs[-1].stderr
        assert runs[0].returncode == 1 and "remaining 701" in runs[0].stdout
        assert "rejected" in "".join(r.stdout for r in runs)
        assert set(office.events) == ours - {bad}  # every event once; the bad one parked, not lost
        assert len(office.events) == 700
        status = cli(config, "upload", "status")
        assert "0 events waiting, 1 parked" in status.stdout
    finally:
        office.stop()


def test_a_kiosk_killed_in_the_middle_of_an_upload_loses_and_doubles_nothing(tmp_path, office):
    config = config_file(tmp_path, office.url)
    with Store.open(tmp_path / "data") as store:
        for n in range(50):
            store.record_event("rating", {"n": n})
    office.script = ["slow"]
    office.slow_seconds = 5
    child = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "upload", "--once", "--config", str(config)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 20
    while not office.batches and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(child.pid, signal.SIGKILL)  # the server has committed; the kiosk never hears
    child.wait(10)
    result = cli(config, "upload", "--once")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "duplicates 50" in result.stdout and len(office.events) == 50


def test_bench_upload_prints_both_rates_and_their_ratio(tmp_path):
    import re
    env = {k: v for k, v in os.environ.items() if k != "KIOSK_CONFIG"}
    env["XDG_DATA_HOME"] = str(tmp_path)
    result = subprocess.run([sys.executable, "-m", "kiosk.cli", "bench", "upload"], capture_output=True, text=True,
                            timeout=300, env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    batched = re.search(r"batched \(500 a request\)\s+10000\s+([\d.]+)\s+(\d+)", result.stdout)
    single = re.search(r"one per request\s+(\d+)\s+([\d.]+)\s+(\d+)", result.stdout)
    ratio = re.search(r"batched / one per request\s+([\d.]+)×", result.stdout)
    assert batched and single and ratio, result.stdout
    assert float(ratio.group(1)) == pytest.approx(int(batched.group(2)) / int(single.group(3)), rel=0.05)


# -- an event the kiosk cannot send at all ----------------------------------------------------------------------

def plant_row(store, data_json, type="form_view"):
    """An outbox row as an older kiosk, or a database recovered after corruption, may have left it: its data is
    JSON text the store reads back fine, but holding what UTF-8 or JSON cannot carry ("\\ud800", NaN)."""
    event_id = str(uuid.uuid4())
    store.write(lambda c: c.execute("INSERT INTO events (id, type, at, clock_synced, data) VALUES (?, ?, ?, 1, ?)",
                                    (event_id, type, "2026-11-27T09:30:00.000+08:00", data_json)))
    return event_id


def test_an_outbox_row_holding_a_lone_surrogate_is_parked_with_its_reason_and_the_rest_go(tmp_path, office):
    config = config_file(tmp_path, office.url)
    with Store.open(tmp_path / "data") as store:
        before = [store.record_event("rating", {"score": 3, "n": n}).id for n in range(2)]
        bad = plant_row(store, '{"code": "move-in", "title": "\\ud800\\u9077\\u5165"}')
        after = [store.record_event("rating", {"score": 3, "n": n}).id for n in range(2, 4)]
    run = cli(config, "upload", "--once")
    assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr
    assert "sent 4" in run.stdout and "rejected 1" in run.stdout
    assert bad in run.stderr and "not valid Unicode" in run.stderr        # what was rejected and why
    assert set(office.events) == set(before + after)
    status = cli(config, "upload", "status").stdout
    assert "0 events waiting, 1 parked" in status
    assert "last error none" not in status and "U+D800" in status and bad in status
    with Store.open(tmp_path / "data") as store:                          # nothing is stuck behind it
        later = store.record_event("rating", {"score": 1}).id
    assert cli(config, "upload", "--once").returncode == 0 and later in office.events
    assert sum(batch.count(bad) for batch in office.batches) == 0, "the row that cannot be sent was sent"


def test_the_running_uploader_parks_rows_it_cannot_send_and_goes_on(tmp_path, office):
    store, uploader, _ = setup(tmp_path, office.url, events=0)
    uploader.batch_size = 2                                               # a whole batch of them, then more
    bad = [plant_row(store, '{"message": "\\udcff"}', "fault"), plant_row(store, '{"score": NaN}', "rating")]
    good = [store.record_event("rating", {"score": 3, "n": n}).id for n in range(3)]
    uploader.start()
    try:
        deadline = time.monotonic() + 10
        while not uploader.status()["last_success"] and time.monotonic() < deadline:  # the pass is over
            time.sleep(0.05)
        assert set(office.events) == set(good)
        assert uploader._thread.is_alive()
        status = uploader.status()
        assert (status["pending"], status["parked"]) == (0, 2)
        assert "2 event(s) parked" in status["last_error"] and "data.score is nan" in status["last_error"]
        reasons = dict(store.read(lambda c: c.execute("SELECT id, parked_error FROM events WHERE parked_error "
                                                      "IS NOT NULL").fetchall()))
        assert "data.message holds text that is not valid Unicode (U+DCFF" in reasons[bad[0]]
        assert "data.score is nan, which JSON cannot carry" in reasons[bad[1]]
    finally:
        uploader.stop()


def test_a_fault_naming_a_file_whose_name_is_not_utf8_is_kept_mended_and_reaches_the_office(tmp_path, office):
    values = defaults()
    values["kiosk"]["data_dir"] = str(tmp_path)
    values["server"]["url"], values["server"]["token"] = office.url, TOKEN
    services = open_services(Config(values), with_hardware=False)
    try:
        port = os.fsdecode(b"/dev/usb/lp\xff")                            # as os.listdir gives such a name
        services.record_fault("printer_missing", f"cannot open the printer at {port}")
        assert services.uploader.upload_once().error is None
        [fault] = [e for e in office.events.values() if e["type"] == "fault"]
        assert fault["data"]["message"] == "cannot open the printer at /dev/usb/lp\ufffd"
    finally:
        services.close()

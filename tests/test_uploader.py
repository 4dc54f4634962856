"""The outbox reaches the office server exactly once, whatever the network and the server do."""

import logging
import os
import signal
import subprocess
import sys
import time

import pytest

from fake_office import FakeOffice
from kiosk.config import Config, defaults
from kiosk.store import Store
from kiosk.uploader import BACKOFF_MAX, MAX_EVENTS, Uploader

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

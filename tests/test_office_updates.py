"""System updates rolled out from the office server (office/updates.py, office/update_pages.py): bundles listed,
offered to one kiosk then the rest, the config answer's ``update`` member, the bundle served in ranges, and each
kiosk's system and update on the staff pages.  On SQLite and, with OFFICE_TEST_DATABASE_URL set, PostgreSQL.
"""

import io
import json
from datetime import datetime

import pytest

from bundles import squashfs_bundle
from kiosk.updates.slots import write_simulated_bundle
from office import updates
from office.app import create_app
from office.db import Database
from office_backends import BACKENDS, database_url
from office_sign_in import clerk, csrf
from protocol import officetime
from protocol.updates import read_offer

KIOSKS = ("ERLIN-01", "ERLIN-02", "ERLIN-03")


@pytest.fixture(params=BACKENDS)
def db(request, tmp_path, monkeypatch):
    monkeypatch.setenv("KIOSK_OFFICE_BUNDLES", str(tmp_path / "bundles"))
    officetime.pin(datetime(2026, 12, 8, 17, 30, tzinfo=officetime.TAIPEI))
    with database_url(request.param, tmp_path) as url, Database(url) as database:
        yield database
    officetime.pin(None)


@pytest.fixture
def office(db):
    app = create_app(db)
    return app, {kiosk: db.add_kiosk(kiosk) for kiosk in KIOSKS}


def bundle_bytes(tmp_path, version, padding=50_000):
    return write_simulated_bundle(tmp_path / f"{version}.raucb", version, padding=padding).read_bytes()


def config_of(client, token, kiosk="ERLIN-01", etag=None):
    headers = {"Authorization": f"Bearer {token}"}
    if etag:
        headers["If-None-Match"] = etag
    return client.get(f"/api/v1/kiosks/{kiosk}/config", headers=headers)


def heartbeat(client, token, kiosk, system, seq=1):
    event = {"id": f"00000000-0000-4000-8000-{seq:012d}", "type": "heartbeat", "seq": seq,
             "at": officetime.rfc3339(officetime.now()), "clock_synced": True,
             "data": {"kiosk_id": kiosk, "version": system["version"], "system": system}}
    answer = client.post("/api/v1/events", json={"kiosk_id": kiosk, "events": [event]},
                         headers={"Authorization": f"Bearer {token}"})
    assert answer.get_json()["accepted"], answer.get_json()


def test_a_bundle_offered_to_one_kiosk_reaches_that_kiosk_only(office, tmp_path):
    app, tokens = office
    client = app.test_client()
    data = bundle_bytes(tmp_path, "0.2.0")
    db = app.extensions["office_db"]
    bundle = updates.add_file(db, io.BytesIO(data), "chen")
    before = config_of(client, tokens["ERLIN-01"])
    assert before.get_json()["update"] is None
    updates.assign(db, bundle.id, ["ERLIN-01"], "chen")
    after = config_of(client, tokens["ERLIN-01"], etag=before.headers["ETag"])
    assert after.status_code == 200  # the ETag changed with the offer
    offered = read_offer(after.get_json()["update"])
    assert (offered.version, offered.size, offered.external) == ("0.2.0", len(data), False)
    assert config_of(client, tokens["ERLIN-02"], "ERLIN-02").get_json()["update"] is None

    whole = client.get("/" + offered.url, headers={"Authorization": f"Bearer {tokens['ERLIN-02']}"})
    assert whole.status_code == 200 and whole.data == data
    rest = client.get("/" + offered.url, headers={"Authorization": f"Bearer {tokens['ERLIN-01']}",
                                                  "Range": "bytes=40000-"})
    assert rest.status_code == 206 and rest.data == data[40000:]
    assert client.get("/" + offered.url).status_code == 401


def test_what_is_not_a_bundle_or_is_listed_twice_is_refused(db, tmp_path):
    with pytest.raises(updates.BundleError, match="no manifest|unsquashfs"):
        updates.add_file(db, io.BytesIO(b"PK\x03\x04 a zip file"), "chen")
    other = write_simulated_bundle(tmp_path / "x.raucb", "0.2.0", compatible="someone-elses-board").read_bytes()
    with pytest.raises(updates.BundleError, match="someone-elses-board"):
        updates.add_file(db, io.BytesIO(other), "chen")
    data = bundle_bytes(tmp_path, "0.2.0")
    updates.add_file(db, io.BytesIO(data), "chen")
    with pytest.raises(updates.BundleError, match="already listed"):
        updates.add_file(db, io.BytesIO(data), "chen")
    with pytest.raises(updates.BundleError, match="https"):
        updates.add_url(db, "http://mirror.example/k.raucb", "0.3.0", "a" * 64, 1000, "chen")
    assert [b.version for b in updates.bundles(db)] == ["0.2.0"]
    assert len(list((tmp_path / "bundles").iterdir())) == 1  # the refused uploads left nothing behind


def test_a_bundle_elsewhere_is_offered_with_its_address(office):
    app, tokens = office
    db = app.extensions["office_db"]
    bundle = updates.add_url(db, "https://mirror.example.gov.tw/kiosk-0.3.0-arm64.raucb", "0.3.0", "b" * 64,
                             231_000_000, "chen")
    updates.assign_rest(db, bundle.id, "chen")
    offered = read_offer(config_of(app.test_client(), tokens["ERLIN-03"], "ERLIN-03").get_json()["update"])
    assert offered.external and offered.url.startswith("https://mirror.example.gov.tw/")


def test_the_staff_roll_out_one_kiosk_first_then_the_rest_once_it_runs_it(office, tmp_path):
    app, tokens = office
    staff = clerk(app)
    page = staff.get("/updates").get_data(as_text=True)
    answer = staff.post("/updates", data={"csrf": csrf(page), "action": "upload",
                                          "bundle": (io.BytesIO(bundle_bytes(tmp_path, "0.2.0")), "k.raucb")},
                        content_type="multipart/form-data")
    html = answer.get_data(as_text=True)
    assert "已加入 0.2.0" in html
    bundle = updates.bundles(app.extensions["office_db"])[0]
    assert 'value="rest" disabled' in html  # no kiosk runs it yet
    html = staff.post("/updates", data={"csrf": csrf(html), "action": "first", "bundle": bundle.id,
                                        "kiosk": "ERLIN-02"}).get_data(as_text=True)
    assert "ERLIN-02 將更新" in html
    client = app.test_client()
    heartbeat(client, tokens["ERLIN-02"], "ERLIN-02",
              {"version": "0.1.0", "slot": "A", "update": {"state": "downloading", "version": "0.2.0",
                                                          "done": 25_000, "size": 50_000}})
    assert "下載中 50%" in staff.get("/updates").get_data(as_text=True)
    heartbeat(client, tokens["ERLIN-02"], "ERLIN-02",
              {"version": "0.2.0", "slot": "B", "update": {"state": "good", "version": "0.2.0"}}, seq=2)
    html = staff.get("/updates").get_data(as_text=True)
    assert 'value="rest" disabled' not in html and "已更新" in html
    html = staff.post("/updates", data={"csrf": csrf(html), "action": "rest", "bundle": bundle.id}
                      ).get_data(as_text=True)
    assert "其餘 2 台服務機將更新" in html
    assert set(updates.targets(app.extensions["office_db"])) == set(KIOSKS)
    today = staff.get("/").get_data(as_text=True)
    assert "0.2.0（B 槽）" in today


def test_a_kiosk_that_went_back_shows_why(office, tmp_path):
    app, tokens = office
    heartbeat(app.test_client(), tokens["ERLIN-01"], "ERLIN-01",
              {"version": "0.1.0", "slot": "A",
               "update": {"state": "rolled_back", "version": "0.2.0",
                          "error": "0.2.0 failed its checks: the kiosk drew no first frame within 10 minutes"}})
    staff = clerk(app)
    for path in ("/updates", "/"):
        html = staff.get(path).get_data(as_text=True)
        assert "已退回原系統" in html and "drew no first frame within 10 minutes" in html


def test_a_heartbeat_with_a_system_of_the_wrong_shape_is_rejected(office):
    app, tokens = office
    event = {"id": "00000000-0000-4000-8000-000000000009", "type": "heartbeat", "seq": 1,
             "at": officetime.rfc3339(officetime.now()), "clock_synced": True,
             "data": {"system": {"slot": "B", "update": {"state": "downloading", "done": "half"}}}}
    answer = app.test_client().post("/api/v1/events", json={"kiosk_id": "ERLIN-01", "events": [event]},
                                    headers={"Authorization": f"Bearer {tokens['ERLIN-01']}"}).get_json()
    assert answer["rejected"] and "done" in json.dumps(answer["rejected"])


def test_kiosk_office_update_commands(tmp_path, monkeypatch):
    from office.cli import main
    monkeypatch.setenv("KIOSK_OFFICE_BUNDLES", str(tmp_path / "bundles"))
    url = f"sqlite:///{tmp_path / 'office.db'}"
    with Database(url) as db:
        db.add_kiosk("ERLIN-01")
    path = write_simulated_bundle(tmp_path / "k.raucb", "0.2.0")
    assert main(["update", "add", str(path), "--db", url]) == 0
    assert main(["update", "offer", "0.2.0", "--kiosk", "ERLIN-01", "--db", url]) == 0
    assert main(["update", "offer", "0.9.9", "--rest", "--db", url]) == 2
    with Database(url) as db:
        assert updates.offer_for(db, "ERLIN-01")["version"] == "0.2.0"
    assert main(["update", "withdraw", "0.2.0", "--db", url]) == 0
    with Database(url) as db:
        assert updates.offer_for(db, "ERLIN-01") is None


def test_a_rauc_bundles_version_is_read_from_its_manifest(db, tmp_path):
    with open(squashfs_bundle(tmp_path, "0.4.0"), "rb") as stream:
        bundle = updates.add_file(db, stream, "chen")
    assert (bundle.version, bundle.compatible) == ("0.4.0", "erlin-kiosk-rpi-arm64")
    with open(squashfs_bundle(tmp_path, "0.4.1", compatible="kiosk-rpi-arm64"), "rb") as stream:
        with pytest.raises(updates.BundleError, match="'kiosk-rpi-arm64'"):
            updates.add_file(db, stream, "chen")

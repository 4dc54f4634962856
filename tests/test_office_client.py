"""One HTTP client on the kiosk (kiosk/office_client.py): ``server.ca_bundle`` is honoured by every way the kiosk
talks to its office server — the upload, the heartbeat it carries, the config sync, the queue status, the self-test.

The office server is the real one (office/: Flask, SQLite) over HTTPS on 127.0.0.1, its certificate signed by a test
CA made here with ``openssl``, which neither the system nor requests trusts.  With ``server.ca_bundle`` naming that CA
each of them gets through; without it each fails as a technician can read it (the upload's last error, a fault, the
self-test's row), nothing crashes and nothing is lost.
"""

import ssl
import subprocess
import threading

import pytest

from kiosk import __version__ as kiosk_version
from protocol import officetime
from kiosk.config import Config, defaults
from kiosk.selftest import FAIL, PASS, SelfTest
from kiosk.selftest.network import check_network
from kiosk.services import open_services

KIOSK = "ERLIN-01"
POWER_CUT = {"zh-TW": "今日下午停電，暫停服務", "en": "Power cut this afternoon: no service"}


class Clock:
    def __init__(self, moment):
        self.moment = moment

    def __call__(self):
        return self.moment


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A test CA and a certificate it signed for 127.0.0.1: (ca.pem, server.pem, server.key)."""
    folder = tmp_path_factory.mktemp("pki")
    ca_key, ca, key, csr, cert = (folder / n for n in ("ca.key", "ca.pem", "server.key", "server.csr", "server.pem"))

    def openssl(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(ca_key), "-out", str(ca), "-days", "2",
            "-subj", "/CN=Erlin office test CA", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(csr), "-subj", "/CN=127.0.0.1")
    extensions = folder / "server.ext"
    extensions.write_text("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
                          "keyUsage=critical,digitalSignature,keyEncipherment\nsubjectKeyIdentifier=hash\n"
                          "authorityKeyIdentifier=keyid,issuer\n")
    openssl("x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key), "-CAcreateserial",
            "-out", str(cert), "-days", "2", "-extfile", str(extensions))
    return ca, cert, key


@pytest.fixture
def office(tmp_path, pki, monkeypatch):
    """The real office server over HTTPS on 127.0.0.1 with kiosk ERLIN-01: (url, token, db, clock).

    Its clock is pinned at the moment the test starts (the kiosk's events are stamped a few seconds later, which it
    takes); the queue status is asked with the same clock, so the office day is the same on both sides at any hour.
    """
    from werkzeug.serving import make_server

    from office.app import create_app
    from office.db import Database

    # Nothing in the environment trusts the test CA for the kiosk: only server.ca_bundle may.
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR"):
        monkeypatch.delenv(name, raising=False)
    _ca, cert, key = pki
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    db = Database(f"sqlite:///{tmp_path / 'office.db'}")
    token = db.add_kiosk(KIOSK)
    clock = Clock(officetime.now())
    server = make_server("127.0.0.1", 0, create_app(db, clock=clock), threaded=True, ssl_context=context)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield f"https://127.0.0.1:{server.server_port}/", token, db, clock
    server.shutdown()
    server.server_close()
    db.close()


def kiosk_config(data_dir, url, token, ca_bundle=""):
    values = defaults()
    values["kiosk"]["data_dir"] = str(data_dir)
    values["server"].update(url=url, token=token, ca_bundle=str(ca_bundle))
    return Config(values)


@pytest.fixture
def kiosk(tmp_path, office, pki):
    """``kiosk(trusting)``: the kiosk's services (no hardware) on one data folder, ``server.ca_bundle`` naming the
    test CA when ``trusting``; each is closed at the end."""
    url, token, _db, _clock = office
    opened = []

    def start(trusting):
        if opened:
            opened[-1].close()
        services = open_services(kiosk_config(tmp_path / "kiosk", url, token, pki[0] if trusting else ""),
                                 with_hardware=False)
        opened.append(services)
        return services

    yield start
    for services in opened:
        services.close()


def test_uploads_get_through_with_the_offices_ca_and_wait_with_an_honest_error_without_it(kiosk, office, pki):
    url, token, db, _clock = office
    untrusting = kiosk(trusting=False)
    untrusting.store.record_event("rating", {"score": 3, "scale": 3, "choice": "smile"})
    result = untrusting.uploader.upload_once()
    assert result.remaining == 1 and "TLS certificate" in result.error and "not trusted" in result.error
    assert "server.ca_bundle" in result.error               # what to do about it
    status = untrusting.uploader.status()
    assert "not trusted" in status["last_error"] and status["pending"] == 1 and status["parked"] == 0
    assert token not in status["last_error"]
    assert db.events() == []                                 # nothing reached the office

    trusting = kiosk(trusting=True)                          # the technician sets server.ca_bundle
    trusting.uploader.wall = lambda: 10 ** 10                # past the backoff the untrusting pass set
    result = trusting.uploader.upload_once()
    assert (result.sent, result.remaining, result.error) == (1, 0, None)
    assert [e["type"] for e in db.events()] == ["rating"]
    assert trusting.uploader.status()["last_error"] == ""


def test_the_heartbeat_reaches_the_office_list_only_with_the_offices_ca(kiosk, office):
    _url, _token, db, _clock = office
    untrusting = kiosk(trusting=False)
    untrusting.heartbeat.beat()
    assert untrusting.uploader.upload_once().error
    assert db.kiosks()[0]["last_heartbeat"] is None          # the office still knows nothing of this kiosk

    trusting = kiosk(trusting=True)
    trusting.uploader.wall = lambda: 10 ** 10
    trusting.heartbeat.beat()                                # the newest replaces the one waiting
    assert trusting.uploader.upload_once().error is None
    heartbeat = db.kiosks()[0]["last_heartbeat"]
    assert heartbeat["data"]["kiosk_id"] == KIOSK and heartbeat["data"]["version"] == kiosk_version


def test_the_offices_announcements_come_with_the_offices_ca_and_without_it_the_last_ones_stay_with_a_fault(kiosk,
                                                                                                          office):
    _url, token, db, _clock = office
    db.set_config(announcements=[POWER_CUT])
    trusting = kiosk(trusting=True)                          # the config sync used to ignore server.ca_bundle
    assert trusting.sync.refresh() == "updated"
    assert trusting.sync.marquee_texts() == [POWER_CUT]

    db.set_config(announcements=["請勿在大廳飲食"])
    untrusting = kiosk(trusting=False)                       # server.ca_bundle emptied by mistake
    assert untrusting.sync.refresh() == "untrusted"
    assert untrusting.sync.marquee_texts() == [POWER_CUT]  # the last good ones
    [fault] = [e.data for e in untrusting.store.events() if e.type == "fault"]
    assert fault["kind"] == "server_certificate" and "not trusted" in fault["message"]
    assert "server.ca_bundle" in fault["message"] and token not in fault["message"]
    assert any("not trusted" in message for message in untrusting.faults)   # the admin screen shows it


def test_the_queue_on_the_tiles_is_live_only_with_the_offices_ca(kiosk, office):
    clock = office[3]
    untrusting = kiosk(trusting=False)
    untrusting.queue.now = clock
    assert untrusting.queue.refresh() == "untrusted"
    assert untrusting.queue.outlook("A") is None             # the tile says the kiosk's own count, no live figure

    trusting = kiosk(trusting=True)
    trusting.queue.now = clock
    assert trusting.queue.refresh() == "updated"
    assert trusting.queue.outlook("A").live


def test_the_selftest_network_row_passes_with_the_offices_ca_and_says_why_without(tmp_path, office, pki):
    url, token, _db, _clock = office
    with SelfTest(kiosk_config(tmp_path / "data", url, token)) as test:
        row = test._scrubbed(check_network(test))
    assert row.status == FAIL and "TLS certificate is not trusted" in row.reason
    assert "server.ca_bundle" in row.advice
    with SelfTest(kiosk_config(tmp_path / "data", url, token, pki[0])) as test:
        row = test._scrubbed(check_network(test))
    assert row.status == PASS and "token accepted" in row.reason


@pytest.mark.parametrize("bundle", ["missing", "not-pem"])
def test_a_ca_bundle_that_cannot_be_read_is_said_never_a_crash(kiosk, office, tmp_path, bundle):
    url, token, _db, _clock = office
    path = tmp_path / "office-ca.pem"
    if bundle == "not-pem":
        path.write_text("this is the office's address, not its CA certificate\n")
    services = open_services(kiosk_config(tmp_path / "other", url, token, path), with_hardware=False)
    try:
        services.store.record_event("rating", {"score": 3, "scale": 3, "choice": "smile"})
        result = services.uploader.upload_once()
        assert result.remaining == 1 and f"server.ca_bundle {path} cannot be read" in result.error
        assert services.sync.refresh() == "untrusted" and services.queue.refresh() == "untrusted"
        assert any(f"server.ca_bundle {path} cannot be read" in message for message in services.faults)
    finally:
        services.close()
    with SelfTest(kiosk_config(tmp_path / "data", url, token, path)) as test:
        row = check_network(test)
    assert row.status == FAIL and "cannot be read" in row.reason and "PEM" in row.advice


def test_requests_ca_bundle_in_the_environment_does_not_override_server_ca_bundle(kiosk, office, monkeypatch):
    import certifi

    _url, _token, db, _clock = office
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())   # e.g. left by a proxy's set-up: not the office's CA
    trusting = kiosk(trusting=True)
    trusting.store.record_event("rating", {"score": 3, "scale": 3, "choice": "smile"})
    assert trusting.uploader.upload_once().error is None and len(db.events()) == 1
    assert trusting.sync.refresh() == "updated" and trusting.queue.refresh() == "updated"

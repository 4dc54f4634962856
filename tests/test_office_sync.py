"""The forms catalogue from the office server: ETag, offline, refused, broken — the last good one always kept."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from kiosk.config import Config, defaults
from kiosk.services import open_services

TOKEN = "kiosk-token-0123456789-secret"
OVERRIDE = '''[[forms]]
code = "office-notice"
category = "proxy"
title = "二林戶政所自訂表單"
title_en = "Erlin office form"
description = "本所自訂的申請表"
description_en = "The office's own form"
url = "https://erlin.example/forms/notice.pdf"
bilingual = false
'''


class Office:
    """A tiny office server on 127.0.0.1: serves a config with an ETag, or fails as told."""

    def __init__(self):
        self.forms, self.etag, self.status, self.requests = OVERRIDE, '"v1"', 200, []
        office = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                office.requests.append((self.path, dict(self.headers)))
                if office.status != 200:
                    self.send_response(office.status)
                    self.end_headers()
                    return
                if self.headers.get("If-None-Match") == office.etag:
                    self.send_response(304)
                    self.end_headers()
                    return
                body = json.dumps({"forms": office.forms}).encode()
                self.send_response(200)
                self.send_header("ETag", office.etag)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        """Stop serving; safe to call twice (a test may take the server away early)."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


@pytest.fixture
def office():
    server = Office()
    yield server
    server.close()


def kiosk_for(tmp_path, url):
    values = defaults()
    values["kiosk"]["data_dir"] = str(tmp_path)
    values["server"]["url"], values["server"]["token"] = url, TOKEN
    return open_services(Config(values), with_hardware=False)


def test_the_office_catalogue_is_fetched_with_the_token_then_only_if_changed(tmp_path, office):
    services = kiosk_for(tmp_path, office.url)
    try:
        assert services.sync.refresh() == "updated"
        assert services.forms.current().by_code("office-notice").title == "二林戶政所自訂表單"
        path, headers = office.requests[-1]
        assert path == "/api/v1/kiosks/ERLIN-01/config" and headers["Authorization"] == f"Bearer {TOKEN}"
        assert services.sync.refresh() == "unchanged"
        assert office.requests[-1][1]["If-None-Match"] == '"v1"'
    finally:
        services.close()


def test_a_server_down_for_days_leaves_the_last_catalogue_also_after_a_restart(tmp_path, office, caplog):
    services = kiosk_for(tmp_path, office.url)
    assert services.sync.refresh() == "updated"
    services.close()
    office.close()  # the server is gone
    services = kiosk_for(tmp_path, office.url)
    try:
        assert services.sync.refresh() == "offline"
        assert services.forms.current().by_code("office-notice")  # kept on disk, not lost with the server
        assert TOKEN not in caplog.text
    finally:
        services.close()


def test_a_broken_catalogue_from_the_server_is_refused_and_the_last_good_one_kept(tmp_path, office):
    services = kiosk_for(tmp_path, office.url)
    try:
        assert services.sync.refresh() == "updated"
        office.forms, office.etag = OVERRIDE.replace("https://erlin.example", "http://erlin.example"), '"v2"'
        assert services.sync.refresh() == "invalid"
        assert services.forms.current().by_code("office-notice").url.startswith("https://")
        faults = [e.data for e in services.store.events() if e.type == "fault"]
        assert faults[-1]["kind"] == "forms_catalogue" and "office-notice" in faults[-1]["message"]
    finally:
        services.close()


def test_a_refused_token_is_reported_and_never_printed(tmp_path, office):
    office.status = 401
    services = kiosk_for(tmp_path, office.url)
    try:
        assert services.sync.refresh() == "refused"
        assert "refused this kiosk's token" in services.faults[-1] and TOKEN not in services.faults[-1]
        assert len(services.forms.current().forms) >= 30  # the shipped catalogue, never a blank one
    finally:
        services.close()


def test_no_server_configured_means_no_request(tmp_path):
    values = defaults()
    values["kiosk"]["data_dir"] = str(tmp_path)
    services = open_services(Config(values), with_hardware=False)
    try:
        assert services.sync.refresh() == "disabled"
    finally:
        services.close()


def test_a_broken_office_file_is_reported_and_the_last_good_catalogue_kept(tmp_path):
    good = tmp_path / "office.toml"
    good.write_text(OVERRIDE, encoding="utf-8")
    values = defaults()
    values["kiosk"]["data_dir"] = str(tmp_path / "data")
    values["forms"]["file"] = str(good)
    open_services(Config(values), with_hardware=False).close()
    good.write_text(OVERRIDE + "[[forms]\n", encoding="utf-8")  # a TOML syntax error
    services = open_services(Config(values), with_hardware=False)
    try:
        assert services.forms.current().by_code("office-notice")
        assert any("forms catalogue" in f and "office.toml" in f for f in services.faults)
    finally:
        services.close()

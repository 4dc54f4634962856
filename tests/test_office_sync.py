"""The office's central settings on the kiosk: the forms catalogue and the marquee's announcements from the
office server: ETag, offline, refused, broken — the last good ones always kept, also across a restart."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from kiosk.config import Config, defaults
from kiosk.forms import record_view
from office_process import LocalOfficeAndDatabase
from kiosk.announcements import own_announcements
from kiosk.office_sync import ANNOUNCEMENTS_KEY, ETAG_KEY
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
        self.members = {}  # more members of the answer (announcements...)
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
                body = json.dumps({"forms": office.forms, **office.members}).encode()
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


def kiosk_for(tmp_path, url, token=TOKEN):
    values = defaults()
    values["kiosk"]["data_dir"] = str(tmp_path)
    values["server"]["url"], values["server"]["token"] = url, token
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


# -- the marquee's announcements ------------------------------------------------------------------

KIOSK_TOML = own_announcements(Config(defaults()))  # kiosk.toml's own: the shipped ones, in every language
POWER_CUT = {"zh-TW": "今日下午停電，暫停服務", "en": "Power cut this afternoon: no service"}
POWER_CUT_6 = {**POWER_CUT, "vi": "Chiều nay cúp điện: tạm ngưng phục vụ",
               "id": "Listrik padam sore ini: layanan dihentikan", "th": "บ่ายนี้ไฟดับ งดให้บริการ",
               "fil": "Walang kuryente ngayong hapon: walang serbisyo"}


@pytest.fixture
def real_office(tmp_path):
    """The office server (office/: Flask, SQLite, waitress) on 127.0.0.1, this kiosk registered."""
    server = LocalOfficeAndDatabase(tmp_path / "office", "ERLIN-01")
    yield server
    server.close()


@pytest.fixture
def kiosk(tmp_path, real_office):
    """The kiosk's services against the real office; what its sync handed to the marquee, in ``told``."""
    services = kiosk_for(tmp_path / "kiosk", real_office.url, real_office.token)
    services.told = []
    services.sync.on_announcements.append(services.told.append)
    yield services
    services.close()
    services.sync.session.close()


def test_the_offices_announcements_in_six_languages_replace_the_kiosks_own(kiosk, real_office):
    assert kiosk.sync.marquee_texts() == KIOSK_TOML           # nothing from the office yet
    assert KIOSK_TOML[0]["vi"] == "Chào mừng quý khách đến Văn phòng Hộ chính Erlin"  # the catalogue's
    real_office.db.set_config(announcements=[POWER_CUT_6, "請勿在大廳飲食"])
    kiosk.sync.refresh()
    office = [POWER_CUT_6, {"zh-TW": "請勿在大廳飲食"}]          # no other text: every screen shows it in Chinese
    assert kiosk.sync.marquee_texts() == office
    assert kiosk.told == [office]
    assert kiosk.sync.refresh() == "unchanged" and kiosk.told == [office]  # a 304: nothing to tell


def test_a_kiosks_own_announcements_at_the_office_win_and_none_from_the_office_means_kiosk_toml(kiosk, real_office):
    real_office.db.set_config(announcements=[POWER_CUT])
    real_office.db.set_config("ERLIN-01", announcements=["本機暫停服務，請至服務台"])
    kiosk.sync.refresh()
    assert kiosk.sync.marquee_texts() == [{"zh-TW": "本機暫停服務，請至服務台"}]
    real_office.db.set_config("ERLIN-01", announcements=None)  # unset: the office-wide ones again
    kiosk.sync.refresh()
    assert kiosk.sync.marquee_texts() == [POWER_CUT]
    real_office.db.set_config(announcements=None)              # the office sends none: kiosk.toml's own
    kiosk.sync.refresh()
    assert kiosk.sync.marquee_texts() == KIOSK_TOML and kiosk.told[-1] == KIOSK_TOML


def test_the_last_announcements_stay_across_a_restart_with_the_server_down(tmp_path, kiosk, real_office, caplog):
    real_office.db.set_config(announcements=[POWER_CUT_6])
    kiosk.sync.refresh()
    kiosk.close()
    kiosk.sync.session.close()  # its keep-alive connection would hold the server's closing for 5 s
    real_office.close()                                        # the server is gone, then the kiosk restarts
    restarted = kiosk_for(tmp_path / "kiosk", real_office.url, real_office.token)
    try:
        assert restarted.sync.refresh() == "offline"
        assert restarted.sync.marquee_texts() == [POWER_CUT_6]
        assert real_office.token not in caplog.text
    finally:
        restarted.close()


def test_a_kiosk_updated_from_the_forms_only_version_gets_the_announcements_already_set(kiosk, real_office):
    """That version kept the answer's ETag but took only the forms: its ETag must not get a 304 now."""
    import requests
    real_office.db.set_config(announcements=[POWER_CUT])
    etag = requests.get(kiosk.sync.url, headers={"Authorization": f"Bearer {real_office.token}"}).headers["ETag"]
    kiosk.store.set_meta("office_config_etag", etag)           # as the older kiosk left it
    kiosk.sync.refresh()
    assert kiosk.sync.marquee_texts() == [POWER_CUT]


def test_an_older_office_server_without_english_gives_chinese_only(tmp_path, office):
    office.forms, office.members = None, {"announcements": ["今日下午停電"]}
    services = kiosk_for(tmp_path, office.url)
    try:
        assert services.sync.refresh() == "updated"
        assert services.sync.marquee_texts() == [{"zh-TW": "今日下午停電"}]
    finally:
        services.close()


def test_a_two_language_office_server_gives_chinese_and_english(tmp_path, office):
    """The server before issue 19 sends announcements and announcements_en only: the others read as none."""
    office.forms, office.members = None, {"announcements": ["今日下午停電", "請勿在大廳飲食"],
                                          "announcements_en": ["Power cut", ""]}
    services = kiosk_for(tmp_path, office.url)
    try:
        assert services.sync.refresh() == "updated"
        assert services.sync.marquee_texts() == [{"zh-TW": "今日下午停電", "en": "Power cut"},
                                                 {"zh-TW": "請勿在大廳飲食"}]
    finally:
        services.close()


def test_what_the_two_language_kiosk_kept_still_shows_after_the_update(tmp_path):
    """Its stored row has two lists (announcements, announcements_en): read as they are, no migration."""
    values = defaults()
    values["kiosk"]["data_dir"] = str(tmp_path)
    services = open_services(Config(values), with_hardware=False)
    try:
        services.store.set_meta(ANNOUNCEMENTS_KEY, json.dumps(
            {"announcements": ["今日下午停電"], "announcements_en": ["Power cut"]}, ensure_ascii=False))
        assert services.sync.marquee_texts() == [{"zh-TW": "今日下午停電", "en": "Power cut"}]
    finally:
        services.close()


def test_a_kiosk_updated_from_the_two_language_version_gets_the_translations_already_set(kiosk, real_office):
    """That version kept the answer's ETag but took only zh-TW and en: its ETag must not get a 304 now."""
    import requests
    real_office.db.set_config(announcements=[POWER_CUT_6])
    etag = requests.get(kiosk.sync.url, headers={"Authorization": f"Bearer {real_office.token}"}).headers["ETag"]
    kiosk.store.set_meta("office_config_etag_v2", etag)        # as the two-language kiosk left it
    kiosk.store.set_meta(ANNOUNCEMENTS_KEY, json.dumps({"announcements": [POWER_CUT["zh-TW"]],
                                                        "announcements_en": [POWER_CUT["en"]]}))
    assert kiosk.sync.refresh() == "updated"
    assert kiosk.sync.marquee_texts() == [POWER_CUT_6]


@pytest.mark.parametrize("members, says", [
    ({"announcements": "今日下午停電"}, "announcements must be a list of strings, got str"),
    ({"announcements": ["今日下午停電", 7]}, "announcements item 2 must be a string, got int"),
    ({"announcements": ["停電"] * 10000}, "announcements has 10000 items, at most 20"),
    ({"announcements": ["停電"], "announcements_en": ["x" * 5000]}, "announcements_en item 1 has 5000 characters"),
    ({"announcements": ["停電"], "announcements_en": ["Power cut", "No food"]}, "announcements_en has 2 items but"),
    ({"announcements": ["停電", "  "]}, "announcements item 2 is empty"),
    ({"announcements": ["停電"], "announcements_vi": "Cúp điện"}, "announcements_vi must be a list of strings"),
    ({"announcements": ["停電"], "announcements_th": ["ไฟดับ" * 50]}, "announcements_th item 1 has 250 characters"),
    ({"announcements": ["停電"], "announcements_fil": ["a", "b"]}, "announcements_fil has 2 items but"),
], ids=["not-a-list", "not-strings", "10000-items", "5000-characters", "more-english", "blank", "vi-not-a-list",
        "th-too-long", "more-filipino"])
def test_malformed_announcements_are_refused_and_the_last_good_ones_kept(tmp_path, office, members, says):
    office.members = {"announcements": ["今日下午停電"], "announcements_en": ["Power cut"]}
    services = kiosk_for(tmp_path, office.url)
    try:
        assert services.sync.refresh() == "updated"
        told = []
        services.sync.on_announcements.append(told.append)
        office.members, office.etag = members, '"v2"'
        office.forms = OVERRIDE.replace("二林戶政所自訂表單", "二林戶政所自訂表單（新版）")
        assert services.sync.refresh() == "invalid"
        assert services.sync.marquee_texts() == [{"zh-TW": "今日下午停電", "en": "Power cut"}] and told == []
        fault = [e.data for e in services.store.events() if e.type == "fault"][-1]
        assert fault["kind"] == "server_config_invalid" and says in fault["message"], fault
        assert "last good ones kept" in services.faults[-1]
        # The good member of the same answer is still taken; the whole answer is asked for again next time.
        assert services.forms.current().by_code("office-notice").title == "二林戶政所自訂表單（新版）"
        assert services.store.get_meta(ETAG_KEY) == '"v1"'
    finally:
        services.close()


def test_a_damaged_stored_row_shows_the_kiosks_own_never_a_blank_strip(tmp_path):
    values = defaults()
    values["kiosk"]["data_dir"] = str(tmp_path)
    services = open_services(Config(values), with_hardware=False)
    try:
        services.store.set_meta(ANNOUNCEMENTS_KEY, "{not json")
        assert services.sync.marquee_texts() == KIOSK_TOML
    finally:
        services.close()


def test_text_in_the_answer_that_utf8_cannot_carry_is_mended_never_a_crash(tmp_path, office):
    # A JSON "\ud800" is a lone surrogate in Python: the store, the catalogue file and the uploads cannot hold it.
    office.forms = OVERRIDE.replace("二林戶政所自訂表單", "二林\ud800戶政所自訂表單")
    office.members = {"announcements": ["今日\ud800下午停電"], "announcements_en": ["Power \udcff cut"]}
    services = kiosk_for(tmp_path, office.url)
    try:
        assert services.sync.refresh() == "updated"
        assert services.sync.marquee_texts() == [{"zh-TW": "今日\ufffd下午停電", "en": "Power \ufffd cut"}]
        form = services.forms.current().by_code("office-notice")
        assert form.title == "二林\ufffd戶政所自訂表單"
        event = record_view(services.store, form, "zh-TW")        # what a resident's tap records
        assert event.data["title"] == "二林\ufffd戶政所自訂表單"
    finally:
        services.close()

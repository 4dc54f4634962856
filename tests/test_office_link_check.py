"""The forms' link check: does each address give a phone the form's file, only a web page, or nothing?

Against a real HTTPS server on 127.0.0.1 (a certificate made for the test, trusted through
REQUESTS_CA_BUNDLE as an office would trust its own CA), never a mocked HTTP library.
"""

import http.server
import os
import ssl
import subprocess
import sys
import threading
from dataclasses import replace

import pytest

from office import forms_list
from office.db import Database
from office.link_check import check_link

PDF = b"%PDF-1.4\n%%EOF\n"


class Site(http.server.BaseHTTPRequestHandler):
    """A ministry's site as phones meet them: files, pages, downloads, redirects, a server that refuses HEAD."""

    def _answer(self, body: bool):
        routes = {
            "/form.pdf": (200, {"Content-Type": "application/pdf"}, PDF),
            "/form.odt": (200, {"Content-Type": "application/vnd.oasis.opendocument.text"}, b"PK\x03\x04"),
            "/download": (200, {"Content-Type": "application/octet-stream",
                                "Content-Disposition": 'attachment; filename="move-in.pdf"'}, PDF),
            "/forms-page": (200, {"Content-Type": "text/html; charset=utf-8"}, "<h1>書表下載</h1>".encode()),
            "/old": (302, {"Location": "/form.pdf"}, b""),
            "/gone": (404, {"Content-Type": "text/html"}, b"not found"),
        }
        if self.path == "/no-head":
            routes["/no-head"] = (405, {}, b"") if self.command == "HEAD" else (200, {"Content-Type": "application/pdf"}, PDF)
        status, headers, data = routes.get(self.path, (404, {}, b""))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if body:
            self.wfile.write(data)

    def do_GET(self):
        self._answer(True)

    def do_HEAD(self):
        self._answer(False)

    def log_message(self, *_args):
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Site)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"https://127.0.0.1:{server.server_address[1]}", str(cert)
    server.shutdown()


@pytest.fixture
def trusted(site, monkeypatch):
    base, cert = site
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", cert)
    return base


@pytest.mark.parametrize("path, result, said", [
    ("/form.pdf", "file", "application/pdf"),
    ("/form.odt", "file", "opendocument"),
    ("/download", "file", "octet-stream"),
    ("/old", "file", "轉到"),
    ("/no-head", "file", "application/pdf"),
    ("/forms-page", "page", "text/html"),
    ("/gone", "failed", "HTTP 404"),
])
def test_each_kind_of_answer_is_named_as_a_phone_would_meet_it(trusted, path, result, said):
    outcome = check_link(trusted + path)
    assert (outcome.result, said in outcome.detail) == (result, True), outcome


def test_a_certificate_a_phone_would_refuse_fails(site, monkeypatch):
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    outcome = check_link(site[0] + "/form.pdf")
    assert outcome.result == "failed" and "憑證" in outcome.detail


def test_kiosk_office_forms_check_marks_each_form_and_sets_what_the_kiosks_say(trusted, site, tmp_path):
    url = f"sqlite:///{tmp_path / 'office.db'}"
    with Database(url) as db:
        forms_list.ensure_seeded(db)
        addresses = {"move-in": "/form.pdf", "move-out": "/forms-page", "birth": "/gone"}
        rows = [replace(row, url=trusted + addresses.get(row.code, "/download")) for row in forms_list.rows(db)]
        assert forms_list.save(db, rows) == []
    env = {**os.environ, "REQUESTS_CA_BUNDLE": site[1]}
    done = subprocess.run([sys.executable, "-m", "office", "forms", "check", "--db", url], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr  # one form fails
    lines = {line.split("\t")[0]: line.split("\t")[1] for line in done.stdout.splitlines()}
    assert (lines["move-in"], lines["move-out"], lines["birth"]) == ("file", "page", "FAILED")
    assert f"{len(rows)} forms: {len(rows) - 2} open the file, 1 only a web page" in done.stderr
    with Database(url) as db:
        shown = {row.code: row for row in forms_list.rows(db)}
        # What the kiosks say follows what the check found: "掃描後請在網頁中找…" for the page only.
        assert (shown["move-in"].opens, shown["move-out"].opens) == ("file", "page")
        assert 'url_is_page = true' in forms_list.kiosk_catalogue(db).split('code = "move-out"')[1].split("[[forms]]")[0]
    listed = subprocess.run([sys.executable, "-m", "office", "forms", "list", "--db", url], capture_output=True,
                            text=True, timeout=60)
    assert "move-out\tpage\t遷出登記申請書" in listed.stdout


def test_the_staff_page_checks_the_links_and_marks_each_row(trusted):
    from datetime import datetime

    from protocol import officetime
    from office.app import create_app
    from office_sign_in import clerk, csrf

    with Database("sqlite://") as db:
        app = create_app(db, clock=lambda: datetime(2026, 12, 1, 9, 0, tzinfo=officetime.TAIPEI))
        rows = [replace(row, url=trusted + ("/forms-page" if row.code == "move-out" else "/form.pdf"))
                for row in forms_list.rows(db)]
        assert forms_list.save(db, rows) == []
        client = clerk(app)
        html = client.post("/forms/check", data={"csrf": csrf(client.get("/forms").get_data(as_text=True))}) \
            .get_data(as_text=True)
        assert f"開啟檔案 {len(rows) - 1} 份，只開網頁 1 份，無法開啟 0 份" in html
        assert html.count("⚠ 只開網頁") == 1 and html.count("✔ 開啟檔案") == len(rows) - 1

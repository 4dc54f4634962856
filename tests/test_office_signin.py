"""Issue 17, item 4 and its 500s: signing in to the office server's staff pages as an attacker would try it.

Each test fails on the server before the fix: the page a clerk is sent to after signing in stays on this server
(however the attacker writes ``next``), the database holding the session key is this user's only, a session ends
at logout, at a new password and when the account goes (even with the session key in hand), nobody can lock a
clerk out by failing on purpose, and a month out of range or a newline in ``next`` is a Chinese 400, not a 500.
Real Database files, the Flask test client, the real CLI; the limiter's clock is its own (``LoginLimiter(clock=)``).
"""

import html
import io
import logging
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests

import office_sign_in
from office import staff
from office.app import create_app
from office.cli import main
from office.db import Database
from office.report import parse_month

NAME, PASSWORD = office_sign_in.CLERK
COOKIE = "kiosk_office_session"
OFFICE = "http://office.example:8080/login"  # where the clerk's browser has the sign-in page open
CLERK_ADDRESS, ATTACKER_ADDRESS = "192.0.2.10", "203.0.113.66"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def db(tmp_path):
    with Database(f"sqlite:///{tmp_path / 'office.db'}") as database:
        staff.add_user(database, NAME, PASSWORD)
        yield database


@pytest.fixture
def app(db):
    return create_app(db)


def client_from(app, address):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def sign_in(client, name=NAME, password=PASSWORD, next_url=None):
    token = office_sign_in.csrf(client.get("/login").get_data(as_text=True))
    data = {"csrf": token, "name": name, "password": password}
    if next_url is not None:
        data["next"] = next_url
    return client.post("/login", data=data)


def where_the_browser_goes(location: str) -> str:
    """The address a browser opens for a Location header (the WHATWG parser drops tab/newline, reads \\ as /)."""
    location = re.sub(r"[\t\n\r]", "", location).replace("\\", "/")
    return urljoin(OFFICE, location)


# -- next: only a path on this server ------------------------------------------------------------------------

HOSTILE_NEXT = [
    "/\t/evil.example/phish",      # the issue's row: /login?next=%2F%09%2Fevil.example%2Fphish
    "/\n/evil.example/phish", "/\r\n/evil.example/", "\t//evil.example/", " //evil.example/", "//evil.example/",
    "/\\evil.example/", "\\\\evil.example/", "\\/evil.example/", "/\t\\evil.example/", "///evil.example/",
    "https://evil.example/", "http:evil.example", "HTTPS:\t//evil.example/", "javascript:alert(1)",
    "evil.example/phish", "\x00//evil.example/",
]


@pytest.mark.parametrize("next_url", HOSTILE_NEXT)
def test_a_link_with_a_hostile_next_never_leaves_this_server(app, next_url):
    # The attacker mails /login?next=...; the clerk opens it, signs in with the form's hidden field as it is.
    clerk = app.test_client()
    form = clerk.get("/login", query_string={"next": next_url}).get_data(as_text=True)
    carried = html.unescape(re.search(r'name="next" value="([^"]*)"', form).group(1))
    token = office_sign_in.csrf(form)
    answer = clerk.post("/login", data={"csrf": token, "name": NAME, "password": PASSWORD, "next": carried})
    assert answer.status_code == 302
    opened = urlsplit(where_the_browser_goes(answer.headers["Location"]))
    assert opened.netloc == "office.example:8080" and opened.scheme == "http", answer.headers["Location"]
    assert answer.headers["Location"] == "/"  # today's page instead
    assert clerk.get("/").status_code == 200  # and signed in


@pytest.mark.parametrize("next_url, location", [
    ("/report?month=115/11", "/report?month=115/11"),
    ("/report\n?month=115/11", "/report?month=115/11"),   # was a 500: a newline in the Location header
    ("/report?month=115/11\r\n", "/report?month=115/11"),
    ("/counter", "/counter"),
    ("/q/2026-11-27/A001?lang=en", "/q/2026-11-27/A001?lang=en"),
    ("/report?month=115/11&x=a b", "/report?month=115/11&x=a%20b"),
    ("/forms/表單", "/forms/%E8%A1%A8%E5%96%AE"),
])
def test_a_path_on_this_server_is_followed_and_a_newline_is_no_500(app, next_url, location):
    answer = sign_in(app.test_client(), next_url=next_url)
    assert answer.status_code == 302 and answer.headers["Location"] == location


def test_a_page_asked_for_before_signing_in_is_where_the_clerk_lands(app):
    clerk = app.test_client()
    asked = clerk.get("/report?month=115/11")
    assert asked.status_code == 302
    form = clerk.get(asked.headers["Location"]).get_data(as_text=True)
    carried = html.unescape(re.search(r'name="next" value="([^"]*)"', form).group(1))
    answer = clerk.post("/login", data={"csrf": office_sign_in.csrf(form), "name": NAME, "password": PASSWORD,
                                        "next": carried})
    assert answer.headers["Location"] == "/report?month=115/11"


# -- a month out of range: a Chinese 400, not a 500 ----------------------------------------------------------

@pytest.mark.parametrize("month", ["9999-12", "9999/01", "1000/12", "0-12", "0000-01", "1-1", "1/12", "1912-01"])
def test_a_month_out_of_range_is_a_chinese_400(app, month):
    clerk = office_sign_in.clerk(app)
    for page in ("/report", "/report.csv", "/report/service.csv", "/report.zip"):
        answer = clerk.get(page, query_string={"month": month})
        text = answer.get_data(as_text=True)
        assert answer.status_code == 400 and answer.mimetype == "text/html", (page, month)
        assert "月份錯誤" in text and "例如 115/11" in text
        assert "伺服器發生錯誤" not in text


@pytest.mark.parametrize("text", ["9999-12", "0-12", "2911-01", "1000/01"])
def test_parse_month_says_in_chinese_what_is_out_of_range(text):
    with pytest.raises(ValueError, match="月份格式錯誤") as raised:
        parse_month(text)
    assert re.search(r"[\u4e00-\u9fff]", str(raised.value))


@pytest.mark.parametrize("month", ["999/12", "2/1", "115/11"])
def test_the_first_and_last_months_in_range_have_a_report(app, month):
    answer = office_sign_in.clerk(app).get("/report", query_string={"month": month})
    assert answer.status_code == 200, month


# -- the database file: this user's only ---------------------------------------------------------------------

def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def open_umask():
    """The loosest umask a service could run with: files are made 0666 unless the code asks for less."""
    old = os.umask(0)
    yield
    os.umask(old)


def test_a_new_database_and_its_wal_and_shm_files_are_this_users_only(tmp_path, open_umask):
    path = tmp_path / "data" / "office.db"
    with Database(f"sqlite:///{path}") as db:
        create_app(db)  # writes the session key
        assert staff.secret_key(db)
        files = sorted(p.name for p in path.parent.iterdir())
        assert files == ["office.db", "office.db-shm", "office.db-wal"]
        for name in files:
            assert mode(path.parent / name) == 0o600, name
    assert mode(path.parent) == 0o700


def test_kiosk_office_makes_its_default_database_private(tmp_path, monkeypatch, open_umask):
    monkeypatch.delenv("KIOSK_OFFICE_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    monkeypatch.setattr("sys.stdin", io.StringIO("a long password\n"))
    assert main(["admin", "add", "lin", "--password-stdin"]) == 0
    folder = tmp_path / "share" / "kiosk-office"
    assert mode(folder) == 0o700 and mode(folder / "office.db") == 0o600


def test_an_existing_database_open_to_others_is_made_private_with_a_warning(tmp_path, caplog):
    path = tmp_path / "office.db"
    with Database(f"sqlite:///{path}") as db:
        key = staff.secret_key(db)
    for name in ("office.db", "office.db-wal", "office.db-shm"):
        if (tmp_path / name).exists():
            os.chmod(tmp_path / name, 0o644)
    with caplog.at_level(logging.WARNING, logger="office.db"):
        with Database(f"sqlite:///{path}") as db:
            assert staff.secret_key(db) == key
    assert mode(path) == 0o600
    assert all(mode(p) == 0o600 for p in tmp_path.iterdir())
    warned = [r.getMessage() for r in caplog.records if r.name == "office.db"]
    assert any(str(path) in m and "0644" in m and "0600" in m for m in warned), warned
    assert key not in caplog.text


# -- sessions end at logout, a new password, the account removed ---------------------------------------------

def cookie_of(client) -> str:
    return client.get_cookie(COOKIE).value


def replayed(app, cookie: str):
    """A browser that never signed in, sending a copied cookie."""
    thief = app.test_client()
    thief.set_cookie(COOKIE, cookie)
    return thief


def test_a_cookie_replayed_after_logout_signs_in_nobody(app):
    clerk = sign_in_client(app)
    cookie = cookie_of(clerk)
    assert replayed(app, cookie).get("/").status_code == 200  # a copy works while the clerk is signed in ...
    token = office_sign_in.csrf(clerk.get("/").get_data(as_text=True))
    assert clerk.post("/logout", data={"csrf": token}).status_code == 302
    thief = replayed(app, cookie)  # ... and not after the clerk signed out
    answer = thief.get("/report")
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")
    assert thief.get("/api/v1/calls/state").status_code == 401
    assert thief.post("/api/v1/calls/next", json={"counter": 1, "services": ["A"]}).status_code == 401
    assert replayed(create_app(app.extensions["office_db"]), cookie).get("/").status_code == 302  # nor restarted


def test_logging_out_on_one_counter_leaves_the_others_signed_in(app):
    first, second = sign_in_client(app), sign_in_client(app)
    token = office_sign_in.csrf(first.get("/").get_data(as_text=True))
    first.post("/logout", data={"csrf": token})
    assert first.get("/").status_code == 302 and second.get("/").status_code == 200


def sign_in_client(app, address="127.0.0.1"):
    client = client_from(app, address)
    assert sign_in(client).status_code == 302
    return client


def test_a_new_password_ends_every_session_of_the_account(app, db, tmp_path, monkeypatch):
    clerk = sign_in_client(app)
    cookie = cookie_of(clerk)
    monkeypatch.setattr("sys.stdin", io.StringIO("a new password 2\n"))
    assert main(["admin", "add", NAME, "--password-stdin", "--db", str(db.url)]) == 0
    assert clerk.get("/").status_code == 302
    assert replayed(app, cookie).get("/").status_code == 302
    assert sign_in(app.test_client(), password="a new password 2").status_code == 302


def test_a_removed_account_is_signed_in_nowhere(app, db, capsys):
    clerk = sign_in_client(app)
    staff.add_user(db, "lin", "another password")
    other = app.test_client()
    assert sign_in(other, "lin", "another password").status_code == 302
    assert main(["admin", "remove", NAME, "--db", str(db.url)]) == 0
    assert clerk.get("/").status_code == 302 and clerk.get("/api/v1/calls/state").status_code == 401
    assert other.get("/").status_code == 200  # another account is not touched
    assert sign_in(app.test_client()).status_code == 401
    assert main(["admin", "list", "--db", str(db.url)]) == 0
    assert main(["admin", "remove", NAME, "--db", str(db.url)]) == 2  # no such account (any more)
    out, err = capsys.readouterr()
    assert [line.split("\t")[0] for line in out.splitlines()] == ["lin"] and "no staff account 'chen'" in err


def test_an_account_removed_straight_from_the_database_is_signed_in_nowhere(app, db):
    clerk = sign_in_client(app)
    db.write(lambda c: c.execute(staff.STAFF.delete().where(staff.STAFF.c.name == NAME)))
    assert clerk.get("/").status_code == 302


def test_the_session_key_alone_makes_no_session(app, db):
    # Someone who read office.db has the session key and the session table: neither makes a cookie that works.
    clerk = sign_in_client(app)
    signer = app.session_interface.get_signing_serializer(app)
    genuine = signer.loads(cookie_of(clerk))
    stored = db.read(lambda c: [r.id_hash for r in c.execute(staff.STAFF_SESSIONS.select())])
    assert genuine["sid"] not in stored  # only its hash is kept
    for forged in ({"staff": NAME}, {"staff": NAME, "sid": stored[0]}, {**genuine, "staff": "root"}):
        answer = replayed(app, signer.dumps(forged)).get("/")
        assert answer.status_code == 302, forged
    assert replayed(app, signer.dumps(genuine)).get("/").status_code == 200


# -- failed sign-ins: nobody can lock a clerk out ------------------------------------------------------------

def test_failures_from_elsewhere_do_not_lock_the_clerk_out(app):
    attacker = client_from(app, ATTACKER_ADDRESS)
    for _ in range(5):
        assert sign_in(attacker, password="wrong guess").status_code == 401
    refused = sign_in(attacker)  # the attacker is stopped, even with the right password ...
    assert refused.status_code == 429 and "登入失敗次數過多" in refused.get_data(as_text=True)
    assert int(refused.headers["Retry-After"]) > 0
    clerk = client_from(app, CLERK_ADDRESS)  # ... the clerk at the counter is not
    assert sign_in(clerk).status_code == 302 and clerk.get("/").status_code == 200


def test_one_address_cannot_try_many_names(app):
    attacker = client_from(app, ATTACKER_ADDRESS)
    for i in range(20):
        assert sign_in(attacker, f"user{i}", "wrong guess").status_code == 401
    assert sign_in(attacker, "someone-else", "wrong guess").status_code == 429
    assert sign_in(attacker).status_code == 429  # every name, from that address
    assert sign_in(client_from(app, CLERK_ADDRESS)).status_code == 302


def test_an_ipv6_attacker_counts_by_its_64(app):
    for host in range(1, 6):  # five addresses of one /64
        assert sign_in(client_from(app, f"2001:db8:0:1::{host}"), password="wrong guess").status_code == 401
    assert sign_in(client_from(app, "2001:db8:0:1::99")).status_code == 429
    assert sign_in(client_from(app, "2001:db8:0:2::1")).status_code == 302


def test_a_lock_ends_after_the_window_by_the_limiters_clock(app):
    now = [1000.0]
    app.extensions["office_login_limiter"] = staff.LoginLimiter(clock=lambda: now[0])
    attacker = client_from(app, ATTACKER_ADDRESS)
    for _ in range(5):
        sign_in(attacker, password="wrong guess")
    now[0] += 299
    locked = sign_in(attacker)
    assert locked.status_code == 429 and locked.headers["Retry-After"] == "1"
    now[0] += 1
    assert sign_in(attacker).status_code == 302


def test_a_sign_in_forgets_that_names_failures_from_there_only(app):
    now = [0.0]
    app.extensions["office_login_limiter"] = staff.LoginLimiter(clock=lambda: now[0])
    clerk = client_from(app, CLERK_ADDRESS)
    for _ in range(4):
        assert sign_in(clerk, password="typo typo").status_code == 401
    assert sign_in(clerk).status_code == 302
    for _ in range(4):  # four more typos after signing in: still not locked
        assert sign_in(client_from(app, CLERK_ADDRESS), password="typo typo").status_code == 401
    assert sign_in(client_from(app, CLERK_ADDRESS)).status_code == 302


def test_no_password_is_logged(app, caplog):
    with caplog.at_level(logging.INFO):
        attacker = client_from(app, ATTACKER_ADDRESS)
        for _ in range(6):
            sign_in(attacker, password="secret guess 9")
        clerk = sign_in_client(app, CLERK_ADDRESS)
        cookie = cookie_of(clerk)
        clerk.post("/logout", data={"csrf": office_sign_in.csrf(clerk.get("/").get_data(as_text=True))})
        replayed(app, cookie).get("/")
    logged = caplog.text
    assert "secret guess 9" not in logged and PASSWORD not in logged and cookie not in logged
    assert app.config["SECRET_KEY"] not in logged
    assert ATTACKER_ADDRESS in logged  # who failed is said


# -- behind a reverse proxy: the client's address, not the proxy's -----------------------------------------

@pytest.fixture
def served(tmp_path):
    """Start ``kiosk-office serve`` (a real process) with extra arguments; its URL.  Stopped at the end."""
    database = tmp_path / "served.db"
    with Database(f"sqlite:///{database}") as db:
        staff.add_user(db, NAME, PASSWORD)
    processes = []

    def start(*args):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        process = subprocess.Popen([sys.executable, "-m", "office", "serve", "--db", str(database), "--port",
                                    str(port), *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True)
        processes.append(process)
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None and time.monotonic() < deadline, "kiosk-office serve did not start"
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                return f"http://127.0.0.1:{port}"
            except OSError:
                time.sleep(0.1)
    yield start
    for process in processes:
        process.send_signal(signal.SIGTERM)
        try:
            process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


def sign_in_over_http(url, password=PASSWORD, forwarded_for=None):
    """A browser's sign-in through the proxy (which sets X-Forwarded-For); the status of the POST."""
    browser = requests.Session()
    if forwarded_for:
        browser.headers["X-Forwarded-For"] = forwarded_for
    token = office_sign_in.csrf(browser.get(url + "/login", timeout=10).text)
    return browser.post(url + "/login", data={"csrf": token, "name": NAME, "password": password},
                        allow_redirects=False, timeout=10).status_code


def test_behind_the_proxy_failures_count_per_client_address(served):
    url = served("--trusted-proxy", "127.0.0.1")  # the proxy on this machine, as office/deploy's nginx
    for _ in range(5):
        assert sign_in_over_http(url, "wrong guess", forwarded_for=ATTACKER_ADDRESS) == 401
    assert sign_in_over_http(url, forwarded_for=ATTACKER_ADDRESS) == 429
    assert sign_in_over_http(url, forwarded_for=CLERK_ADDRESS) == 302  # the clerk behind the same proxy


def test_without_a_trusted_proxy_a_forged_forwarded_for_changes_nothing(served):
    url = served()
    for i in range(5):  # an attacker naming another address each time is still one address
        assert sign_in_over_http(url, "wrong guess", forwarded_for=f"198.51.100.{i}") == 401
    assert sign_in_over_http(url, forwarded_for="198.51.100.99") == 429

"""The staff pages (office/pages.py) through Flask's test client: sign-in, today, the monthly report (office, period,
kiosks, forms by title), the menu linking the pages, errors in Chinese, announcements and forms; and
`kiosk-office admin add`.  The report's CSV files: test_office_report_csv.py."""

import io
import re
import uuid
from datetime import datetime, timezone

import pytest

import office_sign_in
from office import staff
from office.app import create_app
from office.cli import main
from office.db import Database

KIOSK = "ERLIN-01"
PASSWORD = "correct horse 1"


@pytest.fixture
def db(tmp_path):
    with Database(f"sqlite:///{tmp_path / 'office.db'}") as database:
        yield database


@pytest.fixture
def app(db):
    staff.add_user(db, "chen", PASSWORD)
    return create_app(db)


@pytest.fixture
def client(app):
    return app.test_client()


def csrf(page) -> str:
    return office_sign_in.csrf(page.get_data(as_text=True))


def login(client, name="chen", password=PASSWORD, next_url=""):
    token = csrf(client.get("/login"))
    return client.post("/login", data={"csrf": token, "name": name, "password": password, "next": next_url})


@pytest.fixture
def staff_client(client):
    assert login(client).status_code == 302
    return client


def upload(client, db, events):
    token = db.add_kiosk(KIOSK)
    body = {"kiosk_id": KIOSK, "events": [{"id": str(uuid.uuid4()), "seq": i + 1, "clock_synced": True, **e}
                                          for i, e in enumerate(events)]}
    answer = client.post("/api/v1/events", json=body, headers={"Authorization": f"Bearer {token}"}).get_json()
    assert not answer["rejected"], answer
    return answer


def rating(choice, score, at="2026-11-27T09:30:00.000+08:00", misuse=False, **extra):
    return {"type": "rating", "at": at,
            "data": {"score": score, "scale": 3, "choice": choice, "misuse": misuse, **extra}}


# -- signing in ----------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/", "/report", "/report?month=115/11", "/report.csv", "/settings"])
def test_every_staff_page_needs_a_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_signing_in_goes_back_to_the_page_asked_for(client):
    answer = login(client, next_url="/report?month=115/11")
    assert answer.status_code == 302 and answer.headers["Location"] == "/report?month=115/11"
    assert client.get("/report?month=115/11").status_code == 200


def test_a_next_url_off_this_server_is_not_followed(client):
    assert login(client, next_url="//evil.example/").headers["Location"] == "/"


def test_a_wrong_password_or_name_is_refused(client):
    for name, password in [("chen", "wrong password"), ("nobody", PASSWORD), ("chen", "")]:
        answer = login(client, name, password)
        assert answer.status_code == 401 and "帳號或密碼錯誤" in answer.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_a_sign_in_without_the_csrf_token_is_refused(client):
    assert client.post("/login", data={"name": "chen", "password": PASSWORD}).status_code == 400


def test_five_failures_lock_the_name_for_a_while(client):
    for _ in range(5):
        assert login(client, password="nope nope").status_code == 401
    locked = login(client)  # even the right password, for now
    assert locked.status_code == 429 and "過多" in locked.get_data(as_text=True)
    assert int(locked.headers["Retry-After"]) > 0
    assert login(client, "other", "whatever1").status_code == 401  # another name is not locked


def test_the_limiter_forgets_failures_after_the_window():
    now = [0.0]
    limiter = staff.LoginLimiter(limit=2, window=300, clock=lambda: now[0])
    limiter.failed("a", "192.0.2.1"), limiter.failed("a", "192.0.2.1")
    assert limiter.blocked_for("a", "192.0.2.1") == 300
    now[0] = 299.5
    assert limiter.blocked_for("a", "192.0.2.1") == 1
    now[0] = 300
    assert limiter.blocked_for("a", "192.0.2.1") is None


def test_logging_out_ends_the_session(staff_client):
    assert staff_client.get("/").status_code == 200
    token = csrf(staff_client.get("/"))
    assert staff_client.post("/logout", data={"csrf": token}).status_code == 302
    assert staff_client.get("/").status_code == 302


def test_passwords_are_stored_hashed_and_the_secret_key_is_kept(db, app):
    stored = db.read(lambda c: c.execute(staff.STAFF.select()).one())
    assert stored.password_hash.startswith("scrypt:") and PASSWORD not in stored.password_hash
    assert create_app(db).config["SECRET_KEY"] == app.config["SECRET_KEY"]  # sessions survive a restart


def test_a_session_survives_a_restart(db, app, staff_client):
    cookie = staff_client.get_cookie("kiosk_office_session")
    again = create_app(db).test_client()
    again.set_cookie("kiosk_office_session", cookie.value)
    assert again.get("/").status_code == 200


def test_admin_add_reads_the_password_from_stdin(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setattr("sys.stdin", io.StringIO("a long password\n"))
    assert main(["admin", "add", "lin", "--password-stdin", "--db", url]) == 0
    with Database(url) as db:
        assert staff.check_user(db, "lin", "a long password") and not staff.check_user(db, "lin", "a long passwor")
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["admin", "add", "lin", "--password-stdin", "--db", url]) == 2
    assert main(["admin", "list", "--db", url]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("lin\t") and "a long password" not in out + err


def test_admin_add_prompts_twice(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    answers = iter(["first password", "other password"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert main(["admin", "add", "lin", "--db", url]) == 2  # they differ
    answers = iter(["same password", "same password"])
    assert main(["admin", "add", "lin", "--db", url]) == 0


# -- the monthly report --------------------------------------------------------------------------

def known_month(client, db):
    frown = rating("frown", 1, service="A", location="櫃台1")
    frown["id"] = str(uuid.uuid4())
    upload(client, db, [
        rating("smile", 3, service="A", location="櫃台1"), rating("smile", 3, service="A", location="櫃台1"),
        rating("smile", 3, misuse=True, service="A", location="櫃台1"), frown,
        {"type": "rating_reason", "at": "2026-11-27T09:30:05.000+08:00",
         "data": {"rating_id": frown["id"], "reason": "wait_time"}},
        {"type": "ticket", "at": "2026-11-27T10:15:00.000+08:00", "data": {"number": "A001", "service": "A"}},
        {"type": "ticket", "at": "2026-11-27T10:45:00.000+08:00", "data": {"number": "A002", "service": "A"}},
        {"type": "form_slip", "at": "2026-11-27T10:45:00.000+08:00", "data": {"code": "move-in"}},
        # December in Taipei, though still November in UTC
        rating("frown", 1, at="2026-11-30T16:30:00Z"),
    ])


def test_the_report_page_shows_the_month(staff_client, db):
    known_month(staff_client, db)
    page = staff_client.get("/report?month=115/11")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "每月統計分析 民國115年11月" in text
    assert "66.7 %" in text and "有效回答 3 份" in text and "誤觸 1 次" in text
    assert "<svg" in text and "等候時間太長" in text and "A 戶籍登記" in text and "櫃台1" in text
    assert "@page" in text and "A4" in text
    fetched = text.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "<script" not in text and "http://" not in fetched and "https://" not in fetched  # no JS, no CDN
    december = staff_client.get("/report?month=115/12").get_data(as_text=True)
    assert "有效回答 1 份" in december and "0.0 %" in december


def test_a_bad_month_is_a_400_that_says_how(staff_client):
    for path in ("/report?month=115/13", "/report.csv?month=nope", "/report/service.csv?month=nope",
                 "/report.zip?month=0/01"):
        page = staff_client.get(path)
        text = page.get_data(as_text=True)
        assert page.status_code == 400 and page.mimetype == "text/html", path
        assert "月份錯誤" in text and "月份格式錯誤" in text and "例如 115/11" in text, path
    assert "「115/13」沒有 13 月" in staff_client.get("/report?month=115/13").get_data(as_text=True)


def test_the_month_is_escaped(staff_client):
    page = staff_client.get("/report?month=<b>x</b>")
    assert page.status_code == 400 and "<b>x" not in page.get_data(as_text=True)


def test_the_report_names_the_office_the_period_and_the_kiosks(staff_client, db):
    known_month(staff_client, db)
    text = staff_client.get("/report?month=115/11").get_data(as_text=True)
    assert "（未設定機關名稱：請在「設定」頁填寫）" in text and 'href="/settings"' in text  # said, not left blank
    db.set_office_name("彰化縣二林戶政事務所")
    text = staff_client.get("/report?month=115/11").get_data(as_text=True)
    assert "未設定機關名稱" not in text
    header = re.search(r"<thead>(.*?)</thead>", text, re.S).group(1)   # printed again at the top of every page
    assert "彰化縣二林戶政事務所" in header and "每月統計分析 民國115年11月" in header
    assert "期間 115/11/01 – 115/11/30" in header and "服務機 ERLIN-01" in header
    assert "<title>彰化縣二林戶政事務所 每月統計分析 民國115年11月" in text
    assert "服務機 本月無資料" in staff_client.get("/report?month=115/10").get_data(as_text=True)


def test_the_report_lists_forms_by_title(staff_client, db):
    upload(staff_client, db, [
        {"type": "form_view", "at": "2026-11-27T10:00:00.000+08:00",
         "data": {"code": "seal-certificate", "title": "印鑑證明申請書", "lang": "zh-TW"}},
        {"type": "form_slip", "at": "2026-11-27T10:01:00.000+08:00",
         "data": {"code": "office-made", "title": "本所自製：外籍配偶與大陸配偶戶籍登記及歸化國籍申請須知與切結書"}}])
    text = staff_client.get("/report?month=115/11").get_data(as_text=True)
    forms = re.search(r'<section class="forms wide">(.*?)</section>', text, re.S).group(1)
    table = re.search(r"<table>(.*?)</table>", forms, re.S).group(1)
    assert "印鑑證明申請書" in table and "本所自製：外籍配偶與大陸配偶戶籍登記及歸化國籍申請須知與切結書" in table
    assert ">seal-certificate<" not in table and ">表單<" in table     # titles, not codes
    chart = re.search(r"<svg.*?</svg>", forms, re.S).group(0)
    assert "本所自製：外籍配偶與大…" in chart and "切結書" not in chart   # clipped in the chart, whole in the table


def test_today_names_the_office(staff_client, db):
    db.set_office_name("彰化縣二林戶政事務所")
    assert "彰化縣二林戶政事務所 今日概況" in staff_client.get("/").get_data(as_text=True)


def test_this_month_is_the_offices_month_at_midnight_in_taipei(db):
    """00:30 on 1 December in Taipei is still 30 November in UTC: the report opens on December."""
    staff.add_user(db, "chen", PASSWORD)
    now = datetime(2026, 11, 30, 16, 30, tzinfo=timezone.utc)
    client = create_app(db, clock=lambda: now).test_client()
    assert login(client).status_code == 302
    text = client.get("/report").get_data(as_text=True)
    assert "每月統計分析 民國115年12月" in text and "製表 115/12/01 00:30" in text


# -- the staff pages link to each other ---------------------------------------------------------------

def nav_links(html):
    """The menu's links: (href, label, marked current)."""
    nav = re.search(r"<nav[^>]*>(.*?)</nav>", html, re.S).group(1)
    return [(href, label, bool(current)) for href, current, label in
            re.findall(r'<a href="([^"]+)"( aria-current="page")?>([^<]+)</a>', nav)]


@pytest.mark.parametrize("path, current", [("/", "今日"), ("/report?month=115/11", "月報表"), ("/counter", "叫號"),
                                           ("/appointments", "預約"), ("/settings", "設定"), ("/updates", "系統更新")])
def test_every_staff_page_links_to_the_others_and_marks_itself(staff_client, app, path, current):
    page = staff_client.get(path)
    assert page.status_code == 200
    links = nav_links(page.get_data(as_text=True))
    expected = [("/", "今日"), ("/report", "月報表"), ("/counter", "叫號"), ("/display", "大廳顯示"),
                ("/appointments", "預約"), ("/voice", "叫號語音")]
    if "forms.table" in app.view_functions:      # the forms page's link only where the server has it
        expected.append(("/forms", "表單"))
    expected += [("/settings", "設定"), ("/updates", "系統更新")]
    assert [(href, label) for href, label, _ in links] == expected
    assert [label for _, label, marked in links if marked] == [current]
    for href, _, _ in links:
        assert staff_client.get(href).status_code == 200, href


def test_the_menu_is_not_shown_before_signing_in_nor_printed(client, staff_client):
    assert "<nav" not in client.application.test_client().get("/login").get_data(as_text=True)
    text = staff_client.get("/report?month=115/11").get_data(as_text=True)
    assert re.search(r"@media print \{[^}]*\bnav\b[^}]*display: none", text)


# -- errors on the staff pages, in Chinese -----------------------------------------------------------

def test_an_unknown_staff_address_is_a_chinese_page(client, staff_client):
    for who in (client.application.test_client(), staff_client):
        page = who.get("/no-such-page")
        text = page.get_data(as_text=True)
        assert page.status_code == 404 and page.mimetype == "text/html"
        assert "找不到這個頁面" in text and "Not Found" not in text and "requested URL" not in text
    assert nav_links(staff_client.get("/no-such-page").get_data(as_text=True))   # the way on, for staff


def test_an_unknown_report_section_names_the_ones_there_are(staff_client):
    page = staff_client.get("/report/everything.csv?month=115/11")
    text = page.get_data(as_text=True)
    assert page.status_code == 404 and "報表沒有「everything」這一段" in text and "service（各服務滿意度）" in text


def test_a_wrong_method_and_a_stale_form_are_said_in_chinese(staff_client):
    page = staff_client.get("/logout")
    assert page.status_code == 405 and "不支援這個操作" in page.get_data(as_text=True)
    assert page.headers["Allow"] and "Method Not Allowed" not in page.get_data(as_text=True)
    stale = staff_client.post("/logout", data={"csrf": "not the session's"})
    text = stale.get_data(as_text=True)
    assert stale.status_code == 400 and "表單已過期" in text and "CSRF" not in text and "Bad Request" not in text
    assert staff_client.get("/").status_code == 200        # still signed in


def test_a_server_error_on_a_staff_page_is_a_chinese_page_and_the_api_keeps_json(db):
    staff.add_user(db, "chen", PASSWORD)
    app = create_app(db)

    @app.get("/broken")           # a page with a bug in it: the real error handling of the real app
    def broken():
        raise RuntimeError("a bug")

    client = app.test_client()
    page = client.get("/broken")
    assert page.status_code == 500 and "伺服器發生錯誤" in page.get_data(as_text=True)
    assert "Internal Server Error" not in page.get_data(as_text=True)
    api = client.get("/api/v1/no-such-thing")
    assert api.status_code == 404 and api.is_json and "error" in api.get_json()


def test_a_database_gone_wrong_is_a_chinese_page_to_staff_and_json_to_kiosks(staff_client, db):
    token = db.add_kiosk(KIOSK)
    db.write(lambda conn: conn.exec_driver_sql("DROP TABLE form_views"))   # the report reads it: it fails
    page = staff_client.get("/report?month=115/11")
    assert page.status_code == 503 and page.headers["Retry-After"] == "30"
    assert "暫時無法服務" in page.get_data(as_text=True) and "database" not in page.get_data(as_text=True)
    answer = staff_client.post("/api/v1/events", headers={"Authorization": f"Bearer {token}"}, json={
        "kiosk_id": KIOSK, "events": [{"id": str(uuid.uuid4()), "seq": 1, "clock_synced": True, "type": "form_view",
                                       "at": "2026-11-27T10:00:00.000+08:00", "data": {"code": "move-in"}}]})
    assert answer.status_code == 503 and answer.is_json     # the kiosk keeps the event and tries again later


# -- today ---------------------------------------------------------------------------------------

def test_today_shows_tickets_ratings_and_kiosks(staff_client, db, monkeypatch):
    from datetime import datetime
    from protocol import officetime
    now = datetime(2026, 11, 27, 11, 0, tzinfo=officetime.TAIPEI)
    known_month(staff_client, db)  # uploaded first: it holds an event of 12-01, days ahead of the clock below
    monkeypatch.setattr("office.report.officetime.now", lambda: now)
    db.add_kiosk("ERLIN-02")  # never heard from
    text = staff_client.get("/").get_data(as_text=True)
    assert "今日概況 民國115年11月27日" in text
    assert "66.7 %" in text and "A002" in text and "A 戶籍登記" in text
    assert "ERLIN-01" in text and "ERLIN-02" in text and "離線" in text and "從未連線" in text


# -- announcements and forms ---------------------------------------------------------------------

def test_announcements_and_forms_are_saved_for_the_kiosks(staff_client, db):
    token = csrf(staff_client.get("/settings"))
    others = {f"announcement_{lang}": ["", "", ""] for lang in ("en", "vi", "id", "th", "fil")}  # the page's inputs
    saved = staff_client.post("/settings", data={"csrf": token, "announcement_zh-TW": ["今日下午停電", "", "請多包涵"],
                                                 **others, "forms": ""})
    assert saved.status_code == 200 and "已儲存" in saved.get_data(as_text=True)
    assert db.config_for(KIOSK) == {"forms": None, "announcements": ["今日下午停電", "請多包涵"],
                                    **{f"announcements_{lang}": ["", ""] for lang in ("en", "vi", "id", "th", "fil")}}


def test_the_settings_page_sends_the_clerk_to_the_forms_list_for_forms(staff_client, db):
    page = staff_client.get("/settings")
    assert 'href="/forms"' in page.get_data(as_text=True)
    assert "<textarea" not in page.get_data(as_text=True)  # no TOML box: the forms are a table on /forms
    token = csrf(page)
    staff_client.post("/settings", data={"csrf": token, "announcement_zh-TW": [""], "announcement_en": [""],
                                         "forms": "this is [not toml"})
    assert db.config_for(KIOSK)["forms"] is None  # a stray forms field is ignored, never stored


def test_settings_need_the_csrf_token(staff_client, db):
    assert staff_client.post("/settings", data={"announcements": "x"}).status_code == 400
    assert db.config_for(KIOSK)["announcements"] == []

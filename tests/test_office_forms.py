"""The office's forms list: the staff table, /f/<code>, uploads, and what the kiosks receive (issue 16, item 1)."""

import io
import re
from dataclasses import replace
from datetime import datetime

import pytest

from protocol import officetime
from protocol.forms_format import load_catalogue
from kiosk.forms import FormCatalogueCache
from office import forms_list
from office.app import create_app
from office.db import Database

from office_sign_in import clerk, csrf

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=officetime.TAIPEI)
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
SHIPPED = load_catalogue()[0]


@pytest.fixture
def db():
    with Database("sqlite://") as database:
        yield database


@pytest.fixture
def app(db):
    return create_app(db, clock=lambda: NOW)


@pytest.fixture
def staff_client(app):
    return clerk(app)


def table_form(client, **changes):
    """What the /forms page would post unchanged, with ``changes`` ({field-key: value}) applied."""
    html = client.get("/forms").get_data(as_text=True)
    data = {"csrf": csrf(html), "rows": re.search(r'name="rows" value="(\d+)"', html).group(1)}
    for name, value in re.findall(r'<input type="(?:text|url)" name="([\w-]+)" value="([^"]*)"', html):
        data[name] = value.replace("&amp;", "&").replace("&#34;", '"').replace("&#39;", "'")
    for name, options in re.findall(r'<select name="([\w-]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)"[^>]* selected', options) or re.search(r'value="([^"]*)"', options)
        data[name] = chosen.group(1)  # as a browser: the selected option, else the first
    for name in re.findall(r'<input type="checkbox" name="(bilingual-\d+)" value="1" checked', html):
        data[name] = "1"
    data.update(changes)
    return data


def test_the_list_starts_as_the_shipped_catalogue_and_the_page_shows_every_form(staff_client, db):
    assert [row.code for row in forms_list.rows(db)] == [form.code for form in SHIPPED.forms]
    html = staff_client.get("/forms").get_data(as_text=True)
    for form in SHIPPED.forms:
        assert form.title in html
    assert html.count("未檢查") == len(SHIPPED.forms)  # no link was checked yet


def test_a_kiosk_receives_the_offices_list_and_takes_it(app, db, tmp_path):
    token = db.add_kiosk("ERLIN-01")
    forms_list.save(db, [row for row in forms_list.rows(db) if row.code != "home-service"])  # the office drops one
    answer = app.test_client().get("/api/v1/kiosks/ERLIN-01/config", headers={"Authorization": f"Bearer {token}"})
    cache = FormCatalogueCache(tmp_path)
    assert cache.update(answer.get_json()["forms"], "office server") == []
    shown = cache.current()
    assert "home-service" not in [form.code for form in shown.forms]
    assert len(shown.forms) == len(SHIPPED.forms) - 1
    move_in = shown.by_code("move-in")
    assert move_in.address("https://erlin.example/") == "https://erlin.example/f/move-in"
    assert move_in.address("") == SHIPPED.by_code("move-in").url


def test_f_code_redirects_to_the_forms_current_address(app, db):
    client = app.test_client()
    answer = client.get("/f/move-in")
    assert answer.status_code == 302 and answer.headers["Location"] == SHIPPED.by_code("move-in").url
    fixed = [replace(row, url="https://hr.example.gov.tw/move-in.pdf") if row.code == "move-in" else row
             for row in forms_list.rows(db)]
    assert forms_list.save(db, fixed) == []
    assert client.get("/f/move-in").headers["Location"] == "https://hr.example.gov.tw/move-in.pdf"


def test_an_unknown_form_gets_a_page_in_chinese_and_english(app):
    answer = app.test_client().get("/f/no-such-form")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 404
    assert "找不到這份表單" in html and "Form not found" in html and "no-such-form" in html
    # Text that is not a form code is not repeated back (no one can make the office's page say it).
    odd = app.test_client().get("/f/Call%200800-000-000%20now").get_data(as_text=True)
    assert "0800" not in odd and "找不到這份表單" in odd


def test_the_staff_table_saves_an_edit_for_every_kiosk(staff_client, db):
    n = [row.code for row in forms_list.rows(db)].index("move-in")
    answer = staff_client.post("/forms", data=table_form(staff_client, **{
        f"url-{n}": "https://hr.example.gov.tw/move-in.pdf", f"title_en-{n}": "Move-in application"}))
    assert answer.status_code == 302
    row = {row.code: row for row in forms_list.rows(db)}["move-in"]
    assert (row.url, row.title_en) == ("https://hr.example.gov.tw/move-in.pdf", "Move-in application")
    assert "已儲存" in staff_client.get(answer.headers["Location"]).get_data(as_text=True)


def test_the_table_refuses_bad_rows_in_chinese_naming_the_row_and_field_and_saves_nothing(staff_client, db):
    before = forms_list.rows(db)
    answer = staff_client.post("/forms", data=table_form(staff_client, **{
        "url-2": "http://www.ris.gov.tw/x.pdf", "title-4": "", "code-new": "Bad Code", "title-new": "新表",
        "title_en-new": "New", "url-new": "https://hr.example.gov.tw/new.pdf"}))
    html = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert "第 3 列的網址：必須是 https:// 開頭的網址" in html
    assert "第 5 列的中文名稱：不可空白" in html
    assert f"第 {len(before) + 1} 列的代碼：只能用小寫英文字母、數字和 -" in html
    assert forms_list.rows(db) == before


def test_a_new_form_with_an_uploaded_file_is_served_with_its_type(staff_client, db, app, tmp_path):
    data = table_form(staff_client, **{"code-new": "proxy-erlin", "category-new": "proxy", "title-new": "二林戶所委託書",
                                       "title_en-new": "Letter of authorisation (Erlin)"})
    data["file-new"] = (io.BytesIO(PDF), "委託書.pdf")
    answer = staff_client.post("/forms", data=data, content_type="multipart/form-data")
    assert answer.status_code == 302, answer.get_data(as_text=True)
    public = app.test_client()
    redirect = public.get("/f/proxy-erlin")
    assert redirect.status_code == 302
    served = public.get(redirect.headers["Location"])
    assert served.status_code == 200 and served.data == PDF
    assert served.mimetype == "application/pdf"
    assert "filename*=UTF-8''%E4%BA%8C%E6%9E%97" in served.headers["Content-Disposition"]  # 二林戶所委託書.pdf
    # The kiosks list it; a kiosk without a public URL cannot offer a file only the office keeps.
    text = forms_list.kiosk_catalogue(db)
    (tmp_path / "office.toml").write_text(text, encoding="utf-8")
    catalogue, problems = load_catalogue(override=tmp_path / "office.toml")
    assert problems == []
    assert catalogue.by_code("proxy-erlin").office_file
    assert "proxy-erlin" not in [f.code for f in catalogue.offered("").forms]
    assert catalogue.offered("https://erlin.example/").by_code("proxy-erlin").address("https://erlin.example/") \
        == "https://erlin.example/f/proxy-erlin"


def test_a_file_that_is_not_what_its_name_says_is_refused(staff_client, db):
    data = table_form(staff_client)
    data["file-0"] = (io.BytesIO(b"<html>not a pdf</html>"), "move-out.pdf")
    answer = staff_client.post("/forms", data=data, content_type="multipart/form-data")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert "第 1 列的檔案：「move-out.pdf」的內容不是 PDF 檔" in html
    assert "重新選擇檔案" in html
    assert forms_list.uploaded_file(db, forms_list.rows(db)[0].code) is None


def test_the_table_needs_a_signed_in_clerk_and_the_csrf_token(app, staff_client, db):
    assert app.test_client().get("/forms").status_code == 302  # to the sign-in
    data = table_form(staff_client)
    del data["csrf"]
    assert staff_client.post("/forms", data=data).status_code == 400
    before = forms_list.rows(db)
    garbled = {**table_form(staff_client), "rows": "many"}  # not the page's own: never read as "all deleted"
    assert staff_client.post("/forms", data=garbled).status_code == 400
    every_row_deleted = {**table_form(staff_client), **{f"delete-{n}": "1" for n in range(len(before))}}
    refused = staff_client.post("/forms", data=every_row_deleted)
    assert refused.status_code == 400 and "至少要有一份表單" in refused.get_data(as_text=True)
    assert forms_list.rows(db) == before


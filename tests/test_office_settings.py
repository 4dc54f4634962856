"""The office's /settings page (office/settings_pages.py) through Flask's test client, as a clerk uses it:
the office name, and the marquee's announcements as a table with a Chinese and an English text per row,
what the kiosks are then sent, and bad input refused in Chinese naming the row, nothing saved."""

from html.parser import HTMLParser

import pytest

import office_sign_in
from office.app import create_app
from office.db import Database
from office.schema import OFFICE_CONFIG

KIOSK = "ERLIN-01"


@pytest.fixture
def db(tmp_path):
    with Database(f"sqlite:///{tmp_path / 'office.db'}") as database:
        yield database


@pytest.fixture
def clerk(db):
    return office_sign_in.clerk(create_app(db))


class Inputs(HTMLParser):
    """The page's text inputs in document order, values unescaped, and the table rows marked as wrong."""

    def __init__(self, html):
        super().__init__()
        self.inputs, self.bad_rows, self._row, self._in_table = [], [], 0, False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tr" and self._in_table:
            self._row += 1
            if attrs.get("class") == "error":
                self.bad_rows.append(self._row)
        if tag == "tbody":
            self._in_table = True
        if tag == "input" and attrs.get("type", "text") == "text":
            self.inputs.append((attrs["name"], attrs.get("value", "")))

    def value(self, name):
        return next(value for key, value in self.inputs if key == name)

    def rows(self):
        """(Chinese, English) per table row, as the clerk sees them."""
        zh = [v for k, v in self.inputs if k == "announcement_zh-TW"]
        en = [v for k, v in self.inputs if k == "announcement_en"]
        assert len(zh) == len(en), self.inputs
        return list(zip(zh, en))


def page(clerk):
    response = clerk.get("/settings")
    assert response.status_code == 200
    return Inputs(response.get_data(as_text=True))


def save(clerk, rows, office_name="", forms=""):
    """Post the settings form as the browser does: every row's two inputs, in order."""
    token = office_sign_in.csrf(clerk.get("/settings").get_data(as_text=True))
    data = {"csrf": token, "office_name": office_name, "forms": forms,
            "announcement_zh-TW": [zh for zh, _en in rows], "announcement_en": [en for _zh, en in rows]}
    return clerk.post("/settings", data=data)


def sent_to_the_kiosk(clerk, db):
    """The announcements of the config answer the kiosk gets (its forms are another part's)."""
    token = db.add_kiosk(KIOSK)
    response = clerk.get(f"/api/v1/kiosks/{KIOSK}/config", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    return announcements_of(response.get_json())


def announcements_of(config):
    return {key: config[key] for key in ("announcements", "announcements_en")}


def test_a_clerk_saves_announcements_in_two_languages_and_the_office_name(clerk, db):
    shown = page(clerk)
    assert shown.rows() == [("", "")] * 3            # nothing set yet: three empty rows to fill
    assert shown.value("office_name") == ""

    saved = save(clerk, [("今日下午停電，暫停服務", "Power cut this afternoon: no service"),
                         ("", ""),                    # a row left empty is no announcement
                         ("請勿在大廳飲食", "")],       # no English: the English screen shows it in Chinese
                 office_name="  彰化縣二林鎮戶政事務所 ")
    assert saved.status_code == 200 and "已儲存" in saved.get_data(as_text=True)
    assert db.office_name() == "彰化縣二林鎮戶政事務所"
    assert sent_to_the_kiosk(clerk, db) == {
        "announcements": ["今日下午停電，暫停服務", "請勿在大廳飲食"],
        "announcements_en": ["Power cut this afternoon: no service", ""]}

    again = page(clerk)                               # the page shows what was saved, each text beside its pair
    assert again.rows() == [("今日下午停電，暫停服務", "Power cut this afternoon: no service"),
                            ("請勿在大廳飲食", ""), ("", ""), ("", ""), ("", "")]
    assert again.value("office_name") == "彰化縣二林鎮戶政事務所"


def test_quotes_and_angle_brackets_come_back_as_typed(clerk, db):
    text = '請攜帶"國民身分證"<正本>'
    assert save(clerk, [(text, 'Bring your "ID card" <original>')]).status_code == 200
    assert page(clerk).rows()[0] == (text, 'Bring your "ID card" <original>')


@pytest.mark.parametrize("rows, says, bad_row", [
    ([("今日下午停電", "Power cut"), ("請勿在大廳飲食", "x" * 201)], "第 2 則的英文超過 200 字", 2),
    ([("甲" * 201, "")], "第 1 則的中文超過 200 字", 1),
    ([("今日下午停電", ""), ("", ""), ("", "No food in the lobby")], "第 3 則沒有中文", 3),
], ids=["english-too-long", "chinese-too-long", "english-without-chinese"])
def test_a_bad_row_is_named_in_chinese_and_nothing_is_saved(clerk, db, rows, says, bad_row):
    assert save(clerk, [("舊公告", "Old notice")], office_name="二林戶政").status_code == 200
    refused = save(clerk, rows, office_name="彰化縣二林鎮戶政事務所")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "未儲存" in html and says in html, html
    shown = Inputs(html)
    assert shown.bad_rows == [bad_row]                # the row to fix is marked
    assert shown.rows() == rows                       # and what the clerk typed is still there to fix
    assert db.config_for(KIOSK)["announcements"] == ["舊公告"] and db.office_name() == "二林戶政"


def test_more_than_twenty_announcements_are_refused(clerk, db):
    refused = save(clerk, [(f"公告 {n}", "") for n in range(1, 22)])
    assert refused.status_code == 400 and "公告最多 20 則，這裡有 21 則" in refused.get_data(as_text=True)
    assert db.config_for(KIOSK)["announcements"] == []


@pytest.mark.parametrize("name, says", [("二林" * 31, "機關名稱最多 60 字"), ("二林\n戶政", "機關名稱只能有一行")],
                         ids=["too-long", "two-lines"])
def test_a_bad_office_name_is_refused_in_chinese_and_nothing_is_saved(clerk, db, name, says):
    refused = save(clerk, [("今日下午停電", "")], office_name=name)
    assert refused.status_code == 400 and says in refused.get_data(as_text=True)
    assert db.office_name() == "" and db.config_for(KIOSK)["announcements"] == []


def test_emptying_every_row_leaves_the_kiosks_their_own_and_a_kiosks_own_still_wins(clerk, db):
    save(clerk, [("今日下午停電", "Power cut")])
    db.set_config(KIOSK, announcements=[{"zh-TW": "本機暫停服務", "en": "This kiosk is out of order"}])
    assert sent_to_the_kiosk(clerk, db)["announcements_en"] == ["This kiosk is out of order"]
    assert db.config_for("ERLIN-02")["announcements"] == ["今日下午停電"]
    assert save(clerk, [("", ""), ("", "")], office_name="二林戶政").status_code == 200
    assert announcements_of(db.config_for("ERLIN-02")) == {"announcements": [], "announcements_en": []}
    assert db.config_for(KIOSK)["announcements"] == ["本機暫停服務"]
    assert db.office_name() == "二林戶政"
    assert save(clerk, [], office_name="").status_code == 200
    assert db.office_name() == ""                     # emptied: unset


def test_announcements_saved_by_the_older_server_still_read_as_chinese_only(clerk, db):
    db.write(lambda conn: conn.execute(OFFICE_CONFIG.insert().values(
        scope="*", forms=None, announcements='["今日下午停電", "請多包涵"]', updated_at="2026-11-27T09:00:00.000+08:00")))
    assert page(clerk).rows()[:2] == [("今日下午停電", ""), ("請多包涵", "")]
    assert sent_to_the_kiosk(clerk, db)["announcements_en"] == ["", ""]


def test_a_form_whose_rows_do_not_pair_up_is_refused(clerk, db):
    token = office_sign_in.csrf(clerk.get("/settings").get_data(as_text=True))
    refused = clerk.post("/settings", data={"csrf": token, "office_name": "", "forms": "",
                                            "announcement_zh-TW": ["甲", "乙"], "announcement_en": ["A"]})
    assert refused.status_code == 400 and "公告表格不完整" in refused.get_data(as_text=True)
    assert db.config_for(KIOSK)["announcements"] == []

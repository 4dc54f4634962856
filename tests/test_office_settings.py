"""The office's /settings page (office/settings_pages.py) through Flask's test client, as a clerk uses it:
the office name, and the marquee's announcements as blocks, one per announcement, with a text per language of
the kiosk's screens stacked in each (Chinese required; English, Tiếng Việt, Bahasa Indonesia, ภาษาไทย, Filipino
optional), what the kiosks are then sent, and bad input refused in Chinese naming the announcement and the
language, nothing saved."""

from html.parser import HTMLParser

import pytest

import office_sign_in
from office.app import create_app
from office.db import Database
from office.schema import OFFICE_CONFIG

KIOSK = "ERLIN-01"
LANGUAGES = ("zh-TW", "en", "vi", "id", "th", "fil")   # the kiosk's screens' (kiosk.settings.LANGUAGES)
EMPTY = ("",) * len(LANGUAGES)


def row(zh="", en="", vi="", id="", th="", fil=""):  # noqa: A002 - the language's code
    """One announcement's texts as typed, in the page's order."""
    return (zh, en, vi, id, th, fil)


@pytest.fixture
def db(tmp_path):
    with Database(f"sqlite:///{tmp_path / 'office.db'}") as database:
        yield database


@pytest.fixture
def clerk(db):
    return office_sign_in.clerk(create_app(db))


class Inputs(HTMLParser):
    """The page's text inputs in document order, values unescaped, with their labels; the announcements'
    blocks marked as wrong, and the inputs marked as wrong."""

    def __init__(self, html):
        super().__init__()
        self.inputs, self.labels, self.bad_rows, self.bad_inputs = [], {}, [], []
        self._block, self._label_for, self._label = 0, None, ""
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "fieldset":
            self._block += 1
            if "error" in attrs.get("class", "").split():
                self.bad_rows.append(self._block)
        if tag == "label":
            self._label_for, self._label = attrs.get("for"), ""
        if tag == "input" and attrs.get("type", "text") == "text":
            self.inputs.append((attrs["name"], attrs.get("value", ""), attrs.get("id")))
            if attrs.get("aria-invalid") == "true":
                self.bad_inputs.append((self._block, attrs["name"]))

    def handle_data(self, data):
        if self._label_for:
            self._label += data

    def handle_endtag(self, tag):
        if tag == "label" and self._label_for:
            self.labels[self._label_for] = " ".join(self._label.split())
            self._label_for = None

    def value(self, name):
        return next(value for key, value, _id in self.inputs if key == name)

    def rows(self):
        """The texts of each announcement's block, in the page's language order, as the clerk sees them."""
        columns = [[v for k, v, _id in self.inputs if k == f"announcement_{lang}"] for lang in LANGUAGES]
        assert len({len(column) for column in columns}) == 1, self.inputs
        return list(zip(*columns))

    def block_labels(self, number):
        """The labels of the inputs of one block, in order."""
        ids = [i for k, _v, i in self.inputs if k.startswith("announcement_") and i.startswith(f"announcement-{number}-")]
        return [self.labels[i] for i in ids]


def page(clerk):
    response = clerk.get("/settings")
    assert response.status_code == 200
    return Inputs(response.get_data(as_text=True))


def save(clerk, rows, office_name="", forms=""):
    """Post the settings form as the browser does: every block's six inputs, in order."""
    token = office_sign_in.csrf(clerk.get("/settings").get_data(as_text=True))
    data = {"csrf": token, "office_name": office_name, "forms": forms}
    for index, lang in enumerate(LANGUAGES):
        data[f"announcement_{lang}"] = [texts[index] for texts in rows]
    return clerk.post("/settings", data=data)


def sent_to_the_kiosk(clerk, db):
    """The announcements of the config answer the kiosk gets (its forms are another part's)."""
    token = db.add_kiosk(KIOSK)
    response = clerk.get(f"/api/v1/kiosks/{KIOSK}/config", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    return announcements_of(response.get_json())


def member(lang):
    return "announcements" if lang == "zh-TW" else f"announcements_{lang}"


def announcements_of(config, languages=LANGUAGES):
    return {member(lang): config[member(lang)] for lang in languages}


POWER_CUT = row("今日下午停電，暫停服務", "Power cut this afternoon: no service", "Chiều nay cúp điện: tạm ngưng phục vụ",
                "Listrik padam sore ini: layanan dihentikan", "บ่ายนี้ไฟดับ งดให้บริการ",
                "Walang kuryente ngayong hapon: walang serbisyo")


def test_a_clerk_saves_announcements_in_six_languages_and_the_office_name(clerk, db):
    shown = page(clerk)
    assert shown.rows() == [EMPTY] * 3               # nothing set yet: three empty blocks to fill
    assert shown.value("office_name") == ""
    # Each block stacks its languages, each input labelled in its own language's name.
    assert shown.block_labels(1) == ["中文（必填）", "English", "Tiếng Việt", "Bahasa Indonesia", "ภาษาไทย", "Filipino"]

    saved = save(clerk, [POWER_CUT,
                         EMPTY,                       # a block left empty is no announcement
                         row("請勿在大廳飲食", vi="Không ăn uống trong sảnh")],  # the others: shown in Chinese
                 office_name="  彰化縣二林鎮戶政事務所 ")
    assert saved.status_code == 200 and "已儲存" in saved.get_data(as_text=True)
    assert db.office_name() == "彰化縣二林鎮戶政事務所"
    assert sent_to_the_kiosk(clerk, db) == {
        "announcements": ["今日下午停電，暫停服務", "請勿在大廳飲食"],
        "announcements_en": ["Power cut this afternoon: no service", ""],
        "announcements_vi": ["Chiều nay cúp điện: tạm ngưng phục vụ", "Không ăn uống trong sảnh"],
        "announcements_id": ["Listrik padam sore ini: layanan dihentikan", ""],
        "announcements_th": ["บ่ายนี้ไฟดับ งดให้บริการ", ""],
        "announcements_fil": ["Walang kuryente ngayong hapon: walang serbisyo", ""]}

    again = page(clerk)                               # the page shows what was saved, each text in its block
    assert again.rows() == [POWER_CUT, row("請勿在大廳飲食", vi="Không ăn uống trong sảnh"), EMPTY, EMPTY, EMPTY]
    assert again.value("office_name") == "彰化縣二林鎮戶政事務所"


def test_quotes_and_angle_brackets_come_back_as_typed(clerk, db):
    text = '請攜帶"國民身分證"<正本>'
    typed = row(text, 'Bring your "ID card" <original>', fil="Dalhin ang <orihinal>")
    assert save(clerk, [typed]).status_code == 200
    assert page(clerk).rows()[0] == typed


@pytest.mark.parametrize("rows, says, bad_row, bad_input", [
    ([row("今日下午停電", "Power cut"), row("請勿在大廳飲食", "x" * 201)], "第 2 則的英文超過 200 字", 2, "en"),
    ([row("甲" * 201)], "第 1 則的中文超過 200 字", 1, "zh-TW"),
    ([row("今日下午停電"), EMPTY, row(en="No food in the lobby")], "第 3 則沒有中文", 3, "zh-TW"),
    ([row("今日下午停電", vi="Cúp điện " * 25)], "第 1 則的越南文（Tiếng Việt）超過 200 字（224 字）", 1, "vi"),
    ([row("停電"), row("請勿飲食", th="ห้าม\nกิน")], "第 2 則的泰文（ภาษาไทย）不可換行", 2, "th"),
    ([row("停電", id="a" * 201)], "第 1 則的印尼文（Bahasa Indonesia）超過 200 字", 1, "id"),
    ([row(fil="Walang kuryente")], "第 1 則沒有中文", 1, "zh-TW"),
], ids=["english-too-long", "chinese-too-long", "english-without-chinese", "vietnamese-too-long",
        "thai-two-lines", "indonesian-too-long", "filipino-without-chinese"])
def test_a_bad_text_is_named_in_chinese_with_its_language_and_nothing_is_saved(clerk, db, rows, says, bad_row,
                                                                                bad_input):
    assert save(clerk, [row("舊公告", "Old notice")], office_name="二林戶政").status_code == 200
    refused = save(clerk, rows, office_name="彰化縣二林鎮戶政事務所")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "未儲存" in html and says in html, html
    shown = Inputs(html)
    assert shown.bad_rows == [bad_row]                # the block to fix is marked
    assert shown.bad_inputs == [(bad_row, f"announcement_{bad_input}")]  # and the text in it
    assert shown.rows() == rows                       # what the clerk typed is still there to fix
    assert db.config_for(KIOSK)["announcements"] == ["舊公告"] and db.office_name() == "二林戶政"


def test_more_than_twenty_announcements_are_refused(clerk, db):
    refused = save(clerk, [row(f"公告 {n}") for n in range(1, 22)])
    assert refused.status_code == 400 and "公告最多 20 則，這裡有 21 則" in refused.get_data(as_text=True)
    assert db.config_for(KIOSK)["announcements"] == []


@pytest.mark.parametrize("name, says", [("二林" * 31, "機關名稱最多 60 字"), ("二林\n戶政", "機關名稱只能有一行")],
                         ids=["too-long", "two-lines"])
def test_a_bad_office_name_is_refused_in_chinese_and_nothing_is_saved(clerk, db, name, says):
    refused = save(clerk, [row("今日下午停電")], office_name=name)
    assert refused.status_code == 400 and says in refused.get_data(as_text=True)
    assert db.office_name() == "" and db.config_for(KIOSK)["announcements"] == []


def test_emptying_every_row_leaves_the_kiosks_their_own_and_a_kiosks_own_still_wins(clerk, db):
    save(clerk, [row("今日下午停電", "Power cut")])
    db.set_config(KIOSK, announcements=[{"zh-TW": "本機暫停服務", "en": "This kiosk is out of order"}])
    assert sent_to_the_kiosk(clerk, db)["announcements_en"] == ["This kiosk is out of order"]
    assert db.config_for("ERLIN-02")["announcements"] == ["今日下午停電"]
    assert save(clerk, [EMPTY, EMPTY], office_name="二林戶政").status_code == 200
    assert announcements_of(db.config_for("ERLIN-02")) == {member(lang): [] for lang in LANGUAGES}
    assert db.config_for(KIOSK)["announcements"] == ["本機暫停服務"]
    assert db.office_name() == "二林戶政"
    assert save(clerk, [], office_name="").status_code == 200
    assert db.office_name() == ""                     # emptied: unset


def test_announcements_saved_by_the_older_server_still_read_as_chinese_only(clerk, db):
    db.write(lambda conn: conn.execute(OFFICE_CONFIG.insert().values(
        scope="*", forms=None, announcements='["今日下午停電", "請多包涵"]', updated_at="2026-11-27T09:00:00.000+08:00")))
    assert page(clerk).rows()[:2] == [row("今日下午停電"), row("請多包涵")]
    assert sent_to_the_kiosk(clerk, db)["announcements_en"] == ["", ""]


def test_announcements_saved_by_the_two_language_server_read_and_take_more_languages(clerk, db):
    """Its rows are objects with zh-TW and en: no migration; a translation added on the page is kept beside."""
    db.write(lambda conn: conn.execute(OFFICE_CONFIG.insert().values(
        scope="*", forms=None, announcements='[{"zh-TW":"今日下午停電","en":"Power cut"},{"zh-TW":"請多包涵"}]',
        updated_at="2026-11-27T09:00:00.000+08:00")))
    shown = page(clerk)
    assert shown.rows()[:2] == [row("今日下午停電", "Power cut"), row("請多包涵")]
    assert sent_to_the_kiosk(clerk, db)["announcements_vi"] == ["", ""]
    assert save(clerk, [row("今日下午停電", "Power cut", th="ไฟดับ"), row("請多包涵")]).status_code == 200
    assert announcements_of(db.config_for(KIOSK), ("zh-TW", "en", "th")) == {
        "announcements": ["今日下午停電", "請多包涵"], "announcements_en": ["Power cut", ""],
        "announcements_th": ["ไฟดับ", ""]}


def test_a_form_whose_rows_do_not_pair_up_is_refused(clerk, db):
    token = office_sign_in.csrf(clerk.get("/settings").get_data(as_text=True))
    refused = clerk.post("/settings", data={"csrf": token, "office_name": "", "forms": "",
                                            "announcement_zh-TW": ["甲", "乙"], "announcement_en": ["A"]})
    assert refused.status_code == 400 and "公告表格不完整" in refused.get_data(as_text=True)
    assert db.config_for(KIOSK)["announcements"] == []


def test_a_page_opened_before_the_update_cannot_drop_the_translations(clerk, db):
    """A page with Chinese and English inputs only, sent after the server took more languages: refused, so
    the Vietnamese already saved is not wiped by a form that had no input for it."""
    save(clerk, [POWER_CUT])
    token = office_sign_in.csrf(clerk.get("/settings").get_data(as_text=True))
    refused = clerk.post("/settings", data={"csrf": token, "office_name": "", "forms": "",
                                            "announcement_zh-TW": [POWER_CUT[0]], "announcement_en": ["Power cut"]})
    assert refused.status_code == 400 and "請重新整理頁面" in refused.get_data(as_text=True)
    assert db.config_for(KIOSK)["announcements_vi"] == [POWER_CUT[2]]

"""The marquee speaks the screen's language (issue 15, item 8), and shows the office's announcements (issue 16,
item 4).

In English mode the strip kept scrolling Chinese, because announcements had no English text.
``[marquee] messages_en`` gives each announcement its English, in the same order; one without it
still shows, in Chinese.  Announcements set at the office server, in Chinese and English, never reached
the strip; now the kiosk's sync brings them (kiosk/office_sync.py) and they replace kiosk.toml's.

Issue 19: six languages on the screens.  The office's announcements carry a text per language, and each shows
in the screen's language, or in Chinese without one; the shipped announcements (welcome, opening hours) come
from the catalogue in the screen's language: a Vietnamese screen scrolled them in English.
"""

import sys
import textwrap
import threading

import pytest

from kiosk.announcements import own_announcements
from kiosk.config import load_config
from kiosk.errors import ConfigError

WELCOME_ZH = "歡迎光臨彰化縣二林戶政事務所"
WELCOME_EN = "Welcome to the Erlin Household Registration Office"
WELCOME_VI = "Chào mừng quý khách đến Văn phòng Hộ chính Erlin"
HOURS_VI = "Giờ làm việc: Thứ Hai đến Thứ Sáu"
WELCOME_TH = "ยินดีต้อนรับสู่สำนักงานทะเบียนราษฎร์ Erlin"  # as drawn: the catalogue's word boundaries dropped


def strip_text(ui):
    ui.frames(2)
    return ui.app.marquee.ids.label.text  # what the strip draws


@pytest.fixture
def announcements(ui):
    """Put the announcements of a config file on the running strip for one test."""
    marquee = ui.app.marquee
    before = list(marquee.announcements)

    def use(config):
        marquee.announce(own_announcements(config))  # as the app builds the strip from kiosk.toml
    yield use
    marquee.announce(before)


def home_language(ui, lang):
    """The home screen's button of ``lang`` (its row of languages)."""
    return next(c for c in ui.home.ids.languages.choices if c.lang == lang)


def to_language(ui, lang):
    """A tap on ``lang`` on the home screen (a touch, so the idle timeout does not switch back meanwhile)."""
    ui.tap(home_language(ui, lang))
    assert ui.app.lang == lang


def to_english(ui):
    to_language(ui, "en")


def parts(text):
    """The announcements the strip shows, one by one."""
    return [part.strip("\u3000") for part in text.split("\u3000\u3000◆\u3000\u3000")]


def has_chinese(text):
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def write(tmp_path, body):
    path = tmp_path / "kiosk.toml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return str(path)


def test_switching_to_english_scrolls_the_english_announcements_and_back(ui):
    assert WELCOME_ZH in strip_text(ui)
    ui.tap(home_language(ui, "en"))
    assert ui.app.lang == "en"
    text = strip_text(ui)
    assert WELCOME_EN in text and "Opening hours" in text
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in text), f"Chinese left on the English strip: {text!r}"
    assert -ui.app.u * 10 < ui.app.marquee.shift <= 0, "the English text does not start at the left edge, readable"
    ui.tap(home_language(ui, "zh-TW"))
    assert WELCOME_ZH in strip_text(ui) and WELCOME_EN not in strip_text(ui)


def test_the_idle_timeout_brings_the_chinese_strip_back(ui):
    to_english(ui)
    assert WELCOME_EN in strip_text(ui)
    ui.clock.advance(ui.app.kiosk_config.display.idle_timeout + 1)
    ui.app.check_idle()
    assert WELCOME_ZH in strip_text(ui)


def test_an_announcement_without_english_shows_in_chinese(ui, tmp_path, announcements):
    announcements(load_config(write(tmp_path, """
        [marquee]
        messages = ["今日下午停電，暫停服務", "請勿在大廳飲食", "本所週六不上班"]
        messages_en = ["No service this afternoon: power cut", ""]
    """)))
    to_english(ui)
    assert parts(strip_text(ui)) == ["No service this afternoon: power cut", "請勿在大廳飲食", "本所週六不上班"]


def test_own_announcements_without_english_are_never_given_the_shipped_english(ui, tmp_path, announcements):
    config = load_config(write(tmp_path, """
        [marquee]
        messages = ["今日下午停電，暫停服務"]
    """))
    assert config.marquee.messages_en == []
    announcements(config)
    to_english(ui)
    assert strip_text(ui) == "今日下午停電，暫停服務"


def test_a_vietnamese_screen_scrolls_the_shipped_announcements_in_vietnamese_from_the_catalogue(ui):
    to_language(ui, "vi")
    text = strip_text(ui)
    assert parts(text)[0] == WELCOME_VI and HOURS_VI in parts(text)[1], text
    assert WELCOME_EN not in text and "Opening hours" not in text, f"English on the Vietnamese strip: {text!r}"
    assert not has_chinese(text), f"Chinese left on the Vietnamese strip: {text!r}"
    to_language(ui, "th")
    assert parts(strip_text(ui))[0] == WELCOME_TH        # one line: no word boundary marks left in it
    to_language(ui, "zh-TW")
    assert parts(strip_text(ui))[0] == WELCOME_ZH


@pytest.mark.parametrize("lang", ["en", "vi", "id", "th", "fil"])
def test_every_screen_language_has_the_shipped_announcements_in_it(ui, lang):
    to_language(ui, lang)
    text = strip_text(ui)
    assert len(parts(text)) == 3 and not has_chinese(text), text
    assert lang == "en" or WELCOME_EN not in text, text


def test_a_shipped_announcement_a_catalogue_does_not_translate_shows_in_chinese(monkeypatch):
    """A catalogue without the text (the i18n module then stands in the English) is not an English strip."""
    from kiosk import announcements
    from kiosk.config import Config, defaults
    from kiosk.i18n import messages

    monkeypatch.setattr(announcements, "messages", lambda lang: messages("en" if lang == "th" else lang))
    announcements.shipped_translations.cache_clear()
    try:
        welcome = own_announcements(Config(defaults()))[0]
    finally:
        monkeypatch.undo()
        announcements.shipped_translations.cache_clear()
    assert "th" not in welcome and welcome["vi"] == WELCOME_VI and welcome["en"] == WELCOME_EN


def test_the_shipped_announcements_are_the_catalogues_own_texts():
    """kiosk.toml's default ``[marquee] messages`` and ``messages_en`` are the catalogue's marquee.* texts, so a
    kiosk with the defaults shows them translated; a changed default not made in the catalogue too is caught."""
    from kiosk.announcements import SHIPPED
    from kiosk.config import defaults
    from kiosk.i18n import messages

    shipped = defaults()["marquee"]
    assert shipped["messages"] == [messages("zh-TW").text(key) for key in SHIPPED]
    assert shipped["messages_en"] == [messages("en").text(key) for key in SHIPPED]


def test_kiosk_toml_listing_a_shipped_announcement_among_its_own_gets_it_translated(ui, tmp_path, announcements):
    announcements(load_config(write(tmp_path, f"""
        [marquee]
        messages = ["{WELCOME_ZH}", "本所週六不上班"]
    """)))
    to_language(ui, "vi")
    assert parts(strip_text(ui)) == [WELCOME_VI, "本所週六不上班"]


@pytest.mark.parametrize("body, says", [
    ('messages_en = "Welcome"', "expected a list of strings"),
    ('messages_en = ["Welcome", "   "]', "announcement 2 is only spaces"),
    ('messages = ["歡迎光臨"]\nmessages_en = ["Welcome", "Closed at noon"]', "has 2 announcements but marquee.messages has 1"),
], ids=["not-a-list", "blank", "more-than-messages"])
def test_a_bad_english_list_is_a_config_error_naming_the_key(tmp_path, body, says):
    path = write(tmp_path, "[marquee]\n" + body + "\n")
    with pytest.raises(ConfigError) as error:
        load_config(path)
    message = str(error.value)
    assert "marquee.messages_en" in message and says in message, message


# -- the office's announcements ---------------------------------------------------------------------

POWER_CUT = {"zh-TW": "今日下午停電，暫停服務", "en": "Power cut this afternoon: no service",
             "vi": "Chiều nay cúp điện: tạm ngưng phục vụ"}
NO_FOOD = "請勿在大廳飲食"
NO_FOOD_ID = {"zh-TW": NO_FOOD, "id": "Dilarang makan dan minum di lobi"}


@pytest.fixture
def office(ui, tmp_path):
    """A real office server, and the running kiosk's sync pointed at it for one test; yields the server.

    The sync's forms go to a scratch cache: the shared app's catalogue is not this test's subject.
    """
    from kiosk.forms import FormCatalogueCache
    from office_process import LocalOfficeAndDatabase
    from kiosk.office_client import OfficeClient
    from kiosk.office_sync import ANNOUNCEMENTS_KEY, ETAG_KEY

    server = LocalOfficeAndDatabase(tmp_path / "office", "ERLIN-01")
    sync = ui.app.services.sync
    before = sync.config, sync.forms, sync.client
    sync.config = ui.app.kiosk_config.with_values("server", url=server.url, token=server.token)
    sync.client = OfficeClient(sync.config)  # the kiosk's client, to this server
    sync.forms = FormCatalogueCache(tmp_path / "forms")
    yield server
    sync.client.close()
    sync.config, sync.forms, sync.client = before
    for key in (ANNOUNCEMENTS_KEY, ETAG_KEY):  # the next tests see kiosk.toml's announcements again
        sync.store.set_meta(key, "")
    ui.app.marquee.announce(sync.marquee_texts())
    server.close()


def sync_now(ui, shows):
    """What the kiosk does every few minutes (a thread asks the office), until the strip ``shows`` a text."""
    ui.app.sync_office()
    assert ui.wait_for(lambda: shows in strip_text(ui), seconds=10), strip_text(ui)


def test_the_offices_announcements_reach_the_strip_in_chinese_and_english_on_the_main_thread(ui, office):
    changed_on = []
    ui.app.marquee.fbind("announcements", lambda *_args: changed_on.append(threading.current_thread()))
    office.db.set_config(announcements=[POWER_CUT, NO_FOOD])
    sync_now(ui, POWER_CUT["zh-TW"])
    assert strip_text(ui) == POWER_CUT["zh-TW"] + "\u3000\u3000◆\u3000\u3000" + NO_FOOD, strip_text(ui)
    assert WELCOME_ZH not in strip_text(ui)                     # the office's replace kiosk.toml's
    assert changed_on and all(t is threading.main_thread() for t in changed_on), changed_on
    to_english(ui)
    text = strip_text(ui)
    assert POWER_CUT["en"] in text and NO_FOOD in text           # no English for that one: its Chinese
    assert WELCOME_EN not in text and POWER_CUT["zh-TW"] not in text


def test_each_office_announcement_shows_in_the_screens_language_or_in_chinese_without_one(ui, office):
    office.db.set_config(announcements=[POWER_CUT, NO_FOOD_ID])
    sync_now(ui, POWER_CUT["zh-TW"])
    to_language(ui, "vi")                                          # a Vietnamese text for the first only
    assert parts(strip_text(ui)) == [POWER_CUT["vi"], NO_FOOD]
    to_language(ui, "th")                                          # no Thai text at all: both in Chinese
    assert parts(strip_text(ui)) == [POWER_CUT["zh-TW"], NO_FOOD]
    to_language(ui, "id")
    assert parts(strip_text(ui)) == [POWER_CUT["zh-TW"], NO_FOOD_ID["id"]]
    to_language(ui, "en")
    assert parts(strip_text(ui)) == [POWER_CUT["en"], NO_FOOD]


def test_when_the_office_sends_none_the_strip_shows_kiosk_toml_again(ui, office):
    office.db.set_config(announcements=[POWER_CUT])
    sync_now(ui, POWER_CUT["zh-TW"])
    office.db.set_config(announcements=None)
    sync_now(ui, WELCOME_ZH)
    assert POWER_CUT["zh-TW"] not in strip_text(ui)
    to_english(ui)
    assert WELCOME_EN in strip_text(ui)


RESTARTED_STRIP = """
import sys
from kiosk.ui import environment
environment.configure("offscreen", size=(800, 480), fullscreen=False)
from kiosk.config import Config, defaults
from kiosk.services import open_services
from kiosk.ui.app import KioskApp
values = defaults()
values["kiosk"]["data_dir"] = sys.argv[1]
values["server"]["url"], values["server"]["token"] = sys.argv[2], "not-needed-the-server-is-down"
services = open_services(Config(values), with_hardware=False)
app = KioskApp(Config(values), services=services, live=False)
app._run_prepare()
for lang in ("zh-TW", "en", "vi"):
    app.lang = lang
    print(app.marquee.text)
"""


def test_after_a_restart_with_the_office_down_the_strip_shows_the_last_announcements(tmp_path):
    """A new kiosk process, the office server gone: the strip it builds shows the office's, from disk."""
    import subprocess

    from kiosk.config import Config, defaults
    from office_process import LocalOfficeAndDatabase
    from kiosk.services import open_services

    server = LocalOfficeAndDatabase(tmp_path / "office", "ERLIN-01")
    server.db.set_config(announcements=[POWER_CUT, NO_FOOD])
    values = defaults()
    values["kiosk"]["data_dir"] = str(tmp_path / "kiosk")
    values["server"]["url"], values["server"]["token"] = server.url, server.token
    services = open_services(Config(values), with_hardware=False)
    services.sync.refresh()
    services.close()
    services.sync.session.close()
    server.close()

    shown = subprocess.run([sys.executable, "-c", RESTARTED_STRIP, str(tmp_path / "kiosk"), server.url],
                           capture_output=True, text=True, timeout=120)
    assert shown.returncode == 0, shown.stderr[-2000:]
    chinese, english, vietnamese = shown.stdout.splitlines()[-3:]
    assert POWER_CUT["zh-TW"] in chinese and NO_FOOD in chinese and WELCOME_ZH not in chinese
    assert POWER_CUT["en"] in english and NO_FOOD in english
    assert parts(vietnamese) == [POWER_CUT["vi"], NO_FOOD]

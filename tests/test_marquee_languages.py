"""The marquee speaks the screen's language (issue 15, item 8), and shows the office's announcements (issue 16,
item 4).

In English mode the strip kept scrolling Chinese, because announcements had no English text.
``[marquee] messages_en`` gives each announcement its English, in the same order; one without it
still shows, in Chinese.  Announcements set at the office server, in Chinese and English, never reached
the strip; now the kiosk's sync brings them (kiosk/office_sync.py) and they replace kiosk.toml's.
"""

import sys
import textwrap
import threading

import pytest

from kiosk.config import load_config
from kiosk.errors import ConfigError

WELCOME_ZH = "歡迎光臨彰化縣二林戶政事務所"
WELCOME_EN = "Welcome to the Erlin Household Registration Office"


def strip_text(ui):
    ui.frames(2)
    return ui.app.marquee.ids.label.text  # what the strip draws


@pytest.fixture
def announcements(ui):
    """Put the announcements of a config file on the running strip for one test."""
    marquee = ui.app.marquee
    before = list(marquee.messages), list(marquee.messages_en)

    def use(config):
        marquee.messages, marquee.messages_en = config.marquee.messages, config.marquee.messages_en
    yield use
    marquee.messages, marquee.messages_en = before


def home_language(ui, lang):
    """The home screen's button of ``lang`` (its row of languages)."""
    return next(c for c in ui.home.ids.languages.choices if c.lang == lang)


def to_english(ui):
    """A tap on English on the home screen (a touch, so the idle timeout does not switch back meanwhile)."""
    ui.tap(home_language(ui, "en"))
    assert ui.app.lang == "en"


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
    parts = [part.strip("\u3000◆") for part in strip_text(ui).split("◆")]
    assert [p.strip("\u3000") for p in parts] == ["No service this afternoon: power cut", "請勿在大廳飲食",
                                                 "本所週六不上班"]


def test_own_announcements_without_english_are_never_given_the_shipped_english(ui, tmp_path, announcements):
    config = load_config(write(tmp_path, """
        [marquee]
        messages = ["今日下午停電，暫停服務"]
    """))
    assert config.marquee.messages_en == []
    announcements(config)
    to_english(ui)
    assert strip_text(ui) == "今日下午停電，暫停服務"


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

POWER_CUT = {"zh-TW": "今日下午停電，暫停服務", "en": "Power cut this afternoon: no service"}
NO_FOOD = "請勿在大廳飲食"


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
    ui.app.marquee.announce(*sync.marquee_texts())
    server.close()


def sync_now(ui, shows):
    """What the kiosk does every few minutes (a thread asks the office), until the strip ``shows`` a text."""
    ui.app.sync_office()
    assert ui.wait_for(lambda: shows in strip_text(ui), seconds=10), strip_text(ui)


def test_the_offices_announcements_reach_the_strip_in_chinese_and_english_on_the_main_thread(ui, office):
    changed_on = []
    ui.app.marquee.fbind("messages", lambda *_args: changed_on.append(threading.current_thread()))
    office.db.set_config(announcements=[POWER_CUT, NO_FOOD])
    sync_now(ui, POWER_CUT["zh-TW"])
    assert strip_text(ui) == POWER_CUT["zh-TW"] + "\u3000\u3000◆\u3000\u3000" + NO_FOOD, strip_text(ui)
    assert WELCOME_ZH not in strip_text(ui)                     # the office's replace kiosk.toml's
    assert changed_on and all(t is threading.main_thread() for t in changed_on), changed_on
    to_english(ui)
    text = strip_text(ui)
    assert POWER_CUT["en"] in text and NO_FOOD in text           # no English for that one: its Chinese
    assert WELCOME_EN not in text and POWER_CUT["zh-TW"] not in text


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
for lang in ("zh-TW", "en"):
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
    chinese, english = shown.stdout.splitlines()[-2:]
    assert POWER_CUT["zh-TW"] in chinese and NO_FOOD in chinese and WELCOME_ZH not in chinese
    assert POWER_CUT["en"] in english and NO_FOOD in english

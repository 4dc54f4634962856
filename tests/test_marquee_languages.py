"""The marquee speaks the screen's language (issue 15, item 8).

In English mode the strip kept scrolling Chinese, because announcements had no English text.
``[marquee] messages_en`` gives each announcement its English, in the same order; one without it
still shows, in Chinese.
"""

import textwrap

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


def to_english(ui):
    """A tap on the language switch (a touch, so the idle timeout does not switch back meanwhile)."""
    ui.tap(ui.home.ids.header.ids.language)
    assert ui.app.lang == "en"


def write(tmp_path, body):
    path = tmp_path / "kiosk.toml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return str(path)


def test_switching_to_english_scrolls_the_english_announcements_and_back(ui):
    assert WELCOME_ZH in strip_text(ui)
    ui.tap(ui.home.ids.header.ids.language)
    assert ui.app.lang == "en"
    text = strip_text(ui)
    assert WELCOME_EN in text and "Opening hours" in text
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in text), f"Chinese left on the English strip: {text!r}"
    assert -ui.app.u * 10 < ui.app.marquee.shift <= 0, "the English text does not start at the left edge, readable"
    ui.tap(ui.home.ids.header.ids.language)
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

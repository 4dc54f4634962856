"""The voice guide without a screen (kiosk/voice_guide.py): which button does what, what a ticket sounds like,
and how the choices are gone through.  Every utterance is read back from the kiosk.speech log."""

import logging

import pytest

from kiosk.speech import Speech
from kiosk.voice_guide import Choice, VoiceGuide, button_roles, sentences, spelled, ticket_speech


@pytest.fixture
def heard(caplog):
    caplog.set_level(logging.INFO, logger="kiosk.speech")
    return lambda: [r.getMessage() for r in caplog.records if r.name == "kiosk.speech"]


def test_the_middle_button_chooses_and_the_sides_move():
    assert button_roles(3) == ("previous", "choose", "next")
    assert button_roles(5) == ("previous", "previous", "choose", "next", "next")
    with pytest.raises(ValueError, match="needs 3 or 5 buttons"):
        button_roles(4)


def test_a_number_is_said_one_character_at_a_time():
    assert spelled("A012") == "A 0 1 2"


def test_parts_become_sentences_in_each_languages_way():
    assert sentences(["抽號碼牌", "", "共 9 個選項。"], "zh-TW") == "抽號碼牌。共 9 個選項。"
    assert sentences(["Take a number", "9 choices."], "en") == "Take a number. 9 choices."


@pytest.mark.parametrize("lang, expected", [
    ("zh-TW", "您的號碼: A 0 1 2。戶籍登記。前面還有 3 位。預估等候 5 - 10 分鐘。請取下方號碼牌。"),
    ("vi", "Số của quý vị: A 0 1 2. Household Registration. Số người phía trước: 3. Dự kiến chờ: 5 - 10 phút."),
])
def test_the_ticket_is_said_as_it_is_printed(lang, expected):
    said = ticket_speech(lang, "A012", "戶籍登記" if lang == "zh-TW" else "Household Registration", 3, "5–10")
    assert said.startswith(expected), said


def test_without_the_offices_figures_the_ticket_says_no_estimate():
    said = ticket_speech("en", "C004", "Transcripts", 2)
    assert "Estimated" not in said and "People ahead of you: 2." in said


def test_the_buttons_go_round_the_choices_and_the_middle_one_chooses(heard):
    chosen = []
    guide = VoiceGuide(Speech(), button_roles(3))
    guide.start("en")
    guide.show("en", "Take a number", [Choice("A", lambda: chosen.append("A")), Choice("B", lambda: chosen.append("B")),
                                       Choice("Tiếng Việt", lambda: chosen.append("vi"), lang="vi")], cut=False)
    guide.press(2)
    guide.press(2)
    guide.press(2)  # past the end: round to the first
    guide.press(0)  # before the first: the last
    guide.press(1)
    assert chosen == ["vi"]
    assert heard()[1:] == ["[en] Take a number. 3 choices.", "[en] A", "[en] B", "[vi] Tiếng Việt", "[en] A",
                           "[vi] Tiếng Việt"]


def test_where_there_is_nothing_to_choose_a_press_says_how_the_buttons_work(heard):
    guide = VoiceGuide(Speech(), button_roles(3))
    guide.start("zh-TW")
    guide.show("zh-TW", "", [], news="系統維護中")
    guide.press(1)
    assert heard()[-2:] == ["[zh-TW] 系統維護中。", heard()[0]]


def test_the_end_of_a_resident_resets_the_volume_without_a_word(heard):
    speech = Speech(volume=50)
    guide = VoiceGuide(speech, button_roles(3))
    guide.start("en")
    speech.louder()
    guide.end()
    assert not guide.active and speech.volume == 50
    assert len(heard()) == 1


def test_a_hold_as_long_as_the_stuck_rule_is_a_config_error_naming_both_keys(tmp_path):
    from kiosk.config import load_config
    from kiosk.errors import ConfigError

    path = tmp_path / "kiosk.toml"
    path.write_text("[buttons]\nstuck_after = 3\n\n[speech]\nhold_seconds = 3\nvolume = 0\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert "line 5: speech.hold_seconds: is 3 s, not shorter than buttons.stuck_after (3 s): the hold that starts " \
           "the voice guide would be taken for a stuck button" in message
    assert "line 6: speech.volume: must be between 10 and 100 %" in message

"""Speech for a blind resident (issue 20, the start): espeak-ng speaks each language's text offline, every
utterance is logged on kiosk.speech, the volume returns to the office's after each resident."""

import logging
import shutil
import wave

import pytest

from hardware.speech import Speaker
from kiosk.speech import Speech, spoken_language

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None,
                                  reason="needs Debian's espeak-ng (.ci/debian-packages installs it)")


def seconds(path):
    with wave.open(str(path)) as sound:
        return sound.getnframes() / sound.getframerate()


@needs_espeak
def test_each_language_is_spoken_in_its_own_voice_into_a_sound(tmp_path):
    speaker = Speaker(wav_dir=tmp_path)
    speech = Speech(speaker)
    try:
        for text, lang in (("請 A 一百零五 號 到 三 號 櫃檯", "zh-TW"), ("Số A105, mời đến quầy số 3", "vi"),
                           ("หมายเลข\u200bA105 เชิญ\u200bที่\u200bช่อง\u200bบริการ 3", "th"),
                           ("Nomor A105, silakan ke loket 3", "id")):
            speech.say(text, lang)
            assert speaker.wait(30)
    finally:
        speaker.close()
    assert [p.name.split("-", 1)[1] for p in speaker.written] == ["cmn.wav", "vi.wav", "th.wav", "id.wav"]
    assert all(seconds(p) > 0.8 for p in speaker.written), [seconds(p) for p in speaker.written]


@needs_espeak
def test_a_new_utterance_is_said_after_the_last_one_never_before(tmp_path):
    speaker = Speaker(wav_dir=tmp_path)
    try:
        speaker.say("選擇服務 " * 30, "cmn")
        speaker.say("抽號碼牌", "cmn")  # the resident pressed "next": the newest is what they hear last
        assert speaker.wait(30)
    finally:
        speaker.close()
    assert 1 <= len(speaker.written) <= 2 and 0.3 < seconds(speaker.written[-1]) < 3


def test_every_utterance_is_logged_in_the_language_heard(caplog):
    speech = Speech(None)
    with caplog.at_level(logging.INFO, logger="kiosk.speech"):
        speech.say("กรุณา\u200bเลือก\u200bบริการ", "th")
        speech.say("Please choose a service.", "fil")  # no Filipino voice: the English text, in English
    assert [r.getMessage() for r in caplog.records if r.name == "kiosk.speech"] == [
        "[th] กรุณาเลือกบริการ", "[en] Please choose a service."]
    assert spoken_language("fil") == "en" and spoken_language("vi") == "vi"


def test_the_volume_a_resident_set_is_reset_for_the_next_one():
    speech = Speech(None, volume=60)
    assert speech.louder() == 75 and speech.louder() == 90 and speech.louder() == 100
    speech.reset()
    assert speech.volume == 60
    for _ in range(10):
        speech.softer()
    assert speech.volume == 10  # never silent by accident


def test_without_espeak_the_kiosk_says_why_and_stays_silent(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="hardware.speech"):
        speaker = Speaker(command="no-such-espeak", wav_dir=tmp_path)
    try:
        assert not speaker.available
        speaker.say("抽號碼牌", "cmn")
        assert speaker.wait(5)
    finally:
        speaker.close()
    assert speaker.written == [] and "apt-get install espeak-ng" in caplog.text


@needs_espeak
def test_the_second_part_of_one_message_follows_the_first_instead_of_cutting_it(tmp_path):
    speaker = Speaker(wav_dir=tmp_path)
    try:
        speaker.say("首頁。共 11 個選項。", "cmn")
        speaker.say("抽號碼牌", "cmn", cut=False)  # the first choice, after the place
        assert speaker.wait(30)
    finally:
        speaker.close()
    assert len(speaker.written) == 2, "the place was cut short by its own first choice"
    assert seconds(speaker.written[0]) > 1.0


def test_a_simulator_speaks_only_where_there_is_a_sound_card(tmp_path):
    from hardware.speech import audio_output_present

    cards = tmp_path / "cards"
    cards.write_text(" 0 [Headphones     ]: bcm2835_headpho - bcm2835 Headphones\n")
    assert audio_output_present(cards)
    cards.write_text("--- no soundcards ---\n")
    assert not audio_output_present(cards)
    assert not audio_output_present(tmp_path / "no-alsa-here")

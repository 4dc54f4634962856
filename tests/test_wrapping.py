"""Line breaking: never inside an English word, nor inside a Chinese word the catalogue marks unbreakable."""

import pytest

from kiosk.i18n import unbreakable_words
from kiosk.ui.widgets import break_units, wrap_lines

ZH_WORDS = unbreakable_words("zh-TW")


def by_chars(width_per_char=1):
    return lambda text: len(text) * width_per_char


def test_the_list_has_the_words_longest_first_and_a_language_that_breaks_at_spaces_needs_none():
    assert {"身心障礙", "障礙", "孕婦", "年長者", "號碼", "戶籍"} <= set(ZH_WORDS)
    assert [len(w) for w in ZH_WORDS] == sorted((len(w) for w in ZH_WORDS), reverse=True)
    assert unbreakable_words("en") == ()


def test_chinese_breaks_between_characters_but_keeps_listed_words_and_punctuation_whole():
    units = [unit for _sep, unit in break_units("優先（年長者、身心障礙、孕婦）", ZH_WORDS)]
    assert units == ["優", "先", "（年長者、", "身心障礙、", "孕婦）"]


def test_english_breaks_only_at_spaces():
    assert break_units("Priority (seniors, disabled, pregnant)") == [
        ("", "Priority"), (" ", "(seniors,"), (" ", "disabled,"), (" ", "pregnant)")]


@pytest.mark.parametrize("width", range(4, 12))
def test_the_priority_name_never_splits_a_word_at_any_width(width):
    lines, fits = wrap_lines("優先（年長者、身心障礙、孕婦）", width, by_chars(), ZH_WORDS)
    assert "".join(lines) == "優先（年長者、身心障礙、孕婦）"
    assert fits == (width >= 5)  # the widest unit, 身心障礙、, is 5 characters
    for line in lines:
        assert not line.startswith(("、", "）")) and not line.endswith("（")
    for word in ("身心障礙", "年長者", "孕婦"):
        assert any(word in line for line in lines), f"{word} split across lines: {lines}"


def test_a_word_wider_than_the_line_is_reported_not_cut():
    lines, fits = wrap_lines("Please take your ticket", 6, by_chars())
    assert lines == ["Please", "take", "your", "ticket"] and fits
    lines, fits = wrap_lines("Appointment check-in", 8, by_chars())
    assert lines == ["Appointment", "check-in"] and not fits


def test_existing_newlines_stay():
    lines, _fits = wrap_lines("第一行\n第二行", 10, by_chars())
    assert lines == ["第一行", "第二行"]


def test_thai_breaks_only_between_the_words_the_catalogue_marks_and_shows_no_marks():
    text = "สแกน\u200bด้วย\u200bมือถือ\u200bเพื่อ\u200bดาวน์โหลด"
    assert [unit for _sep, unit in break_units(text)] == ["สแกน", "ด้วย", "มือถือ", "เพื่อ", "ดาวน์โหลด"]
    lines, fits = wrap_lines(text, 14, len)
    assert lines == ["สแกนด้วยมือถือ", "เพื่อดาวน์โหลด"] and fits
    lines, fits = wrap_lines("ยินดีต้อนรับ กรุณา\u200bเลือก\u200bบริการ", 18, len)
    assert lines == ["ยินดีต้อนรับ กรุณา", "เลือกบริการ"] and fits


def test_a_vietnamese_word_of_two_syllables_stays_on_one_line():
    words = unbreakable_words("vi")
    assert "dịch vụ" in words and "hôm nay" in words
    lines, fits = wrap_lines("Chấm điểm dịch vụ hôm nay", 16, len, words)
    assert lines == ["Chấm điểm", "dịch vụ hôm nay"] and fits  # not "Chấm điểm dịch" / "vụ hôm nay"
    lines, _ = wrap_lines("Dịch vụ hôm nay thế nào?", 12, len, words)
    assert lines == ["Dịch vụ", "hôm nay thế", "nào?"]  # capitals too; "dịch vụ" is not part of "dịch vụx"
    assert [unit for _sep, unit in break_units("dịch vụx", words)] == ["dịch", "vụx"]

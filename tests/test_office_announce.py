"""What the lobby display says (office/announce.py): Mandarin numerals, digit by digit, English, clips."""

import pytest

from office.announce import announcement, clips, display_text, split_ticket, zh_numeral, zh_numeral_clips

NUMERALS = {0: "零", 1: "一", 2: "二", 7: "七", 10: "十", 11: "十一", 12: "十二", 19: "十九", 20: "二十", 21: "二十一",
            99: "九十九", 100: "一百", 101: "一百零一", 105: "一百零五", 110: "一百一十", 111: "一百一十一",
            120: "一百二十", 200: "二百", 999: "九百九十九", 1000: "一千", 1001: "一千零一", 1010: "一千零一十",
            1100: "一千一百", 1011: "一千零一十一", 2002: "二千零二", 9999: "九千九百九十九"}


@pytest.mark.parametrize("value,text", sorted(NUMERALS.items()))
def test_mandarin_numerals(value, text):
    assert zh_numeral(value) == text
    assert "".join(zh_numeral_clips(value)) == text


def test_numeral_clips_are_a_small_vocabulary():
    vocabulary = set()
    for value in range(10000):
        vocabulary.update(zh_numeral_clips(value))
    digits = set("一二三四五六七八九")
    allowed = digits | {"零", "十"} | {d + u for d in digits for u in "十百千"}
    assert vocabulary <= allowed and len(vocabulary) <= 38
    assert zh_numeral_clips(105) == ["一百", "零", "五"]
    assert zh_numeral_clips(12) == ["十", "二"]


@pytest.mark.parametrize("bad", [-1, 10000, 1.5, True, "12"])
def test_numbers_out_of_range_are_refused(bad):
    with pytest.raises(ValueError):
        zh_numeral(bad)


@pytest.mark.parametrize("number,counter,text", [
    ("A105", 3, "請 A 一百零五 號 到 三 號 櫃檯"),
    ("A012", 3, "請 A 十二 號 到 三 號 櫃檯"),
    ("B001", 12, "請 B 一 號 到 十二 號 櫃檯"),
    ("P000", 1, "請 P 零 號 到 一 號 櫃檯"),
    ("C010", 10, "請 C 十 號 到 十 號 櫃檯"),
    ("D011", 20, "請 D 十一 號 到 二十 號 櫃檯"),
    ("E020", 2, "請 E 二十 號 到 二 號 櫃檯"),
    ("F100", 4, "請 F 一百 號 到 四 號 櫃檯"),
    ("A101", 5, "請 A 一百零一 號 到 五 號 櫃檯"),
    ("A110", 6, "請 A 一百一十 號 到 六 號 櫃檯"),
    ("A999", 7, "請 A 九百九十九 號 到 七 號 櫃檯"),
    ("A1000", 8, "請 A 一千 號 到 八 號 櫃檯"),
    ("a012", "3", "請 A 十二 號 到 三 號 櫃檯"),
])
def test_natural_mandarin(number, counter, text):
    assert announcement(number, counter) == text


def test_digit_by_digit_when_configured():
    assert announcement("A012", 3, style="digits") == "請 A 零一二 號 到 三 號 櫃檯"
    assert announcement("A105", 12, style="digits") == "請 A 一零五 號 到 一二 號 櫃檯"
    assert announcement("A012", 3, lang="en", style="digits") == "Number A 0 1 2, please go to counter 3"


@pytest.mark.parametrize("number,counter,text", [
    ("A105", 3, "Number A 105, please go to counter 3"),
    ("A012", 3, "Number A 12, please go to counter 3"),
    ("P000", 10, "Number P 0, please go to counter 10"),
])
def test_english(number, counter, text):
    assert announcement(number, counter, lang="en") == text


def test_clips_concatenate_to_the_sentence():
    assert clips("A105", 3) == ["請", "A", "一百", "零", "五", "號", "到", "三", "號櫃檯"]
    assert clips("A012", 3, style="digits") == ["請", "A", "零", "一", "二", "號", "到", "三", "號櫃檯"]
    assert clips("A115", 3, lang="en") == ["number", "A", "one hundred", "fifteen", "please go to counter", "three"]
    assert clips("B1234", 21, lang="en") == ["number", "B", "one thousand", "two hundred", "thirty", "four",
                                             "please go to counter", "twenty", "one"]
    for number in ("A001", "A010", "A011", "A020", "A100", "A101", "A110", "A999", "A1000"):
        assert "".join(clips(number, 3)).replace("號櫃檯", "號 櫃檯") == announcement(number, 3).replace(" ", "") \
            .replace("號櫃檯", "號 櫃檯")


def test_display_text_and_bad_input():
    assert display_text("A012", 3) == "請 A012 號 到 3 號櫃檯"
    assert display_text("A012", 3, lang="en") == "A012 → counter 3"
    assert split_ticket("A012") == ("A", 12, "012")
    for bad in ("", "AB12", "A12345", "12A"):
        with pytest.raises(ValueError):
            announcement(bad, 3)
    with pytest.raises(ValueError):
        announcement("A012", -3)
    with pytest.raises(ValueError):
        announcement("A012", 3, lang="ja")
    with pytest.raises(ValueError):
        announcement("A012", 3, style="spelled")

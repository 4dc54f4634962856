"""What the lobby display says (office/announce.py, office/numerals.py): Mandarin numerals, digit by digit, and the
sentence in each of the six languages, spoken, written and as clips to record."""

import pytest

from office.announce import LANGS, announcement, clips, display_text, for_call, phrases, split_ticket
from office.numerals import number_words, spoken, vocabulary, zh_numeral, zh_numeral_clips

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
    assert clips("A115", 3, lang="en") == ["number", "A", "one", "hundred", "fifteen", "please go to counter", "three"]
    assert clips("B1234", 21, lang="en") == ["number", "B", "one", "thousand", "two", "hundred", "thirty", "four",
                                             "please go to counter", "twenty", "one"]
    for number in ("A001", "A010", "A011", "A020", "A100", "A101", "A110", "A999", "A1000"):
        assert "".join(clips(number, 3)).replace("號櫃檯", "號 櫃檯") == announcement(number, 3).replace(" ", "") \
            .replace("號櫃檯", "號 櫃檯")


def test_display_text_and_bad_input():
    assert display_text("A012", 3) == "請 A012 號 到 3 號櫃檯"
    assert display_text("A012", 3, lang="en") == "Number A012, please go to counter 3"
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


# -- the other languages ------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang,text,line", [
    ("vi", "Số A một trăm lẻ năm, mời đến quầy số ba", "Số A105, mời đến quầy số 3"),
    ("id", "Nomor A seratus lima, silakan ke loket tiga", "Nomor A105, silakan ke loket 3"),
    ("th", "หมายเลข A หนึ่งร้อยห้า เชิญที่ช่องบริการ สาม", "หมายเลข A105 เชิญที่ช่องบริการ 3"),
    ("fil", "Numero A one hundred five, pumunta po sa counter three", "Numero A105, pumunta po sa counter 3"),
    ("en", "Number A 105, please go to counter 3", "Number A105, please go to counter 3"),
    ("zh-TW", "請 A 一百零五 號 到 三 號 櫃檯", "請 A105 號 到 3 號櫃檯"),
])
def test_a_call_in_each_language_spoken_and_written(lang, text, line):
    assert announcement("A105", 3, lang) == text
    assert display_text("A105", 3, lang) == line


# Numbers as a clerk says them: the irregular words of each language (mốt, lăm, lẻ; sebelas, seratus, seribu;
# เอ็ด, ยี่สิบ) in the places they belong, and nowhere else.
NATURAL = {
    "vi": {0: "không", 1: "một", 5: "năm", 10: "mười", 11: "mười một", 15: "mười lăm", 20: "hai mươi",
           21: "hai mươi mốt", 24: "hai mươi bốn", 25: "hai mươi lăm", 100: "một trăm", 101: "một trăm lẻ một",
           105: "một trăm lẻ năm", 110: "một trăm mười", 115: "một trăm mười lăm", 151: "một trăm năm mươi mốt",
           1000: "một ngàn", 1005: "một ngàn không trăm lẻ năm", 2024: "hai ngàn không trăm hai mươi bốn"},
    "id": {0: "nol", 1: "satu", 10: "sepuluh", 11: "sebelas", 12: "dua belas", 19: "sembilan belas",
           20: "dua puluh", 21: "dua puluh satu", 100: "seratus", 105: "seratus lima", 111: "seratus sebelas",
           200: "dua ratus", 1000: "seribu", 1100: "seribu seratus", 2005: "dua ribu lima"},
    "th": {0: "ศูนย์", 1: "หนึ่ง", 10: "สิบ", 11: "สิบเอ็ด", 20: "ยี่สิบ", 21: "ยี่สิบเอ็ด", 35: "สามสิบห้า",
           100: "หนึ่งร้อย", 101: "หนึ่งร้อยเอ็ด", 105: "หนึ่งร้อยห้า", 120: "หนึ่งร้อยยี่สิบ", 1000: "หนึ่งพัน",
           1005: "หนึ่งพันห้า"},
    "fil": {0: "zero", 12: "twelve", 105: "one hundred five", 1010: "one thousand ten", 21: "twenty one"},
    "en": {0: "zero", 12: "twelve", 105: "one hundred five", 1010: "one thousand ten", 99: "ninety nine"},
}


@pytest.mark.parametrize("lang,value,text", [(lang, v, t) for lang, table in NATURAL.items() for v, t in table.items()])
def test_numbers_read_naturally(lang, value, text):
    assert spoken(number_words(value, lang), lang) == text


def test_digit_by_digit_in_every_language():
    assert announcement("A012", 3, "vi", style="digits") == "Số A không một hai, mời đến quầy số ba"
    assert clips("A012", 3, "id", style="digits") == ["nomor", "A", "nol", "satu", "dua", "silakan ke loket", "tiga"]


@pytest.mark.parametrize("lang", LANGS)
def test_every_clip_of_every_call_is_on_the_list_to_record(lang):
    """What /voice lists is enough: every call of every number at counters 1-20 is made of its phrases and a letter."""
    listed = set(phrases(lang)) | set("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    for number in range(10000):
        for style in ("natural", "digits"):
            assert set(clips(f"A{number}", number % 20 + 1, lang, style)) <= listed
    assert len(phrases(lang)) == len(set(phrases(lang)))       # nothing to record twice
    assert len(vocabulary(lang)) <= 38                          # a morning's work, not an afternoon's


def test_small_vocabularies_where_the_language_allows():
    # Syllable by syllable where joining does not change the sound; Mandarin keeps 一百 whole (一 changes tone).
    assert {lang: len(vocabulary(lang)) for lang in LANGS} == {"zh-TW": 38, "en": 30, "fil": 30, "vi": 17, "id": 18,
                                                               "th": 15}


def test_a_call_carries_every_language():
    found = for_call("A105", 3)
    assert set(found) == {"announcement", "lines", "clips"}
    assert all(set(found[part]) == set(LANGS) for part in found)
    assert found["clips"]["vi"] == ["số", "A", "một", "trăm", "lẻ", "năm", "mời đến quầy số", "ba"]
    with pytest.raises(ValueError):
        for_call("<b>A1</b>", 3)

"""
Numbers as the lobby display says them, in each language it speaks
==================================================================

Pure functions, no I/O.  :func:`number_words` gives a number 0 … 9999 as a
list of words, each one a short recording the office can make once
(``office/voice.py``): the lobby display plays a call by joining these clips,
and the speech engine reads the same words joined (:func:`spoken`).

Numbers are read as people say them (``natural``, FQM issue #174 in
shared/reference/peers.md: not "A-zero-zero-one-two"), leading zeros dropped,
with each language's own rules:

* ``zh-TW``: 0 零, 10 十, 12 十二, 105 一百零五, 110 一百一十, 1001 一千零一 (one 零 for a run of zeros
  inside, none at the end; 十 alone at the start, 一十 inside; 二, never 兩).  A clip is a digit, 零, 十 or a digit
  with its unit (一百, 二十): Mandarin changes the tone of 一 before 百 and 千, so 一百 is recorded whole;
* ``en``: one hundred five (American, no "and"): clips ``one``, ``hundred``, ``five``;
* ``fil``: the English numbers too: Filipinos say queue numbers, counters and prices in English (Tagalog's
  "isang daan at lima" is not what a clerk calls out);
* ``vi``: một trăm lẻ năm, hai mươi mốt, mười lăm, hai mươi bốn, một ngàn không trăm lẻ năm: the southern
  words (lẻ, ngàn), as most Vietnamese residents of Taiwan come from the south; a reviewer may choose linh and
  nghìn (README "Languages").  One clip per syllable (no sandhi between them);
* ``id``: seratus lima, sebelas, dua belas, dua puluh satu, seribu, dua ribu;
* ``th``: หนึ่งร้อยห้า, สิบเอ็ด, ยี่สิบเอ็ด, ร้อย and พัน after their digit; one clip per syllable
  (ยี่สิบ whole: ยี่ is never said alone).

``digits`` style reads each digit instead: A012 → A zero one two.
"""

from __future__ import annotations

import functools
from typing import Dict, List, Tuple

from protocol.languages import LANGUAGES

__all__ = ["LANGS", "number_words", "digit_words", "spoken", "vocabulary", "zh_numeral", "zh_numeral_clips",
           "check_number"]

#: The languages the display can speak, in the order the office's staff pages list them.
LANGS = LANGUAGES

ZH_DIGITS = "零一二三四五六七八九"
_ZH_UNITS = ((1000, "千"), (100, "百"), (10, "十"))
_EN_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
            "sixteen seventeen eighteen nineteen").split()
_EN_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_VI_DIGITS = "không một hai ba bốn năm sáu bảy tám chín".split()
_ID_DIGITS = "nol satu dua tiga empat lima enam tujuh delapan sembilan".split()
_TH_DIGITS = "ศูนย์ หนึ่ง สอง สาม สี่ ห้า หก เจ็ด แปด เก้า".split()
#: Each language's digit words, for the ``digits`` style.
DIGIT_WORDS: Dict[str, List[str]] = {"zh-TW": list(ZH_DIGITS), "en": _EN_ONES[:10], "fil": _EN_ONES[:10],
                                     "vi": _VI_DIGITS, "id": _ID_DIGITS, "th": _TH_DIGITS}
#: How :func:`spoken` joins the words: Mandarin and Thai write numbers without spaces.
_JOINER = {"zh-TW": "", "th": ""}


def check_number(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 9999:
        raise ValueError(f"a number to read must be a whole number 0-9999, got {value!r}")
    return value


def zh_numeral_clips(value: int) -> List[str]:
    """The Mandarin numeral of ``value`` as clips: 105 → ["一百", "零", "五"], 12 → ["十", "二"], 0 → ["零"]."""
    check_number(value)
    if value == 0:
        return ["零"]
    parts: List[str] = []
    rest, gap = value, False
    for unit, name in _ZH_UNITS:
        digit, rest = divmod(rest, unit)
        if digit:
            if gap and parts:
                parts.append("零")
            # 十 alone at the start (十二), 一十 inside a number (一百一十).
            parts.append(name if (unit == 10 and digit == 1 and not parts) else ZH_DIGITS[digit] + name)
            gap = False
        else:
            gap = True
    if rest:
        if gap and parts:
            parts.append("零")
        parts.append(ZH_DIGITS[rest])
    return parts


def zh_numeral(value: int) -> str:
    """``value`` in Mandarin numerals: 0 零, 10 十, 11 十一, 20 二十, 101 一百零一, 110 一百一十, 1000 一千."""
    return "".join(zh_numeral_clips(value))


def _en(value: int) -> List[str]:
    if value < 20:
        return [_EN_ONES[value]]
    words: List[str] = []
    thousands, rest = divmod(value, 1000)
    hundreds, rest = divmod(rest, 100)
    if thousands:
        words += [_EN_ONES[thousands], "thousand"]
    if hundreds:
        words += [_EN_ONES[hundreds], "hundred"]
    if rest >= 20:
        words.append(_EN_TENS[rest // 10])
        rest %= 10
    if rest:
        words.append(_EN_ONES[rest])
    return words


def _vi(value: int) -> List[str]:
    if value == 0:
        return ["không"]
    thousands, rest = divmod(value, 1000)
    hundreds, rest = divmod(rest, 100)
    words: List[str] = []
    if thousands:
        words += [_VI_DIGITS[thousands], "ngàn"]
    if hundreds or (thousands and rest):
        words += [_VI_DIGITS[hundreds], "trăm"]      # 1005: một ngàn không trăm lẻ năm
    tens, ones = divmod(rest, 10)
    if tens == 0:
        if ones:
            words += (["lẻ"] if words else []) + [_VI_DIGITS[ones]]
        return words
    words += ["mười"] if tens == 1 else [_VI_DIGITS[tens], "mươi"]
    if ones == 5:
        words.append("lăm")                          # mười lăm, hai mươi lăm
    elif ones == 1 and tens > 1:
        words.append("mốt")                          # hai mươi mốt, but mười một
    elif ones:
        words.append(_VI_DIGITS[ones])
    return words


def _id(value: int) -> List[str]:
    if value == 0:
        return ["nol"]
    thousands, rest = divmod(value, 1000)
    hundreds, rest = divmod(rest, 100)
    words: List[str] = []
    if thousands:
        words += ["seribu"] if thousands == 1 else [_ID_DIGITS[thousands], "ribu"]
    if hundreds:
        words += ["seratus"] if hundreds == 1 else [_ID_DIGITS[hundreds], "ratus"]
    tens, ones = divmod(rest, 10)
    if rest == 10:
        words.append("sepuluh")
    elif rest == 11:
        words.append("sebelas")
    elif tens == 1:
        words += [_ID_DIGITS[ones], "belas"]
    else:
        if tens:
            words += [_ID_DIGITS[tens], "puluh"]
        if ones:
            words.append(_ID_DIGITS[ones])
    return words


def _th(value: int) -> List[str]:
    if value == 0:
        return ["ศูนย์"]
    thousands, rest = divmod(value, 1000)
    hundreds, rest = divmod(rest, 100)
    tens, ones = divmod(rest, 10)
    words: List[str] = []
    if thousands:
        words += [_TH_DIGITS[thousands], "พัน"]
    if hundreds:
        words += [_TH_DIGITS[hundreds], "ร้อย"]
    if tens == 1:
        words.append("สิบ")
    elif tens == 2:
        words.append("ยี่สิบ")
    elif tens:
        words += [_TH_DIGITS[tens], "สิบ"]
    if ones:
        words.append("เอ็ด" if ones == 1 and value > 10 else _TH_DIGITS[ones])   # สิบเอ็ด, ร้อยเอ็ด
    return words


_READERS = {"zh-TW": zh_numeral_clips, "en": _en, "fil": _en, "vi": _vi, "id": _id, "th": _th}


def _check_lang(lang: str) -> None:
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {', '.join(LANGS)}, got {lang!r}")


def number_words(value: int, lang: str) -> List[str]:
    """``value`` (0 … 9999) read naturally in ``lang``, one clip a word: 105 in vi → một, trăm, lẻ, năm."""
    _check_lang(lang)
    return _READERS[lang](check_number(value))


def digit_words(digits: str, lang: str) -> List[str]:
    """Each digit of ``digits`` ("012") as its word in ``lang``: zero, one, two."""
    _check_lang(lang)
    if not digits.isdigit() or not digits.isascii():
        raise ValueError(f"digits must be 0-9, got {digits!r}")
    return [DIGIT_WORDS[lang][int(d)] for d in digits]


def spoken(words: List[str], lang: str) -> str:
    """The words as one written number for a speech engine: 一百零五, หนึ่งร้อยห้า, một trăm lẻ năm."""
    return _JOINER.get(lang, " ").join(words)


def vocabulary(lang: str) -> List[str]:
    """Every word any number 0 … 9999 needs in ``lang``, in the order counting meets them (digits first)."""
    _check_lang(lang)
    return list(_vocabulary(lang))


@functools.lru_cache(maxsize=None)
def _vocabulary(lang: str) -> Tuple[str, ...]:
    seen: Dict[str, None] = dict.fromkeys(DIGIT_WORDS[lang])
    for value in range(10000):
        seen.update(dict.fromkeys(_READERS[lang](value)))
    return tuple(seen)

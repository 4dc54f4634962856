"""
What the lobby display says when a number is called
===================================================

Pure functions, no I/O.  :func:`announcement` gives the text a speech engine
reads; :func:`clips` gives the same sentence as a list of short recordings, for
a display that concatenates pre-generated audio instead of running a
text-to-speech engine.

``style="natural"`` (the default) reads numbers as people say them, not
"A-zero-zero-one-two" (FQM issue #174 in shared/reference/peers.md):

* the ticket's letter is spoken as the letter (``A``);
* its digits, leading zeros dropped, as a Mandarin numeral: 0 零, 7 七,
  10 十, 11 十一, 20 二十, 100 一百, 101 一百零一, 105 一百零五, 110 一百一十,
  999 九百九十九, 1000 一千, 1001 一千零一, 1010 一千零一十 (one 零 for
  any run of zeros inside the number, none at its end; 一十 inside a
  number, 十 alone at its start; 二 everywhere, never 兩);
* the counter number likewise.

``請 A012 號 到 3 號櫃檯`` is read ``請 A 十二 號 到 三 號 櫃檯``.

``style="digits"`` reads every digit, zeros included: ``請 A 零一二 號 到 三 號 櫃檯``
(the counter too: 12 → 一二).

``lang="en"``: ``Number A 12, please go to counter 3`` (natural), or with the
digits spaced (``Number A 0 1 2, please go to counter 3``); its clips are
English number words (``one hundred``, ``five``).

Numbers run 0 … 9999 (a ticket has at most four digits after its letter).
"""

from __future__ import annotations

import re
from typing import List, Tuple

__all__ = ["announcement", "clips", "zh_numeral", "zh_numeral_clips", "split_ticket", "display_text", "STYLES",
           "LANGS"]

STYLES = ("natural", "digits")
LANGS = ("zh-TW", "en")
DIGITS = "零一二三四五六七八九"
UNITS = ((1000, "千"), (100, "百"), (10, "十"))
_TICKET = re.compile(r"([A-Z]?)(\d{1,4})")
_EN_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
            "sixteen seventeen eighteen nineteen").split()
_EN_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def split_ticket(number: str) -> Tuple[str, int, str]:
    """``"A012"`` → ``("A", 12, "012")``: the letter (may be empty), the value, the digits as printed."""
    match = _TICKET.fullmatch(str(number).strip().upper())
    if not match:
        raise ValueError(f"a ticket number is a capital letter and 1-4 digits (A012), got {number!r}")
    return match.group(1), int(match.group(2)), match.group(2)


def _check(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 9999:
        raise ValueError(f"a number to read must be a whole number 0-9999, got {value!r}")
    return value


def zh_numeral_clips(value: int) -> List[str]:
    """The Mandarin numeral of ``value`` as clips: 105 → ["一百", "零", "五"], 12 → ["十", "二"], 0 → ["零"]."""
    _check(value)
    if value == 0:
        return ["零"]
    parts: List[str] = []
    rest, gap = value, False
    for unit, name in UNITS:
        digit, rest = divmod(rest, unit)
        if digit:
            if gap and parts:
                parts.append("零")
            # 十 alone at the start (十二), 一十 inside a number (一百一十).
            parts.append(name if (unit == 10 and digit == 1 and not parts) else DIGITS[digit] + name)
            gap = False
        else:
            gap = True
    if rest:
        if gap and parts:
            parts.append("零")
        parts.append(DIGITS[rest])
    return parts


def zh_numeral(value: int) -> str:
    """``value`` in Mandarin numerals: 0 零, 10 十, 11 十一, 20 二十, 101 一百零一, 110 一百一十, 1000 一千."""
    return "".join(zh_numeral_clips(value))


def _en_words(value: int) -> List[str]:
    _check(value)
    if value < 20:
        return [_EN_ONES[value]]
    words: List[str] = []
    thousands, rest = divmod(value, 1000)
    hundreds, rest = divmod(rest, 100)
    if thousands:
        words.append(f"{_EN_ONES[thousands]} thousand")
    if hundreds:
        words.append(f"{_EN_ONES[hundreds]} hundred")
    if rest >= 20:
        words.append(_EN_TENS[rest // 10])
        rest %= 10
    if rest:
        words.append(_EN_ONES[rest])
    return words


def _number_clips(digits: str, lang: str, style: str) -> List[str]:
    if style == "digits":
        return [DIGITS[int(d)] if lang == "zh-TW" else _EN_ONES[int(d)] for d in digits]
    return zh_numeral_clips(int(digits)) if lang == "zh-TW" else _en_words(int(digits))


def _check_options(lang: str, style: str) -> None:
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {', '.join(LANGS)}, got {lang!r}")
    if style not in STYLES:
        raise ValueError(f"style must be one of {', '.join(STYLES)}, got {style!r}")


def _counter_digits(counter) -> str:
    if isinstance(counter, bool) or not isinstance(counter, (int, str)) or not str(counter).isdigit():
        raise ValueError(f"a counter is a whole number 0-9999, got {counter!r}")
    _check(int(counter))
    return str(counter) if isinstance(counter, str) else str(int(counter))


def announcement(number: str, counter, lang: str = "zh-TW", style: str = "natural") -> str:
    """What to say when ``number`` (``"A012"``) is called to ``counter`` (``3``).

    >>> announcement("A105", 3)
    '請 A 一百零五 號 到 三 號 櫃檯'
    >>> announcement("A012", 3, style="digits")
    '請 A 零一二 號 到 三 號 櫃檯'
    >>> announcement("A105", 3, lang="en")
    'Number A 105, please go to counter 3'
    """
    _check_options(lang, style)
    letter, value, digits = split_ticket(number)
    counter_digits = _counter_digits(counter)
    if lang == "en":
        if style == "digits":
            said, place = " ".join(digits), " ".join(counter_digits)
        else:
            said, place = str(value), str(int(counter_digits))
        return f"Number {letter + ' ' if letter else ''}{said}, please go to counter {place}"
    said = "".join(_number_clips(digits, lang, style))
    place = "".join(_number_clips(counter_digits, lang, style))
    return f"請 {letter + ' ' if letter else ''}{said} 號 到 {place} 號 櫃檯"


def clips(number: str, counter, lang: str = "zh-TW", style: str = "natural") -> List[str]:
    """The recordings to play one after the other for :func:`announcement`.

    zh-TW: ``請``, the letter, the number's clips (``一百``, ``零``, ``五``; every clip is a digit 一…九, 零, 十, or a
    digit with its unit: 二十, 三百, 四千), ``號``, ``到``, the counter's clips, ``號櫃檯``.
    en: ``number``, the letter, number words (``one hundred``, ``five``; digit by digit in ``digits`` style),
    ``please go to counter``, the counter's words.
    """
    _check_options(lang, style)
    letter, _value, digits = split_ticket(number)
    counter_digits = _counter_digits(counter)
    head = [letter] if letter else []
    if lang == "en":
        return (["number"] + head + _number_clips(digits, lang, style) + ["please go to counter"]
                + _number_clips(counter_digits, lang, style))
    return (["請"] + head + _number_clips(digits, lang, style) + ["號", "到"]
            + _number_clips(counter_digits, lang, style) + ["號櫃檯"])


def display_text(number: str, counter, lang: str = "zh-TW") -> str:
    """The line the lobby display shows (not speaks): ``請 A012 號 到 3 號櫃檯`` / ``A012 → counter 3``."""
    number = str(number).strip().upper()
    split_ticket(number)
    counter_digits = _counter_digits(counter)
    if lang == "en":
        return f"{number} → counter {int(counter_digits)}"
    return f"請 {number} 號 到 {int(counter_digits)} 號櫃檯"

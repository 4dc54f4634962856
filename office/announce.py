"""
What the lobby display says when a number is called
===================================================

Pure functions, no I/O, one sentence per language the display can speak
(:data:`LANGS`: zh-TW, en, vi, id, th, fil; the office chooses which, in order,
on ``/voice``: ``office/voice.py``).  :func:`announcement` gives the text a
speech engine reads; :func:`clips` the same sentence as the short recordings to
play one after the other (the office records them on ``/voice``);
:func:`display_text` the line written on the screen.  The numbers are read by
``office/numerals.py`` (naturally: ``A105`` is "A one hundred five", 請 A
一百零五 號).

=====  ==========================================  ==========================================
lang   written (:func:`display_text`)              clips: the head, letter, number, the middle, counter
=====  ==========================================  ==========================================
zh-TW  請 A105 號 到 3 號櫃檯                      請 A 一百 零 五 號 到 三 號櫃檯
en     Number A105, please go to counter 3         number A one hundred five / please go to counter / three
vi     Số A105, mời đến quầy số 3                  số A một trăm lẻ năm / mời đến quầy số / ba
id     Nomor A105, silakan ke loket 3              nomor A seratus lima / silakan ke loket / tiga
th     หมายเลข A105 เชิญที่ช่องบริการ 3            หมายเลข A หนึ่ง ร้อย ห้า / เชิญที่ช่องบริการ / สาม
fil    Numero A105, pumunta po sa counter 3        numero A one hundred five / pumunta po sa counter / three
=====  ==========================================  ==========================================

The words for "counter" are the office's glossary's (kiosk/locale/glossary.md: quầy, loket, ช่องบริการ,
counter), kept here because the office never imports the kiosk; like the kiosk's catalogues they are drafts
until a native speaker at the office reviews them.

``style="digits"`` reads every digit instead, zeros included: 請 A 零一二 號 到 三 號 櫃檯.

Numbers run 0 … 9999 (a ticket has at most four digits after its letter).
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Tuple

from .numerals import LANGS, digit_words, number_words, spoken, vocabulary

__all__ = ["announcement", "clips", "split_ticket", "display_text", "for_call", "phrases", "letters", "STYLES",
           "LANGS", "PHRASES"]

STYLES = ("natural", "digits")
_TICKET = re.compile(r"([A-Z]?)(\d{1,4})")
#: Each language's sentence around the two numbers: (the head, the words before the counter, after it),
#: written and as clips.  zh-TW says 號 after the ticket and 號櫃檯 after the counter.
PHRASES: Dict[str, Dict[str, Any]] = {
    "zh-TW": {"clips": ("請", "號", "到", "號櫃檯")},
    "en": {"head": "Number", "middle": "please go to counter"},
    "vi": {"head": "Số", "middle": "mời đến quầy số"},
    "id": {"head": "Nomor", "middle": "silakan ke loket"},
    "th": {"head": "หมายเลข", "middle": "เชิญที่ช่องบริการ"},
    "fil": {"head": "Numero", "middle": "pumunta po sa counter"},
}
#: What a speech engine is asked for, per language (BCP 47, as speechSynthesis voices name them).
SPEECH_LANG = {"zh-TW": "zh-TW", "en": "en-US", "vi": "vi-VN", "id": "id-ID", "th": "th-TH", "fil": "fil-PH"}


def split_ticket(number: str) -> Tuple[str, int, str]:
    """``"A012"`` → ``("A", 12, "012")``: the letter (may be empty), the value, the digits as printed."""
    match = _TICKET.fullmatch(str(number).strip().upper())
    if not match:
        raise ValueError(f"a ticket number is a capital letter and 1-4 digits (A012), got {number!r}")
    return match.group(1), int(match.group(2)), match.group(2)


def _check_options(lang: str, style: str) -> None:
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {', '.join(LANGS)}, got {lang!r}")
    if style not in STYLES:
        raise ValueError(f"style must be one of {', '.join(STYLES)}, got {style!r}")


def _counter_digits(counter) -> str:
    if isinstance(counter, bool) or not isinstance(counter, (int, str)) or not str(counter).isdigit():
        raise ValueError(f"a counter is a whole number 0-9999, got {counter!r}")
    if not 0 <= int(counter) <= 9999:
        raise ValueError(f"a counter is a whole number 0-9999, got {counter!r}")
    return str(counter) if isinstance(counter, str) else str(int(counter))


def _words(digits: str, lang: str, style: str) -> List[str]:
    return digit_words(digits, lang) if style == "digits" else number_words(int(digits), lang)


def _counter_words(counter_digits: str, lang: str, style: str) -> List[str]:
    # A counter is a small number: natural in either style, digit by digit only in ``digits`` style (12 → 一二).
    return _words(counter_digits if style == "digits" else str(int(counter_digits)), lang, style)


def announcement(number: str, counter, lang: str = "zh-TW", style: str = "natural") -> str:
    """What a speech engine reads when ``number`` (``"A012"``) is called to ``counter`` (``3``).

    >>> announcement("A105", 3)
    '請 A 一百零五 號 到 三 號 櫃檯'
    >>> announcement("A012", 3, style="digits")
    '請 A 零一二 號 到 三 號 櫃檯'
    >>> announcement("A105", 3, lang="en")
    'Number A 105, please go to counter 3'
    >>> announcement("A105", 3, lang="vi")
    'Số A một trăm lẻ năm, mời đến quầy số ba'
    """
    _check_options(lang, style)
    letter, value, digits = split_ticket(number)
    counter_digits = _counter_digits(counter)
    head = letter + " " if letter else ""
    if lang == "en":  # English engines read figures as people say them (105: one hundred five)
        if style == "digits":
            said, place = " ".join(digits), " ".join(counter_digits)
        else:
            said, place = str(value), str(int(counter_digits))
        return f"Number {head}{said}, please go to counter {place}"
    # The other languages' engines differ in how they read figures (and fil's would read them in Tagalog):
    # the words themselves, the same as the clips.
    said = spoken(_words(digits, lang, style), lang)
    place = spoken(_counter_words(counter_digits, lang, style), lang)
    if lang == "zh-TW":
        return f"請 {head}{said} 號 到 {place} 號 櫃檯"
    texts = PHRASES[lang]
    comma = "" if lang == "th" else ","  # Thai marks the pause with a space, not a comma
    return f"{texts['head']} {head}{said}{comma} {texts['middle']} {place}"


def clips(number: str, counter, lang: str = "zh-TW", style: str = "natural") -> List[str]:
    """The recordings to play one after the other for :func:`announcement`, each a key of :func:`phrases`.

    zh-TW: ``請``, the letter, the number's clips (``一百``, ``零``, ``五``), ``號``, ``到``, the counter's,
    ``號櫃檯``.  The others: the head word lower-cased (``số``), the letter, the number's words, the middle
    (``mời đến quầy số``), the counter's words.
    """
    _check_options(lang, style)
    letter, _value, digits = split_ticket(number)
    counter_digits = _counter_digits(counter)
    head = [letter] if letter else []
    said, place = _words(digits, lang, style), _counter_words(counter_digits, lang, style)
    if lang == "zh-TW":
        please, number_word, to, counter_word = PHRASES[lang]["clips"]
        return [please] + head + said + [number_word, to] + place + [counter_word]
    texts = PHRASES[lang]
    return [texts["head"].lower()] + head + said + [texts["middle"]] + place


def display_text(number: str, counter, lang: str = "zh-TW") -> str:
    """The line the lobby display shows (not speaks): ``請 A012 號 到 3 號櫃檯``, ``Số A012, mời đến quầy số 3``."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {', '.join(LANGS)}, got {lang!r}")
    number = str(number).strip().upper()
    split_ticket(number)
    place = int(_counter_digits(counter))
    if lang == "zh-TW":
        return f"請 {number} 號 到 {place} 號櫃檯"
    texts = PHRASES[lang]
    comma = "" if lang == "th" else ","
    return f"{texts['head']} {number}{comma} {texts['middle']} {place}"


def letters() -> List[str]:
    """The letters a service prefix can be: A … Z."""
    return [chr(c) for c in range(ord("A"), ord("Z") + 1)]


def phrases(lang: str) -> List[str]:
    """The words and phrases (not the letters) any call in ``lang`` is made of: what the office records."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {', '.join(LANGS)}, got {lang!r}")
    if lang == "zh-TW":
        sentence = list(PHRASES[lang]["clips"])
    else:
        sentence = [PHRASES[lang]["head"].lower(), PHRASES[lang]["middle"]]
    return sentence + vocabulary(lang)


def for_call(number: str, counter) -> Dict[str, Any]:
    """A call's words in every language, for the display's event: ``announcement`` (for speech), ``lines``
    (written) and ``clips`` (to record and play), each language -> value.  ValueError for a number no kiosk
    prints."""
    return {"announcement": {lang: announcement(number, counter, lang) for lang in LANGS},
            "lines": {lang: display_text(number, counter, lang) for lang in LANGS},
            "clips": {lang: clips(number, counter, lang) for lang in LANGS}}

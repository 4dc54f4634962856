"""
The marquee's announcements on the wire
=======================================

The office sends its kiosks announcements for the marquee strip (電子字幕機) in
the config answer (``GET /api/v1/kiosks/{id}/config``, office/PROTOCOL.md).  An
announcement has a text per language: Chinese (zh-TW) always, the others when
the office wrote one; a kiosk shows one without a text in its screen's language
in Chinese.

On the wire each language is one list, all of the same length and order:
``announcements`` (Chinese, each non-empty), ``announcements_en``,
``announcements_vi``, ``announcements_id``, ``announcements_th``,
``announcements_fil`` (``""``: no text in that language).  Lists, not a list
of objects, so that ``announcements`` stays what it always was, and a kiosk
that knows fewer languages reads the ones it knows; a server that knows fewer
leaves the others out, which reads as no texts.

:func:`answer_members` writes the lists (the office), :func:`read_answer`
reads and checks them (the kiosk: ValueError naming what is wrong).
"""

from __future__ import annotations

from typing import Dict, List, Mapping, Sequence

from . import languages

__all__ = ["LANGUAGES", "MAX_ANNOUNCEMENTS", "MAX_CHARS", "Announcement", "member", "answer_members",
           "read_answer"]

#: The languages an announcement may have a text in, the required one (Chinese) first.
LANGUAGES = languages.LANGUAGES
#: At most this many announcements, each text at most this many characters: twenty 200-character
#: texts already take minutes to scroll by.  A kiosk refuses an answer beyond them.
MAX_ANNOUNCEMENTS = 20
MAX_CHARS = 200

Announcement = Dict[str, str]  # language -> text; "zh-TW" always there, no empty texts


def member(lang: str) -> str:
    """The config answer's member holding the texts of ``lang``: ``announcements`` for Chinese,
    ``announcements_<lang>`` for the others (``announcements_fil``)."""
    return "announcements" if lang == "zh-TW" else f"announcements_{lang}"


def answer_members(announcements: Sequence[Mapping[str, str]]) -> Dict[str, List[str]]:
    """The answer's members for these announcements: one list per language, ``""`` for a missing text."""
    return {member(lang): [item.get(lang, "") for item in announcements] for lang in LANGUAGES}


def read_answer(answer: Mapping) -> List[Announcement]:
    """The announcements of a config answer (or what a kiosk kept of one), checked.

    A member left out is no text in that language (an older server sends only
    ``announcements`` and ``announcements_en``).  ValueError naming the member
    and item: not a list of strings, beyond the limits, more texts in a language
    than in Chinese, an empty Chinese text.
    """
    columns = {}
    for lang in LANGUAGES:
        name, texts = member(lang), answer.get(member(lang), [])
        if not isinstance(texts, list):
            raise ValueError(f"{name} must be a list of strings, got {type(texts).__name__}")
        if len(texts) > MAX_ANNOUNCEMENTS:
            raise ValueError(f"{name} has {len(texts)} items, at most {MAX_ANNOUNCEMENTS}")
        for number, text in enumerate(texts, start=1):
            if not isinstance(text, str):
                raise ValueError(f"{name} item {number} must be a string, got {type(text).__name__}")
            if len(text) > MAX_CHARS:
                raise ValueError(f"{name} item {number} has {len(text)} characters, at most {MAX_CHARS}")
        columns[lang] = texts
    chinese = columns["zh-TW"]
    for lang in LANGUAGES[1:]:
        if len(columns[lang]) > len(chinese):
            raise ValueError(f"{member(lang)} has {len(columns[lang])} items but announcements {len(chinese)}")
    blank = [number for number, text in enumerate(chinese, start=1) if not text.strip()]
    if blank:
        raise ValueError(f"announcements item {blank[0]} is empty")
    return [{lang: columns[lang][i] for lang in LANGUAGES if i < len(columns[lang]) and columns[lang][i].strip()}
            for i in range(len(chinese))]

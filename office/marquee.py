"""
The marquee announcements the office sends its kiosks
=====================================================

An announcement is one item with a text per language of the kiosk's screens:
Chinese (``zh-TW``) required; English, Tiếng Việt, Bahasa Indonesia, ภาษาไทย
and Filipino optional.  A kiosk shows an item without a text in its screen's
language in Chinese.

The same items in three forms:

* what staff type (the ``/settings`` page, ``kiosk-office config set``),
  checked by :func:`check`: every problem in Chinese, naming the row and the
  language (「第 2 則的越南文（Tiếng Việt）超過 200 字」);
* what the database keeps (``office_config.announcements``, JSON): a list of
  objects ``{"zh-TW": ..., "en": ..., "vi": ...}`` (a language left out has no
  text); the older list of Chinese strings still reads, as items without
  translations, and so do the objects of the two-language server: a language
  more is a key more, no migration;
* what the kiosks get (``GET /api/v1/kiosks/{id}/config``, :func:`answer`):
  one list per language, ``announcements`` (Chinese), ``announcements_en``,
  ``announcements_vi``…, the same length, ``""`` where an item has no text
  (protocol/announcements.py; office/PROTOCOL.md says why lists).
"""

from __future__ import annotations

import json
from typing import Dict, List, Mapping, NamedTuple, Optional, Sequence, Tuple

from protocol import announcements as wire

__all__ = ["LANGUAGES", "LANGUAGE_NAMES", "NATIVE_NAMES", "MAX_ANNOUNCEMENTS", "MAX_CHARS", "Problem", "check",
           "items", "from_stored", "stored", "answer", "rows"]

#: Languages an announcement has a text in, the required one first: the kiosk's screens' (the protocol's).
LANGUAGES = wire.LANGUAGES
#: How the Chinese problems name each language (staff read Chinese), and how the page labels each input:
#: in its own script, as the kiosk's language row names it, so whoever translates finds their language.
LANGUAGE_NAMES = {"zh-TW": "中文", "en": "英文", "vi": "越南文（Tiếng Việt）", "id": "印尼文（Bahasa Indonesia）",
                  "th": "泰文（ภาษาไทย）", "fil": "菲律賓文（Filipino）"}
NATIVE_NAMES = {"zh-TW": "中文", "en": "English", "vi": "Tiếng Việt", "id": "Bahasa Indonesia", "th": "ภาษาไทย",
                "fil": "Filipino"}
#: The protocol's limits: a kiosk refuses an answer beyond them.
MAX_ANNOUNCEMENTS = wire.MAX_ANNOUNCEMENTS
MAX_CHARS = wire.MAX_CHARS

Announcement = wire.Announcement  # language -> text; "zh-TW" always present, no empty texts


class Problem(NamedTuple):
    """Something wrong with what staff typed: ``row`` counts from 1 (None: the whole list); ``lang``: the
    text at fault (None: the row or the list)."""

    row: Optional[int]
    text: str
    lang: Optional[str] = None

    def __str__(self) -> str:
        return self.text


def check(typed: Sequence[Mapping[str, str]],
          blank_rows: bool = True) -> Tuple[List[Announcement], List[Problem]]:
    """The announcements in the rows staff typed (language -> text), and every problem with them.

    Texts are stripped.  A row blank in every language is left out when
    ``blank_rows`` (the page's spare rows), else it is a problem (an empty
    ``--announcement``).  Rows are numbered as staff see them, blank ones included.
    """
    found: List[Announcement] = []
    problems: List[Problem] = []
    for number, row in enumerate(typed, start=1):
        texts = {lang: (row.get(lang) or "").strip() for lang in LANGUAGES}
        if not any(texts.values()):
            if not blank_rows:
                problems.append(Problem(number, f"第 {number} 則是空白的：請填寫中文"))
            continue
        if not texts["zh-TW"]:
            problems.append(Problem(number, f"第 {number} 則沒有中文：中文必填，其他語言可空白", "zh-TW"))
        for lang, text in texts.items():
            name = LANGUAGE_NAMES[lang]
            if "\n" in text or "\r" in text:
                problems.append(Problem(number, f"第 {number} 則的{name}不可換行（跑馬燈只有一行）", lang))
            if len(text) > MAX_CHARS:
                problems.append(Problem(number, f"第 {number} 則的{name}超過 {MAX_CHARS} 字（{len(text)} 字）", lang))
        found.append({lang: text for lang, text in texts.items() if text})
    if len(found) > MAX_ANNOUNCEMENTS:
        problems.append(Problem(None, f"公告最多 {MAX_ANNOUNCEMENTS} 則，這裡有 {len(found)} 則"))
    return found, problems


def items(value: Sequence) -> List[Announcement]:
    """Announcements given in code (``Database.set_config``): Chinese strings, or objects with a text per
    language; checked as staff input is.  ValueError naming what is wrong."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise ValueError(f"announcements must be a list, got {type(value).__name__}")
    typed = []
    for number, item in enumerate(value, start=1):
        if isinstance(item, str):
            item = {"zh-TW": item}
        if not isinstance(item, Mapping) or not all(isinstance(t, str) for t in item.values()):
            raise ValueError(f"announcement {number}: a string or an object of strings per language, got {item!r}")
        unknown = sorted(set(item) - set(LANGUAGES))
        if unknown:
            raise ValueError(f"announcement {number}: unknown language {', '.join(unknown)}; known: "
                             f"{', '.join(LANGUAGES)}")
        typed.append(item)
    found, problems = check(typed, blank_rows=False)
    if problems:
        raise ValueError("；".join(map(str, problems)))
    return found


def stored(announcements: Sequence[Announcement]) -> str:
    """The database's JSON for checked announcements."""
    return json.dumps(list(announcements), ensure_ascii=False, separators=(",", ":"))


def from_stored(text: str) -> List[Announcement]:
    """Announcements from the database's JSON: a list of objects, or the older list of Chinese strings."""
    found = [{"zh-TW": item} if isinstance(item, str) else {lang: item[lang] for lang in LANGUAGES if item.get(lang)}
             for item in json.loads(text)]
    return [item for item in found if item.get("zh-TW")]  # an older CLI let "" through: a kiosk refuses it


def answer(announcements: Sequence[Announcement]) -> Dict[str, List[str]]:
    """The config answer's members: one list per language, the same length, ``""`` for a missing text."""
    return wire.answer_members(announcements)


def rows(config: Mapping[str, List[str]]) -> List[Announcement]:
    """The items of a config answer (``Database.config_for``), one per row, for the settings page."""
    return wire.read_answer(config)

"""
The marquee announcements the office sends its kiosks
=====================================================

An announcement is one item with a text per language: Chinese (``zh-TW``)
required, English optional.  Issue 19 adds vi, id, th and fil the same way:
one more key per item here, one more list in the config answer; a kiosk shows
an item without a translation in Chinese.

The same items in three forms:

* what staff type (the ``/settings`` table, ``kiosk-office config set``),
  checked by :func:`check`: every problem in Chinese, naming the row and the
  language (「第 2 則的英文超過 200 字」);
* what the database keeps (``office_config.announcements``, JSON): a list of
  objects ``{"zh-TW": ..., "en": ...}`` (a language left out has no text);
  the older list of Chinese strings still reads, as items without English;
* what the kiosks get (``GET /api/v1/kiosks/{id}/config``, :func:`answer`):
  ``announcements``, the Chinese texts, and ``announcements_en``, the same
  length, ``""`` where an item has no English (office/PROTOCOL.md says why two
  lists rather than a list of objects).
"""

from __future__ import annotations

import json
from typing import Dict, List, Mapping, NamedTuple, Optional, Sequence, Tuple

__all__ = ["LANGUAGES", "MAX_ANNOUNCEMENTS", "MAX_CHARS", "Problem", "check", "items", "from_stored", "stored",
           "answer", "rows"]

#: Languages an announcement has a text in, the required one first.
LANGUAGES = ("zh-TW", "en")
LANGUAGE_NAMES = {"zh-TW": "中文", "en": "英文"}
#: The protocol's limits (office/PROTOCOL.md); kiosk/office_sync.py refuses an answer beyond them,
#: so raise them there too.  Twenty 200-character texts already take minutes to scroll by.
MAX_ANNOUNCEMENTS = 20
MAX_CHARS = 200

Announcement = Dict[str, str]  # language -> text; "zh-TW" always present, no empty texts


class Problem(NamedTuple):
    """Something wrong with what staff typed: ``row`` counts from 1 (None: the whole list)."""

    row: Optional[int]
    text: str

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
            problems.append(Problem(number, f"第 {number} 則沒有中文：中文必填，英文可空白"))
        for lang, text in texts.items():
            name = LANGUAGE_NAMES[lang]
            if "\n" in text or "\r" in text:
                problems.append(Problem(number, f"第 {number} 則的{name}不可換行（跑馬燈只有一行）"))
            if len(text) > MAX_CHARS:
                problems.append(Problem(number, f"第 {number} 則的{name}超過 {MAX_CHARS} 字（{len(text)} 字）"))
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
    return {"announcements": [item["zh-TW"] for item in announcements],
            "announcements_en": [item.get("en", "") for item in announcements]}


def rows(config: Mapping[str, List[str]]) -> List[Announcement]:
    """The items of a config answer (``Database.config_for``), one per row, for the settings page."""
    chinese, english = config["announcements"], config["announcements_en"]
    return [{"zh-TW": text, "en": english[i] if i < len(english) else ""} for i, text in enumerate(chinese)]

"""
Texts in the residents' languages
=================================

A service's name, a forms category's title, a form's title and description are
written in Chinese (``name``, ``title``, ``description``) and English (``…_en``),
both required, and optionally in the other languages the kiosk speaks, one key
per language: ``name_vi``, ``title_th``, ``description_fil``…  (flat keys, like
``name_en``: a technician copies a line and changes its ending).

:func:`pick` is the rule every screen, slip and page follows: the language's own
text; Chinese for zh-TW; English for a language without one, because a
Vietnamese or Indonesian reader in Taiwan more likely reads English than
Chinese.  :func:`translation_problems` checks the keys of one entry.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

__all__ = ["LANGUAGES", "OTHER_LANGUAGES", "Texts", "pick", "translations", "translation_problems", "translation_keys", "as_dict",
           "unknown_language"]

#: The languages with optional texts, beyond zh-TW and en.
OTHER_LANGUAGES = ("vi", "id", "th", "fil")
#: Every language the kiosk, its phone page and the lobby's voice speak, in the order they are offered:
#: Chinese (every text has it), English (the second text of everything), then the new residents' languages.
LANGUAGES = ("zh-TW", "en") + OTHER_LANGUAGES

#: A language's texts as ``((lang, text), ...)`` in OTHER_LANGUAGES' order: hashable, so Service and Form stay frozen.
Texts = Tuple[Tuple[str, str], ...]

#: Anything that looks like a per-language key: ``title_ja``, ``name_zh-TW``, ``description_vn``.
_LANG_KEY = re.compile(r"(?P<base>[a-z]+)_(?P<lang>[A-Za-z]{2,3}(?:[-_][A-Za-z]{2,4})?)")


def translation_keys(base: str) -> Tuple[str, ...]:
    """``name`` -> ``("name_vi", "name_id", "name_th", "name_fil")``."""
    return tuple(f"{base}_{lang}" for lang in OTHER_LANGUAGES)


def pick(lang: str, zh: str, en: str, texts: Texts) -> str:
    """The text for a reader of ``lang``: its own, Chinese for zh-TW, else English."""
    if lang == "zh-TW":
        return zh
    if lang != "en":
        for have, text in texts:
            if have == lang and text:
                return text
    return en


def translations(entry: Mapping[str, Any], base: str) -> Texts:
    """The per-language texts of ``base`` in a checked entry, stripped, in NFC (as a screen and a printer want them)."""
    found = []
    for lang in OTHER_LANGUAGES:
        value = entry.get(f"{base}_{lang}")
        if isinstance(value, str) and value.strip():
            found.append((lang, unicodedata.normalize("NFC", value.strip())))
    return tuple(found)


def as_dict(texts: Texts) -> Dict[str, str]:
    return dict(texts)


def unknown_language(key: str, bases: Iterable[str]) -> Optional[str]:
    """The problem with ``key`` if it is a per-language key of one of ``bases`` in a language with no texts; else None."""
    match = _LANG_KEY.fullmatch(key)
    if not match or match["base"] not in bases or match["lang"] == "en" or match["lang"] in OTHER_LANGUAGES:
        return None
    base = match["base"]
    others = ", ".join(f"{lang} ({base}_{lang})" for lang in OTHER_LANGUAGES)
    return (f"the kiosk speaks no language {match['lang']!r}: {base} is written in zh-TW ({base}), en ({base}_en) "
            f"and, optionally, {others}")


def translation_problems(entry: Mapping[str, Any], bases: Iterable[str]) -> List[Tuple[str, str]]:
    """``(key, message)`` for each per-language key of ``bases`` in ``entry`` that is not one line of text."""
    problems = []
    for base in bases:
        for key in translation_keys(base):
            value = entry.get(key)
            if value is None:
                continue
            if not isinstance(value, str):
                problems.append((key, f"must be a string, got {value!r}"))
            elif "\n" in value:
                problems.append((key, "must be one line"))
    return problems

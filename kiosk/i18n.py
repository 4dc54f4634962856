"""
Messages
========

Every string the kiosk shows is a message, asked for by its key:
``messages(lang).text("home.ticket")``; nothing on screen is written in
Python or kv.  The messages are gettext catalogues a translator opens in
Poedit or Weblate (``kiosk/locale/README.md``):

- ``locale/kiosk.pot``: the template, one entry per key (``msgctxt``) with the
  English source text (``msgid``), its ``{placeholders}`` and a note for the
  translator; English is read from it;
- ``locale/<language>/LC_MESSAGES/kiosk.po``: one translation per language,
  read with Babel, plural forms included (``text(key, count=n)``).

A key a catalogue lacks, or has left untranslated or fuzzy, is shown in
English rather than blank; ``tests/test_i18n.py`` keeps the shipped
catalogues complete, their placeholders those of the source, and every key
the code asks for in the template.
"""

from __future__ import annotations

import gettext
import sys
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Callable, Dict, Optional, Tuple, Union

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from protocol import officetime

from .settings import LANGUAGES

__all__ = ["Messages", "messages", "unbreakable_words", "long_date", "LOCALE_DIR", "TEMPLATE", "SOURCE_LANGUAGE",
           "po_path", "ZWSP"]

#: Where a line may break in a script that puts no spaces between words (Thai): the translator marks the
#: word boundaries with it (kiosk/locale/README.md).  The screens drop it from the lines they draw.
ZWSP = "\u200b"

LOCALE_DIR = Path(__file__).with_name("locale")
TEMPLATE = LOCALE_DIR / "kiosk.pot"
#: The language of the template's msgids: it needs no catalogue of its own.
SOURCE_LANGUAGE = "en"

#: One text, or a plural entry's forms (as many as the language has).
Text = Union[str, Tuple[str, ...]]


def po_path(lang: str) -> Path:
    """Where the catalogue of ``lang`` (a kiosk language code: zh-TW) lives: locale/zh_TW/LC_MESSAGES/kiosk.po."""
    return LOCALE_DIR / lang.replace("-", "_") / "LC_MESSAGES" / "kiosk.po"


@dataclass
class Messages:
    """The messages of one language: key -> text (or a plural entry's forms)."""

    lang: str
    by_key: Dict[str, Text]
    plural: Callable[[int], int] = field(default=lambda n: int(n != 1))  # which form a count takes

    def text(self, key: str, count: Optional[int] = None, **values) -> str:
        """The message for ``key``, ``{name}`` placeholders filled in; ``count`` picks a plural entry's form
        (and fills ``{count}``)."""
        try:
            message = self.by_key[key]
        except KeyError:
            raise KeyError(f"no message {key!r} in {TEMPLATE}") from None
        if isinstance(message, tuple):
            if count is None:
                raise TypeError(f"message {key!r} has plural forms: give text() a count")
            message = message[min(self.plural(count), len(message) - 1)]
        if count is not None:
            values["count"] = count
        return message.format(**values) if values else message


@lru_cache(maxsize=None)
def _english(template: Path) -> Dict[str, Text]:
    """The template's English texts, read once for every language."""
    return _texts(_read(template), translated=False)


def _read(path: Path):
    from babel.messages.pofile import read_po  # imported on first use: 30 ms a command that shows nothing avoids

    with open(path, "rb") as fh:
        return read_po(fh)


def _texts(catalog, translated: bool) -> Dict[str, Text]:
    """key -> text of a catalogue: its translations (``translated``), else the template's English msgids."""
    texts: Dict[str, Text] = {}
    for entry in catalog:
        if not entry.id or entry.context is None:
            continue  # the header
        if translated:
            strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
            if entry.fuzzy or not all(strings):
                continue  # not translated yet: the English stands in (see Messages)
            texts[entry.context] = entry.string
        else:
            texts[entry.context] = tuple(entry.id) if isinstance(entry.id, (tuple, list)) else entry.id
    return texts


@lru_cache(maxsize=None)
def messages(lang: str) -> Messages:
    """The messages of a supported language (read once): its catalogue over the English source."""
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}; supported: {', '.join(LANGUAGES)}")
    english = _english(TEMPLATE)
    if lang == SOURCE_LANGUAGE:
        return Messages(lang, english)
    catalog = _read(po_path(lang))
    plural = gettext.c2py(catalog.plural_expr)  # the catalogue's own Plural-Forms rule
    return Messages(lang, {**english, **_texts(catalog, translated=True)}, plural)


@lru_cache(maxsize=None)
def unbreakable_words(lang: str) -> tuple:
    """The words a line never breaks inside, longest first (``locale/unbreakable.toml``).

    Chinese has no spaces, so a line may break between any two characters,
    except inside these words (身心障礙, 孕婦...).  The screens' wrapping
    (``kiosk/ui/widgets.py``) and the layout audit both read this one list.
    """
    with open(LOCALE_DIR / "unbreakable.toml", "rb") as fh:
        listed = tomllib.load(fh).get(lang, "")
    words = listed.split() if isinstance(listed, str) else listed  # a list where words have spaces (Vietnamese)
    return tuple(sorted(dict.fromkeys(words), key=len, reverse=True))


#: CLDR's date pattern for a language whose day-month-year with the month's name is too wide (long_date).
DATE_SKELETONS = {"vi": "yMd"}


def long_date(day: date, lang: str) -> str:
    """The header's date in ``lang``, with the ROC year Taiwan's forms use.

    Chinese: 民國115年12月8日（二）; English: Tue 8 Dec 2026 (ROC 115); the others in their own
    format from Babel's CLDR data (8 Des 2026 (Minguo 115)), as short as English's or the title is
    squeezed: no weekday, and in Vietnamese the month as a number (8/12/2026: CLDR's short month is
    "thg 12", "month 12", no shorter to read and wider).  Text is never drawn below 4 units, so the
    date cannot shrink instead.
    """
    if lang in ("zh-TW", SOURCE_LANGUAGE):
        return officetime.roc_date_with_weekday(day, lang)
    from babel.dates import format_skeleton  # imported here: only the screen's clock needs it

    roc = messages(lang).text("app.roc_year", year=officetime.roc_year(day))
    return f"{format_skeleton(DATE_SKELETONS.get(lang, 'yMMMd'), day, locale=lang.replace('-', '_'))} ({roc})"

"""
The live queue page's words, in the kiosk's six languages
=========================================================

Every text of the residents' page ``/q/<day>/<number>`` (``office/queue_page.py``) is a message of a
gettext catalogue a translator opens in Poedit (``office/locale/README.md``):

- ``locale/queue.pot``: the template, one entry per key (``msgctxt``) with the English text (``msgid``),
  its ``{placeholders}`` and a note on where it shows; English is read from it;
- ``locale/<language>/LC_MESSAGES/queue.po``: one translation per language, read with Babel, plural
  forms included.

The office keeps its own catalogue rather than reading the kiosk's: the two programs share only
``protocol/`` and install apart.  The words are the kiosk's all the same (``kiosk/locale/glossary.md``), so a
resident reads 櫃檯 on the ticket and on the phone alike.

The dates follow the kiosk's header: 民國115年12月8日（二）, Tue 8 Dec 2026 (ROC 115), and the other languages in
their own CLDR format with the kiosk's term for the ROC year after it (Thứ 3, 8 thg 12, 2026 (Dân Quốc 115)).
The phone keeps the weekday in every language; the kiosk's 7-inch header leaves it out of the last four for room.
"""

from __future__ import annotations

import gettext
import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Callable, Dict, Optional, Tuple, Union

from protocol import languages, officetime

__all__ = ["Language", "LANGUAGES", "DEFAULT_LANG", "SOURCE_LANGUAGE", "LOCALE_DIR", "TEMPLATE", "Texts",
           "texts", "po_path", "long_date"]

LOCALE_DIR = Path(__file__).with_name("locale")
TEMPLATE = LOCALE_DIR / "queue.pot"
#: The language of the template's msgids: it needs no catalogue of its own.
SOURCE_LANGUAGE = "en"


@dataclass(frozen=True)
class Language:
    """One language of the page: the kiosk's code (what the ticket's QR carries in ``?lang=``) and its names."""

    code: str       # the kiosk's code: zh-TW
    html: str       # <html lang> and Content-Language (BCP 47: zh-Hant-TW picks Traditional glyphs)
    locale: str     # Babel's locale for the date; the browser's for the update time


#: Where a language's HTML tag or locale is not its code: zh-Hant-TW picks Traditional glyphs; English dates
#: day-month-year (8 Dec 2026), as the kiosk writes them.
_HTML = {"zh-TW": "zh-Hant-TW"}
_LOCALE = {"en": "en-GB"}
#: The kiosk's languages, in the kiosk's order (protocol/languages.py): the page's row of links.
LANGUAGES: Dict[str, Language] = {code: Language(code, _HTML.get(code, code), _LOCALE.get(code, code))
                                  for code in languages.LANGUAGES}
DEFAULT_LANG = "zh-TW"

#: A Plural-Forms rule is C: ``n``, numbers and operators.  Checked before the page's script uses it as its own
#: (the same expression is JavaScript), so a broken catalogue cannot put anything else in the page.
_PLURAL_RULE = re.compile(r"[n0-9\s!=<>%&|?:()+\-*/]*")

#: One text, or a plural entry's forms (as many as the language has).
Text = Union[str, Tuple[str, ...]]


def po_path(lang: str) -> Path:
    """Where the catalogue of ``lang`` lives: locale/zh_TW/LC_MESSAGES/queue.po for ``zh-TW``."""
    return LOCALE_DIR / lang.replace("-", "_") / "LC_MESSAGES" / "queue.po"


@dataclass
class Texts:
    """The page's messages in one language: ``t("state.called", counter=3)``, ``t("queue.people", count=2)``."""

    lang: str
    by_key: Dict[str, Text]
    plural_rule: str = "(n != 1)"                                   # the catalogue's, in C (and JavaScript)
    plural: Callable[[int], int] = field(default=lambda n: int(n != 1))

    def __call__(self, key: str, count: Optional[int] = None, **values) -> str:
        """The message for ``key``, ``{name}`` placeholders filled in; ``count`` picks a plural entry's form
        (and fills ``{count}``)."""
        try:
            message = self.by_key[key]
        except KeyError:
            raise KeyError(f"no message {key!r} in {TEMPLATE}") from None
        if isinstance(message, tuple):
            if count is None:
                raise TypeError(f"message {key!r} has plural forms: give it a count")
            message = message[min(self.plural(count), len(message) - 1)]
        if count is not None:
            values["count"] = count
        return message.format(**values) if values else message

    @property
    def language(self) -> Language:
        return LANGUAGES[self.lang]

    def for_script(self) -> Dict[str, Union[str, list]]:
        """Every message, for the page's script (which fills the same ``{placeholders}``): plural forms as lists."""
        return {key: list(text) if isinstance(text, tuple) else text for key, text in self.by_key.items()}


def _read(path: Path):
    from babel.messages.pofile import read_po  # imported on first use: the commands that show no page skip it

    with open(path, "rb") as fh:
        return read_po(fh)


def _texts(catalog, translated: bool) -> Dict[str, Text]:
    """key -> text of a catalogue: its translations (``translated``), else the template's English msgids."""
    found: Dict[str, Text] = {}
    for entry in catalog:
        if not entry.id or entry.context is None:
            continue  # the header
        if translated:
            strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
            if entry.fuzzy or not all(strings):
                continue  # not translated yet: the English stands in rather than a blank
            found[entry.context] = entry.string
        else:
            found[entry.context] = tuple(entry.id) if isinstance(entry.id, (tuple, list)) else entry.id
    return found


@lru_cache(maxsize=None)
def texts(lang: str) -> Texts:
    """The messages of one of ``LANGUAGES`` (read once): its catalogue over the English of the template."""
    if lang not in LANGUAGES:
        raise ValueError(f"the live queue page has no language {lang!r}; it has {', '.join(LANGUAGES)}")
    english = _texts(_read(TEMPLATE), translated=False)
    if lang == SOURCE_LANGUAGE:
        return Texts(lang, english)
    path = po_path(lang)
    catalog = _read(path)
    rule = catalog.plural_expr
    if not _PLURAL_RULE.fullmatch(rule):
        raise ValueError(f"{path}: the Plural-Forms rule {rule!r} is not an expression of n")
    return Texts(lang, {**english, **_texts(catalog, translated=True)}, rule, gettext.c2py(rule))


def long_date(day: date, lang: str) -> str:
    """A ticket's date in ``lang``, with the ROC year Taiwan's forms use, as the kiosk's header writes it.

    Chinese: 民國115年12月8日（二）; English: Tue 8 Dec 2026 (ROC 115); the others in their own format
    from Babel's CLDR data (skeleton yMMMEd: month and weekday names included), then the catalogue's
    "ROC {year}" (Thứ 3, 8 thg 12, 2026 (Dân Quốc 115)).
    """
    if lang in ("zh-TW", SOURCE_LANGUAGE):
        return officetime.roc_date_with_weekday(day, lang)
    from babel.dates import format_skeleton

    roc = texts(lang)("page.roc_year", year=officetime.roc_year(day))
    return f"{format_skeleton('yMMMEd', day, locale=LANGUAGES[lang].locale.replace('-', '_'))} ({roc})"

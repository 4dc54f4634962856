"""
The kiosk's own announcements
=============================

What the marquee strip shows when the office server sends no announcements:
kiosk.toml's ``[marquee] messages`` (Chinese) with their ``messages_en``
(English), as announcements with a text per language, the shape the office's
have (protocol/announcements.py), so both reach the strip by one rule: each in
the screen's language, else in Chinese.

The shipped announcements (welcome, opening hours, what to bring: the
defaults of ``[marquee] messages``) are messages of the catalogue
(``marquee.*`` in kiosk/locale/kiosk.pot): wherever kiosk.toml lists one of
them, it shows in every language a catalogue translates it to.  Its Chinese is
the ``zh_TW`` catalogue's text, which ``tests/test_marquee_languages.py`` keeps
equal to the default; an announcement of the kiosk's own has only the texts
kiosk.toml gives it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Dict, List

from protocol.announcements import Announcement

from .i18n import SOURCE_LANGUAGE, messages
from .settings import LANGUAGES

__all__ = ["SHIPPED", "own_announcements", "shipped_translations"]

#: The catalogue's keys of the shipped announcements, in the order of ``[marquee] messages``' default.
SHIPPED = ("marquee.welcome", "marquee.hours", "marquee.transcript_id")


@lru_cache(maxsize=None)
def shipped_translations() -> Dict[str, Announcement]:
    """Each shipped announcement's Chinese text -> its text in every language whose catalogue translates it.

    A language whose catalogue has no translation yet (the i18n module then stands in the English) is
    left out: the strip shows that announcement in Chinese, as it does the office's untranslated ones.
    """
    source = messages(SOURCE_LANGUAGE)
    found = {}
    for key in SHIPPED:
        texts = {lang: messages(lang).text(key) for lang in LANGUAGES}
        found[texts["zh-TW"]] = {lang: text for lang, text in texts.items()
                                 if lang in ("zh-TW", SOURCE_LANGUAGE) or text != source.text(key)}
    return found


def own_announcements(config) -> List[Announcement]:
    """kiosk.toml's ``[marquee]`` announcements, each with its texts per language: the catalogue's for a
    shipped one, and ``messages_en``'s English where kiosk.toml gives one (it wins over the catalogue's)."""
    english = list(config.marquee.messages_en)
    shipped = shipped_translations()
    found = []
    for number, chinese in enumerate(config.marquee.messages):
        item = {**shipped.get(chinese, {}), "zh-TW": chinese}
        if number < len(english) and english[number].strip():
            item["en"] = english[number]
        found.append(item)
    return found

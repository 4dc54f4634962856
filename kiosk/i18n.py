"""
Messages
========

Every string the kiosk shows lives in ``kiosk/messages/<lang>.toml``, one
file per language, with the same keys in each (``tests/test_i18n.py`` keeps
them in step).  Code asks for ``messages(lang).text("home.ticket")``; nothing on
screen is written in Python or kv.
"""

from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path
from typing import Dict

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from .settings import LANGUAGES

__all__ = ["Messages", "messages", "unbreakable_words", "MESSAGES_DIR"]

MESSAGES_DIR = Path(__file__).with_name("messages")


def _flatten(table: dict, prefix: str = "") -> Dict[str, str]:
    flat = {}
    for key, value in table.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


class Messages:
    """The messages of one language."""

    def __init__(self, lang: str, by_key: Dict[str, str]):
        self.lang = lang
        self.by_key = by_key

    def text(self, key: str, **values) -> str:
        """The message for ``key`` with ``{name}`` placeholders filled in."""
        try:
            message = self.by_key[key]
        except KeyError:
            raise KeyError(f"no message {key!r} in the {self.lang} messages ({MESSAGES_DIR / (self.lang + '.toml')})") from None
        return message.format(**values) if values else message


@lru_cache(maxsize=None)
def messages(lang: str) -> Messages:
    """The messages of a supported language (loaded once)."""
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}; supported: {', '.join(LANGUAGES)}")
    with open(MESSAGES_DIR / f"{lang}.toml", "rb") as fh:
        return Messages(lang, _flatten(tomllib.load(fh)))


@lru_cache(maxsize=None)
def unbreakable_words(lang: str) -> tuple:
    """The words a line never breaks inside, longest first (``[layout] unbreakable`` in the messages).

    Chinese has no spaces, so a line may break between any two characters,
    except inside these words (身心障礙, 孕婦...).  The screens' wrapping
    (``kiosk/ui/widgets.py``) and the layout audit both read this one list.
    """
    words = messages(lang).by_key.get("layout.unbreakable", "").split()
    return tuple(sorted(dict.fromkeys(words), key=len, reverse=True))

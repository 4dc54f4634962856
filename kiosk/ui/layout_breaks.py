"""
Line breaks in the layout audit
===============================

Where a wrapped label broke its lines, read back from what Kivy laid out: a break inside a Latin word
('Off|ice'), inside a Thai word where the catalogue marks no boundary (U+200B), or inside a word of
``kiosk/locale/unbreakable.toml`` (身心障|礙, dịch| vụ).  ``layout_checks.py`` reports what this finds as
``word-break`` problems.
"""

from __future__ import annotations

import unicodedata
from typing import List, Set, Tuple

from kivy.uix.label import Label

from ..i18n import ZWSP

__all__ = ["word_breaks"]


def _without_word_marks(text: str) -> Tuple[str, Set[int]]:
    """``text`` without its zero-width spaces, and where they were (places a line may break)."""
    kept: List[str] = []
    marks: Set[int] = set()
    for char in text:
        if char == ZWSP:
            marks.add(len(kept))
        else:
            kept.append(char)
    return "".join(kept), marks


def _thai(char: str) -> bool:
    return "\u0e00" <= char <= "\u0e7f"


def _latin(char: str) -> bool:
    if char.isascii():
        return char.isalnum()
    if not char.isalnum():
        return False
    name = unicodedata.name(char, "")
    return name.startswith(("LATIN", "FULLWIDTH LATIN", "FULLWIDTH DIGIT", "DIGIT"))


def word_breaks(label: Label, unbreakable: Tuple[str, ...]) -> List[str]:
    """A message for each line break inside a Latin word or an unbreakable word."""
    core = label._label
    # As written: a label may lay out other text (WrapLabel inserts its own newlines and drops the
    # zero-width spaces that mark where Thai may break: their places are kept in ``allowed``).
    source, allowed = _without_word_marks(label.text)
    folded = source.lower()  # unbreakable words match in any capitals (Dịch vụ, dịch vụ)
    lines = ["".join(word.text for word in line.words).strip() for line in core._cached_lines]
    lines = [line for line in lines if line]
    found, position, end = [], 0, None
    for number, line in enumerate(lines):
        start = source.find(line, position)
        if start < 0:
            return found  # laid out differently from the text (justify, stripping): no claim
        where = f"(end of line {number}, start of line {number + 1})"
        if end is not None and start == end:  # the break has no space or newline: inside a run
            before, after = source[start - 1], source[start]
            if _thai(before) and _thai(after) and start not in allowed:
                found.append(f"'{source[max(0, start - 6):start]}|{source[start:start + 6]}' broken inside a "
                             f"Thai word (no U+200B there) {where}")
            elif _latin(before) and _latin(after):
                left = start
                while left > 0 and _latin(source[left - 1]):
                    left -= 1
                right = start
                while right < len(source) and _latin(source[right]):
                    right += 1
                found.append(f"'{source[left:start]}|{source[start:right]}' broken inside a word {where}")
        if end is not None:
            for word in unbreakable:  # longest first: 身心障礙 is named, not also its 障礙
                at = folded.find(word.lower(), max(0, end - len(word) + 1))
                while 0 <= at < end and start >= at + len(word):
                    at = folded.find(word.lower(), at + 1)
                if 0 <= at < end:
                    found.append(f"'{source[at:end]}|{source[start:at + len(word)]}' broken inside "
                                 f"'{word}' {where}")
                    break
        position = end = start + len(line)
    return found

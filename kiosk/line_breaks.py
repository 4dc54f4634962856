"""
Line breaks between words
=========================

Where a line of text may break, in every language the kiosk speaks, for
whatever draws it: the screens' ``WrapLabel`` (``ui/widgets.py``) and the
printer's raster lines (``printed_text.py``) measure the same units with their
own fonts.  Never inside an English word, a Chinese word of
``locale/unbreakable.toml`` (身心障礙) or a Vietnamese one (dịch vụ); Thai only
where the catalogue marks a word boundary (U+200B, :data:`kiosk.i18n.ZWSP`).
No Kivy here: the printer's path must not import it.
"""

from __future__ import annotations

import re
from typing import Callable, List, Optional, Sequence, Tuple

from .i18n import ZWSP

__all__ = ["break_units", "wrap_lines", "NO_LINE_START", "NO_LINE_END"]


#: Characters after which (or before which) Chinese text may break: CJK ideographs, kana, full-width forms.
_CJK = re.compile("[\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\u3000-\u303f]")
#: Never at the start of a line (closing punctuation) / never at the end of one (opening brackets).
NO_LINE_START = frozenset("，。、；：？！）」』》〉】〕．,.;:?!)]}%…")
NO_LINE_END = frozenset("（「『《〈【〔([{")


def break_units(text: str, words: Sequence[str] = (), after: str = "") -> List[Tuple[str, str]]:
    """``text`` (one line, no newline) cut where a line may break: ``[(separator, unit), ...]``.

    The separator is the space before the unit (" ", or "" between Chinese
    characters).  A unit is an English word (everything between spaces), one
    Chinese character, a Thai word (between zero-width spaces, :data:`ZWSP`, which
    are dropped), or one of ``words`` (longest first) kept whole, spaces and all
    (Vietnamese "dịch vụ"); closing
    punctuation sticks to the unit before it and opening brackets to the unit
    after, so no line starts with ，or ends with （.  A line may also break after
    any character of ``after`` ("/" for an address to type).
    """
    pieces: List[List[str]] = []  # [separator, unit, glued-to-the-next]
    i, space = 0, ""
    while i < len(text):
        char = text[i]
        if char.isspace() or char == ZWSP:
            space, i = " " if char.isspace() else space, i + 1
            continue
        if _CJK.match(char):
            unit = next((w for w in words if text.startswith(w, i)), char)
        elif (phrase := _phrase_at(text, i, words)) is not None:
            unit = phrase  # a word with spaces in it (Vietnamese dịch vụ) is one unit
        else:
            end = i
            while end < len(text) and not text[end].isspace() and text[end] != ZWSP and not _CJK.match(text[end]):
                end += 1
                if text[end - 1] in after:
                    break
            unit = text[i:end]
        i += len(unit)
        if pieces and (pieces[-1][2] or (not space and unit[0] in NO_LINE_START)):
            pieces[-1][1] += space + unit
        else:
            pieces.append([space, unit, False])
        pieces[-1][2] = unit[-1] in NO_LINE_END
        space = ""
    return [(sep, unit) for sep, unit, _glued in pieces]


def _phrase_at(text: str, i: int, words: Sequence[str]) -> Optional[str]:
    """The word of ``words`` with a space in it that starts at ``i`` and ends a word, in any capitals."""
    for word in words:
        end = i + len(word)
        if " " in word and text[i:end].lower() == word.lower() and (end == len(text) or not text[end].isalnum()):
            return text[i:end]
    return None


def wrap_lines(text: str, width: float, measure: Callable[[str], float],
               words: Sequence[str] = (), after: str = "") -> Tuple[List[str], bool]:
    """``text`` broken into lines no wider than ``width`` at the allowed points (``break_units``).

    Existing newlines are kept.  Returns the lines and whether every line fits
    (False when a single unit, such as a long English word, is wider than ``width``).
    """
    lines: List[str] = []
    fits = True
    for paragraph in text.split("\n"):
        line = ""
        for separator, unit in break_units(paragraph, words, after):
            candidate = line + separator + unit if line else unit
            if not line or measure(candidate) <= width:
                line = candidate
            else:
                lines.append(line)
                line = unit
            if measure(line) > width:
                fits = False
        lines.append(line)
    return lines, fits

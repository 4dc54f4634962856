"""
Rating scales
=============

The office's satisfaction scale: three choices (滿意 / 普通 / 不滿意) or five
(非常滿意 … 非常不滿意), the reasons a resident may give after a negative
rating, and where a rating came from.  The kiosk records ratings on it
(``kiosk/ratings.py``) and the office server counts them (``office/report.py``):
a choice's key and score mean the same on both sides.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Tuple

__all__ = ["Choice", "Scale", "REASONS", "SOURCES"]

SOURCES = ("button", "touch")
#: Answers to "why?" after a negative rating, in the order shown; message keys are ``reason.<key>``.
REASONS = ("wait_time", "attitude", "explanation", "environment", "other")


@dataclass(frozen=True)
class Choice:
    """One answer on a scale: ``score`` 1 (worst) to the scale's size (best)."""

    key: str      # stable name, stored and exported: smile, neutral, frown, very_satisfied...
    score: int
    label: str    # zh-TW label, as the office reports it
    mood: float   # 1 = broad smile ... -1 = deep frown: how the face is drawn


@dataclass(frozen=True)
class Scale:
    """The choices a kiosk offers, best first (the order of the buttons)."""

    choices: Tuple[Choice, ...]

    @classmethod
    @lru_cache(maxsize=None)  # a scale is immutable: one object per size, however many ratings ask
    def of_size(cls, size: int) -> "Scale":
        if size == 3:
            return cls((Choice("smile", 3, "滿意", 1.0), Choice("neutral", 2, "普通", 0.0),
                        Choice("frown", 1, "不滿意", -1.0)))
        if size == 5:
            return cls((Choice("very_satisfied", 5, "非常滿意", 1.0), Choice("satisfied", 4, "滿意", 0.5),
                        Choice("neutral", 3, "普通", 0.0), Choice("dissatisfied", 2, "不滿意", -0.5),
                        Choice("very_dissatisfied", 1, "非常不滿意", -1.0)))
        raise ValueError(f"a rating scale has 3 or 5 choices, not {size!r}")

    @property
    def size(self) -> int:
        return len(self.choices)

    def satisfied(self, score: int) -> bool:
        """Counts as satisfied: the top of three, or the top two of five (government practice)."""
        return score >= (self.size if self.size == 3 else self.size - 1)

    def negative(self, score: int) -> bool:
        """A rating worth asking "why?" about: the bottom of three, the bottom two of five."""
        return score <= (1 if self.size == 3 else 2)

    def choice(self, index: int) -> Choice:
        if not 0 <= index < self.size:
            raise IndexError(f"no choice {index!r} on a scale of {self.size}")
        return self.choices[index]

    def index_of(self, key: str) -> int:
        """The button index for a name (smile/neutral/frown, a choice key) or a button number 1..size."""
        aliases = {"smile": 0, "neutral": self.size // 2, "frown": self.size - 1}
        if key.isdigit() and 1 <= int(key) <= self.size:
            return int(key) - 1
        for index, choice in enumerate(self.choices):
            if choice.key == key:
                return index
        if key in aliases:
            return aliases[key]
        names = ", ".join(["smile", "neutral", "frown"] + [c.key for c in self.choices if c.key not in aliases])
        raise ValueError(f"no choice {key!r} on a scale of {self.size}; use {names} or 1-{self.size}")

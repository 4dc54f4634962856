"""
The figures the monthly report and its number-calling statistics share
======================================================================

% satisfied as the kiosk computes it (``kiosk/rating_stats.py``, ``kiosk
ratings stats``): the answers that are not misuse; satisfied are the top of
three or the top two of five (:meth:`protocol.ratings.Scale.satisfied`);
misuse is excluded and counted on its own; each rating is judged on its own
scale.  And each service by its label (``A 戶籍登記``).

The report (``office/report.py``) and the number-calling figures
(``office/call_stats.py``, whose linked ratings are scored the same way) both
build on these; they live here, apart from both, so that neither imports the
other for them.  Pure: no database, no Flask.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

from protocol.ratings import Scale
from protocol.service_list import DEFAULT_SERVICES

__all__ = ["Satisfaction", "satisfaction", "scale_of", "percent", "service_label", "SERVICE_NAMES", "NO_SERVICE"]

SERVICE_NAMES = {s.prefix: s.name for s in DEFAULT_SERVICES}
NO_SERVICE = "（未指定）"


def service_label(code: Optional[str]) -> str:
    """``A 戶籍登記`` for a known ticket letter, the code itself otherwise, （未指定） for none."""
    if not code:
        return NO_SERVICE
    name = SERVICE_NAMES.get(code.upper())
    return f"{code} {name}" if name else code


def percent(share: Optional[float]) -> str:
    """``66.7 %`` as ``kiosk ratings stats`` prints it (one decimal), ``–`` when there is nothing to divide."""
    return "–" if share is None else f"{100 * share:.1f} %"


# -- % satisfied --------------------------------------------------------------------------------

@dataclass
class Satisfaction:
    """Ratings summed as ``kiosk ratings stats`` sums them."""

    answers: int = 0                                                 # misuse excluded
    satisfied: int = 0
    misuse: int = 0                                                  # excluded from the above, counted here
    counts: Dict[int, Dict[str, int]] = field(default_factory=dict)  # scale -> choice key -> answers

    @property
    def share(self) -> Optional[float]:
        return self.satisfied / self.answers if self.answers else None

    @property
    def percent(self) -> str:
        return percent(self.share)

    def choices(self) -> List[Tuple[int, str, str, int]]:
        """(scale, choice key, label, answers) for each scale seen, best choice first."""
        rows = []
        for size in sorted(self.counts):
            for choice in Scale.of_size(size).choices:
                rows.append((size, choice.key, choice.label, self.counts[size].get(choice.key, 0)))
        return rows


def scale_of(size: int) -> Optional[Scale]:
    try:
        return Scale.of_size(size)
    except ValueError:  # a scale no kiosk offers today: kept in the database, left out here
        return None


def satisfaction(ratings: Iterable[Mapping[str, Any]]) -> Satisfaction:
    """Answers, satisfied, misuse and counts per choice of these rating rows."""
    result = Satisfaction()
    for row in ratings:
        scale = scale_of(row["scale"])
        if scale is None:
            continue
        n = row.get("n", 1)  # a row of Database.rating_counts stands for n ratings
        if row["misuse"]:
            result.misuse += n
            continue
        result.answers += n
        result.satisfied += n * scale.satisfied(row["score"])
        per_choice = result.counts.setdefault(scale.size, {})
        per_choice[row["choice"]] = per_choice.get(row["choice"], 0) + n
    return result

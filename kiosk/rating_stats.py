"""
Rating statistics and export
============================

What ``kiosk ratings stats`` and ``kiosk ratings export`` show: counts per
choice, the share satisfied as government agencies report it ((非常滿意 +
滿意) / all answers on five; 滿意 / all on three), misuse (kept, not counted),
and per-hour counts, for an office day or month given in the ROC calendar
(``115/11`` or ``115/11/27``).  Also :func:`silent_choices`: buttons nobody
has pressed for days while the others were, which may be covered or broken.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Dict, List, Optional, Tuple

from protocol import officetime
from protocol.periods import Period
from protocol.ratings import Scale

from .ratings import ratings_between

__all__ = ["Summary", "summarise", "format_summary", "export_csv", "silent_choices"]

CSV_COLUMNS = ("id", "at", "roc_date", "hour", "scale", "score", "choice", "label", "source", "kiosk_id",
               "location", "service", "ticket", "misuse", "reason", "clock_synced")


@dataclass
class Summary:
    period: Period
    scale: Scale
    counts: Dict[str, int]          # per choice key, misuse excluded
    misuse: int
    per_hour: Dict[int, int]        # misuse excluded
    by_scale_mismatch: int          # ratings recorded on another scale (config changed): shown, not mixed in

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def satisfied(self) -> int:
        return sum(self.counts[c.key] for c in self.scale.choices if self.scale.satisfied(c.score))

    @property
    def satisfied_share(self) -> Optional[float]:
        return self.satisfied / self.total if self.total else None


def summarise(store, scale: Scale, period: Period, include_misuse: bool = False) -> Summary:
    rows = ratings_between(store, period.first.isoformat(), period.last.isoformat())
    counts = {choice.key: 0 for choice in scale.choices}
    per_hour: Counter = Counter()
    misuse = other_scale = 0
    for row in rows:
        if row["scale"] != scale.size:
            other_scale += 1
            continue
        if row["misuse"]:
            misuse += 1
            if not include_misuse:
                continue
        counts[row["choice"]] += 1
        per_hour[row["hour"]] += 1
    return Summary(period, scale, counts, misuse, dict(sorted(per_hour.items())), other_scale)


def format_summary(summary: Summary, kiosk_id: str, include_misuse: bool = False) -> str:
    scale, total = summary.scale, summary.total
    lines = [f"服務評價統計 {summary.period.name}  ({summary.period.first} – {summary.period.last}), kiosk {kiosk_id}",
             f"ratings: {total}" + (" (misuse included)" if include_misuse else " (misuse excluded)")]
    for choice in scale.choices:
        n = summary.counts[choice.key]
        share = f"{100 * n / total:5.1f} %" if total else "    – "
        lines.append(f"  {choice.label}{'　' * (5 - len(choice.label))} {choice.key:<18} {n:>6}  {share}")
    if total:
        lines.append(f"satisfied: {summary.satisfied} of {total} ({100 * summary.satisfied_share:.1f} %)")
    else:
        lines.append("satisfied: no ratings in this period")
    lines.append(f"misuse: {summary.misuse} (pressed within the response interval; kept, "
                 f"{'counted above' if include_misuse else 'not counted above'})")
    if summary.by_scale_mismatch:
        lines.append(f"on another scale: {summary.by_scale_mismatch} (recorded before the buttons were changed)")
    lines.append("per hour:" if summary.per_hour else "per hour: –")
    peak = max(summary.per_hour.values(), default=0)
    for hour, n in summary.per_hour.items():
        lines.append(f"  {hour:02d}:00  {n:>5}  {'█' * max(1, round(30 * n / peak))}")
    return "\n".join(lines)


def export_csv(store, scale: Scale, period: Period, path) -> int:
    """Write every rating of the period (misuse included, flagged) to ``path``; return the row count.

    UTF-8 with a byte-order mark, so that Excel on the office's PCs shows the
    Chinese labels instead of mojibake.
    """
    labels = {c.key: c.label for size in (3, 5) for c in Scale.of_size(size).choices}
    rows = ratings_between(store, period.first.isoformat(), period.last.isoformat())
    with open(path, "w", newline="", encoding="utf-8-sig") as fh:
        writer = csv.writer(fh)
        writer.writerow(CSV_COLUMNS)
        for row in rows:
            day = date.fromisoformat(row["day"])
            writer.writerow([row["id"], row["at"], officetime.roc_short(day), row["hour"], row["scale"], row["score"],
                             row["choice"], labels.get(row["choice"], ""), row["source"], row["kiosk_id"],
                             row["location"], row["service"], row["ticket"], row["misuse"], row["reason"] or "",
                             row["clock_synced"]])
    return len(rows)


def silent_choices(store, scale: Scale, days: int, today: Optional[date] = None) -> List[Tuple[str, int]]:
    """Choices with no press on the last ``days`` days on which other choices were pressed.

    "Every choice must stay reachable": a button that has gone quiet while the
    others have not may be covered (see the 2013 case in domain.md) or broken.
    Returns ``(choice key, days silent)`` for each such choice.
    """
    today = today or officetime.office_day()
    since = (today - timedelta(days=120)).isoformat()

    def query(conn):
        # Misuse presses count here: a hammered button is still a button that works.
        return conn.execute("SELECT day, choice FROM ratings WHERE day >= ? AND scale = ?",
                            (since, scale.size)).fetchall()
    pressed: Dict[str, set] = {}
    for day, choice in store.read(query):
        pressed.setdefault(day, set()).add(choice)
    active_days = sorted(pressed, reverse=True)  # days on which something was pressed, newest first
    flagged = []
    for choice in scale.choices:
        quiet = 0
        for day in active_days:
            if choice.key in pressed[day]:
                break
            quiet += 1
        if quiet >= days:
            flagged.append((choice.key, quiet))
    return flagged

"""
The monthly report as CSV files
===============================

One file per section of the report (:class:`~office.report.MonthlyReport`),
one row per item and one column per measure, with Chinese headers: a county
clerk opens it in Excel and reads it as the page shows it, no pivot table
needed.  Each file is UTF-8 with a byte order mark (Excel then reads the
Chinese right) and CRLF line ends, named ``report-2026-11-service.csv`` (the
month and the section; the office is in the summary's 機關 column).

Numbers are written as plain numbers (``66.7`` under 滿意度%, minutes to one
decimal); an empty cell means "no figure" (no answers, nobody waited).  Names
that come from the kiosks (services, counters, form titles) could begin with
``=``: every such cell starting with = + - @, a tab or a carriage return gets
a leading apostrophe, so a spreadsheet shows it as text and never runs it.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Sequence, Tuple

from protocol.ratings import Scale

from .report import MonthlyReport
from .report_figures import Satisfaction

__all__ = ["SECTIONS", "Section", "section_csv", "file_name", "all_sections_zip", "zip_name", "spreadsheet_safe"]

Table = Tuple[List[str], List[List[Any]]]  # header, rows

#: The first characters that make a spreadsheet read a cell as a formula (or, for tab and CR, shift it).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """``value``, with a leading apostrophe if it is text a spreadsheet would take for a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _share(sat: Satisfaction) -> str:
    return "" if sat.share is None else f"{100 * sat.share:.1f}"


def _minutes(value) -> str:
    return "" if value is None else f"{value:.1f}"


def _scales(report: MonthlyReport) -> List[int]:
    """The rating scales the month and its trend used (3 when there are no ratings: the kiosks' default)."""
    sizes = set(report.overall.counts)
    for _, sat in report.trend:
        sizes |= set(sat.counts)
    return sorted(sizes) or [3]


def _choice_columns(report: MonthlyReport) -> List[Tuple[int, str, str]]:
    """(scale, choice key, header) for each choice: 滿意, 普通, 不滿意 (with 「（5級）」 if two scales were used)."""
    scales = _scales(report)
    return [(size, choice.key, choice.label if len(scales) == 1 else f"{choice.label}（{size}級）")
            for size in scales for choice in Scale.of_size(size).choices]


def _satisfaction_table(report: MonthlyReport, heading: str, rows: Sequence[Tuple[str, Satisfaction]]) -> Table:
    """One row per item: answers, the answers per choice, % satisfied, misuse (left out of the rest)."""
    choices = _choice_columns(report)
    header = [heading, "回答數"] + [label for _, _, label in choices] + ["滿意度%", "誤觸（已排除）"]
    return header, [[name, sat.answers] + [sat.counts.get(size, {}).get(key, 0) for size, key, _ in choices]
                    + [_share(sat), sat.misuse] for name, sat in rows]


def _summary(report: MonthlyReport) -> Table:
    """The month in one row, office and kiosks named: a county can stack its offices' rows."""
    table = _satisfaction_table(report, "月份", [(report.period.name, report.overall)])
    header, [row] = table
    header = ["機關"] + header + ["服務機", "取號數", "表單檢視", "表單列印"]
    row = [report.office_name] + row + ["、".join(report.kiosks), report.tickets_total,
                                        sum(f.views for f in report.forms), sum(f.slips for f in report.forms)]
    if report.calls is not None:
        header += ["叫號", "完成", "過號"]
        row += [report.calls.called, report.calls.served, report.calls.no_show]
    return header, [row]


def _trend(report: MonthlyReport) -> Table:
    return _satisfaction_table(report, "月份", [(p.name, sat) for p, sat in report.trend])


def _reasons(report: MonthlyReport) -> Table:
    return ["原因", "次數"], [[label, n] for _, label, n in report.reasons] + [["未回答", report.reasons_unanswered]]


def _tickets_by_hour(report: MonthlyReport) -> Table:
    return ["時段", "取號數"], [[f"{h:02d}:00–{h:02d}:59", n] for h, n in report.tickets_by_hour.items()]


def _forms(report: MonthlyReport) -> Table:
    return ["表單", "表單代碼", "檢視", "列印"], [[f.title, f.code, f.views, f.slips] for f in report.forms]


def _calls_by_service(report: MonthlyReport) -> Table:
    header = ["服務", "叫號", "完成", "過號", "平均等候（分）", "中位等候（分）", "中位服務時間（分）",
              "連結評價數", "連結評價滿意度%"]
    services = report.calls.services if report.calls is not None else []
    return header, [[s.label, s.called, s.served, s.no_show, _minutes(s.mean_wait), _minutes(s.median_wait),
                     _minutes(s.median_service), s.linked, _share(s.ratings)] for s in services]


def _calls_by_counter(report: MonthlyReport) -> Table:
    header = ["櫃台", "叫號", "完成", "中位服務時間（分）", "連結評價數", "連結評價滿意度%"]
    counters = report.calls.counters if report.calls is not None else []
    return header, [[f"{c.counter} 號櫃台", c.called, c.served, _minutes(c.median_service), c.linked,
                     _share(c.ratings)] for c in counters]


def _calls_by_hour(report: MonthlyReport) -> Table:
    hours = report.calls.hours if report.calls is not None else []
    return ["時段", "取號", "叫號", "平均等候（分）"], [
        [f"{h.hour:02d}:00–{h.hour:02d}:59", h.printed, h.called, _minutes(h.mean_wait)] for h in hours]


@dataclass(frozen=True)
class Section:
    key: str                                  # in the URL and the file name: report-2026-11-<key>.csv
    title: str                                # as the report page heads it
    table: Callable[[MonthlyReport], Table]


SECTIONS: Dict[str, Section] = {s.key: s for s in [
    Section("summary", "總覽", _summary),
    Section("trend", "近六個月滿意度", _trend),
    Section("service", "各服務滿意度", lambda r: _satisfaction_table(r, "服務", r.by_service)),
    Section("location", "各櫃台滿意度", lambda r: _satisfaction_table(r, "櫃台", r.by_location)),
    Section("kiosk", "各服務機滿意度", lambda r: _satisfaction_table(r, "服務機", r.by_kiosk)),
    Section("reasons", "不滿意原因", _reasons),
    Section("tickets-service", "各服務取號數", lambda r: (["服務", "取號數"],
                                                       [[label, n] for _, label, n in r.tickets_by_service])),
    Section("tickets-hour", "各時段取號數", _tickets_by_hour),
    Section("forms", "表單下載", _forms),
    Section("calls-service", "叫號統計（各服務）", _calls_by_service),
    Section("calls-counter", "叫號統計（各櫃台）", _calls_by_counter),
    Section("calls-hour", "叫號統計（各時段）", _calls_by_hour),
]}


def file_name(report: MonthlyReport, key: str) -> str:
    """``report-2026-11-service.csv``: the month (Gregorian, so the files sort) and the section."""
    return f"report-{report.period.first.year}-{report.period.first.month:02d}-{key}.csv"


def section_csv(report: MonthlyReport, key: str) -> bytes:
    """The section ``key`` of :data:`SECTIONS` as a CSV file's bytes (BOM, CRLF); KeyError for an unknown key."""
    header, rows = SECTIONS[key].table(report)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([spreadsheet_safe(cell) for cell in row] for row in rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def all_sections_zip(report: MonthlyReport) -> bytes:
    """Every section's CSV file in one zip (``report-2026-11.zip``), as named by :func:`file_name`."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for key in SECTIONS:
            archive.writestr(file_name(report, key), section_csv(report, key))
    return out.getvalue()


def zip_name(report: MonthlyReport) -> str:
    return f"report-{report.period.first.year}-{report.period.first.month:02d}.zip"


assert all(key.replace("-", "").isalpha() for key in SECTIONS), "a section key is part of a file name"

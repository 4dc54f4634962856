"""
Bar charts as inline SVG
========================

The report pages draw their charts on the server: no JavaScript, no chart
library, nothing fetched from a CDN, and they print as sharp as the text.
Every label is escaped; each chart has a ``<title>`` and ``role="img"`` for
screen readers, and the numbers are in the table next to it anyway.
"""

from __future__ import annotations

import unicodedata
from typing import Optional, Sequence, Tuple

from markupsafe import Markup, escape

__all__ = ["hbar_chart", "vbar_chart"]

BAR = "#2f6f9f"
ACCENT = "#c0504d"
TEXT = "#222"
GRID = "#ccc"
FONT_SIZE = 12
BARS = 150                                            # px of bars in an hbar_chart without a width
FONT = "font-family=\"'Noto Sans CJK TC','Noto Sans TC','Microsoft JhengHei',sans-serif\""


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)


def _clip(label: str, chars: int) -> str:
    return label if len(label) <= chars else label[:chars - 1] + "…"


def _text_width(text: str, size: float) -> float:
    """Roughly how wide ``text`` is at ``size`` px: a full em for CJK (wide) characters, 0.6 em for the rest."""
    return sum(size if unicodedata.east_asian_width(ch) in "WF" else 0.6 * size for ch in text)


def hbar_chart(items: Sequence[Tuple[str, float]], title: str, width: Optional[int] = None,
               maximum: Optional[float] = None, unit: str = "", label_chars: int = 12, highlight: Optional[int] = None,
               row: int = 15) -> Markup:
    """Horizontal bars, one per ``(label, value)``; ``maximum`` fixes the scale (100 for percentages).

    A value of None is drawn as no bar with ``–``.  The label column is as wide as the longest (clipped) label and
    the value column as the largest value; without a ``width`` the bars get :data:`BARS` px between them.  Compact
    (``row`` is the pitch of the bars): on the one-page monthly report the charts print at 84 % (12 px text: 7.5 pt),
    a short-labelled one beside its table in half a page's width.
    """
    labels = [_clip(str(label), label_chars) for label, _ in items]
    label_w = int(max([_text_width(label, FONT_SIZE) for label in labels] + [FONT_SIZE])) + 10
    top = max([v for _, v in items if v is not None] + [0]) if maximum is None else maximum
    value_w = int(_text_width(_num(top) + unit, FONT_SIZE)) + 10
    width = label_w + value_w + BARS if width is None else max(width, label_w + value_w + 40)
    bar_w = width - label_w - value_w
    height = row * len(items) + 4
    base = (row + FONT_SIZE) // 2 - 1                  # the text's baseline within its row
    # --bar-pitch: a page can show only the first N bars, cropping the chart (slice) to a height of 2px + N pitches
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" preserveAspectRatio="xMinYMin slice" '
             f'style="--bar-pitch: {row}px" {FONT} font-size="{FONT_SIZE}">',
             f"<title>{escape(title)}</title>"]
    for i, ((_, value), label) in enumerate(zip(items, labels)):
        y = 2 + i * row
        parts.append(f'<text x="{label_w - 6}" y="{y + base}" text-anchor="end" fill="{TEXT}">'
                     f"{escape(label)}</text>")
        if value is None:
            parts.append(f'<text x="{label_w + 4}" y="{y + base}" fill="{TEXT}">–</text>')
            continue
        w = 0 if not top else max(0.0, min(1.0, value / top)) * bar_w
        colour = ACCENT if highlight == i else BAR
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row - 6}" fill="{colour}"/>')
        parts.append(f'<text x="{label_w + w + 4:.1f}" y="{y + base}" fill="{TEXT}">{escape(_num(value))}'
                     f"{escape(unit)}</text>")
    parts.append(f'<line x1="{label_w}" y1="1" x2="{label_w}" y2="{height - 1}" stroke="{GRID}"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


def vbar_chart(items: Sequence[Tuple[str, float]], title: str, width: Optional[int] = None, height: int = 100,
               unit: str = "") -> Markup:
    """Vertical bars (e.g. tickets per hour of the day), labels under them, values over them.

    ``width`` defaults to 34 px a bar (at most 640): the office day's hours fit half an A4 page in print.
    """
    n = max(1, len(items))
    if width is None:
        width = min(640, max(160, 34 * n))
    bottom, top_pad = 20, 16
    slot = width / n
    plot_h = height - bottom - top_pad
    top = max([v for _, v in items] + [0])
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" {FONT} font-size="{FONT_SIZE}">',
             f"<title>{escape(title)}</title>",
             f'<line x1="0" y1="{height - bottom}" x2="{width}" y2="{height - bottom}" stroke="{GRID}"/>']
    for i, (label, value) in enumerate(items):
        x = i * slot
        h = 0 if not top else value / top * plot_h
        y = height - bottom - h
        cx = x + slot / 2
        parts.append(f'<rect x="{x + slot * 0.15:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{h:.1f}" '
                     f'fill="{BAR}"/>')
        if value:
            parts.append(f'<text x="{cx:.1f}" y="{y - 3:.1f}" text-anchor="middle" fill="{TEXT}">'
                         f"{escape(_num(value))}{escape(unit)}</text>")
        parts.append(f'<text x="{cx:.1f}" y="{height - 6}" text-anchor="middle" fill="{TEXT}">'
                     f"{escape(str(label))}</text>")
    parts.append("</svg>")
    return Markup("".join(parts))

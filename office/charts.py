"""
Bar charts as inline SVG
========================

The report pages draw their charts on the server: no JavaScript, no chart
library, nothing fetched from a CDN, and they print as sharp as the text.
Every label is escaped; each chart has a ``<title>`` and ``role="img"`` for
screen readers, and the numbers are in the table next to it anyway.
"""

from __future__ import annotations

from typing import Optional, Sequence, Tuple

from markupsafe import Markup, escape

__all__ = ["hbar_chart", "vbar_chart"]

BAR = "#2f6f9f"
ACCENT = "#c0504d"
TEXT = "#222"
GRID = "#ccc"
FONT = "font-family=\"'Noto Sans CJK TC','Noto Sans TC','Microsoft JhengHei',sans-serif\""


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)


def _clip(label: str, chars: int) -> str:
    return label if len(label) <= chars else label[:chars - 1] + "…"


def hbar_chart(items: Sequence[Tuple[str, float]], title: str, width: int = 560, maximum: Optional[float] = None,
               unit: str = "", label_chars: int = 12, highlight: Optional[int] = None) -> Markup:
    """Horizontal bars, one per ``(label, value)``; ``maximum`` fixes the scale (100 for percentages).

    A value of None is drawn as no bar with ``–``.
    """
    row, label_w, value_w = 22, 14 * label_chars // 1 + 8, 64
    bar_w = max(40, width - label_w - value_w)
    top = max([v for _, v in items if v is not None] + [0]) if maximum is None else maximum
    height = row * len(items) + 8
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" {FONT} font-size="12">',
             f"<title>{escape(title)}</title>"]
    for i, (label, value) in enumerate(items):
        y = 4 + i * row
        parts.append(f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" fill="{TEXT}">'
                     f"{escape(_clip(str(label), label_chars))}</text>")
        if value is None:
            parts.append(f'<text x="{label_w + 4}" y="{y + 15}" fill="{TEXT}">–</text>')
            continue
        w = 0 if not top else max(0.0, min(1.0, value / top)) * bar_w
        colour = ACCENT if highlight == i else BAR
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" fill="{colour}"/>')
        parts.append(f'<text x="{label_w + w + 4:.1f}" y="{y + 15}" fill="{TEXT}">{escape(_num(value))}'
                     f"{escape(unit)}</text>")
    parts.append(f'<line x1="{label_w}" y1="2" x2="{label_w}" y2="{height - 2}" stroke="{GRID}"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


def vbar_chart(items: Sequence[Tuple[str, float]], title: str, width: int = 640, height: int = 180,
               unit: str = "") -> Markup:
    """Vertical bars (e.g. tickets per hour of the day), labels under them, values over them."""
    n = max(1, len(items))
    bottom, top_pad = 20, 16
    slot = width / n
    plot_h = height - bottom - top_pad
    top = max([v for _, v in items] + [0])
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" {FONT} font-size="11">',
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

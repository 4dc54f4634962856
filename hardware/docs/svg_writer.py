"""A tiny SVG writer for hardware/docs/wiring.py: each call appends one element.

Kept apart from the drawing so wiring.py reads as the diagram alone: what sits
where and why.  Numbers are written the same on every run (no dates, no ids),
so the generated file is byte-for-byte stable.  Standard library only.
"""

from xml.sax.saxutils import escape, quoteattr

__all__ = ["Svg", "BLACK", "FONT"]

BLACK = "#222222"  # the ink: text, outlines, terminals
FONT = "'Noto Sans CJK TC', 'Noto Sans TC', 'Source Han Sans TC', 'Microsoft JhengHei', 'PingFang TC', sans-serif"


def _n(value) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


class Svg:
    """A tiny SVG writer: each call appends one element."""

    def __init__(self, width, height):
        self.width, self.height = width, height
        self.parts = []

    def add(self, tag, text=None, **attrs):
        items = " ".join(f"{k.rstrip('_').replace('_', '-')}={quoteattr(_n(v) if isinstance(v, (int, float)) else v)}"
                         for k, v in attrs.items() if v is not None)
        if text is None:
            self.parts.append(f"<{tag} {items}/>")
        else:
            self.parts.append(f"<{tag} {items}>{escape(text)}</{tag}>")

    def comment(self, text):
        self.parts.append(f"<!-- {text} -->")

    def wire(self, points, colour, width=2.4, dashed=False):
        path = " ".join(f"{_n(x)},{_n(y)}" for x, y in points)
        self.add("polyline", points=path, fill="none", stroke=colour, stroke_width=width,
                 stroke_linejoin="round", stroke_linecap="round", stroke_dasharray="7 5" if dashed else None)

    def dot(self, x, y, colour):
        self.add("circle", cx=x, cy=y, r=4.2, fill=colour)

    def terminal(self, x, y, colour=BLACK):
        self.add("circle", cx=x, cy=y, r=3.6, fill="white", stroke=colour, stroke_width=1.6)

    def text(self, x, y, s, size=12, anchor="start", weight=None, fill=BLACK, style=None):
        self.add("text", s, x=x, y=y, font_size=size, text_anchor=anchor if anchor != "start" else None,
                 font_weight=weight, fill=fill, font_style=style)

    def lines(self, x, y, rows, size=12, gap=None, **kw):
        """Several lines of text, top baseline at y."""
        gap = gap or round(size * 1.35)
        for i, s in enumerate(rows):
            self.text(x, y + i * gap, s, size=size, **kw)

    def titled(self, x, y, title, rows, size=12, gap=None):
        """A bold title line, then plain lines."""
        gap = gap or round(size * 1.35)
        self.text(x, y, title, size=size + 1, weight="bold")
        self.lines(x, y + gap + 2, rows, size=size, gap=gap)

    def box(self, x, y, w, h, fill="white", stroke=BLACK, radius=8, dashed=False, width=1.5):
        self.add("rect", x=x, y=y, width=w, height=h, rx=radius, fill=fill, stroke=stroke, stroke_width=width,
                 stroke_dasharray="6 4" if dashed else None)

    def resistor(self, x, y, label, vertical=False, colour=BLACK):
        """An IEC resistor (a box) centred on x, y, with the wire drawn through it by the caller."""
        w, h = (14, 38) if vertical else (38, 14)
        self.add("rect", x=x - w / 2, y=y - h / 2, width=w, height=h, fill="white", stroke=colour, stroke_width=2)
        if vertical:
            self.text(x + 13, y + 4, label, size=11)
        else:
            self.text(x, y - 12, label, size=11, anchor="middle")

    def switch(self, xl, xr, y, colour):
        """A push-to-make button between terminals at xl and xr."""
        mid = (xl + xr) / 2
        self.wire([(xl + 2, y - 13), (xr - 2, y - 13)], colour, width=2.4)
        self.wire([(mid, y - 13), (mid, y - 25)], colour, width=2)
        self.wire([(mid - 9, y - 25), (mid + 9, y - 25)], colour, width=2)
        self.terminal(xl, y)
        self.terminal(xr, y)

    def lamp(self, x, y, cap):
        """The button's lamp (LED with its built-in resistor): a circle with a cross."""
        r = 13
        self.add("circle", cx=x, cy=y, r=r, fill=cap, fill_opacity=0.35, stroke=BLACK, stroke_width=1.8)
        d = r * 0.7
        self.wire([(x - d, y - d), (x + d, y + d)], BLACK, width=1.6)
        self.wire([(x - d, y + d), (x + d, y - d)], BLACK, width=1.6)

    def svg(self):
        head = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.width}" height="{self.height}" '
                f'viewBox="0 0 {self.width} {self.height}" font-family="{FONT}">')
        return "\n".join(['<?xml version="1.0" encoding="UTF-8"?>', head] + self.parts + ["</svg>", ""])

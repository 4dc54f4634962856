#!/usr/bin/env python3
"""
Wiring diagram
==============

Draws ``hardware/docs/wiring.svg``: the Raspberry Pi's 40-pin header, the
rating buttons (switches and lamps, through a ULN2003A), the thermal printer
on the UART with its divider, and the three power supplies.

The pins are not typed here: they are the defaults of ``[buttons] pins`` and
``[buttons] leds`` in :mod:`kiosk.config`, the labels are the rating scale of
:mod:`kiosk.ratings` and the English names come from ``kiosk/messages/en.toml``,
so the drawing cannot drift from the code (``tests/test_hardware_docs.py``
regenerates it and compares).  Standard library only::

    python hardware/docs/wiring.py               # rewrite hardware/docs/wiring.svg
    python hardware/docs/wiring.py --out F.svg   # write it elsewhere
    python hardware/docs/wiring.py --check       # exit 1 if the committed file is stale

The output is byte-for-byte the same on every run (no dates, no random ids).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # run as a script from anywhere: the kiosk package is in the checkout
    sys.path.insert(0, str(REPO))

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.9/3.10
    import tomli as tomllib

from kiosk.config import UART_PINS, defaults  # noqa: E402
from protocol.ratings import Scale  # noqa: E402

__all__ = ["HEADER", "physical_pin", "render", "main", "OUTPUT"]

OUTPUT = Path(__file__).with_name("wiring.svg")
FONT = "'Noto Sans CJK TC', 'Noto Sans TC', 'Source Han Sans TC', 'Microsoft JhengHei', 'PingFang TC', sans-serif"

#: The Raspberry Pi's 40-pin header (J8): physical pin -> name.  Same on the 3B, 3B+, 4B, 400 and 5.
HEADER = {
    1: "3V3", 2: "5V", 3: "GPIO2", 4: "5V", 5: "GPIO3", 6: "GND", 7: "GPIO4", 8: "GPIO14",
    9: "GND", 10: "GPIO15", 11: "GPIO17", 12: "GPIO18", 13: "GPIO27", 14: "GND", 15: "GPIO22", 16: "GPIO23",
    17: "3V3", 18: "GPIO24", 19: "GPIO10", 20: "GND", 21: "GPIO9", 22: "GPIO25", 23: "GPIO11", 24: "GPIO8",
    25: "GND", 26: "GPIO7", 27: "GPIO0", 28: "GPIO1", 29: "GPIO5", 30: "GND", 31: "GPIO6", 32: "GPIO12",
    33: "GPIO13", 34: "GND", 35: "GPIO19", 36: "GPIO16", 37: "GPIO26", 38: "GPIO20", 39: "GND", 40: "GPIO21",
}
_BCM_TO_PHYSICAL = {int(name[4:]): pin for pin, name in HEADER.items() if name.startswith("GPIO")}
UART_TXD, UART_RXD = sorted(UART_PINS)  # BCM 14, 15

# Wire colours (the legend says what each means).
BLUE, ORANGE, PURPLE, TEAL = "#1f6fb4", "#e07b00", "#8e44ad", "#0e8a74"
RED, BLACK, GREY, LIGHT = "#d62728", "#222222", "#7f8c8d", "#f4f6f7"
#: Cap colours of the buttons, best first (as in hardware/README.md).
CAPS = {3: ("#2ca02c", "#f1c40f", "#e74c3c"),
        5: ("#1e7b34", "#2ca02c", "#f1c40f", "#e67e22", "#e74c3c")}
CAP_NAMES = {"#1e7b34": "dark green", "#2ca02c": "green", "#f1c40f": "yellow", "#e67e22": "orange",
             "#e74c3c": "red"}


def physical_pin(bcm: int) -> int:
    """Return the header pin (1-40) of a BCM GPIO number; KeyError if the header has none."""
    return _BCM_TO_PHYSICAL[bcm]


def _row(pin: int) -> int:
    """The header row (1-20) of a physical pin: pins 1 and 2 are row 1."""
    return (pin + 1) // 2


def _english_choices():
    with open(REPO / "kiosk" / "messages" / "en.toml", "rb") as f:
        return tomllib.load(f)["choice"]


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


def _channels(sources, targets, edge, base=26, gap=16):
    """x of the vertical segment of each wire fanning from sources to targets, leaving a side at edge.

    Wires leave the edge leftwards.  Among the wires that go up, the lower one turns further left; among
    those that go down, the higher one does: so no two of them cross.
    """
    xs = [edge - base] * len(sources)
    up = sorted((i for i in range(len(sources)) if targets[i] < sources[i]), key=lambda i: sources[i])
    down = sorted((i for i in range(len(sources)) if targets[i] > sources[i]), key=lambda i: -sources[i])
    for group in (up, down):
        for rank, i in enumerate(group):
            xs[i] = edge - base - gap * rank
    return xs


def render() -> str:
    """The wiring diagram for the default pins, as SVG text."""
    values = defaults()["buttons"]
    pins, leds = list(values["pins"]), list(values["leds"])
    scale = Scale.of_size(len(pins))
    english = _english_choices()
    caps = CAPS[len(pins)]
    labels = [(c.label, english[c.key]) for c in scale.choices]
    n = len(pins)

    W, H = 1480, 1300
    s = Svg(W, H)
    s.add("title", "服務機接線圖 Lobby kiosk wiring")
    s.add("desc", f"Raspberry Pi 40-pin header, {n} rating buttons on BCM {pins} with lamps on BCM {leds} "
                  f"through a ULN2003A, the thermal printer on the UART (BCM {UART_TXD}/{UART_RXD}) with a divider, "
                  "and the power supplies. Generated by hardware/docs/wiring.py.")
    s.comment("Generated by hardware/docs/wiring.py from kiosk/config.py's defaults: do not edit by hand.")
    s.add("rect", x=0, y=0, width=W, height=H, fill="white")
    s.text(30, 44, "服務機接線圖  Lobby kiosk wiring", size=26, weight="bold")
    s.text(30, 70, f"Default pins from kiosk/config.py: [buttons] pins = {pins} (BCM), leds = {leds} (BCM); "
                   f"printer on /dev/serial0 (BCM {UART_TXD} TXD, {UART_RXD} RXD). "
                   "Everything switched off while wiring.", size=13, fill="#444")

    # -- the header ---------------------------------------------------------------------------------
    HX0, HX1, HTOP, ROW0, ROW = 610, 910, 110, 190, 30
    row_y = {r: ROW0 + (r - 1) * ROW for r in range(1, 21)}

    def y_of(pin):
        return row_y[_row(pin)]

    button_pins = [physical_pin(b) for b in pins]
    led_pins = [physical_pin(b) for b in leds]
    txd, rxd = physical_pin(UART_TXD), physical_pin(UART_RXD)
    odd_gnd = [p for p, name in HEADER.items() if name == "GND" and p % 2]
    even_gnd = [p for p, name in HEADER.items() if name == "GND" and not p % 2]
    # A ground on the left column just above the buttons' rows and one just below the lamps' rows, so the
    # ground wires reach the header without crossing the signal wires (fallback: the nearest one).
    above = [p for p in odd_gnd if _row(p) < min(map(_row, button_pins))]
    gnd_buttons = max(above) if above else min(odd_gnd, key=lambda p: abs(_row(p) - _row(button_pins[0])))
    below = [p for p in odd_gnd if _row(p) > max(map(_row, led_pins))]
    gnd_lamps = min(below) if below else min(odd_gnd, key=lambda p: abs(_row(p) - _row(led_pins[-1])))
    gnd_printer = min((p for p in even_gnd if _row(p) > _row(rxd)), default=even_gnd[0])

    right = [f"BCM {b} (pin {p})" for b, p in zip(pins + leds, button_pins + led_pins) if not p % 2]
    if right:  # e.g. the five-button option's GPIO23/GPIO24: their wires would leave the wrong side
        raise SystemExit(f"wiring.py draws buttons and lamps on the header's left (odd) column; "
                         f"{', '.join(right)} is on the right: teach it that column first")
    used = {p: BLUE for p in button_pins}
    used.update({p: ORANGE for p in led_pins})
    used[txd], used[rxd] = PURPLE, TEAL
    for p in (gnd_buttons, gnd_lamps, gnd_printer):
        used[p] = BLACK

    s.box(HX0, HTOP, HX1 - HX0, row_y[20] + 30 - HTOP, fill="#e8f3ea", stroke="#2e7d32", width=2)
    s.text((HX0 + HX1) / 2, HTOP + 26, "Raspberry Pi 4B / 3B+", size=16, weight="bold", anchor="middle")
    s.text((HX0 + HX1) / 2, HTOP + 46, "header J8, board from above, USB ports down", size=12,
           anchor="middle", fill="#444")
    xs = {1: 745, 0: 775}
    for pin, name in HEADER.items():
        y = y_of(pin)
        x = xs[pin % 2]
        gpio = name.startswith("GPIO")
        if name == "GND":
            fill, ink = BLACK, "white"
        elif name == "5V":
            fill, ink = RED, "white"
        elif name == "3V3":
            fill, ink = "#f5a623", BLACK
        elif pin in used:
            fill, ink = used[pin], "white"
        else:
            fill, ink = "#d5d8dc", "#555"
        if pin == 1:  # the square pad marks pin 1 on the board
            s.add("rect", x=x - 10, y=y - 10, width=20, height=20, fill=fill, stroke=BLACK, stroke_width=1)
        else:
            s.add("circle", cx=x, cy=y, r=10.5, fill=fill, stroke=BLACK, stroke_width=1)
        s.text(x, y + 4, str(pin), size=10, anchor="middle", weight="bold", fill=ink)
        label = name + {txd: " TXD", rxd: " RXD"}.get(pin, "")
        strong = pin in used or not gpio
        colour = used.get(pin, BLACK if strong else "#8a8f94")
        if name == "5V":
            colour = RED
        if pin % 2:
            s.text(HX0 + 10, y + 4, label, size=12, weight="bold" if pin in used else None, fill=colour)
        else:
            s.text(HX1 - 10, y + 4, label, size=12, anchor="end", weight="bold" if pin in used else None,
                   fill=colour)

    # -- buttons: the switches ------------------------------------------------------------------------
    src = [y_of(p) for p in button_pins]
    mid = (src[0] + src[-1]) / 2
    spacing = 92 if n == 3 else 62
    sw_y = [mid + (i - (n - 1) / 2) * spacing for i in range(n)]
    top = sw_y[0] - 80
    s.box(30, top, 560, sw_y[-1] + 44 - top, fill=LIGHT, stroke="#aab7b8", dashed=True)
    s.text(44, top + 22, "按鈕開關  Button switches", size=15, weight="bold")
    s.text(250, top + 22, "active-low: pressed = GND, with the Pi's internal pull-up", size=12, fill="#444")
    comb_x, xl, xr = 72, 300, 360
    gy = top + 40  # the ground wire runs along the top of the group
    s.wire([(HX0, y_of(gnd_buttons)), (HX0 - 22, y_of(gnd_buttons)), (HX0 - 22, gy), (comb_x, gy),
            (comb_x, sw_y[-1])], BLACK)
    s.text(HX0 - 30, gy + 15, f"GND pin {gnd_buttons}", size=11, anchor="end")
    chans = _channels(src, sw_y, HX0 - 22)
    for i in range(n):
        y = sw_y[i]
        s.wire([(comb_x, y), (xl, y)], BLACK)
        s.dot(comb_x, y, BLACK)
        s.wire([(xr, y), (chans[i], y), (chans[i], src[i]), (HX0, src[i])], BLUE)
        s.switch(xl, xr, y, BLUE)
        s.add("circle", cx=98, cy=y - 17, r=8, fill=caps[i], stroke=BLACK, stroke_width=1)
        s.text(112, y - 12, f"{labels[i][0]}  {labels[i][1]}", size=14, weight="bold")
        s.text(112, y + 17, f"{CAP_NAMES[caps[i]]} button {i}", size=11, fill="#555")
        s.text(xl - 6, y + 17, "COM", size=10, anchor="end", fill="#555")
        s.text(xr + 6, y + 17, "NO", size=10, fill="#555")
        s.text(xr + 30, y - 6, f"BCM {pins[i]} · pin {button_pins[i]}", size=11, fill=BLUE)

    # -- buttons: the lamps, through the ULN2003A -----------------------------------------------------
    src = [y_of(p) for p in led_pins]
    mid = (src[0] + src[-1]) / 2
    spacing = 68 if n == 3 else 50
    lamp_y = [mid + (i - (n - 1) / 2) * spacing for i in range(n)]
    top = lamp_y[0] - 60
    ux0, ux1 = 420, 530
    uy0, uy1 = src[0] - 34, src[-1] + 46
    com_y, gnd_y = uy1 + 36, uy1 + 62
    s.box(30, top, 560, gnd_y + 14 - top, fill=LIGHT, stroke="#aab7b8", dashed=True)
    s.text(44, top + 22, "按鈕燈  Button lamps", size=15, weight="bold")
    s.text(220, top + 22, "5 V or 12 V lamps: switched on their GND side by a ULN2003A", size=12, fill="#444")
    plus_x, lx = 60, 322
    s.box(ux0, uy0, ux1 - ux0, uy1 - uy0, fill="#fdebd0", stroke=BLACK, radius=4, width=1.8)
    s.text((ux0 + ux1) / 2, uy0 + 17, "ULN2003A", size=13, weight="bold", anchor="middle")
    chans = _channels(src, lamp_y, ux0)
    for i in range(n):
        y = lamp_y[i]
        s.wire([(HX0, src[i]), (ux1, src[i])], ORANGE)                     # GPIO -> IN
        s.wire([(ux0, src[i]), (chans[i], src[i]), (chans[i], y), (lx + 13, y)], ORANGE)  # OUT -> lamp -
        s.wire([(plus_x, y), (lx - 13, y)], RED)                            # lamp + <- supply
        s.dot(plus_x, y, RED)
        s.lamp(lx, y, caps[i])
        s.text(ux1 - 6, src[i] + 4, f"IN{i + 1}", size=11, anchor="end")
        s.text(ux0 + 6, src[i] + 4, f"OUT{i + 1}", size=11)
        s.text(ux1 + 6, src[i] - 5, str(i + 1), size=9, fill="#555")
        s.text(ux0 - 6, src[i] - 5, str(16 - i), size=9, anchor="end", fill="#555")
        s.text(ux1 + 18, src[i] - 5, f"BCM {leds[i]}", size=11, fill=ORANGE)
        s.add("circle", cx=88, cy=y - 15, r=6, fill=caps[i], stroke=BLACK, stroke_width=1)
        s.text(100, y - 10, f"{labels[i][0]} lamp 燈 · BCM {leds[i]} · pin {led_pins[i]}", size=12)
        s.text(lx - 19, y + 20, "+", size=12, anchor="middle", weight="bold", fill=RED)
        s.text(lx + 19, y + 20, "−", size=12, anchor="middle", weight="bold")
    com_x, ugnd_x = ux0 + 26, ux1 - 24
    s.text(com_x, uy1 - 8, "COM 9", size=10, anchor="middle", fill="#555")
    s.text(ugnd_x, uy1 - 8, "GND 8", size=10, anchor="middle", fill="#555")
    s.wire([(com_x, uy1), (com_x, com_y), (plus_x, com_y)], RED)
    s.dot(plus_x, com_y, RED)
    s.wire([(ugnd_x, uy1), (ugnd_x, gnd_y), (HX0 - 22, gnd_y), (HX0 - 22, y_of(gnd_lamps)), (HX0, y_of(gnd_lamps))],
           BLACK)
    s.text(HX0 - 30, gnd_y - 6, f"GND pin {gnd_lamps}", size=11, anchor="end")

    # -- power supplies and mains ------------------------------------------------------------------
    py0, py1 = 940, 1024
    mains_y = 1060
    pi_bottom = row_y[20] + 30
    # the lamp supply
    s.wire([(plus_x, lamp_y[0]), (plus_x, py0)], RED)
    s.box(30, py0, 290, py1 - py0, fill="#fdedec", stroke=RED)
    s.text(plus_x + 6, py0 + 20, "+", size=13, weight="bold", fill=RED)
    s.titled(84, py0 + 22, "燈電源  Lamp supply",
             ["12 V DC ≥ 0.5 A for 12 V lamps;", "5 V lamps: the Pi's 5V pin 2 or 4 instead"])
    s.wire([(320, py0 + 45), (HX0 - 50, py0 + 45), (HX0 - 50, gnd_y)], BLACK)
    s.dot(HX0 - 50, gnd_y, BLACK)
    s.text(326, py0 + 40, "−", size=13, weight="bold")
    s.text(340, py0 + 62, "common GND", size=11, fill="#555")
    # the Pi's own supply
    cx = (HX0 + HX1) / 2
    power_x, hdmi_x, usb_x = cx - 70, cx + 10, cx + 80
    s.wire([(power_x, pi_bottom), (power_x, py0)], GREY, width=6)
    s.lines(power_x - 10, pi_bottom + 60, ["USB-C 5.1 V", "(3B+: micro-USB)"], size=11, anchor="end",
            fill="#555")
    for x, name in ((power_x, "power"), (hdmi_x, "HDMI"), (usb_x, "USB")):
        s.add("rect", x=x - 26, y=pi_bottom - 9, width=52, height=18, rx=3, fill="#bdc3c7", stroke=BLACK,
              stroke_width=1)
        s.text(x, pi_bottom + 4, name, size=10, anchor="middle", weight="bold")
    s.box(HX0 + 20, py0, HX1 - HX0 - 40, py1 - py0, fill="#fdedec", stroke=RED)
    s.titled(HX0 + 34, py0 + 22, "Pi 電源  Pi power supply",
             ["official 5.1 V 3 A USB-C (4B)", "3B+: official 5.1 V 2.5 A micro-USB"])
    # mains
    s.box(30, mains_y, W - 60, 40, fill="#fef9e7", stroke="#b7950b")
    s.text(44, mains_y + 25, "市電  Mains 110 V AC 60 Hz → fused inlet or DIN-rail fuse → switched power strip "
                             "in the enclosure: every supply (lamps, Pi, screen, printer) plugs in here",
           size=13)
    for x in (175, cx, 1060, 1310):
        s.wire([(x, py1), (x, mains_y)], "#b7950b", width=2)

    # -- printer ----------------------------------------------------------------------------------------
    PX0, PX1, PY0, PY1 = 1180, 1440, 200, 470
    ytx, yrx, ygnd = y_of(txd), y_of(rxd), y_of(gnd_printer)
    s.box(PX0, PY0, PX1 - PX0, PY1 - PY0, fill="#eaf2f8", stroke="#2471a3", width=2)
    s.text(PX0 + 14, PY0 + 28, "熱感印表機  Thermal printer", size=15, weight="bold")
    s.lines(PX0 + 62, ytx + 4, ["ESC/POS, 58 or 80 mm", "Big5 Traditional Chinese", "TTL serial, e.g. 9600 8N1",
                                "(DIP switches or the", "self-test page say which)"], size=12, gap=22)
    for y, name, colour in ((ytx, "RXD", PURPLE), (yrx, "TXD", TEAL), (ygnd, "GND", BLACK)):
        s.terminal(PX0, y, colour)
        s.text(PX0 + 10, y + 4, name, size=11, weight="bold", fill=colour)
    s.text(PX0 + 10, ygnd + 40, "TTL connector", size=10, fill="#555")
    node_x, r1_x = 980, 1080
    s.wire([(HX1, ytx), (PX0, ytx)], PURPLE)
    s.text(HX1 + 14, ytx - 7, "Pi TXD → printer RXD (3.3 V)", size=11, fill=PURPLE)
    s.wire([(PX0, yrx), (HX1, yrx)], TEAL)
    s.resistor(r1_x, yrx, "R1 2.2 kΩ")
    s.text(HX1 + 14, yrx + 19, "≤ 3.3 V", size=11, fill=TEAL)
    s.text(PX0 - 10, yrx + 19, "printer TXD (5 V)", size=11, anchor="end", fill=TEAL)
    s.wire([(HX1, ygnd), (PX0, ygnd)], BLACK)
    s.wire([(node_x, yrx), (node_x, ygnd)], BLACK, width=2)
    s.resistor(node_x, (yrx + ygnd) / 2, "R2 3.3 kΩ", vertical=True)
    s.dot(node_x, yrx, TEAL)
    s.dot(node_x, ygnd, BLACK)
    s.text(HX1 + 14, ygnd + 19, f"GND pin {gnd_printer} (common ground)", size=11)
    s.box(930, ygnd + 40, 236, 122, fill=LIGHT, stroke="#aab7b8", dashed=True)
    s.lines(942, ygnd + 60, ["Many printers speak 5 V TTL: R1/R2", "make 3.0 V for GPIO15 (3.3 V max).",
                             "Or a BSS138 level-shifter board", "(LV: 3V3 pin 1, HV: 5V pin 2).",
                             "RS-232 (DB-9, ±12 V): a MAX3232."], size=11, gap=20)
    # printer supply
    dc_plus, dc_minus = 1280, 1340
    s.text(PX0 + 14, PY1 - 14, "DC IN", size=11, weight="bold")
    s.terminal(dc_plus, PY1, RED)
    s.terminal(dc_minus, PY1, BLACK)
    s.wire([(dc_plus, PY1 + 4), (dc_plus, py0)], RED, width=3.4)
    s.wire([(dc_minus, PY1 + 4), (dc_minus, py0)], BLACK, width=3.4)
    s.text(dc_plus - 8, PY1 + 24, "+", size=13, anchor="end", weight="bold", fill=RED)
    s.text(dc_minus + 8, PY1 + 24, "−", size=13, weight="bold")
    s.box(1180, py0, 260, py1 - py0, fill="#fdedec", stroke=RED)
    s.titled(1194, py0 + 22, "印表機電源  Printer supply",
             ["9 V DC 2–3 A (the printer's rating:", "5–9 V on most 58 mm panel printers)"])
    s.lines(1352, PY1 + 60, ["peaks ≈ 2 A", "while printing:", "never from the", "Pi's 5V pins"],
            size=12, weight="bold", fill=RED, gap=17)

    # -- the screen --------------------------------------------------------------------------------------
    DX0, DX1, DY0, DY1 = 960, 1160, pi_bottom + 20, pi_bottom + 120
    s.wire([(hdmi_x, pi_bottom + 9), (hdmi_x, DY0 + 30), (DX0, DY0 + 30)], GREY, width=5)
    s.wire([(usb_x, pi_bottom + 9), (usb_x, DY0 + 60), (DX0, DY0 + 60)], GREY, width=5)
    s.text(usb_x + 10, DY0 + 24, "HDMI", size=11, fill="#555")
    s.text(usb_x + 10, DY0 + 54, "USB (touch)", size=11, fill="#555")
    s.box(DX0, DY0, DX1 - DX0, DY1 - DY0, fill="#f5eef8", stroke="#7d3c98")
    s.titled(DX0 + 12, DY0 + 22, "觸控螢幕  Touch screen",
             ["HDMI monitor with USB touch,", "or the official 7\" DSI", "(Raspberry Pi OS route)"], gap=19)
    s.wire([(1060, DY1), (1060, py0)], RED, width=2)
    s.box(960, py0, 200, py1 - py0, fill="#fdedec", stroke=RED)
    s.titled(974, py0 + 22, "螢幕電源  Screen supply", ["the monitor's own adapter", "(12 V, as supplied)"])

    # -- legend --------------------------------------------------------------------------------------------
    ly = 1140
    s.text(30, ly, "圖例  Legend", size=15, weight="bold")
    items = [(BLUE, "button input (BCM, active-low)"), (ORANGE, "lamp drive: GPIO high = lit (PWM)"),
             (PURPLE, "UART TX: Pi → printer"), (TEAL, "UART RX: printer → Pi, through R1/R2"),
             (RED, "supply + (5 V / 9 V / 12 V)"), (BLACK, "GND: every ground joined")]
    for i, (colour, text) in enumerate(items):
        x, y = 30 + (i % 3) * 300, ly + 26 + (i // 3) * 24
        s.wire([(x, y - 4), (x + 34, y - 4)], colour, width=3)
        s.text(x + 44, y, text, size=12)
    notes = ["● wires joined; wires that cross without a dot are not joined.  ⊗ the button's lamp "
             "(LED with built-in resistor).",
             "Numbers in the header are physical pins (the square is pin 1); BCM numbers are what kiosk.toml uses.",
             "A plain 3 mm / 5 mm LED instead of a lamp: GPIO → 330 Ω → LED → GND, no ULN2003A "
             "(hardware/README.md).",
             "Drawn by hardware/docs/wiring.py from kiosk/config.py's defaults."]
    s.lines(30, ly + 82, notes, size=12, gap=18, fill="#333")
    return s.svg()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Draw hardware/docs/wiring.svg from kiosk/config.py's pins.")
    parser.add_argument("--out", type=Path, default=OUTPUT, help=f"where to write (default {OUTPUT})")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if the file is not up to date")
    args = parser.parse_args(argv)
    svg = render()
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else None
        if current != svg:
            print(f"{args.out} is out of date: run python hardware/docs/wiring.py", file=sys.stderr)
            return 1
        return 0
    args.out.write_text(svg, encoding="utf-8", newline="\n")
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())

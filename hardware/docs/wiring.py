#!/usr/bin/env python3
"""
Wiring diagram
==============

Draws ``hardware/docs/wiring.svg``: the Raspberry Pi's 40-pin header, the
rating buttons (switches and lamps, through a ULN2003A), the thermal printer
on the UART with its divider, and the three power supplies.

The pins are not typed here: they are the default wiring of
``hardware/wiring_defaults.py`` (the pins, the UART and what the buttons say),
the one definition :mod:`kiosk.config` takes its ``[buttons] pins`` and
``leds`` defaults from, so the drawing cannot drift from the code
(``tests/test_hardware_docs.py`` regenerates it and compares).  Each part of
the drawing is one ``_draw_...`` function below; ``svg_writer.py`` beside
this file writes the elements.  Standard library only::

    python hardware/docs/wiring.py               # rewrite hardware/docs/wiring.svg
    python hardware/docs/wiring.py --out F.svg   # write it elsewhere
    python hardware/docs/wiring.py --check       # exit 1 if the committed file is stale

The output is byte-for-byte the same on every run (no dates, no random ids).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _load(path: Path, name: str):
    """A module from its file.  hardware/docs is no package, and importing the hardware package would
    load the drivers' dependencies (gpiozero, pyserial): drawing needs none of them."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_defaults = _load(HERE.parent / "wiring_defaults.py", "hardware_wiring_defaults")
_svg_writer = _load(HERE / "svg_writer.py", "hardware_docs_svg_writer")
BLACK, Svg = _svg_writer.BLACK, _svg_writer.Svg
UART_PINS = _defaults.UART_PINS

__all__ = ["HEADER", "physical_pin", "render", "main", "OUTPUT"]

OUTPUT = HERE / "wiring.svg"

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
RED, GREY, LIGHT = "#d62728", "#7f8c8d", "#f4f6f7"  # and the writer's BLACK for ink and ground
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


# Where things sit on the drawing (px).  The header's rows are 30 px apart from y=190.
W, H = 1480, 1300
HX0, HX1, HTOP, ROW0, ROW = 610, 910, 110, 190, 30
ROW_Y = {r: ROW0 + (r - 1) * ROW for r in range(1, 21)}
PI_BOTTOM = ROW_Y[20] + 30
SUPPLY_Y0, SUPPLY_Y1 = 940, 1024  # the row of power supplies
MAINS_Y = 1060
CX = (HX0 + HX1) / 2
POWER_X, HDMI_X, USB_X = CX - 70, CX + 10, CX + 80  # the Pi's connectors at the bottom of its board
PLUS_X = 60            # the lamp supply's + rail


def _y_of(pin):
    """The y of a physical pin's row on the drawing."""
    return ROW_Y[_row(pin)]


class Plan:
    """What the drawing shows: the pins, the buttons' names and caps, and the header pins each wire uses."""

    def __init__(self, pins, leds, labels):
        self.pins, self.leds = list(pins), list(leds)
        self.n = len(self.pins)
        self.caps = CAPS[self.n]
        self.labels = labels  # (zh-TW, English) per button, best first
        self.button_pins = [physical_pin(b) for b in self.pins]
        self.led_pins = [physical_pin(b) for b in self.leds]
        self.txd, self.rxd = physical_pin(UART_TXD), physical_pin(UART_RXD)
        self._choose_grounds()
        right = [f"BCM {b} (pin {p})" for b, p in zip(self.pins + self.leds, self.button_pins + self.led_pins)
                 if not p % 2]
        if right:  # e.g. the five-button option's GPIO23/GPIO24: their wires would leave the wrong side
            raise SystemExit(f"wiring.py draws buttons and lamps on the header's left (odd) column; "
                             f"{', '.join(right)} is on the right: teach it that column first")
        self.used = {p: BLUE for p in self.button_pins}
        self.used.update({p: ORANGE for p in self.led_pins})
        self.used[self.txd], self.used[self.rxd] = PURPLE, TEAL
        for p in (self.gnd_buttons, self.gnd_lamps, self.gnd_printer):
            self.used[p] = BLACK

    def _choose_grounds(self):
        odd_gnd = [p for p, name in HEADER.items() if name == "GND" and p % 2]
        even_gnd = [p for p, name in HEADER.items() if name == "GND" and not p % 2]
        # A ground on the left column just above the buttons' rows and one just below the lamps' rows, so the
        # ground wires reach the header without crossing the signal wires (fallback: the nearest one).
        above = [p for p in odd_gnd if _row(p) < min(map(_row, self.button_pins))]
        self.gnd_buttons = (max(above) if above
                            else min(odd_gnd, key=lambda p: abs(_row(p) - _row(self.button_pins[0]))))
        below = [p for p in odd_gnd if _row(p) > max(map(_row, self.led_pins))]
        self.gnd_lamps = (min(below) if below
                          else min(odd_gnd, key=lambda p: abs(_row(p) - _row(self.led_pins[-1]))))
        self.gnd_printer = min((p for p in even_gnd if _row(p) > _row(self.rxd)), default=even_gnd[0])


def render() -> str:
    """The wiring diagram for the default pins, as SVG text."""
    plan = Plan(_defaults.BUTTON_PINS, _defaults.LED_PINS, _defaults.BUTTON_NAMES)
    s = Svg(W, H)
    _draw_title(s, plan)
    _draw_header(s, plan)
    _draw_switches(s, plan)
    lamps = _draw_lamps(s, plan)
    _draw_supplies(s, lamps)
    _draw_printer(s, plan)
    _draw_screen(s)
    _draw_legend(s)
    return s.svg()


def _draw_title(s, plan):
    pins, leds = plan.pins, plan.leds
    s.add("title", "服務機接線圖 Lobby kiosk wiring")
    s.add("desc", f"Raspberry Pi 40-pin header, {plan.n} rating buttons on BCM {pins} with lamps on BCM {leds} "
                  f"through a ULN2003A, the thermal printer on the UART (BCM {UART_TXD}/{UART_RXD}) with a divider, "
                  "and the power supplies. Generated by hardware/docs/wiring.py.")
    s.comment("Generated by hardware/docs/wiring.py from hardware/wiring_defaults.py: do not edit by hand.")
    s.add("rect", x=0, y=0, width=W, height=H, fill="white")
    s.text(30, 44, "服務機接線圖  Lobby kiosk wiring", size=26, weight="bold")
    s.text(30, 70, f"Default pins (hardware/wiring_defaults.py, the kiosk's defaults): [buttons] pins = {pins} (BCM), leds = {leds} (BCM); "
                   f"printer on /dev/serial0 (BCM {UART_TXD} TXD, {UART_RXD} RXD). "
                   "Everything switched off while wiring.", size=13, fill="#444")


def _draw_header(s, plan):
    """The Pi's board and its 40 pins, the used ones in their wire's colour."""
    s.box(HX0, HTOP, HX1 - HX0, ROW_Y[20] + 30 - HTOP, fill="#e8f3ea", stroke="#2e7d32", width=2)
    s.text((HX0 + HX1) / 2, HTOP + 26, "Raspberry Pi 4B / 3B+", size=16, weight="bold", anchor="middle")
    s.text((HX0 + HX1) / 2, HTOP + 46, "header J8, board from above, USB ports down", size=12,
           anchor="middle", fill="#444")
    xs = {1: 745, 0: 775}
    for pin, name in HEADER.items():
        _draw_pin(s, plan, pin, name, xs[pin % 2], _y_of(pin))


def _draw_pin(s, plan, pin, name, x, y):
    used = plan.used
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
    label = name + {plan.txd: " TXD", plan.rxd: " RXD"}.get(pin, "")
    strong = pin in used or not gpio
    colour = used.get(pin, BLACK if strong else "#8a8f94")
    if name == "5V":
        colour = RED
    if pin % 2:
        s.text(HX0 + 10, y + 4, label, size=12, weight="bold" if pin in used else None, fill=colour)
    else:
        s.text(HX1 - 10, y + 4, label, size=12, anchor="end", weight="bold" if pin in used else None,
               fill=colour)


def _draw_switches(s, plan):
    """The buttons' switches, each between the common ground and its GPIO."""
    n, caps, labels, gnd_buttons = plan.n, plan.caps, plan.labels, plan.gnd_buttons
    src = [_y_of(p) for p in plan.button_pins]
    mid = (src[0] + src[-1]) / 2
    spacing = 92 if n == 3 else 62
    sw_y = [mid + (i - (n - 1) / 2) * spacing for i in range(n)]
    top = sw_y[0] - 80
    s.box(30, top, 560, sw_y[-1] + 44 - top, fill=LIGHT, stroke="#aab7b8", dashed=True)
    s.text(44, top + 22, "按鈕開關  Button switches", size=15, weight="bold")
    s.text(250, top + 22, "active-low: pressed = GND, with the Pi's internal pull-up", size=12, fill="#444")
    comb_x, xl, xr = 72, 300, 360
    gy = top + 40  # the ground wire runs along the top of the group
    s.wire([(HX0, _y_of(gnd_buttons)), (HX0 - 22, _y_of(gnd_buttons)), (HX0 - 22, gy), (comb_x, gy),
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
        s.text(xr + 30, y - 6, f"BCM {plan.pins[i]} · pin {plan.button_pins[i]}", size=11, fill=BLUE)


def _draw_lamps(s, plan):
    """The buttons' lamps, switched by the ULN2003A; returns (top lamp's y, the ground wire's y) for the supply."""
    n, caps, leds, led_pins = plan.n, plan.caps, plan.leds, plan.led_pins
    src = [_y_of(p) for p in led_pins]
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
    lx = 322
    s.box(ux0, uy0, ux1 - ux0, uy1 - uy0, fill="#fdebd0", stroke=BLACK, radius=4, width=1.8)
    s.text((ux0 + ux1) / 2, uy0 + 17, "ULN2003A", size=13, weight="bold", anchor="middle")
    chans = _channels(src, lamp_y, ux0)
    for i in range(n):
        y = lamp_y[i]
        s.wire([(HX0, src[i]), (ux1, src[i])], ORANGE)                     # GPIO -> IN
        s.wire([(ux0, src[i]), (chans[i], src[i]), (chans[i], y), (lx + 13, y)], ORANGE)  # OUT -> lamp -
        s.wire([(PLUS_X, y), (lx - 13, y)], RED)                            # lamp + <- supply
        s.dot(PLUS_X, y, RED)
        s.lamp(lx, y, caps[i])
        s.text(ux1 - 6, src[i] + 4, f"IN{i + 1}", size=11, anchor="end")
        s.text(ux0 + 6, src[i] + 4, f"OUT{i + 1}", size=11)
        s.text(ux1 + 6, src[i] - 5, str(i + 1), size=9, fill="#555")
        s.text(ux0 - 6, src[i] - 5, str(16 - i), size=9, anchor="end", fill="#555")
        s.text(ux1 + 18, src[i] - 5, f"BCM {leds[i]}", size=11, fill=ORANGE)
        s.add("circle", cx=88, cy=y - 15, r=6, fill=caps[i], stroke=BLACK, stroke_width=1)
        s.text(100, y - 10, f"{plan.labels[i][0]} lamp 燈 · BCM {leds[i]} · pin {led_pins[i]}", size=12)
        s.text(lx - 19, y + 20, "+", size=12, anchor="middle", weight="bold", fill=RED)
        s.text(lx + 19, y + 20, "−", size=12, anchor="middle", weight="bold")
    com_x, ugnd_x = ux0 + 26, ux1 - 24
    s.text(com_x, uy1 - 8, "COM 9", size=10, anchor="middle", fill="#555")
    s.text(ugnd_x, uy1 - 8, "GND 8", size=10, anchor="middle", fill="#555")
    s.wire([(com_x, uy1), (com_x, com_y), (PLUS_X, com_y)], RED)
    s.dot(PLUS_X, com_y, RED)
    gnd_lamps = plan.gnd_lamps
    s.wire([(ugnd_x, uy1), (ugnd_x, gnd_y), (HX0 - 22, gnd_y), (HX0 - 22, _y_of(gnd_lamps)), (HX0, _y_of(gnd_lamps))],
           BLACK)
    s.text(HX0 - 30, gnd_y - 6, f"GND pin {gnd_lamps}", size=11, anchor="end")
    return lamp_y[0], gnd_y


def _draw_supplies(s, lamps):
    """The lamp supply, the Pi's own supply and the mains strip every supply plugs into."""
    top_lamp_y, gnd_y = lamps
    s.wire([(PLUS_X, top_lamp_y), (PLUS_X, SUPPLY_Y0)], RED)
    s.box(30, SUPPLY_Y0, 290, SUPPLY_Y1 - SUPPLY_Y0, fill="#fdedec", stroke=RED)
    s.text(PLUS_X + 6, SUPPLY_Y0 + 20, "+", size=13, weight="bold", fill=RED)
    s.titled(84, SUPPLY_Y0 + 22, "燈電源  Lamp supply",
             ["12 V DC ≥ 0.5 A for 12 V lamps;", "5 V lamps: the Pi's 5V pin 2 or 4 instead"])
    s.wire([(320, SUPPLY_Y0 + 45), (HX0 - 50, SUPPLY_Y0 + 45), (HX0 - 50, gnd_y)], BLACK)
    s.dot(HX0 - 50, gnd_y, BLACK)
    s.text(326, SUPPLY_Y0 + 40, "−", size=13, weight="bold")
    s.text(340, SUPPLY_Y0 + 62, "common GND", size=11, fill="#555")
    # the Pi's own supply
    s.wire([(POWER_X, PI_BOTTOM), (POWER_X, SUPPLY_Y0)], GREY, width=6)
    s.lines(POWER_X - 10, PI_BOTTOM + 60, ["USB-C 5.1 V", "(3B+: micro-USB)"], size=11, anchor="end",
            fill="#555")
    for x, name in ((POWER_X, "power"), (HDMI_X, "HDMI"), (USB_X, "USB")):
        s.add("rect", x=x - 26, y=PI_BOTTOM - 9, width=52, height=18, rx=3, fill="#bdc3c7", stroke=BLACK,
              stroke_width=1)
        s.text(x, PI_BOTTOM + 4, name, size=10, anchor="middle", weight="bold")
    s.box(HX0 + 20, SUPPLY_Y0, HX1 - HX0 - 40, SUPPLY_Y1 - SUPPLY_Y0, fill="#fdedec", stroke=RED)
    s.titled(HX0 + 34, SUPPLY_Y0 + 22, "Pi 電源  Pi power supply",
             ["official 5.1 V 3 A USB-C (4B)", "3B+: official 5.1 V 2.5 A micro-USB"])
    # mains
    s.box(30, MAINS_Y, W - 60, 40, fill="#fef9e7", stroke="#b7950b")
    s.text(44, MAINS_Y + 25, "市電  Mains 110 V AC 60 Hz → fused inlet or DIN-rail fuse → switched power strip "
                             "in the enclosure: every supply (lamps, Pi, screen, printer) plugs in here",
           size=13)
    for x in (175, CX, 1060, 1310):
        s.wire([(x, SUPPLY_Y1), (x, MAINS_Y)], "#b7950b", width=2)


def _draw_printer(s, plan):
    """The printer on the UART (with the R1/R2 divider into the Pi's RXD) and its own supply."""
    PX0, PX1, PY0, PY1 = 1180, 1440, 200, 470
    ytx, yrx, ygnd = _y_of(plan.txd), _y_of(plan.rxd), _y_of(plan.gnd_printer)
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
    s.text(HX1 + 14, ygnd + 19, f"GND pin {plan.gnd_printer} (common ground)", size=11)
    s.box(930, ygnd + 40, 236, 122, fill=LIGHT, stroke="#aab7b8", dashed=True)
    s.lines(942, ygnd + 60, ["Many printers speak 5 V TTL: R1/R2", "make 3.0 V for GPIO15 (3.3 V max).",
                             "Or a BSS138 level-shifter board", "(LV: 3V3 pin 1, HV: 5V pin 2).",
                             "RS-232 (DB-9, ±12 V): a MAX3232."], size=11, gap=20)
    _draw_printer_supply(s, PX0, PY1)


def _draw_printer_supply(s, PX0, PY1):
    dc_plus, dc_minus = 1280, 1340
    s.text(PX0 + 14, PY1 - 14, "DC IN", size=11, weight="bold")
    s.terminal(dc_plus, PY1, RED)
    s.terminal(dc_minus, PY1, BLACK)
    s.wire([(dc_plus, PY1 + 4), (dc_plus, SUPPLY_Y0)], RED, width=3.4)
    s.wire([(dc_minus, PY1 + 4), (dc_minus, SUPPLY_Y0)], BLACK, width=3.4)
    s.text(dc_plus - 8, PY1 + 24, "+", size=13, anchor="end", weight="bold", fill=RED)
    s.text(dc_minus + 8, PY1 + 24, "−", size=13, weight="bold")
    s.box(1180, SUPPLY_Y0, 260, SUPPLY_Y1 - SUPPLY_Y0, fill="#fdedec", stroke=RED)
    s.titled(1194, SUPPLY_Y0 + 22, "印表機電源  Printer supply",
             ["9 V DC 2–3 A (the printer's rating:", "5–9 V on most 58 mm panel printers)"])
    s.lines(1352, PY1 + 60, ["peaks ≈ 2 A", "while printing:", "never from the", "Pi's 5V pins"],
            size=12, weight="bold", fill=RED, gap=17)


def _draw_screen(s):
    """The touch screen on HDMI and USB, and its own supply."""
    DX0, DX1, DY0, DY1 = 960, 1160, PI_BOTTOM + 20, PI_BOTTOM + 120
    s.wire([(HDMI_X, PI_BOTTOM + 9), (HDMI_X, DY0 + 30), (DX0, DY0 + 30)], GREY, width=5)
    s.wire([(USB_X, PI_BOTTOM + 9), (USB_X, DY0 + 60), (DX0, DY0 + 60)], GREY, width=5)
    s.text(USB_X + 10, DY0 + 24, "HDMI", size=11, fill="#555")
    s.text(USB_X + 10, DY0 + 54, "USB (touch)", size=11, fill="#555")
    s.box(DX0, DY0, DX1 - DX0, DY1 - DY0, fill="#f5eef8", stroke="#7d3c98")
    s.titled(DX0 + 12, DY0 + 22, "觸控螢幕  Touch screen",
             ["HDMI monitor with USB touch,", "or the official 7\" DSI", "(Raspberry Pi OS route)"], gap=19)
    s.wire([(1060, DY1), (1060, SUPPLY_Y0)], RED, width=2)
    s.box(960, SUPPLY_Y0, 200, SUPPLY_Y1 - SUPPLY_Y0, fill="#fdedec", stroke=RED)
    s.titled(974, SUPPLY_Y0 + 22, "螢幕電源  Screen supply", ["the monitor's own adapter", "(12 V, as supplied)"])


def _draw_legend(s):
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
             "Drawn by hardware/docs/wiring.py from hardware/wiring_defaults.py."]
    s.lines(30, ly + 82, notes, size=12, gap=18, fill="#333")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Draw hardware/docs/wiring.svg from hardware/wiring_defaults.py's pins.")
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

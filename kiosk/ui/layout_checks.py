"""
Layout checks
=============

What ``kiosk audit layout`` finds wrong on a screen, from the widget tree of
what is shown and the window's rendered pixels (``capture.grab()``)::

    problems = check([app.manager.current_screen, app.marquee], grab(), panel_for(Window.size))

Each :class:`Problem` names the widget by a readable path (the screen's name,
then ids; widgets without an id by class name and index, e.g.
``forms/popular/FormRow[1]/title``), a short ``kind`` and the numbers.

============ ===================================================================
kind         what is measured
============ ===================================================================
overflow     the text does not fit its label: lines Kivy left out because
             ``text_size`` is too short, lines laid out outside the texture (a
             too-tall text centred in ``text_size``), glyphs cut at the texture's
             edge, or ink more than 2 px outside the label's box, or outside the
             button or tile (ButtonBehavior) it is in
clipped      the ink sticks out of a StencilView, or of a ScrollView along an axis
             it cannot scroll (a row half scrolled into view is fine)
ellipsis     Kivy shortened the text (``shorten: True``, ``is_shortened``)
overlap      the ink boxes of two lines of two texts overlap by more than 2 px
             both ways (a label and its own ancestor are never compared), or
             two buttons' boxes do (a tap on one may press the other)
offscreen    a text's ink, or a button's box, is partly outside the window, or
             a text's or a button's box outside its own screen (under the
             marquee, over the header)
small-text   a CJK ideograph (0.88 x font_size) is under 3 mm on the panel
             (``residents=True`` only)
small-target an enabled button is under 12 mm wide or high on the panel
contrast     under 4.5:1 (WCAG 2 relative luminance) between the text and its
             background, both read from the rendered pixels; disabled labels too
word-break   a wrapped label breaks a line between two Latin letters or digits
             that are adjacent in ``text``, or inside an ``unbreakable`` word (障|礙)
reach        an enabled button reaches above ``reach_line`` (``display.reach =
             "low"``: nothing a resident touches in the screen's top third;
             ``residents=True`` only)
============ ===================================================================

Only what can be seen is checked: opacity (the product up the parent chain)
above zero, text not blank, size not zero, some ink drawn inside the window and
the viewport of any ScrollView it is in.  A root that is itself a StencilView
(not a ScrollView) is a moving strip, the marquee: the label scrolling in it is
only checked for the size and contrast of the part shown.  ``exempt(widget)``
skips a widget and everything in it.

Where a text's ink is, from its texture, and the widget tree walked with
readable paths are ``layout_geometry.py``'s; this module holds the rules.

Contrast: the background is the commonest colour of the pixels around the ink
where the label's alpha is zero; the text colour is, among the pixels where
the label's alpha is at its highest (stroke cores, so anti-aliasing does not
count), the one farthest from the background in luminance.  Opacity, a
disabled colour and whatever is really behind the text are all in the pixels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.label import Label
from kivy.uix.scrollview import ScrollView
from kivy.uix.stencilview import StencilView
from kivy.uix.widget import Widget
from PIL import Image

from . import palette
from .layout_breaks import word_breaks
from .layout_geometry import (INK_ALPHA, Box, DrawnText, WidgetNode, clip_to_views, intersect, ints, measure_text,
                              natural_size, union, visible_widgets)

__all__ = ["Panel", "PANELS", "panel_for", "Problem", "check", "contrast_ratio",
           "MIN_TEXT_MM", "MIN_TARGET_MM", "MIN_CONTRAST", "IDEOGRAPH_EM", "LARGE_TEXT", "LARGE_CONTRAST"]

#: The smallest ideograph a resident must read, in mm (about a 13 px Latin capital on the 7" display).
MIN_TEXT_MM = 3.0
#: Height of a CJK ideograph in Noto Sans CJK, as a fraction of the font size.
IDEOGRAPH_EM = 0.88
#: The smallest finger target, both dimensions, in mm.
MIN_TARGET_MM = 12.0
#: WCAG 2 success criterion 1.4.3 (level AA) for text.
MIN_CONTRAST = 4.5
#: The large-text mode (issue 20): every text at least this many times the smallest ordinary one...
LARGE_TEXT = 1.5
#: ...and at this contrast at least (WCAG 2 success criterion 1.4.6, level AAA).
LARGE_CONTRAST = 7.0
#: Pixels a text may stick out of its box (rounding of positions, anti-aliasing).
TOLERANCE = 2
#: Two texts' ink boxes overlapping by more than this in both directions overlap.
OVERLAP_PX = 2
#: Texts whose visible part is smaller than this (px, either side) are not measured for contrast.
MIN_MEASURED_PX = 4


@dataclass(frozen=True)
class Panel:
    """The physical display a resolution is drawn for."""

    size: Tuple[int, int]
    name: str
    width_mm: float

    @property
    def px_per_mm(self) -> float:
        return self.size[0] / self.width_mm


PANELS: Dict[Tuple[int, int], Panel] = {p.size: p for p in (
    Panel((800, 480), 'official 7" DSI display', 154.08),
    Panel((1024, 600), '7" HDMI panel', 154.21),
    Panel((1280, 800), '10.1" panel', 216.96),
    Panel((1920, 1080), '15.6" monitor', 344.16),
)}


def panel_for(size) -> Panel:
    """The panel a window of ``size`` (width, height) is shown on; ValueError for an unknown size."""
    key = tuple(int(v) for v in size)
    try:
        return PANELS[key]
    except KeyError:
        known = ", ".join(f"{w}x{h} ({p.name})" for (w, h), p in PANELS.items())
        raise ValueError(f"no panel is known for {key[0]}x{key[1]}; known sizes: {known}") from None


@dataclass(frozen=True)
class Problem:
    widget: str  # a readable path: screen name, then ids, else class names with index
    kind: str    # overflow, clipped, ellipsis, overlap, offscreen, small-text, small-target, contrast, word-break
    detail: str  # what is wrong, with numbers


# -- colours ------------------------------------------------------------------------------

def luminance(rgb) -> float:
    """WCAG 2 relative luminance of an sRGB colour given as 0-255 integers (a pixel)."""
    return palette.luminance([value / 255 for value in rgb[:3]])


def contrast_ratio(a, b) -> float:
    """WCAG 2 contrast ratio of two 0-255 RGB colours (pixels), 1.0 to 21.0."""
    return palette.contrast_ratio([value / 255 for value in a[:3]], [value / 255 for value in b[:3]])


def _hex(rgb) -> str:
    return "#%02x%02x%02x" % tuple(rgb[:3])


# -- what is past an edge, in words ---------------------------------------------------

def _outside(inner: Box, outer: Box) -> Dict[str, float]:
    """How far ``inner`` sticks out of ``outer`` on each side (only sides past the tolerance)."""
    past = {"left": outer[0] - inner[0], "top": outer[1] - inner[1],
            "right": inner[2] - outer[2], "bottom": inner[3] - outer[3]}
    return {side: value for side, value in past.items() if value > TOLERANCE}


def _describe_past(past: Dict[str, float]) -> str:
    return ", ".join(f"{value:.0f} px past the {side} edge" for side, value in past.items())


def _size(box: Box) -> str:
    return f"{box[2] - box[0]:.0f}x{box[3] - box[1]:.0f}"


# -- the checks ---------------------------------------------------------------------------

def check(roots: Sequence[Widget], image: Image.Image, panel: Panel, *, residents: bool = True,
          unbreakable: Iterable[str] = (), exempt: Callable[[Widget], bool] = lambda w: False,
          large: bool = False, reach_line: Optional[float] = None) -> List[Problem]:
    """Everything wrong with what ``roots`` show in ``image`` on ``panel`` (see the module's table).

    ``residents``: the screen is for the public (the text size check applies); ``unbreakable``:
    words a line must not break inside (身心障礙's 障礙); ``exempt(widget)``: skip that widget and
    everything in it; ``large``: the large-text mode's rules (text ``LARGE_TEXT`` times the smallest,
    contrast ``LARGE_CONTRAST``); ``reach_line``: pixels from the window's top above which no enabled button may
    reach (a screen mounted high), None: anywhere.
    """
    min_text = MIN_TEXT_MM * (LARGE_TEXT if large else 1)
    min_contrast = LARGE_CONTRAST if large else MIN_CONTRAST
    image = image.convert("RGB")
    width, height = image.size
    window: Box = (0, 0, width, height)
    unbreakable = tuple(sorted({u for u in unbreakable if len(u) > 1}, key=len, reverse=True))
    ppm = panel.px_per_mm
    problems: List[Problem] = []
    texts: List[DrawnText] = []

    buttons: List[WidgetNode] = []
    for root in roots:
        strip = isinstance(root, StencilView) and not isinstance(root, ScrollView)
        nodes = visible_widgets(root, height, strip, exempt)
        problems += _check_inside_root(nodes, window)
        for node in nodes:
            widget = node.widget
            if isinstance(widget, ButtonBehavior):
                shown = clip_to_views(node, node.box)
                if shown and intersect(shown, window):  # one moved wholly out of sight is hidden, not misplaced
                    problems += _check_button(node, window, ppm, panel)
                    if residents and reach_line is not None:
                        problems += _check_reach(node, shown, reach_line, height)
                    buttons.append(node)
            if isinstance(widget, Label) and widget.text.strip() and widget.texture is not None:
                text = measure_text(node, height, window)
                if text is None or text.visible is None:
                    continue  # nothing drawn, or none of it in sight
                texts.append(text)
                problems += _check_text(text, window, ppm, panel, residents, unbreakable, min_text)
                # disabled ones too: a closed ticket tile still tells residents when it opens
                problems += _check_contrast(text, image, min_contrast)
    problems += _check_overlaps(texts)
    problems += _check_button_overlaps(buttons)
    return problems


def _check_inside_root(nodes: List[WidgetNode], window: Box) -> List[Problem]:
    """Buttons and texts that stick out of their screen into the window's other parts (under the marquee):
    what sticks out of the window itself is the window check's, what is wholly out of sight is hidden."""
    if not nodes or nodes[0].strip:
        return []
    root, problems = nodes[0], []
    for node in nodes[1:]:
        if not isinstance(node.widget, (ButtonBehavior, Label)) or not getattr(node.widget, "text", True):
            continue
        shown = clip_to_views(node, node.box)
        shown = intersect(shown, window) if shown else None
        past = _outside(shown, root.box) if shown else {}
        if past:
            problems.append(Problem(node.path, "offscreen",
                                    f"{_describe_past(past)} of its screen {root.path} (drawn over what is beside it)"))
    return problems


def _check_button_overlaps(buttons: List[WidgetNode]) -> List[Problem]:
    """Two buttons on top of each other: a tap on one may press the other."""
    problems = []
    for i, a in enumerate(buttons):
        for b in buttons[i + 1:]:
            if _related(a, b):
                continue
            both = intersect(clip_to_views(a, a.box) or a.box, clip_to_views(b, b.box) or b.box)
            if both and both[2] - both[0] > OVERLAP_PX and both[3] - both[1] > OVERLAP_PX:
                problems.append(Problem(a.path, "overlap", f"the button lies over {b.path} by {_size(both)} px"))
    return problems


def _check_reach(node: WidgetNode, shown: Box, line: float, height: int) -> List[Problem]:
    """A control in the top of a screen mounted high, out of a wheelchair user's reach."""
    if node.widget.disabled or shown[1] >= line - TOLERANCE:
        return []
    return [Problem(node.path, "reach", f"the button's top is {shown[1]:.0f} px from the screen's top, above the "
                                        f"reach line at {line:.0f} px ({line / height:.0%} of the height)")]


def _check_button(node: WidgetNode, window: Box, ppm: float, panel: Panel) -> List[Problem]:
    widget, problems = node.widget, []
    if not widget.disabled:
        minimum = MIN_TARGET_MM * ppm
        if widget.width < minimum - 0.01 or widget.height < minimum - 0.01:
            problems.append(Problem(node.path, "small-target",
                                    f"button {widget.width:.0f}x{widget.height:.0f} px = "
                                    f"{widget.width / ppm:.1f}x{widget.height / ppm:.1f} mm < {MIN_TARGET_MM:g} mm "
                                    f"on the {panel.name} (needs >= {minimum:.1f} px each way)"))
    if not node.strip:
        shown = clip_to_views(node, node.box)
        past = _outside(shown, window) if shown else {}
        if past:
            problems.append(Problem(node.path, "offscreen",
                                    f"button at x {shown[0]:.0f}..{shown[2]:.0f}, y {shown[1]:.0f}..{shown[3]:.0f} "
                                    f"(top row 0): {_describe_past(past)} of the {window[2]}x{window[3]} window"))
    return problems


def _drawn_font_size(label: Label) -> float:
    """The size the text is drawn at: the core label's (the app draws at a few sizes, ``fonts.TEXT_STEPS``)."""
    core = getattr(label, "_label", None)
    size = core.options.get("font_size") if core is not None else None
    return float(size) if isinstance(size, (int, float)) and size > 0 else float(label.font_size)


def _check_text(text: DrawnText, window: Box, ppm: float, panel: Panel, residents: bool,
                unbreakable: Tuple[str, ...], min_text: float = MIN_TEXT_MM) -> List[Problem]:
    node, label, problems = text.node, text.node.widget, []
    path = node.path
    if residents:
        minimum = min_text / IDEOGRAPH_EM * ppm
        drawn = _drawn_font_size(label)
        if drawn < minimum - 0.01:
            asked = f" (asked for {label.font_size:.1f})" if abs(drawn - label.font_size) > 0.05 else ""
            problems.append(Problem(path, "small-text",
                                    f"font {drawn:.1f} px{asked}: an ideograph is "
                                    f"{drawn * IDEOGRAPH_EM / ppm:.1f} mm < {min_text:g} mm on the "
                                    f"{panel.name} (needs >= {minimum:.1f} px)"))
    if getattr(label, "is_shortened", False):
        shown = "".join("".join(w.text for w in line.words) for line in label._label._cached_lines)
        problems.append(Problem(path, "ellipsis", f"{label.text!r} shortened to {shown!r} "
                                                  f"in a {label.width:.0f} px wide box"))
    if not node.strip:
        problems += _check_fit(text)
        if text.clipped is not None:
            past = _outside(text.clipped, window)
            if past:
                v = text.clipped
                problems.append(Problem(path, "offscreen",
                                        f"text at x {v[0]:.0f}..{v[2]:.0f}, y {v[1]:.0f}..{v[3]:.0f} (top row 0): "
                                        f"{_describe_past(past)} of the {window[2]}x{window[3]} window"))
    if label.text_size[0] is not None and not label.markup and not getattr(label, "is_shortened", False):
        for detail in word_breaks(label, unbreakable):
            problems.append(Problem(path, "word-break", detail))
    return problems


def _cut_sides(text: DrawnText) -> List[str]:
    """The texture's edges where ink reaches the edge and the laid-out lines go on beyond it."""
    if text.mask is None:
        return []
    tex, lines = text.texture_box, union(text.lines)
    w, h = text.mask.size
    edges = {"top": (0, 0, w, 1), "bottom": (0, h - 1, w, h), "left": (0, 0, 1, h), "right": (w - 1, 0, w, h)}
    beyond = {"top": lines[1] < tex[1] - 0.5, "bottom": lines[3] > tex[3] + 0.5,
              "left": lines[0] < tex[0] - 0.5, "right": lines[2] > tex[2] + 0.5}
    return [side for side, box in edges.items()
            if beyond[side] and text.mask.crop(box).getextrema()[1] > INK_ALPHA]


def _check_fit(text: DrawnText) -> List[Problem]:
    node, label = text.node, text.node.widget
    natural_w, natural_h, dropped, total = natural_size(label)
    what = f"text {natural_w:.0f}x{natural_h:.0f} px in a {label.width:.0f}x{label.height:.0f} px box"
    problems = []
    past = _outside(text.drawn, node.box)
    tex = text.texture_box
    # lines laid out but (mostly) outside the texture: Kivy centres too tall a text in text_size
    outside = 0 if text.lines == [tex] else sum(
        1 for line in text.lines
        if min(line[3], tex[3]) - max(line[1], tex[1]) < (line[3] - line[1]) / 2
        or min(line[2], tex[2]) - max(line[0], tex[0]) < (line[2] - line[0]) / 2)
    cut = _cut_sides(text)
    if dropped:
        problems.append(Problem(node.path, "overflow", f"{what}: {dropped} of {total} lines not drawn (lines cut)"))
    elif outside or cut:
        said = [f"{outside} of {len(text.lines)} lines outside its texture (lines cut)"] if outside else []
        said += [f"glyphs cut at the {' and '.join(cut)} edge of its texture"] if cut else []
        problems.append(Problem(node.path, "overflow", f"{what}: {'; '.join(said)}"))
    elif past:
        problems.append(Problem(node.path, "overflow", f"{what}: its ink {_describe_past(past)} of the box"))
    elif node.button and _outside(text.drawn, node.button[0]):  # the label grew out of its tile or button
        past = _outside(text.drawn, node.button[0])
        problems.append(Problem(node.path, "overflow", f"{what}: its ink {_describe_past(past)} of "
                                                       f"{node.button[1]} ({_size(node.button[0])} px)"))
    for scroll, sbox, can_x, can_y, spath in node.scrolls:
        past = _outside(text.drawn, sbox)
        past = {side: v for side, v in past.items()
                if not (can_x and side in ("left", "right")) and not (can_y and side in ("top", "bottom"))}
        if past:
            problems.append(Problem(node.path, "clipped", f"text {_size(text.drawn)} px cut by "
                                                          f"{type(scroll).__name__} {spath}: {_describe_past(past)}"))
    for stencil, sbox, spath in node.stencils:
        past = _outside(text.drawn, sbox)
        if past:
            problems.append(Problem(node.path, "clipped", f"text {_size(text.drawn)} px cut by "
                                                          f"{type(stencil).__name__} {spath}: {_describe_past(past)}"))
    return problems


# -- pixels: contrast and overlap ---------------------------------------------------------

def _visible_ink(text: DrawnText) -> List[Box]:
    """The ink box of each line, the part shown."""
    return [box for box in (intersect(line, text.visible) for line in text.ink) if box]


def _check_contrast(text: DrawnText, image: Image.Image, min_contrast: float = MIN_CONTRAST) -> List[Problem]:
    visible = text.visible
    if visible is None or visible[2] - visible[0] < MIN_MEASURED_PX or visible[3] - visible[1] < MIN_MEASURED_PX:
        return []
    ink = _visible_ink(text)
    if not ink or text.mask is None:
        return []
    label = text.node.widget
    tex = text.texture_box
    ox, oy = int(round(tex[0])), int(round(tex[1]))
    margin = max(2, int(label.font_size * 0.2))
    inked = union(ink)
    around = (inked[0] - margin, inked[1] - margin, inked[2] + margin, inked[3] + margin)
    region = clip_to_views(text.node, around)
    region = intersect(region, (0, 0) + image.size) if region else None
    if region is None:
        return []
    region = ints(region)
    pixels = image.crop(region)
    alpha = Image.new("L", pixels.size, 0)
    alpha.paste(text.mask, (ox - region[0], oy - region[1]))
    # background: the commonest colour where this label has no ink at all
    sentinel = Image.new("RGB", pixels.size, (1, 2, 3))
    bare = Image.composite(sentinel, pixels, alpha.point(lambda a: 255 if a > 8 else 0))
    colours = [(count, rgb) for count, rgb in bare.getcolors(pixels.size[0] * pixels.size[1]) if rgb != (1, 2, 3)]
    if not colours:
        return []
    background = max(colours)[1]
    # text: in the stroke cores (the label's most opaque pixels), the colour farthest from the background
    top = alpha.getextrema()[1]
    if top <= INK_ALPHA:
        return []
    cores = alpha.point(lambda a, t=max(INK_ALPHA, top - 24): 255 if a >= t else 0)
    sentinel_value = (1, 2, 3)
    core_pixels = Image.composite(pixels, Image.new("RGB", pixels.size, sentinel_value), cores)
    core_colours = [rgb for _count, rgb in core_pixels.getcolors(pixels.size[0] * pixels.size[1])
                    if rgb != sentinel_value]
    if not core_colours:
        return []
    bg_lum = luminance(background)
    ink_colour = max(core_colours, key=lambda rgb: abs(luminance(rgb) - bg_lum))
    ratio = contrast_ratio(ink_colour, background)
    if ratio < min_contrast - 0.005:
        return [Problem(text.node.path, "contrast",
                        f"contrast {ratio:.1f}:1 < {min_contrast:g}:1 (text {_hex(ink_colour)} on {_hex(background)})")]
    return []


def _related(a: WidgetNode, b: WidgetNode) -> bool:
    return id(a.widget) in b.ancestors or id(b.widget) in a.ancestors


def _check_overlaps(texts: List[DrawnText]) -> List[Problem]:
    problems = []
    shown = [t for t in texts if not t.node.strip and t.visible is not None]
    for i, a in enumerate(shown):
        for b in shown[i + 1:]:
            if intersect(a.visible, b.visible) is None or _related(a.node, b.node):
                continue
            worst = None
            for ia in _visible_ink(a):
                for ib in _visible_ink(b):
                    both = intersect(ia, ib)
                    if both and both[2] - both[0] > OVERLAP_PX and both[3] - both[1] > OVERLAP_PX:
                        area = (both[2] - both[0]) * (both[3] - both[1])
                        if worst is None or area > worst[0]:
                            worst = (area, both)
            if worst:
                problems.append(Problem(a.node.path, "overlap",
                                        f"its ink and that of {b.node.path} ({_short(b.node.widget.text)}) "
                                        f"overlap by {_size(worst[1])} px"))
    return problems


def _short(text: str, limit: int = 24) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= limit else text[:limit - 1] + "…")

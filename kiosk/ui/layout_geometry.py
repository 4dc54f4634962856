"""
Where a drawn screen's widgets and texts are, for the layout checks
===================================================================

``layout_checks.py`` holds the rules; this module only finds what is there to
judge, so the rules read as rules and not as texture arithmetic:

- :func:`visible_widgets`: every widget under a root that can be seen (opacity
  up the parent chain above zero, size not zero, not scrolled out of view), in
  drawing order, with a readable path (the screen's name, then ids; widgets
  without an id by class name and index), its box in window pixels and the
  ScrollViews, StencilViews and button it is in;
- :func:`measure_text`: where a label's texture is drawn, its laid-out lines
  and the ink of each, clipped to the views it is in and to the window;
- :func:`natural_size`: the size a label's text needs, and the lines Kivy left out.

Boxes are (left, top, right, bottom) in image pixels, top row first.

Where the text is: Kivy's ``Label`` rule draws the texture at
``int(center - texture_size / 2)``; inside the texture, the core label's
laid-out lines (``_label._cached_lines``) have their own x, y, width and
height, and the texture's alpha channel (``Texture.pixels``, read back from
GL) is exactly the label's own ink, whatever else is drawn over or under it.
A label that draws a region of its core texture (``CapsLabel``) is mapped
through the region's texture coordinates.  Measuring ink, not line boxes,
keeps the font's line gap (a CJK line is about 1.45 font sizes) out of
overflow and overlap.
"""

from __future__ import annotations

from collections import Counter
from copy import copy
from dataclasses import dataclass
from typing import Callable, List, Optional, Sequence, Tuple

from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.label import Label
from kivy.uix.scrollview import ScrollView
from kivy.uix.stencilview import StencilView
from kivy.uix.widget import Widget
from PIL import Image

__all__ = ["Box", "INK_ALPHA", "WidgetNode", "DrawnText", "visible_widgets", "measure_text", "clip_to_views",
           "natural_size", "intersect", "union", "ints"]

#: Texture alpha above which a pixel is ink (of 255).
INK_ALPHA = 64


# -- boxes: (left, top, right, bottom) in image pixels, top row first ---------------------

Box = Tuple[float, float, float, float]


def intersect(a: Box, b: Box) -> Optional[Box]:
    box = (max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3]))
    return box if box[0] < box[2] and box[1] < box[3] else None


def union(boxes: Sequence[Box]) -> Box:
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def ints(box: Box) -> Tuple[int, int, int, int]:
    return int(round(box[0])), int(round(box[1])), int(round(box[2])), int(round(box[3]))


# -- the tree -----------------------------------------------------------------------------

@dataclass
class WidgetNode:
    widget: Widget
    path: str
    box: Box                         # the widget's own box
    scrolls: Tuple[Tuple[Widget, Box, bool, bool, str], ...]  # ScrollView ancestors: (sv, box, scroll x, scroll y, path)
    stencils: Tuple[Tuple[Widget, Box, str], ...]             # other StencilView ancestors
    strip: bool                      # inside a moving strip (the marquee)
    ancestors: Tuple[int, ...]       # id() of every ancestor
    button: Optional[Tuple[Box, str]] = None  # the nearest ButtonBehavior ancestor (a tile): its box and path


def _real(widget):
    ref = getattr(widget, "__ref__", None)
    return ref() if callable(ref) else widget


def _window_box(widget: Widget, height: int) -> Box:
    x, y = widget.to_window(*widget.pos)
    return (x, height - y - widget.height, x + widget.width, height - y)


def _can_scroll(scroll: ScrollView) -> Tuple[bool, bool]:
    content = scroll.children[0] if scroll.children else None
    if content is None:
        return False, False
    return (bool(scroll.do_scroll_x) and content.width > scroll.width + 1,
            bool(scroll.do_scroll_y) and content.height > scroll.height + 1)


def visible_widgets(root: Widget, height: int, strip: bool, exempt: Callable[[Widget], bool]) -> List[WidgetNode]:
    """Every visible widget under ``root`` (itself included), in drawing order, with its path."""
    nodes: List[WidgetNode] = []
    counters: Counter = Counter()
    name = getattr(root, "name", "")
    root_path = name if isinstance(name, str) and name else type(root).__name__

    def visit(widget, path, anchor, names, opacity, scrolls, stencils, ancestors, button):
        if exempt(widget):
            return
        opacity *= widget.opacity
        if opacity <= 0:
            return
        box = _window_box(widget, height)
        if any(intersect(box, sbox) is None for _sv, sbox, *_rest in scrolls):
            return  # scrolled out of view
        if widget.width > 0 and widget.height > 0:
            nodes.append(WidgetNode(widget, path, box, scrolls, stencils, strip, ancestors, button))
        names = dict(names)
        for key, value in getattr(widget, "ids", {}).items():
            names[id(_real(value))] = key
        own_anchor = anchor
        if widget is root or getattr(widget, "ids", None):
            own_anchor = (id(widget), path)
        if isinstance(widget, ScrollView):
            sx, sy = _can_scroll(widget)
            scrolls = scrolls + ((widget, box, sx, sy, path),)
        elif isinstance(widget, StencilView):
            stencils = stencils + ((widget, box, path),)
        ancestors = ancestors + (id(widget),)
        if isinstance(widget, ButtonBehavior) and widget.width > 0 and widget.height > 0:
            button = (box, path)
        for child in reversed(widget.children):  # drawing order: first added first
            key = names.get(id(child))
            if key:
                child_path = f"{own_anchor[1]}/{key}"
                child_anchor = (id(child), child_path)
            else:
                cls = type(child).__name__
                index = counters[(own_anchor[0], cls)]
                counters[(own_anchor[0], cls)] += 1
                child_path = f"{own_anchor[1]}/{cls}[{index}]"
                child_anchor = own_anchor  # an anonymous layout: its children are numbered under the anchor
            visit(child, child_path, child_anchor, names, opacity, scrolls, stencils, ancestors, button)

    visit(root, root_path, (id(root), root_path), {}, 1.0, (), (), (), None)
    return nodes


# -- text geometry ------------------------------------------------------------------------

@dataclass
class DrawnText:
    node: WidgetNode
    texture_box: Box                 # where the texture is drawn
    lines: List[Box]                 # each laid-out line with text (the texture box if unknown)
    mask: Optional[Image.Image]      # the drawn texture's alpha (texture box sized, top row first), if readable
    ink: List[Box]                   # the ink box of each line, as drawn (inside the texture box)
    drawn: Box                       # all the ink (or, without a mask, the lines inside the texture)
    clipped: Optional[Box]           # drawn ∩ every StencilView and ScrollView it is in
    visible: Optional[Box]           # clipped ∩ window


def _texture_box(label: Label, height: int) -> Box:
    tw, th = label.texture_size
    x = int(label.center_x - tw / 2.0)  # Kivy's <Label> rule
    y = int(label.center_y - th / 2.0)
    wx, wy = label.to_window(x, y)
    return (wx, height - wy - th, wx + tw, height - wy)


def _source(label: Label):
    """The core label's whole texture and the part of it drawn (left, top, right, bottom; top row 0).

    A plain Label draws all of it; a label may draw a region of it (``CapsLabel`` keeps the middle
    rows): the region's texture coordinates say which.  (None, None) for a texture of other origin.
    """
    full = getattr(label._label, "texture", None)
    drawn = label.texture
    if full is None or drawn is None:
        return None, None
    if drawn is full:
        return full, (0, 0) + tuple(full.size)
    fw, fh = full.size
    c = drawn.tex_coords  # bottom-left, bottom-right, top-right, top-left; v = 0 is the text's top row
    left, top, right, bottom = c[6] * fw, c[7] * fh, c[2] * fw, c[3] * fh
    region = ints((left, top, right, bottom))
    if (region[2] - region[0], region[3] - region[1]) != tuple(drawn.size) or \
            region[0] < 0 or region[1] < 0 or region[2] > fw or region[3] > fh:
        return None, None
    return full, region


def _mask(full, region) -> Optional[Image.Image]:
    try:
        alpha = Image.frombytes("RGBA", tuple(full.size), full.pixels).getchannel("A")
    except Exception:  # a texture GL cannot read back
        return None
    return alpha if region == (0, 0) + tuple(full.size) else alpha.crop(region)


def measure_text(node: WidgetNode, height: int, window: Box) -> Optional[DrawnText]:
    label = node.widget
    tex = _texture_box(label, height)
    if tex[2] - tex[0] < 1 or tex[3] - tex[1] < 1:
        return None
    full, region = _source(label)
    lines = []
    if region is not None and not label.markup:  # markup lines are placed by their own renderer
        for line in getattr(label._label, "_cached_lines", None) or []:
            if not "".join(word.text for word in line.words).strip() or line.w <= 0:
                continue
            x, y = tex[0] + line.x - region[0], tex[1] + line.y - region[1]
            lines.append((x, y, x + line.w, y + line.h))
    lines = lines or [tex]
    mask = _mask(full, region) if region is not None else None
    ink = []
    ox, oy = int(round(tex[0])), int(round(tex[1]))
    for line in lines:
        part = intersect(line, tex)
        if part is None:
            continue
        if mask is None:
            ink.append(part)
            continue
        part = ints(part)
        bbox = mask.crop((part[0] - ox, part[1] - oy, part[2] - ox, part[3] - oy)) \
            .point(lambda a: 255 if a > INK_ALPHA else 0).getbbox()
        if bbox:
            ink.append((part[0] + bbox[0], part[1] + bbox[1], part[0] + bbox[2], part[1] + bbox[3]))
    if not ink:
        return None  # nothing drawn (blank glyphs, or every line outside the texture)
    drawn = union(ink)
    clipped = clip_to_views(node, drawn)
    visible = intersect(clipped, window) if clipped else None
    return DrawnText(node, tex, lines, mask, ink, drawn, clipped, visible)


def clip_to_views(node: WidgetNode, box: Box) -> Optional[Box]:
    region = box
    for _widget, sbox, *_rest in node.scrolls + node.stencils:
        if region is None:
            return None
        region = intersect(region, sbox)
    return region


def natural_size(label: Label) -> Tuple[float, float, int, int]:
    """The laid-out text's size (padding included) with no limit on its height, and how many of
    its lines were left out of the texture, of how many."""
    core = label._label
    width, height = getattr(core, "_internal_size", label.texture_size)
    uw, uh = core.text_size
    shown = sum(1 for line in core._cached_lines if "".join(w.text for w in line.words).strip())
    if uh is None or label.markup or getattr(label, "is_shortened", False):
        return width, height, 0, shown
    try:
        from kivy.core.text.text_layout import layout_text
        options = copy(core.options)
        options["space_width"] = core.get_extents(" ")[0]
        options["strip"] = strip = options["strip"] or options["halign"] == "justify"
        options["text_size"] = (uw, None)
        text = core.text.strip() if strip else core.text
        lines = []
        width, height, _clipped = layout_text(text, lines, (0, 0), (uw, None), options,
                                              core.get_cached_extents(), True, True)
        total = sum(1 for line in lines if "".join(w.text for w in line.words).strip())
    except Exception:  # a provider or Kivy version laying out differently: what was drawn
        return width, height, 0, shown
    return width, height, max(0, total - shown), total

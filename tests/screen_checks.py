"""What a resident would notice, measured on the running app: where widgets are, the lines Kivy drew, the colours."""

from kiosk.i18n import unbreakable_words
from kiosk.ui.layout_checks import contrast_ratio, luminance


def window_rect(widget):
    """(x1, y1, x2, y2) in window pixels, y up."""
    x, y = widget.to_window(widget.x, widget.y)
    return x, y, x + widget.width, y + widget.height


def text_rect(label):
    """Where a label's texture (its drawn text) is, in window pixels, as Kivy places it (centred)."""
    x1, y1, x2, y2 = window_rect(label)
    w, h = label.texture_size
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    return cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2


def inside(inner, outer, slack=1):
    return (inner[0] >= outer[0] - slack and inner[1] >= outer[1] - slack and
            inner[2] <= outer[2] + slack and inner[3] <= outer[3] + slack)


def overlap(a, b):
    return min(a[2], b[2]) - max(a[0], b[0]) > 1 and min(a[3], b[3]) - max(a[1], b[1]) > 1


def drawn_size(label):
    """The font size a label's text is drawn at, in pixels (Kivy's text provider may round it down)."""
    label.texture_update()
    return label._label.options["font_size"]


def drawn_lines(label):
    """The lines Kivy laid out for a label, as text."""
    label.texture_update()
    return ["".join(word.text for word in line.words) for line in label._label._cached_lines]


def broken_words(label, lang):
    """English words, and the words the language lists as unbreakable, of a label's text that its drawn lines split."""
    lines = [line.strip().lower() for line in drawn_lines(label)]
    text = label.text.replace("\n", "").replace("\u200b", "").lower()
    problems = []
    for word in label.text.split():
        if word.isascii() and not any(word.lower() in line.split() or word.lower() in line for line in lines):
            problems.append(word)
    for word in unbreakable_words(lang):
        if word.lower() in text and not any(word.lower() in line for line in lines):
            problems.append(word)
    return problems


def text_contrast(image, label):
    """The contrast between a label's text and what is behind it, from the screen's pixels (WCAG ratio)."""
    x1, y1, x2, y2 = text_rect(label)
    height = image.size[1]
    box = image.crop((int(x1), int(height - y2), int(x2 + 0.999), int(height - y1 + 0.999)))
    colours = [colour for _, colour in sorted(box.getcolors(box.width * box.height), reverse=True)]
    background = colours[0]  # the most common colour
    ink = max(colours, key=lambda p: abs(luminance(p) - luminance(background)))
    return contrast_ratio(ink, background)

"""下載書表 as a resident sees it: popular forms inside their boxes, a long title inside its area, large text."""

import os

import pytest

from kiosk.forms import record_view
from screen_checks import broken_words, drawn_size, drawn_lines, inside, overlap, text_contrast, text_rect, window_rect

SIZES = [(800, 480), (1024, 600), (1280, 800), (1920, 1080)]
IDS = [f"{w}x{h}" for w, h in SIZES]
MIN_TEXT_UNITS = 3.8  # 3 mm on the 7" HDMI panel


def save(ui, name):
    """KIOSK_TEST_SHOTS=DIR keeps the pictures, to look at."""
    if os.environ.get("KIOSK_TEST_SHOTS"):
        ui.grab().save(os.path.join(os.environ["KIOSK_TEST_SHOTS"], f"{name}.png"))


def labels_of(widget):
    from kivy.uix.label import Label
    return [w for w in widget.walk(restrict=True) if isinstance(w, Label) and w.text and w.opacity > 0]


def check_text(ui, label, area, where):
    u = ui.app.u
    assert drawn_size(label) >= MIN_TEXT_UNITS * u, f"{where}: {label.text!r} is drawn at {drawn_size(label) / u:.2f} u"
    assert inside(text_rect(label), window_rect(area)), f"{where}: {label.text!r} leaves its box"
    assert label.texture_size[1] <= label.height + 1, f"{where}: {label.text!r} is taller than its label"
    if getattr(label, "break_after", ""):  # an address breaks only after a "/"
        assert all(line.endswith("/") for line in drawn_lines(label)[:-1]), f"{where}: {drawn_lines(label)}"
    else:
        assert not broken_words(label, ui.app.lang), f"{where}: {label.text!r} drawn as {drawn_lines(label)}"


@pytest.mark.parametrize("lang", ["zh-TW", "en"])
@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_popular_forms_sit_inside_their_own_boxes_below_the_categories(ui, size, lang):
    catalogue = ui.app.forms.catalogue
    for code in ("id-card", "transcript-en", "move-in"):  # the longest English titles among them
        record_view(ui.app.services.store, catalogue.by_code(code), lang)
    ui.app.lang = lang
    ui.resize(size)
    ui.app.show("forms")
    ui.frames(6)
    screen = ui.screen
    save(ui, f"forms-popular-{lang}-{size[0]}x{size[1]}")
    boxes = screen.ids.popular.children[::-1]
    assert len(boxes) == 3
    tiles = screen.ids.categories.children
    lowest_tile = min(window_rect(t)[1] for t in tiles)
    for box in boxes:
        title = box.ids.title
        assert title.text, "an empty popular box"
        check_text(ui, title, box, f"popular {box.code} at {size}")
        assert text_rect(title)[3] <= lowest_tile, f"{title.text!r} is drawn over the category tiles at {size}"
        assert window_rect(box)[1] >= window_rect(ui.app.marquee)[3], f"{box.code} box goes under the marquee"
    for tile in tiles:
        check_text(ui, tile.ids.title, tile, f"category {tile.code} at {size}")
    image = ui.grab()
    for box in boxes:
        assert text_contrast(image, box.ids.title) >= 4.5


@pytest.mark.parametrize("lang", ["zh-TW", "en"])
@pytest.mark.parametrize("size", [(800, 480), (1024, 600)], ids=["800x480", "1024x600"])
def test_a_category_s_rows_show_title_and_description_whole(ui, size, lang):
    ui.app.lang = lang
    ui.resize(size)
    ui.app.forms.open_category("household")
    ui.frames(6)
    for row in ui.screen.ids.rows.children:
        assert row.height >= 13.3 * ui.app.u
        for label in labels_of(row):
            check_text(ui, label, row, f"row {row.code} at {size}")


@pytest.mark.parametrize("lang", ["zh-TW", "en"])
@pytest.mark.parametrize("size", SIZES, ids=IDS)
@pytest.mark.parametrize("code", ["id-card", "move-in", "transcript-en"])
def test_one_form_s_texts_stay_in_their_area_beside_a_scannable_qr(ui, size, lang, code):
    ui.app.lang = lang
    ui.resize(size)
    ui.app.forms.open_form(code)
    ui.frames(6)
    screen = ui.screen
    save(ui, f"form-{code}-{lang}-{size[0]}x{size[1]}")
    header = window_rect(screen.ids.header)
    body = window_rect(screen.ids.body)
    texts = [screen.ids[name] for name in ("title", "description", "scan", "url") if screen.ids[name].text]
    drawn = []
    for label in texts:
        rect = text_rect(label)
        check_text(ui, label, screen.ids.body, f"{code} {label.text[:20]!r} at {size}")
        assert rect[3] <= header[1] + 1, f"{label.text!r} runs into the header at {size}"
        assert not overlap(rect, window_rect(screen.ids.qr)), f"{label.text!r} is drawn over the QR"
        assert not overlap(rect, window_rect(screen.ids.print_slip)), f"{label.text!r} is under the print button"
        for other in drawn:
            assert not overlap(rect, text_rect(other)), f"{label.text!r} overlaps {other.text!r} at {size}"
        drawn.append(label)
    assert inside(window_rect(screen.ids.print_slip), body)
    # the QR keeps its size: at least 55% of the body's height (about 4.5 cm on the 7" display)
    assert screen.ids.qr.width >= 0.55 * (body[3] - body[1]) - 1

"""The staff's status screen at 800x480: every label whole, the faults in view, buttons for a finger."""

import pytest

from screen_checks import drawn_lines, inside, text_contrast, text_rect, window_rect

PANEL_MM = {(800, 480): 154.08, (1024, 600): 154.21, (1280, 800): 216.96, (1920, 1080): 344.16}
SIZES = list(PANEL_MM)


def open_admin(ui, size, lang):
    for n in range(3):
        ui.app.services.record_fault("printer_cover_open", f"printer sim://printer has its cover open ({n})")
    ui.app.lang = lang
    ui.resize(size)
    ui.app.show("admin")
    ui.app.admin.refresh()
    ui.wait_for(lambda: ui.screen.rows and ui.screen.faults)
    ui.frames(6)
    return ui.screen


@pytest.mark.parametrize("lang", ["zh-TW", "en"])
@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_status_labels_are_whole_and_the_faults_in_view(ui, size, lang):
    screen = open_admin(ui, size, lang)
    cells = screen.ids.status.children[::-1]
    assert len(cells) == 2 * len(screen.rows)
    for cell in cells:
        shown = "".join(drawn_lines(cell)).replace(" ", "")
        assert shown == cell.text.replace(" ", "").replace("\n", ""), f"{cell.text!r} is drawn as {drawn_lines(cell)}"
        assert cell.texture_size[1] <= cell.height + 1 and cell.texture_size[0] <= cell.width + 1
    # the faults: their heading and first line on screen, above the marquee, without scrolling
    faults = screen.ids.faults
    marquee_top = window_rect(ui.app.marquee)[3]
    first_line_top = window_rect(faults)[3]
    first_line = (window_rect(faults)[0], first_line_top - faults.font_size * 1.5, window_rect(faults)[2], first_line_top)
    assert first_line[1] >= marquee_top, f"the faults start below the fold at {size}"
    assert inside(first_line, window_rect(screen.ids.faults_scroll)), "the faults are scrolled out of view"
    assert faults.text.splitlines()[0].endswith("(2)") or "printer_cover_open" in faults.text


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_admin_buttons_are_at_least_12_mm_with_readable_labels(ui, size):
    screen = open_admin(ui, size, "en")
    minimum = 12 * size[0] / PANEL_MM[size]
    ui.frames(6)
    image = ui.grab()
    for button in screen.ids.actions.children:
        assert button.width >= minimum and button.height >= minimum, f"{button.text!r} is {button.size} at {size}"
        assert inside(text_rect(button), window_rect(button)), f"{button.text!r} leaves its button at {size}"
        # (pixels only up to the tests' 1280x800 window: the offscreen GL surface does not grow past it)
        assert size[0] > 1280 or text_contrast(image, button) >= 4.5, f"{button.text!r}: white on its colour is too faint"

"""Each layout defect issue 15 found on the lived-in kiosk, planted back on the real screen: the audit's checks
(kiosk/ui/layout_checks.py, what `kiosk audit layout` runs) report it, and report nothing of the kind without it.

The defects of what the screens *say* (the rating screen's question, the ticket's QR caption, the out-of-service
screen's words, the English marquee) are not layout: their own tests fail on the old behaviour
(test_rating_screen.py, test_ticket_caption.py, test_setup_screen.py, test_marquee_languages.py).
"""

import pytest
from kivy.core.text import Label as CoreLabel
from kivy.uix.label import Label

from kiosk.forms import record_view
from kiosk.i18n import unbreakable_words
from kiosk.ui.layout_checks import check, panel_for

SIZE = (800, 480)


def audit(ui, screen=None):
    """What the audit says of the screen on show, at 800x480."""
    ui.frames(4)
    return check([screen or ui.screen, ui.app.marquee], ui.grab(), panel_for(SIZE),
                 residents=ui.app.manager.current not in ("admin", "admin_pin"),
                 unbreakable=unbreakable_words(ui.app.lang))


def kinds_at(problems, fragment):
    return {p.kind for p in problems if fragment in p.widget}


@pytest.fixture
def plant(ui):
    """``plant(widget, name=value...)``: set properties now, put the old values back after the test.

    The app is shared by every UI test: a defect left planted would break the next test's screen.
    """
    planted = []

    def set_(widget, **values):
        for name, value in values.items():
            planted.append((widget, name, getattr(widget, name)))
            setattr(widget, name, value)
    yield set_
    for widget, name, value in reversed(planted):
        setattr(widget, name, value)
    ui.frames(2)


@pytest.fixture
def small(ui):
    ui.resize(SIZE)
    yield ui


def test_1_popular_forms_pushed_over_the_category_tiles(small, plant):
    ui = small
    catalogue = ui.app.forms.catalogue
    for code in ("move-in", "id-card", "transcript"):
        record_view(ui.app.services.store, catalogue.by_code(code), "zh-TW")
    ui.tap(ui.home.ids.forms)
    assert not kinds_at(audit(ui), "popular"), "the forms screen has popular-row problems before any plant"
    # The old row: 14 u tall in a row of popular forms 14 u tall, its hidden description label keeping
    # Kivy's default height of 100 px, which pushed the title up out of its box, over the category tiles.
    popular = ui.screen.ids.popular
    for row in popular.children:
        plant(row.ids.description, height=100)
    ui.frames(4)
    plant(popular, height=ui.app.u * 14)
    for row in popular.children:
        plant(row, height=ui.app.u * 14)
    problems = audit(ui)
    assert kinds_at(problems, "popular") & {"overlap", "overflow", "clipped", "offscreen"}, problems


def test_2_a_long_english_title_runs_into_the_header(small, plant):
    ui = small
    ui.app.lang = "en"
    ui.app.forms.open_form("id-card", count_view=False)
    assert not [p for p in audit(ui) if p.widget.startswith("form/")], "the form screen has problems before any plant"
    screen = ui.screen
    screen.on_leave()                 # the old screen: no fitting of its texts to the column...
    plant(screen, fit=1.0)
    title = screen.ids.title
    plant(title, fit_lines=0, max_font_size=ui.app.u * 6)  # ...the title as many lines as it takes...
    column = screen.ids.column        # ...and the column as tall as its texts, grown upwards
    plant(column, size_hint_y=None, height=sum(w.height for w in column.children) + 200)
    try:
        problems = audit(ui)
    finally:
        screen.on_enter()
    assert [p for p in problems if p.widget.startswith("form/") and
            p.kind in ("overlap", "overflow", "clipped", "offscreen")], problems


def test_3_small_names_and_grey_closed_tiles(small, plant):
    ui = small
    ui.app.lang = "en"
    ui.tap(ui.home.ids.ticket)
    assert not [p for p in audit(ui) if "ServiceTile" in p.widget], "the tiles have problems before any plant"
    tiles = ui.screen.tiles()
    plant(tiles[0].ids.name, min_font_size=12, max_font_size=12)  # the old English names: 11-14 px at 800x480
    plant(tiles[1], state_key="ticket.closed")   # a closed tile, its labels in Kivy's faded disabled colour
    for label in (tiles[1].ids.waiting, tiles[1].ids.name, tiles[1].ids.bottom, tiles[1].ids.letter):
        plant(label, disabled_color=(1, 1, 1, 0.3))
    problems = audit(ui)
    assert "small-text" in kinds_at(problems, "ServiceTile[0]/name"), problems
    assert "contrast" in kinds_at(problems, "ServiceTile[1]/"), problems


@pytest.mark.parametrize("lang, text, fits, broken", [
    ("en", "Office", "Off", "Off|ice"),
    ("zh-TW", "身心障礙", "身心障", "障|礙"),
])
def test_4_a_word_broken_across_two_lines_on_a_tile(small, lang, text, fits, broken):
    ui = small
    ui.app.lang = lang
    ui.tap(ui.home.ids.ticket)
    tile = ui.screen.tiles()[-1]
    # The old tile's name: a plain Label, which breaks a word that does not fit its width anywhere.
    probe = Label(text=text, font_size=ui.app.u * 5, bold=True, size_hint_y=None, height=ui.app.u * 16)
    core = CoreLabel(text=fits, font_size=probe.font_size, bold=True)  # as wide as the part that fits
    core.refresh()
    width = core.content_width + 2
    probe.text_size = (width, None)
    probe.size_hint_x, probe.width = None, width
    tile.add_widget(probe, index=1)
    try:
        problems = audit(ui)
        breaks = [p for p in problems if p.kind == "word-break" and "ServiceTile" in p.widget]
        assert breaks and broken in breaks[0].detail, problems
    finally:
        tile.remove_widget(probe)


def test_9_admin_labels_cut_and_buttons_under_12_mm(small, plant):
    ui = small
    ui.app.lang = "en"
    ui.app.admin.open(wait_for_printer=True)
    screen = ui.app.manager.get_screen("admin")
    baseline = audit(ui, screen)
    assert not [p for p in baseline if p.kind in ("overflow", "small-target")], baseline
    for button in screen.ids.actions.children:     # the old buttons: 53 px high
        plant(button, size_hint_y=None, height=53)
    label = next(w for w in screen.ids.status.children if type(w).__name__ == "StatusLabel")
    # the old label: a fixed box that cut its second line
    plant(label, text="Waiting / parked", text_size=(label.width, ui.app.u * 5.5), height=ui.app.u * 5.5)
    problems = audit(ui, screen)
    assert "small-target" in {p.kind for p in problems if "/actions/" in p.widget}, problems
    assert "overflow" in {p.kind for p in problems if "StatusLabel" in p.widget}, problems

"""The language picker (kiosk/ui/language.py): the home screen's row of languages, and the language screen the
header's button opens everywhere else; each language by its own name, one tap switches; idle goes home in
kiosk.language.  Headless, with real touches."""

import pytest

from kiosk.i18n import messages
from kiosk.settings import LANGUAGES

SIZES = [(800, 480), (1024, 600), (1280, 800), (1920, 1080)]
#: Width in mm of the panel that usually has each resolution (as in test_ui.py).
PANEL_WIDTH_MM = {(800, 480): 154.2, (1024, 600): 154.2, (1280, 800): 217.0, (1920, 1080): 344.2}
MIN_TARGET_MM = 12


def own_names():
    return [messages(lang).text("app.language_name") for lang in LANGUAGES]


def choice(choices, lang):
    return next(c for c in choices if c.lang == lang)


def window_rect(widget):
    x, y = widget.to_window(widget.x, widget.y)
    return x, y, x + widget.width, y + widget.height


def open_picker_from_ticket_screen(ui):
    ui.tap(ui.home.ids.ticket)
    assert ui.app.manager.current == "ticket"
    ui.tap(ui.screen.ids.header.ids.language)
    assert ui.app.manager.current == "language"
    return ui.screen.ids.choices.choices


def test_the_home_row_offers_every_language_by_its_own_name_and_one_tap_switches(ui):
    row = ui.home.ids.languages.choices
    assert [c.lang for c in row] == list(LANGUAGES)
    assert [c.text for c in row] == own_names() == ["中文", "English", "Tiếng Việt", "Bahasa Indonesia", "ภาษาไทย",
                                                    "Filipino"]
    assert [c.selected for c in row] == [lang == "zh-TW" for lang in LANGUAGES]  # the current one marked
    assert ui.home.ids.header.ids.language.opacity == 0  # the row does the header button's work here
    ui.tap(choice(row, "en"))
    assert (ui.app.manager.current, ui.app.lang) == ("home", "en")
    assert ui.home.ids.ticket.title == "Take a number"
    assert [c.selected for c in row] == [lang == "en" for lang in LANGUAGES]
    assert [c.text for c in row] == own_names()  # each still in its own language
    ui.tap(choice(row, "th"))
    assert ui.home.ids.ticket.title == "รับ\u200bบัตรคิว" and ui.home.ids.ticket.ids.title.text == "รับ\u200bบัตรคิว"
    ui.tap(choice(row, "zh-TW"))
    assert (ui.app.manager.current, ui.app.lang) == ("home", "zh-TW")
    assert ui.home.ids.ticket.title == "抽號碼牌"


def test_the_header_button_says_language_beside_a_drawn_globe(ui):
    ui.tap(ui.home.ids.forms)
    button = ui.screen.ids.header.ids.language
    assert button.text == "語言" and button.opacity == 1 and not button.disabled
    globe = next(w for w in button.children if type(w).__name__ == "GlobeIcon")
    left, bottom, right, top = globe.x, globe.y, globe.right, globe.top  # the button's own coordinates
    text_left = button.center_x - button.texture_size[0] / 2 + button.padding[0]
    assert button.x <= left and right <= text_left, "the globe sits left of the word, inside the button"
    assert bottom >= button.y and top <= button.top
    ui.app.lang = "en"
    ui.frames(2)
    assert button.text == "Language"


def test_from_the_ticket_screen_the_picker_switches_and_returns_there(ui):
    choices = open_picker_from_ticket_screen(ui)
    picker = ui.screen
    assert picker.ids.header.ids.title.text == "語言"
    assert picker.ids.header.ids.language.opacity == 0  # no button to open the screen one is on
    assert [c.text for c in choices] == own_names()
    assert [c.selected for c in choices] == [lang == "zh-TW" for lang in LANGUAGES]
    ui.tap(choice(choices, "en"))
    assert (ui.app.manager.current, ui.app.lang) == ("ticket", "en")
    header = ui.screen.ids.header
    assert header.ids.title.text == "Take a number"
    assert ui.screen.ids.intro.text == messages("en").text("ticket.intro")
    assert header.ids.language.text == "Language"


def test_the_pickers_back_button_returns_without_switching(ui):
    open_picker_from_ticket_screen(ui)
    back = ui.screen.ids.header.ids.back
    assert back.text.endswith("返回上一頁")
    ui.tap(back)
    assert (ui.app.manager.current, ui.app.lang) == ("ticket", "zh-TW")


@pytest.mark.parametrize("current", LANGUAGES)
def test_the_pickers_buttons_are_labelled_in_their_own_languages(ui, current):
    ui.app.lang = current
    ui.app.open_languages()
    ui.frames(3)
    assert [c.text for c in ui.screen.ids.choices.choices] == own_names()
    assert [c.text for c in ui.home.ids.languages.choices] == own_names()
    assert "🇬" not in "".join(own_names())  # a name, never a flag


def test_idle_on_the_picker_goes_home_in_the_configured_language(ui):
    choices = open_picker_from_ticket_screen(ui)
    ui.tap(choice(choices, "en"))
    ui.tap(ui.screen.ids.header.ids.language)
    assert (ui.app.manager.current, ui.app.lang) == ("language", "en")
    timeout = ui.app.kiosk_config.display.idle_timeout
    ui.clock.advance(timeout - 1)
    ui.app.check_idle()
    assert (ui.app.manager.current, ui.app.lang) == ("language", "en"), "went home before the timeout"
    ui.clock.advance(2)
    ui.app.check_idle()  # first "Need more time?" (tests/test_idle_prompt.py), then home when nobody answers
    ui.clock.advance(ui.app.kiosk_config.display.idle_warning)
    ui.app.check_idle()
    assert (ui.app.manager.current, ui.app.lang) == ("home", ui.app.kiosk_config.kiosk.language) == ("home", "zh-TW")


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_every_language_button_fits_and_is_at_least_12_mm(ui, size, lang):
    ui.app.lang = lang
    ui.resize(size)
    minimum = MIN_TARGET_MM * size[0] / PANEL_WIDTH_MM[size]
    places = (("home", lambda s: s.ids.languages.choices), ("ticket", lambda s: [s.ids.header.ids.language]),
              ("language", lambda s: s.ids.choices.choices))
    for screen, buttons in places:
        if screen == "language":
            ui.app.open_languages()  # from the ticket screen
        else:
            ui.app.show(screen)
        ui.frames(4)
        for button in buttons(ui.screen):
            x1, y1, x2, y2 = window_rect(button)
            assert button.width >= minimum and button.height >= minimum, \
                f"{button.text!r} on {screen} is {button.size} at {size}"
            assert 0 <= x1 and x2 <= size[0] and 0 <= y1 and y2 <= size[1], \
                f"{button.text!r} leaves the {size} screen on {screen}"
            assert getattr(button, "fits", True) and button.texture_size[0] <= button.width, \
                f"{button.text!r} does not fit at {size} on {screen}"
    ui.app.show("home")
    ui.frames(4)
    rects = [window_rect(b) for b in ui.home.ids.languages.choices]
    assert all(a[2] <= b[0] for a, b in zip(rects, rects[1:])), "the home row's buttons overlap"
    tiles = window_rect(ui.home.ids.tiles)
    assert min(r[1] for r in rects) >= tiles[3] - 0.01, "the home row runs into the tiles"

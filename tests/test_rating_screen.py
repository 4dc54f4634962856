"""The rating screen asks its question first; linking a ticket is an optional small step (issue 15, item 5).

After a ticket was taken here, the screen used to replace "how was our service?" by "which ticket?" and a
row of recent numbers — other residents' numbers among them.  Now the question stays, large, and under the
faces one unticked toggle names only the newest ticket taken here in the last few minutes.
"""

from datetime import timedelta

import pytest

from protocol import officetime
from kiosk.config import defaults

INTRO = "請點選您對今天服務的感受"
PANEL_WIDTH_MM = {(800, 480): 154.2, (1024, 600): 154.2, (1280, 800): 217.0, (1920, 1080): 344.2}


def open_rating_screen(ui):
    ui.tap(ui.home.ids.rating)
    assert ui.app.manager.current == "rating"
    ui.frames(2)
    return ui.screen, ui.screen.ids.faces.children[::-1]


def texts_on(screen):
    from kivy.uix.label import Label
    return [w.text for w in screen.walk(restrict=True) if isinstance(w, Label) and w.text and w.opacity > 0
            and all(p.opacity > 0 for p in _parents(w, screen))]


def _parents(widget, screen):
    while widget is not screen and widget.parent is not None:
        widget = widget.parent
        yield widget


def window_rect(widget):
    x, y = widget.to_window(widget.x, widget.y)
    return x, y, x + widget.width, y + widget.height


def take(ui, prefix):
    return ui.app.services.tickets.issue(prefix).label


def test_right_after_a_ticket_the_screen_still_asks_its_question_first_and_large(ui):
    take(ui, "A")
    screen, faces = open_rating_screen(ui)
    intro = screen.ids.intro
    assert intro.text == INTRO, "the question was replaced by something else"
    assert intro.font_size >= 6 * ui.app.u - 0.01
    assert window_rect(intro)[1] >= max(window_rect(f)[3] for f in faces), "the question is not above the faces"


def test_only_the_newest_ticket_is_offered_never_other_residents_numbers(ui):
    older = [take(ui, "A"), take(ui, "B")]
    newest = take(ui, "C")
    screen, _faces = open_rating_screen(ui)
    shown = " ".join(texts_on(screen))
    assert newest in shown
    for label in older:
        assert label not in shown, f"{label}, another resident's number, is on the rating screen: {shown!r}"
    assert screen.ids.ticket.text == f"評價號碼 {newest} 的服務"
    ui.app.lang = "en"
    ui.frames(2)
    assert screen.ids.ticket.text == f"This is about ticket {newest}"


def test_the_toggle_is_small_below_the_faces_unticked_and_a_face_alone_names_no_ticket(ui):
    take(ui, "A")
    ui.resize((800, 480))
    screen, faces = open_rating_screen(ui)
    toggle = screen.ids.ticket
    assert not toggle.active and not screen.link
    minimum = 12 * 800 / PANEL_WIDTH_MM[(800, 480)]
    assert toggle.height >= minimum and toggle.width >= minimum, f"the toggle is {toggle.size}: under 12 mm"
    assert window_rect(toggle)[3] <= min(window_rect(f)[1] for f in faces), "the toggle is not below the faces"
    assert toggle.ids.label.font_size < screen.ids.intro.font_size, "the toggle is as loud as the question"
    ui.tap(faces[0])
    assert ui.ratings()[-1]["ticket"] == "" and ui.ratings()[-1]["service"] == ""


def test_ticking_the_toggle_names_the_ticket_and_it_is_not_offered_again(ui):
    label = take(ui, "E")
    screen, faces = open_rating_screen(ui)
    ui.tap(screen.ids.ticket)
    assert screen.link and screen.ids.ticket.active
    ui.tap(faces[1])
    stored = ui.ratings()[-1]
    assert (stored["ticket"], stored["service"], stored["source"]) == (label, "E", "touch")
    ui.app.show("home")
    ui.frames(3)
    ui.clock.advance(60)
    screen, faces = open_rating_screen(ui)
    assert label not in " ".join(texts_on(screen)), "a ticket already rated is offered to the next resident"


def test_a_ticket_older_than_a_few_minutes_is_not_offered(ui, monkeypatch):
    assert defaults()["ratings"]["ticket_minutes"] <= 10, "a long window shows other residents' numbers"
    label = take(ui, "A")
    minutes = ui.app.kiosk_config.ratings.ticket_minutes
    later = officetime.now() + timedelta(minutes=minutes, seconds=30)
    monkeypatch.setattr(ui.app.services.tickets, "now", lambda: later)
    screen, _faces = open_rating_screen(ui)
    assert screen.ticket == "" and label not in " ".join(texts_on(screen))
    assert screen.ids.ticket.disabled and screen.ids.intro.text == INTRO


@pytest.fixture
def located(ui):
    config = ui.app.kiosk_config
    yield lambda location: setattr(ui.app, "kiosk_config", config.with_values("ratings", location=location))
    ui.app.kiosk_config = config


def test_on_the_lobby_kiosk_the_hint_points_below_the_screen_not_to_a_counter(ui, located):
    located("")
    screen, _faces = open_rating_screen(ui)
    assert screen.ids.hint.text == "也可以按螢幕下方的按鈕"
    ui.app.lang = "en"
    ui.frames(2)
    assert screen.ids.hint.text == "You can also press the buttons below the screen"


def test_at_a_counter_the_hint_names_the_counter(ui, located):
    located("3")
    screen, _faces = open_rating_screen(ui)
    assert screen.ids.hint.text == "也可以按 3 號櫃檯的評價按鈕"


def test_without_working_buttons_there_is_no_hint_about_buttons(ui, monkeypatch):
    monkeypatch.setattr(ui.app.services.hardware, "buttons", None)  # no GPIO: residents rate on the screen
    screen, _faces = open_rating_screen(ui)
    assert screen.ids.hint.text == ""
    assert not any("按鈕" in text for text in texts_on(screen))

"""
Scenes: how each screen is reached for a picture
================================================

``kiosk screenshot`` and ``kiosk audit layout`` show every screen as a
resident would find it, from the store's state: the ticket a tap would print
now, the most viewed form, the last rating's thank-you, the language screen
opened from the ticket screen's header.  A scene only reads
the state; nothing it does takes a number or counts a view.  The one
exception is a refused ticket (printer out of paper, service closed): the
kiosk's own refusal path runs, which consumes nothing and records the fault a
real tap would.

``show(app, screen, state)`` runs on Kivy's main thread after the app has
started; what it schedules (the refused ticket's screen) lands within a frame
or two, inside the capture's settling frames.
"""

from __future__ import annotations

from protocol import officetime

from ..forms import popular

__all__ = ["show", "scene_form", "reset"]


def scene_form(app, long_names: bool = False):
    """The form a resident opens most here; in the long-names state, the longest title in this language."""
    catalogue = app.forms.catalogue
    if long_names:
        return max(catalogue.forms, key=lambda form: len(form.title_in(app.lang)))
    if app.services is not None:
        return popular(catalogue, app.services.store, 1)[0]
    return catalogue.forms[0]


def _taken(app, state) -> None:
    """After a tap on the first service: the ticket it would print now, or why none is printed."""
    from ..tickets import TicketRefused
    from ..ticketing_pause import ticketing_paused

    if app.services is None:
        app.show("taken")
        return
    tickets = app.services.tickets
    services = app.kiosk_config.services
    now = officetime.now()
    open_ones = [s for s in services if s.open_at(now)
                 and not (s.daily_limit and tickets.issued_today(s.prefix) >= s.daily_limit)]
    printer_ok = not (state is not None and state.paper_out)
    if open_ones and printer_ok and not ticketing_paused(app.services.store):
        service = open_ones[0]
        paper = tickets.render(service.prefix, lang=app.lang)  # the next ticket, no number taken
        app.tickets.show_outcome(service.prefix, "ok", tickets.next_label(service.prefix), None, paper)
        return
    # The refusal a real tap gets: closed, full, paused or the printer: nothing is consumed.
    try:
        tickets.issue(services[0].prefix, lang=app.lang)
    except TicketRefused as exc:
        app.tickets.show_outcome(services[0].prefix, "refused", "", exc.reason, b"")
    else:  # pragma: no cover - guarded above: an open service with a ready printer never gets here
        raise RuntimeError("a scene took a number")


def _checkin(app, state) -> None:
    """The appointment keypad with a code typed; in the long-names state, with the longest answer the office
    can give in this language beside it (a late code's, most often)."""
    from datetime import timedelta

    from ..office_numbers import CheckInRefused
    from .checkin import refusal_text

    services = app.kiosk_config.services
    app.checkin.open(next((s for s in services if s.check_in), services[0]).prefix)
    screen = app.manager.get_screen("checkin")
    screen.code = "24681357"
    if state is not None and state.name == "long-names":
        now = officetime.now()
        tomorrow = now + timedelta(days=1)
        answers = [CheckInRefused("unknown", ""), CheckInRefused("early", "", tomorrow, tomorrow - timedelta(minutes=30)),
                   CheckInRefused("late", "", now - timedelta(hours=1)), CheckInRefused("used", "", number="F012"),
                   CheckInRefused("offline", "")]
        longest = max(answers, key=lambda a: len(refusal_text(app.t, a, now)))
        screen.message = refusal_text(app.t, longest, now)
        screen.code = screen.code if longest.reason == "unknown" else ""  # as the controller leaves it


def _thanks(app) -> None:
    from ..ratings import latest_choice

    scale = app.ratings.scale
    key = latest_choice(app.services.store) if app.services is not None else None
    choice = scale.choices[scale.index_of(key)] if key else scale.choices[0]
    app.ratings.thank(choice.key, choice.mood)


def show(app, screen: str, state=None) -> None:
    """Show ``screen`` as a resident finds it in the app's state (``state``: a seeded LivedIn, or None)."""
    long_names = state is not None and state.name == "long-names"
    if screen == "taken":
        _taken(app, state)
    elif screen == "thanks":
        _thanks(app)
    elif screen == "checkin":
        _checkin(app, state)
    elif screen == "form_list":
        app.forms.open_category(scene_form(app, long_names).category)
    elif screen.startswith("form:") or screen == "form":
        code = screen[5:] if screen.startswith("form:") else scene_form(app, long_names).code
        app.forms.open_form(code, count_view=False)
    elif screen == "setup_error":
        if state is not None:  # a scratch store: what a wrong kiosk.toml would say
            from ..admin_status import PROVISIONING_ERRORS
            (app.kiosk_config.data_dir / PROVISIONING_ERRORS).write_text(state.setup_problems, encoding="utf-8")
        app.check_setup()
        if app.manager.current != "setup_error":
            app.show("setup_error")
    elif screen == "admin" and app.services is not None:
        app.admin.open(wait_for_printer=True)
    elif screen == "idle_prompt":  # 需要更多時間嗎？ after the idle timeout, here over the ticket screen
        app.show("ticket")
        app.idle.warn()
    elif screen == "language":  # opened with the header's button, here on the ticket screen
        app.show("ticket")
        app.open_languages()
    else:
        app.show(screen)


def reset(app, state=None) -> None:
    """Back to the home screen, with the state as it was before the scene (the setup file gone)."""
    if state is not None:
        from ..admin_status import PROVISIONING_ERRORS
        (app.kiosk_config.data_dir / PROVISIONING_ERRORS).unlink(missing_ok=True)
        app.check_setup()
    app.show("home")

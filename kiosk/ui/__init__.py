"""
The Kivy shell
==============

What a resident sees and touches.  ``app.py`` builds the screen manager and
wires the services (config, store, hardware) to it; each screen is a ``.py``
+ ``.kv`` pair (``home``, ``ticket``, ``forms``, ``rating``, ``admin``, ``language``: the language
picker), shared widgets are in ``widgets``.
Each feature's ``.py`` also holds its controller, what its screens do
(``app.tickets``, ``app.forms``, ``app.ratings``, ``app.admin``); the app
keeps navigation, the language and the idle timeout.
``environment.py`` must run before the first ``import kivy``: it chooses the
window (KMS on the Pi, a desktop window, or offscreen for tests and
screenshots) and keeps Kivy from reading the command line.

Nothing here holds domain logic: screens call services and show results.
Hardware callbacks (a rating button, on gpiozero's thread) and the work done
on threads of its own (printing, the office's answers) reach widgets only
through ``Clock.schedule_once`` (a rating: ``RatingController``'s step in
``Services.after_rating_steps``).
"""

#: Screens by name, home first; the three features in the order of the home tiles.
#: Kept here, free of Kivy, so the CLI can list them without opening a window.
FEATURES = ("ticket", "forms", "rating")
#: After a rating: the thank-you, and the why-question after a negative one; after a ticket: its number; the
#: check-in service's tile opens the appointment keypad (``checkin``).
#: And the language screen, which the header's language button opens from any other screen.
SCREENS = ("home",) + FEATURES + ("thanks", "reason", "taken", "checkin", "form_list", "form", "setup_error",
                                   "admin_pin", "admin", "language")
#: Other names the CLI accepts (``kiosk screenshot rate``).
ALIASES = {"rate": "rating"}
#: What is drawn over a screen rather than being one: pictures and the layout audit reach it like a screen.
#: ``idle_prompt``: 需要更多時間嗎？ / Need more time? over the ticket screen (``idle.py``).
SCENES = ("idle_prompt",)
#: How a resident may have the screens drawn: ``large`` is large text and high contrast (issue 20), which the
#: home screen's button turns on and the resident's leaving turns off.
MODES = ("normal", "large")
#: Where the screen is mounted (``display.reach``): ``low`` for one mounted high keeps every control a resident
#: touches out of the top ``REACH_LOW_TOP`` of the screen (issue 20; the audit checks it with ``--reach low``).
REACHES = ("full", "low")
REACH_LOW_TOP = 1 / 3
#: Screens never drawn in the large mode: the staff's, and the out-of-service screen (its panel is for them).
NORMAL_ONLY = ("setup_error", "admin_pin", "admin")


def picture_name(screen: str, state: str, size: str, lang: str, mode: str = "normal", reach: str = "full") -> str:
    """A picture's file name in ``kiosk audit layout --out``: ``ticket-busy-800x480-vi.png``, ``…-large.png``,
    ``…-large-low.png``."""
    return f"{screen}-{state}-{size}-{lang}{'-large' if mode == 'large' else ''}{'-low' if reach == 'low' else ''}.png"

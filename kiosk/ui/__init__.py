"""
The Kivy shell
==============

What a resident sees and touches.  ``app.py`` builds the screen manager and
wires the services (config, store, hardware) to it; each screen is a ``.py``
+ ``.kv`` pair (``home``, ``ticket``, ``forms``, ``rating``, ``admin``), shared widgets are in ``widgets``.
``environment.py`` must run before the first ``import kivy``: it chooses the
window (KMS on the Pi, a desktop window, or offscreen for tests and
screenshots) and keeps Kivy from reading the command line.

Nothing here holds domain logic: screens call services and show results.
Hardware callbacks arrive on other threads and reach widgets only through
``Clock.schedule_once`` (see ``KioskApp.hardware_event``).
"""

#: Screens by name, home first; the three features in the order of the home tiles.
#: Kept here, free of Kivy, so the CLI can list them without opening a window.
FEATURES = ("ticket", "forms", "rating")
#: After a rating: the thank-you, and the why-question after a negative one; after a ticket: its number.
SCREENS = ("home",) + FEATURES + ("thanks", "reason", "taken", "form_list", "form", "setup_error", "admin_pin",
                                   "admin")
#: Other names the CLI accepts (``kiosk screenshot rate``).
ALIASES = {"rate": "rating"}

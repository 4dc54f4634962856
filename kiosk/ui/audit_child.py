"""
One state at one size of ``kiosk audit layout`` (run by ``kiosk/audit.py``)
==========================================================================

Seeds the state into a scratch store, runs the real app offscreen in a window
opened at the size audited (SDL's offscreen window keeps drawing at the size
it was opened with: a window grown later comes back black), and for each
language and screen: reaches the screen as a resident would
(``scenes.py``), lets it settle, grabs the pixels and checks them with the
widget tree (``layout_checks.py``).  Prints ``AUDIT {json}`` lines: one per
picture and one per problem.  Pictures are written only with ``--out``.
"""

from __future__ import annotations

import argparse
import atexit
import json
import shutil
import sys
import tempfile
from pathlib import Path

#: Staff screens: exempt from the residents' text size (the staff read them up close), not from the rest.
STAFF_SCREENS = ("admin", "admin_pin")


def _emit(**record) -> None:
    print("AUDIT " + json.dumps(record, ensure_ascii=False), flush=True)


def _arguments(argv):
    parser = argparse.ArgumentParser(prog="python -m kiosk.ui.audit_child")
    parser.add_argument("--state", required=True)
    parser.add_argument("--size", required=True, help="WxH")
    parser.add_argument("--langs", required=True)
    parser.add_argument("--screens", required=True)
    parser.add_argument("--config")
    parser.add_argument("--out")
    parser.add_argument("--mode", default="normal", choices=("normal", "large"))
    parser.add_argument("--reach", default="full", choices=("full", "low"))
    return parser.parse_args(argv)


def _open(args, size):
    """The offscreen window at ``size`` (before Kivy is imported), then the state seeded in a scratch store
    and its services, without hardware; returns (state, services)."""
    from . import environment
    kivy_home = tempfile.mkdtemp(prefix="kiosk-audit-kivy-")
    atexit.register(shutil.rmtree, kivy_home, ignore_errors=True)  # one a child: none left behind in /tmp
    environment.configure("offscreen", size=size, fullscreen=False, kivy_home=kivy_home)
    from kivy.config import Config as KivyConfig
    KivyConfig.set("graphics", "maxfps", "0")  # no waiting for a display's refresh between frames: there is none
    from ..config import load_config
    from ..lived_in import seed
    from ..logs import hide_secrets_of
    from ..services import open_services

    config = load_config(args.config)
    hide_secrets_of(config)
    state = seed(args.state, config)
    services = open_services(state.config, with_hardware=False)
    if state.queue:
        services.queue.accept(state.queue)
    return state, services


def _walk(app, state, size, langs, screens, out, mode="normal", reach="full"):
    """Each language and screen in turn: reach it, grab it, check it, print what was found; yields the
    number of frames to let pass before it goes on."""
    from kivy.core.window import Window

    from ..i18n import unbreakable_words
    from . import REACH_LOW_TOP, picture_name, scenes
    from .capture import SETTLE_FRAMES, grab
    from .layout_checks import check, panel_for

    app.marquee.stop()  # a still strip: the picture does not depend on timing
    label = f"{size[0]}x{size[1]}"
    for lang in langs:
        app.lang = lang
        app.tick_clock()
        for screen in screens:
            scenes.reset(app, state)
            yield 2
            app.marquee.shift = 0
            scenes.show(app, screen, state)
            yield SETTLE_FRAMES
            image = grab()
            where = dict(screen=screen, state=state.name, size=label, lang=lang, mode=mode, reach=reach)
            if tuple(Window.size) != size:
                _emit(**where, widget="window", kind="offscreen",
                      detail=f"the window is {Window.size[0]}x{Window.size[1]}, not {label}")
            if out is not None:
                image.save(out / picture_name(screen, state.name, label, lang, mode, reach))
            _emit(picture=True, **where)
            # A prompt over the screen (idle_prompt) is checked alone: what it covers is not what a resident reads.
            roots = [app.idle.prompt] if app.idle.showing else [app.manager.current_screen, app.marquee]
            for problem in check(roots, image, panel_for(size), residents=screen not in STAFF_SCREENS,
                                 unbreakable=unbreakable_words(lang), large=app.large,
                                 reach_line=size[1] * REACH_LOW_TOP if app.reach_low else None):
                _emit(**where, widget=problem.widget, kind=problem.kind, detail=problem.detail)


def main(argv=None) -> int:
    args = _arguments(argv)
    size = tuple(int(v) for v in args.size.split("x"))
    state, services = _open(args, size)

    from kivy.clock import Clock

    from .app import KioskApp

    app = KioskApp(state.config, services=services, live=False)
    app.large = args.mode == "large"
    app.reach_low = args.reach == "low"
    steps = _walk(app, state, size, args.langs.split(","), args.screens.split(","),
                  Path(args.out) if args.out else None, args.mode, args.reach)
    failure = {}
    wait = {"frames": 1}

    def tick(_dt):
        wait["frames"] -= 1
        if wait["frames"] > 0:
            return True
        try:
            wait["frames"] = next(steps)
        except StopIteration:
            app.stop()
            return False
        except Exception:  # say what broke, and stop: the parent reports the state as failed
            import traceback
            failure["error"] = traceback.format_exc()
            app.stop()
            return False
        return True

    Clock.schedule_once(lambda _dt: Clock.schedule_interval(tick, 0), 0)
    try:
        app.run()
    finally:
        services.close()
    if failure:
        print(failure["error"], file=sys.stderr)
        return 1
    return 0

if __name__ == "__main__":
    sys.exit(main())

"""
The commands that draw the kiosk's screens: ``kiosk run``, ``kiosk screenshot``, ``kiosk audit layout``
=======================================================================================================

The only commands that open a window (``kiosk bench startup`` aside): each
imports what it draws with only when it runs, so the other commands never
import Kivy.  The configuration is loaded first, so a bad one is reported,
exit 2, before any window.
"""

from __future__ import annotations

import sys

from .cli_common import EXIT_OK, EXIT_USAGE, load

__all__ = ["cmd_run", "cmd_screenshot", "cmd_audit"]


def cmd_run(args) -> int:
    from .runtime import run_kiosk
    config = load(args.config)
    return run_kiosk(config, window=args.window, local_office=args.local_office)


def cmd_screenshot(args) -> int:
    from .runtime import screenshot
    from .ui import ALIASES
    config = load(args.config)
    if args.screen.startswith("form:"):
        from protocol.forms_format import load_catalogue
        try:
            load_catalogue()[0].by_code(args.screen[5:])
        except KeyError as exc:
            print(f"kiosk screenshot: {exc.args[0]}", file=sys.stderr)
            return EXIT_USAGE
    reach = args.reach or config.display.reach
    screenshot(config, ALIASES.get(args.screen, args.screen), args.out, size=args.size, lang=args.lang,
               state=args.state, mode=args.mode, reach=reach)
    print(f"wrote {args.out} ({args.size[0]}x{args.size[1]}, {args.screen}, {args.lang or config.kiosk.language}"
          + (f", state {args.state}" if args.state else "") + (", large" if args.mode == "large" else "")
          + (", reach low" if reach == "low" else "") + ")")
    return EXIT_OK


def cmd_audit(args) -> int:
    from .audit import audit_layout
    config = load(args.config)  # a bad config: its problems and exit 2, before any window
    return audit_layout(config_path=args.config, out=args.out, states=args.state, sizes=args.size,
                        langs=args.lang, screens=args.screen, mode=args.mode,
                        reach=args.reach or config.display.reach)

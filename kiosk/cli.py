"""
The ``kiosk`` command
=====================

::

    kiosk run [--window WxH]                 start the kiosk (full screen on the Pi)
    kiosk config check [PATH]                validate a config file (exit 2 when invalid; warnings exit 0)
    kiosk config show                        the settings in force, secrets as ***
    kiosk screenshot [SCREEN] --out F.png    render a screen offscreen (--state busy: from a seeded state)
    kiosk ratings stats [--month 115/11]     satisfaction statistics (also --day 115/11/27)
    kiosk ratings export --csv FILE          every rating, misuse flagged
    kiosk simulate press KEY [--count N]     press a simulated rating button (smile/neutral/frown/1-5)
    kiosk forms list [--category C]          one form a line: code, category, title
    kiosk forms check [FILE]                 check a forms catalogue (exit 2 when it has problems)
    kiosk forms qr CODE --out F.png          a form's QR code as the kiosk shows it
    kiosk upload [--once] | upload status    send the outbox to the office server; its backlog
    kiosk update status | update confirm     the system update under way; the check at boot that keeps a new system
    kiosk ticket print SERVICE [--printer U] take the next number and print it; the number on stdout
    kiosk ticket preview SERVICE --out F.png the next ticket as printed, taking no number
    kiosk ticket reprint [--printer URL]     print the last ticket again
    kiosk printer status [--printer URL]     paper, cover, online; exit 1 when it cannot print
    kiosk audit layout [--out DIR]           every screen x state x size x language checked (exit 1 on a problem)
    kiosk selftest [--interactive] [--json]  every part of this kiosk: PASS, WARN or FAIL (exit 1 on a FAIL)
    kiosk bench startup                      first frame and memory, against a bare Kivy window
    kiosk bench ratings                      press-to-disk latency, against a bare SQLite insert
    kiosk bench ticket                       ticket bytes and wire time, text against raster; tap to first byte
    kiosk bench upload                       drain 10,000 events to a local office server, batched vs one by one
    kiosk bench text [--lang L]              every message drawn by the kiosk's text provider, against Kivy's SDL2
    kiosk fonts build [--dest DIR]           extract the Traditional Chinese font, copy the Thai one
    kiosk version

Every command takes ``--config PATH``.  Commands that show no screen never
import Kivy, so they start fast and work with no display.  Exit codes: 0 fine,
1 failed, 2 bad configuration or usage.

This module picks a command's handler and turns the kiosk's errors into those
exit codes; the arguments and help text are in ``cli_parser``, the handlers by
concern in ``cli_config``, ``cli_screens``, ``cli_tickets``, ``cli_ratings``,
``cli_forms``, ``cli_upload``, ``cli_update``, ``cli_technician`` and ``cli_bench``.
"""

from __future__ import annotations

import sys
from typing import List, Optional

from . import __version__
from .cli_bench import cmd_bench
from .cli_common import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from .cli_config import cmd_config_check, cmd_config_show
from .cli_forms import cmd_forms
from .cli_parser import build_parser
from .cli_ratings import cmd_ratings, cmd_simulate
from .cli_screens import cmd_audit, cmd_run, cmd_screenshot
from .cli_technician import cmd_admin, cmd_fonts, cmd_selftest
from .cli_tickets import cmd_printer, cmd_ticket
from .cli_update import cmd_update
from .cli_upload import cmd_upload
from .errors import ConfigError, KioskError, NoDisplayError

__all__ = ["main"]

#: The handler of each command with no ACTION of its own; those with one are picked in ``main``.
HANDLERS = {
    "run": cmd_run, "screenshot": cmd_screenshot, "bench": cmd_bench, "fonts": cmd_fonts,
    "simulate": cmd_simulate, "printer": cmd_printer, "upload": cmd_upload, "selftest": cmd_selftest,
    "admin": cmd_admin, "audit": cmd_audit, "update": cmd_update,
    "version": lambda _a: print(f"kiosk {__version__}") or EXIT_OK,
}


def main(argv: Optional[List[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.config, args.verbose = getattr(args, "config", None), getattr(args, "verbose", False)
    from .logs import setup as setup_logging
    setup_logging(verbose=args.verbose)  # the journal under systemd, else stderr; secrets hidden, floods held
    if args.command == "config":
        handler = {"check": cmd_config_check, "show": cmd_config_show}.get(args.config_command)
        if handler is None:
            parser.parse_args(["config", "--help"])
    elif args.command == "forms":
        handler = cmd_forms
        if args.forms_command is None:
            parser.parse_args(["forms", "--help"])
    elif args.command == "ticket":
        handler = cmd_ticket
        if args.ticket_command is None:
            parser.parse_args(["ticket", "--help"])
    elif args.command == "ratings":
        handler = cmd_ratings
        if args.ratings_command is None:
            parser.parse_args(["ratings", "--help"])
    elif args.command is None:
        parser.print_help()
        return EXIT_USAGE
    else:
        handler = HANDLERS[args.command]
    try:
        return handler(args)
    except ConfigError as exc:
        print(f"configuration problem{'s' if len(exc.problems) > 1 else ''} in {exc.source or 'built-in defaults'}:",
              file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        print("run 'kiosk config check' for details", file=sys.stderr)
        return EXIT_USAGE
    except NoDisplayError as exc:
        print(f"kiosk: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KioskError as exc:
        print(f"kiosk: {exc}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())

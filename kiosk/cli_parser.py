"""
The ``kiosk`` command's arguments
=================================

Every subcommand's options and help text, one small function per command
group, so a command's interface is read in one place and its handler
(``kiosk/cli_*.py``) holds only what it does.  ``build_parser`` adds them in
the order ``kiosk --help`` lists them.

Nothing here imports Kivy: ``kiosk.ui``'s package and ``kiosk.lived_in`` are
plain data, imported when the parser is built, so ``import kiosk.cli`` stays
cheap.
"""

from __future__ import annotations

import argparse
import re
from typing import Tuple

from . import __version__
from .settings import LANGUAGES

__all__ = ["build_parser"]

DEFAULT_SIZE = (1280, 800)
PRINTER_HELP = "this printer (any pyserial URL), whatever the config says"


# -- argument types -------------------------------------------------------------------------

def _size(text: str) -> Tuple[int, int]:
    match = re.fullmatch(r"(\d{3,4})x(\d{3,4})", text)
    if not match:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT such as 800x480, got {text!r}")
    return int(match.group(1)), int(match.group(2))


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"expected seconds between 0 and 3600, such as 10 or 0.5, got {text!r}")
    return value


def _screen_name(text: str) -> str:
    from .ui import ALIASES, SCENES, SCREENS
    if text in SCREENS + SCENES or text in ALIASES or (text.startswith("form:") and len(text) > 5):
        return text
    raise argparse.ArgumentTypeError(f"invalid choice: {text!r} (choose from "
                                     f"{', '.join(SCREENS + SCENES + tuple(ALIASES))}, "
                                     "or form:CODE)")


def _states_help() -> str:
    from .lived_in import STATES  # plain data and domain code: no Kivy
    return "states (--state NAME):\n" + "\n".join(f"  {name:<11} {text}" for name, text in STATES.items())


# -- the parser, a command group at a time ---------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    # SUPPRESS: a subcommand's unset option must not overwrite one given before it (kiosk --config X config check).
    common.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS,
                        help="config file (default: $KIOSK_CONFIG, /etc/kiosk/kiosk.toml)")
    common.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="log more")

    parser = argparse.ArgumentParser(prog="kiosk", description="Lobby kiosk of a household registration office.",
                                     parents=[common])
    parser.add_argument("--version", action="version", version=f"kiosk {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in (_add_run, _add_config, _add_forms, _add_screenshot, _add_audit, _add_ratings, _add_ticket,
                _add_printer, _add_selftest, _add_admin, _add_upload, _add_update, _add_simulate, _add_bench, _add_fonts):
        add(sub, common)
    sub.add_parser("version", parents=[common], help="print the version")
    return parser


def _add_run(sub, common) -> None:
    run = sub.add_parser("run", parents=[common], help="start the kiosk")
    run.add_argument("--window", type=_size, metavar="WxH", help="a desktop window of this size instead of full screen")
    run.add_argument("--local-office", action="store_true",
                     help="with no [server] url: run a local office server on 127.0.0.1:8080 and upload to it; "
                          "also on this machine's LAN address, as server.public_url "
                          "(KIOSK_LOCAL_OFFICE_LAN=no: 127.0.0.1 only)")


def _add_config(sub, common) -> None:
    config = sub.add_parser("config", parents=[common], help="check or show the configuration")
    config_sub = config.add_subparsers(dest="config_command", metavar="ACTION")
    check = config_sub.add_parser("check", parents=[common], help="validate a config file")
    check.add_argument("path", nargs="?", help="file to check (default: the one the kiosk would use)")
    config_sub.add_parser("show", parents=[common], help="print the settings in force (secrets as ***)")


def _add_forms(sub, common) -> None:
    forms = sub.add_parser("forms", parents=[common], help="the blank forms catalogue")
    forms_sub = forms.add_subparsers(dest="forms_command", metavar="ACTION")
    forms_list = forms_sub.add_parser("list", parents=[common], help="one form a line: code, category, title")
    forms_list.add_argument("--category", help="only this category (household, marriage, birth, id, ...)")
    forms_check = forms_sub.add_parser("check", parents=[common], help="check a catalogue file (exit 2 if bad)")
    forms_check.add_argument("file", nargs="?", help="default: the shipped catalogue and [forms] file")
    forms_qr = forms_sub.add_parser("qr", parents=[common], help="write a form's QR code as the kiosk shows it")
    forms_qr.add_argument("code")
    forms_qr.add_argument("--out", required=True, metavar="FILE.png")
    forms_qr.add_argument("--size", type=_positive, default=400, help="pixels (default 400)")


def _add_screenshot(sub, common) -> None:
    from .lived_in import STATES
    from .ui import ALIASES, MODES, REACHES, SCENES, SCREENS  # plain data: kiosk.ui's package imports no Kivy
    shot = sub.add_parser("screenshot", parents=[common], help="render a screen offscreen to a PNG",
                          formatter_class=argparse.RawDescriptionHelpFormatter,
                          description="Draw one screen as a resident finds it, from this kiosk's store "
                                      "(nothing is recorded, uploaded or printed), or from a seeded state.",
                          epilog=f"screens: {', '.join(SCREENS + SCENES + tuple(ALIASES))}, form:CODE\n{_states_help()}")
    shot.add_argument("screen", nargs="?", default="home", type=_screen_name, metavar="SCREEN",
                      help=f"{', '.join(SCREENS + SCENES + tuple(ALIASES))}, or form:CODE for one form")
    shot.add_argument("--out", required=True, metavar="FILE.png")
    shot.add_argument("--size", type=_size, default=DEFAULT_SIZE, metavar="WxH", help="default 1280x800")
    shot.add_argument("--lang", choices=LANGUAGES, help="language (default: the configured one)")
    shot.add_argument("--state", choices=tuple(STATES), metavar="NAME",
                      help=f"draw it from a seeded state in a scratch store: {', '.join(STATES)}")
    shot.add_argument("--mode", choices=MODES, default="normal",
                      help="normal, or large: large text and high contrast, as a resident turns it on")
    shot.add_argument("--reach", choices=REACHES,
                      help="low: as on a screen mounted high (default: the config's display.reach)")


def _add_audit(sub, common) -> None:
    from .lived_in import STATES
    from .ui import MODES, REACHES, SCENES, SCREENS
    audit = sub.add_parser("audit", parents=[common], help="check every screen's layout",
                           formatter_class=argparse.RawDescriptionHelpFormatter,
                           description="layout: draw every screen x state x size x language offscreen and check it "
                                       "(text fits, no overlap, nothing off screen, text >= 3 mm and targets >= 12 mm "
                                       "on the panel, contrast >= 4.5:1, no word broken across lines); one line per "
                                       "problem, exit 1 if any",
                           epilog=f"screens: {', '.join(SCREENS + SCENES)}\n{_states_help()}")
    audit.add_argument("what", choices=("layout",))
    audit.add_argument("--out", metavar="DIR", help="keep every picture there, with index.html, a contact sheet")
    audit.add_argument("--state", action="append", choices=tuple(STATES), metavar="NAME",
                       help="only this state (repeatable; default: all)")
    audit.add_argument("--size", action="append", type=_size, metavar="WxH",
                       help="only this size (repeatable; default: 800x480 1024x600 1280x800 1920x1080)")
    audit.add_argument("--lang", action="append", choices=LANGUAGES, help="only this language (repeatable)")
    audit.add_argument("--screen", action="append", choices=SCREENS + SCENES, metavar="SCREEN",
                       help="only this screen (repeatable; default: all)")
    audit.add_argument("--mode", choices=MODES, default="normal",
                       help="large: the large-text mode, with its rules (text >= 4.5 mm, contrast >= 7:1)")
    audit.add_argument("--reach", choices=REACHES,
                       help="low: as on a screen mounted high, with its rule (no control in the top third); "
                            "default: the config's display.reach")


def _add_ratings(sub, common) -> None:
    ratings = sub.add_parser("ratings", parents=[common], help="satisfaction statistics and export")
    ratings_sub = ratings.add_subparsers(dest="ratings_command", metavar="ACTION")
    for name, text in (("stats", "counts, % satisfied, misuse, per hour"), ("export", "every rating as CSV")):
        action = ratings_sub.add_parser(name, parents=[common], help=text)
        period = action.add_mutually_exclusive_group()
        period.add_argument("--month", metavar="YYY/MM", help="ROC month such as 115/11 (default: this month)")
        period.add_argument("--day", metavar="YYY/MM/DD", help="ROC office day such as 115/11/27")
        if name == "stats":
            action.add_argument("--include-misuse", action="store_true", help="count misuse presses too")
        else:
            action.add_argument("--csv", required=True, metavar="FILE", help="where to write (UTF-8 for Excel)")


def _add_ticket(sub, common) -> None:
    ticket = sub.add_parser("ticket", parents=[common], help="queue tickets: print, preview, reprint")
    ticket_sub = ticket.add_subparsers(dest="ticket_command", metavar="ACTION")
    for name, text in (("print", "take the next number of SERVICE and print it"),
                       ("preview", "render the next ticket of SERVICE to a PNG, taking no number"),
                       ("reprint", "print the last ticket again")):
        action = ticket_sub.add_parser(name, parents=[common], help=text)
        if name != "reprint":
            action.add_argument("service", metavar="SERVICE", help="the service's letter, e.g. A")
            action.add_argument("--lang", choices=LANGUAGES, default="zh-TW",
                                help="the resident's language: any but zh-TW adds the essentials in it")
        if name == "preview":
            action.add_argument("--out", required=True, metavar="FILE.png")
        else:
            action.add_argument("--printer", metavar="URL", help=PRINTER_HELP)


def _add_printer(sub, common) -> None:
    printer = sub.add_parser("printer", parents=[common], help="the receipt printer")
    printer.add_argument("action", choices=("status",))
    printer.add_argument("--printer", metavar="URL", help=PRINTER_HELP)


def _add_selftest(sub, common) -> None:
    selftest = sub.add_parser("selftest", parents=[common],
                              help="check every part of this kiosk: PASS, WARN or FAIL each (exit 1 on a FAIL)")
    selftest.add_argument("--json", action="store_true", help="print the rows as JSON")
    selftest.add_argument("--interactive", action="store_true",
                          help="ask for a press of each rating button (simulated: type its key and Enter)")
    selftest.add_argument("--timeout", type=_seconds, default=10.0, metavar="SECONDS",
                          help="--interactive: how long to wait for each press (default 10)")
    selftest.add_argument("--test-page", action="store_true",
                          help="print a test page: the office name, a Big5 sample and a QR code")
    selftest.add_argument("--printer", metavar="URL", help=PRINTER_HELP)


def _add_admin(sub, common) -> None:
    admin = sub.add_parser("admin", parents=[common], help="the staff screen's PIN")
    admin.add_argument("action", choices=("hash-pin",),
                       help="hash-pin: ask for a PIN twice and print the [admin] pin_hash line for kiosk.toml")


def _add_upload(sub, common) -> None:
    upload = sub.add_parser("upload", parents=[common], help="send the outbox to the office server")
    upload.add_argument("action", nargs="?", choices=("status",), help="status: the backlog and the last error")
    upload.add_argument("--once", action="store_true", help="one pass now, whatever the backoff timer says")


def _add_update(sub, common) -> None:
    update = sub.add_parser("update", parents=[common], help="the system updates the office server offers")
    update.add_argument("action", choices=("status", "confirm"),
                        help="status: the running system and the update under way; confirm: the check at boot "
                             "that keeps the running slot or goes back to the other (kiosk-update-confirm.service)")
    update.add_argument("--json", action="store_true", help="status: as JSON")
    update.add_argument("--minutes", type=float, help="confirm: wait this long (default [update] confirm_minutes)")


def _add_simulate(sub, common) -> None:
    simulate = sub.add_parser("simulate", parents=[common], help="drive the simulated hardware")
    simulate.add_argument("action", choices=("press",))
    simulate.add_argument("key", help="smile, neutral, frown, a choice name, or a button number 1-5")
    simulate.add_argument("--count", type=_positive, default=1, help="how many presses (default 1)")
    simulate.add_argument("--gap", type=float, default=4.0, help="seconds between presses (default 4)")
    simulate.add_argument("--hold", type=float, default=0.1, help="seconds each press is held (default 0.1)")


def _add_bench(sub, common) -> None:
    bench = sub.add_parser("bench", parents=[common], help="measure speed and memory")
    bench.add_argument("what", choices=("startup", "ratings", "ticket", "upload", "text"))
    bench.add_argument("--presses", type=_positive, default=10000, help="ratings: presses to time")
    bench.add_argument("--lang", action="append", choices=LANGUAGES,
                       help="ticket: a language whose ticket to measure beside zh-TW; text: a language whose messages "
                            "to draw (repeatable; default: all)")
    bench.add_argument("--changes", type=_positive, default=1000, help="startup: screen changes for the memory figure")
    bench.add_argument("--runs", type=_positive, default=3, help="runs of each process (median is reported)")
    bench.add_argument("--size", type=_size, default=DEFAULT_SIZE, metavar="WxH")
    bench.add_argument("--driver", default="auto", choices=("auto", "offscreen", "x11", "kmsdrm", "wayland"),
                       help="SDL video driver; auto: the desktop's X, else a private Xvfb, else offscreen")


def _add_fonts(sub, common) -> None:
    fonts = sub.add_parser("fonts", parents=[common], help="build the Traditional Chinese font files and copy the Thai ones")
    fonts.add_argument("action", choices=("build",))
    fonts.add_argument("--dest", metavar="DIR", help="where to write them (default: the package's fonts folder)")

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
    kiosk fonts build [--dest DIR]           extract the Traditional Chinese font
    kiosk version

Every command takes ``--config PATH``.  Commands that show no screen never
import Kivy, so they start fast and work with no display.  Exit codes: 0 fine,
1 failed, 2 bad configuration or usage.
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
from typing import List, Optional, Tuple

from . import __version__
from .errors import ConfigError, KioskError, NoDisplayError

__all__ = ["main"]

log = logging.getLogger("kiosk")

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
DEFAULT_SIZE = (1280, 800)


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
    from .ui import ALIASES, SCREENS
    if text in SCREENS or text in ALIASES or (text.startswith("form:") and len(text) > 5):
        return text
    raise argparse.ArgumentTypeError(f"invalid choice: {text!r} (choose from {', '.join(SCREENS + tuple(ALIASES))}, "
                                     "or form:CODE)")


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    # SUPPRESS: a subcommand's unset option must not overwrite one given before it (kiosk --config X config check).
    common.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS,
                        help="config file (default: $KIOSK_CONFIG, /etc/kiosk/kiosk.toml)")
    common.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="log more")

    parser = argparse.ArgumentParser(prog="kiosk", description="Lobby kiosk of a household registration office.",
                                     parents=[common])
    parser.add_argument("--version", action="version", version=f"kiosk {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", parents=[common], help="start the kiosk")
    run.add_argument("--window", type=_size, metavar="WxH", help="a desktop window of this size instead of full screen")
    run.add_argument("--local-office", action="store_true",
                     help="with no [server] url: run a local office server on 127.0.0.1:8080 and upload to it; "
                          "also on this machine's LAN address, as server.public_url "
                          "(KIOSK_LOCAL_OFFICE_LAN=no: 127.0.0.1 only)")

    config = sub.add_parser("config", parents=[common], help="check or show the configuration")
    config_sub = config.add_subparsers(dest="config_command", metavar="ACTION")
    check = config_sub.add_parser("check", parents=[common], help="validate a config file")
    check.add_argument("path", nargs="?", help="file to check (default: the one the kiosk would use)")
    config_sub.add_parser("show", parents=[common], help="print the settings in force (secrets as ***)")

    from .ui import ALIASES, SCREENS  # plain data: kiosk.ui's package imports no Kivy
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
    from .lived_in import STATES  # plain data and domain code: no Kivy
    states_help = "states (--state NAME):\n" + "\n".join(f"  {name:<11} {text}" for name, text in STATES.items())
    shot = sub.add_parser("screenshot", parents=[common], help="render a screen offscreen to a PNG",
                          formatter_class=argparse.RawDescriptionHelpFormatter,
                          description="Draw one screen as a resident finds it, from this kiosk's store "
                                      "(nothing is recorded, uploaded or printed), or from a seeded state.",
                          epilog=f"screens: {', '.join(SCREENS + tuple(ALIASES))}, form:CODE\n{states_help}")
    shot.add_argument("screen", nargs="?", default="home", type=_screen_name, metavar="SCREEN",
                      help=f"{', '.join(SCREENS + tuple(ALIASES))}, or form:CODE for one form")
    shot.add_argument("--out", required=True, metavar="FILE.png")
    shot.add_argument("--size", type=_size, default=DEFAULT_SIZE, metavar="WxH", help="default 1280x800")
    shot.add_argument("--lang", choices=("zh-TW", "en"), help="language (default: the configured one)")
    shot.add_argument("--state", choices=tuple(STATES), metavar="NAME",
                      help=f"draw it from a seeded state in a scratch store: {', '.join(STATES)}")

    audit = sub.add_parser("audit", parents=[common], help="check every screen's layout",
                           formatter_class=argparse.RawDescriptionHelpFormatter,
                           description="layout: draw every screen x state x size x language offscreen and check it "
                                       "(text fits, no overlap, nothing off screen, text >= 3 mm and targets >= 12 mm "
                                       "on the panel, contrast >= 4.5:1, no word broken across lines); one line per "
                                       "problem, exit 1 if any",
                           epilog=f"screens: {', '.join(SCREENS)}\n{states_help}")
    audit.add_argument("what", choices=("layout",))
    audit.add_argument("--out", metavar="DIR", help="keep every picture there, with index.html, a contact sheet")
    audit.add_argument("--state", action="append", choices=tuple(STATES), metavar="NAME",
                       help="only this state (repeatable; default: all)")
    audit.add_argument("--size", action="append", type=_size, metavar="WxH",
                       help="only this size (repeatable; default: 800x480 1024x600 1280x800 1920x1080)")
    audit.add_argument("--lang", action="append", choices=("zh-TW", "en"), help="only this language (repeatable)")
    audit.add_argument("--screen", action="append", choices=SCREENS, metavar="SCREEN",
                       help="only this screen (repeatable; default: all)")

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

    ticket = sub.add_parser("ticket", parents=[common], help="queue tickets: print, preview, reprint")
    ticket_sub = ticket.add_subparsers(dest="ticket_command", metavar="ACTION")
    for name, text in (("print", "take the next number of SERVICE and print it"),
                       ("preview", "render the next ticket of SERVICE to a PNG, taking no number"),
                       ("reprint", "print the last ticket again")):
        action = ticket_sub.add_parser(name, parents=[common], help=text)
        if name != "reprint":
            action.add_argument("service", metavar="SERVICE", help="the service's letter, e.g. A")
            action.add_argument("--lang", choices=("zh-TW", "en"), default="zh-TW",
                                help="en adds the essentials in English")
        if name == "preview":
            action.add_argument("--out", required=True, metavar="FILE.png")
        else:
            action.add_argument("--printer", metavar="URL", help="this printer (any pyserial URL), whatever the config says")

    printer = sub.add_parser("printer", parents=[common], help="the receipt printer")
    printer.add_argument("action", choices=("status",))
    printer.add_argument("--printer", metavar="URL", help="this printer (any pyserial URL), whatever the config says")

    selftest = sub.add_parser("selftest", parents=[common],
                              help="check every part of this kiosk: PASS, WARN or FAIL each (exit 1 on a FAIL)")
    selftest.add_argument("--json", action="store_true", help="print the rows as JSON")
    selftest.add_argument("--interactive", action="store_true",
                          help="ask for a press of each rating button (simulated: type its key and Enter)")
    selftest.add_argument("--timeout", type=_seconds, default=10.0, metavar="SECONDS",
                          help="--interactive: how long to wait for each press (default 10)")
    selftest.add_argument("--test-page", action="store_true",
                          help="print a test page: the office name, a Big5 sample and a QR code")
    selftest.add_argument("--printer", metavar="URL", help="this printer (any pyserial URL), whatever the config says")

    admin = sub.add_parser("admin", parents=[common], help="the staff screen's PIN")
    admin.add_argument("action", choices=("hash-pin",),
                       help="hash-pin: ask for a PIN twice and print the [admin] pin_hash line for kiosk.toml")

    upload = sub.add_parser("upload", parents=[common], help="send the outbox to the office server")
    upload.add_argument("action", nargs="?", choices=("status",), help="status: the backlog and the last error")
    upload.add_argument("--once", action="store_true", help="one pass now, whatever the backoff timer says")

    simulate = sub.add_parser("simulate", parents=[common], help="drive the simulated hardware")
    simulate.add_argument("action", choices=("press",))
    simulate.add_argument("key", help="smile, neutral, frown, a choice name, or a button number 1-5")
    simulate.add_argument("--count", type=_positive, default=1, help="how many presses (default 1)")
    simulate.add_argument("--gap", type=float, default=4.0, help="seconds between presses (default 4)")
    simulate.add_argument("--hold", type=float, default=0.1, help="seconds each press is held (default 0.1)")

    bench = sub.add_parser("bench", parents=[common], help="measure speed and memory")
    bench.add_argument("what", choices=("startup", "ratings", "ticket", "upload"))
    bench.add_argument("--presses", type=_positive, default=10000, help="ratings: presses to time")
    bench.add_argument("--changes", type=_positive, default=1000, help="startup: screen changes for the memory figure")
    bench.add_argument("--runs", type=_positive, default=3, help="runs of each process (median is reported)")
    bench.add_argument("--size", type=_size, default=DEFAULT_SIZE, metavar="WxH")
    bench.add_argument("--driver", default="auto", choices=("auto", "offscreen", "x11", "kmsdrm", "wayland"),
                       help="SDL video driver; auto: the desktop's X, else a private Xvfb, else offscreen")

    fonts = sub.add_parser("fonts", parents=[common], help="build the Traditional Chinese font files")
    fonts.add_argument("action", choices=("build",))
    fonts.add_argument("--dest", metavar="DIR", help="where to write them (default: the package's fonts folder)")

    sub.add_parser("version", parents=[common], help="print the version")
    return parser


def _load(path: Optional[str]):
    from .config import load_config
    from .logs import hide_secrets_of
    config = load_config(path)
    hide_secrets_of(config)  # from here on no log line can show the token or the PIN hash
    return config


def cmd_config_check(args) -> int:
    from .config import config_warnings, load_config, resolve_config_path

    path = args.path or args.config
    source = resolve_config_path(path)
    try:
        config = load_config(str(source) if source else None)
    except ConfigError as exc:
        print(f"{exc.source}: {len(exc.problems)} problem{'s' if len(exc.problems) > 1 else ''}:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {exc.source}:{problem.line or '-'}: {problem.key}: {problem.message}", file=sys.stderr)
        return EXIT_USAGE
    print(f"OK {config.summary()}")
    # Allowed but most likely wrong: said on stderr, in the problems' style, with what to do; still exit 0.
    warnings = config_warnings(config)
    where = config.source or "built-in defaults"
    if warnings:
        print(f"{where}: {len(warnings)} warning{'s' if len(warnings) > 1 else ''}:", file=sys.stderr)
    for warning in warnings:
        print(f"  {where}:{warning.line or '-'}: {warning.key}: {warning.message}; {warning.advice}", file=sys.stderr)
    return EXIT_OK


def cmd_config_show(args) -> int:
    config = _load(args.config)
    print(f"# {config.source or 'built-in defaults'}")
    section = None
    for setting, _value in config.items():
        if setting.section != section:
            section = setting.section
            print(f"\n[{section}]")
        print(f"{setting.name} = {config.shown(setting.key)}")
    from .config import toml_value
    for service in config.services:
        print("\n[[services]]")
        print(f"prefix = {toml_value(service.prefix)}\nname = {toml_value(service.name)}\n"
              f"name_en = {toml_value(service.name_en)}")
        if service.hours:
            hours = [f"{a.strftime('%H:%M')}-{'24:00' if b.second else b.strftime('%H:%M')}" for a, b in service.hours]
            print(f"hours = {toml_value(hours)}")
        if service.weekdays:
            print(f"weekdays = {toml_value(list(service.weekdays))}")
        if service.daily_limit:
            print(f"daily_limit = {service.daily_limit}")
    return EXIT_OK


def cmd_run(args) -> int:
    from .runtime import run_kiosk
    config = _load(args.config)
    return run_kiosk(config, window=args.window, local_office=args.local_office)


def cmd_screenshot(args) -> int:
    from .runtime import screenshot
    from .ui import ALIASES
    config = _load(args.config)
    if args.screen.startswith("form:"):
        from protocol.forms_format import load_catalogue
        try:
            load_catalogue()[0].by_code(args.screen[5:])
        except KeyError as exc:
            print(f"kiosk screenshot: {exc.args[0]}", file=sys.stderr)
            return EXIT_USAGE
    screenshot(config, ALIASES.get(args.screen, args.screen), args.out, size=args.size, lang=args.lang,
               state=args.state)
    print(f"wrote {args.out} ({args.size[0]}x{args.size[1]}, {args.screen}, {args.lang or config.kiosk.language}"
          + (f", state {args.state})" if args.state else ")"))
    return EXIT_OK


def cmd_bench(args) -> int:
    if args.what == "upload":
        from .bench_upload import bench_upload
        return bench_upload(_load(args.config))
    if args.what == "ticket":
        from .bench_ticket import bench_ticket
        return bench_ticket(_load(args.config))
    if args.what == "ratings":
        from .bench_ratings import bench_ratings
        return bench_ratings(_load(args.config), presses=args.presses)
    from .bench import bench_startup
    return bench_startup(config_path=args.config, changes=args.changes, runs=args.runs, size=args.size,
                         driver=args.driver)


def cmd_audit(args) -> int:
    from .audit import audit_layout
    _load(args.config)  # a bad config: its problems and exit 2, before any window
    return audit_layout(config_path=args.config, out=args.out, states=args.state, sizes=args.size,
                        langs=args.lang, screens=args.screen)


def cmd_ratings(args) -> int:
    from protocol.periods import Period
    from .rating_stats import export_csv, format_summary, summarise
    from protocol.ratings import Scale
    from .store import Store

    config = _load(args.config)
    try:
        period = Period.parse(month=args.month, day=args.day)
    except ValueError as exc:
        print(f"kiosk ratings: {exc}", file=sys.stderr)
        return EXIT_USAGE
    scale = Scale.of_size(len(config.buttons.pins))
    with Store.open(config.data_dir) as store:
        if args.ratings_command == "stats":
            summary = summarise(store, scale, period, include_misuse=args.include_misuse)
            print(format_summary(summary, config.kiosk.id, include_misuse=args.include_misuse))
        else:
            rows = export_csv(store, scale, period, args.csv)
            print(f"wrote {rows} rating{'s' if rows != 1 else ''} of {period.name} to {args.csv}")
    return EXIT_OK


def _printer_for(config, url):
    """The printer link a command uses: ``--printer URL``, else what the kiosk itself would use."""
    from hardware.printer import PrinterLink
    if url:
        return PrinterLink(url, baudrate=config.printer.baudrate, flow_control=config.printer.flow_control)
    from .services import Services
    return Services.printer_link_for(config)


def cmd_ticket(args) -> int:
    from .store import Store
    from .tickets import TicketPrintFailed, TicketRefused, TicketService

    config = _load(args.config)
    if getattr(args, "service", None):
        try:
            config.service(args.service)
        except KeyError as exc:
            print(f"kiosk ticket: {exc.args[0]}", file=sys.stderr)
            return EXIT_USAGE
    links = []

    def printer():
        links.append(_printer_for(config, args.printer))
        return links[-1]

    with Store.open(config.data_dir) as store:
        tickets = TicketService(store, config, printer)
        try:
            if args.ticket_command == "preview":
                from hardware.printer.emulator import render_to_png
                from hardware.printer.escpos import dots_for_paper
                from .fonts import font_files
                data = tickets.render(args.service, lang=args.lang)
                render_to_png(data, args.out, width_dots=dots_for_paper(config.printer.paper_mm),
                              font_path=str(font_files()["regular"]), encoding=config.printer.encoding)
                print(f"wrote {args.out} ({len(data)} bytes of ESC/POS; no number taken)")
            elif args.ticket_command == "reprint":
                print(tickets.reprint_last().label)
            else:
                print(tickets.issue(args.service, lang=args.lang).label)
        except TicketRefused as exc:
            print(f"kiosk ticket: no number taken: {exc}", file=sys.stderr)
            return EXIT_FAILED
        except TicketPrintFailed as exc:
            print(exc.ticket.label)
            print(f"kiosk ticket: {exc}", file=sys.stderr)
            return EXIT_FAILED
        finally:
            for link in links:
                link.close()
    return EXIT_OK


def cmd_printer(args) -> int:
    from hardware.exc import PrinterError
    config = _load(args.config)
    try:
        link = _printer_for(config, args.printer)
    except PrinterError as exc:
        print(f"printer: cannot print: {exc}")
        return EXIT_FAILED
    with link:
        try:
            status = link.status()
        except PrinterError as exc:
            print(f"printer {link.url}: cannot print: {exc}")
            return EXIT_FAILED
    yes_no = {True: "yes", False: "no"}
    print(f"printer {link.url}: online {yes_no[status.online]}, cover open {yes_no[status.cover_open]}, "
          f"paper out {yes_no[status.paper_out]}, paper near end {yes_no[status.paper_near_end]}")
    if not status.ready:
        print("cannot print: " + ", ".join(w for w, bad in (("paper out", status.paper_out), ("cover open", status.cover_open),
                                                            ("offline", not status.online)) if bad))
        return EXIT_FAILED
    print("ready" + (" (paper near end: have a new roll ready)" if status.paper_near_end else ""))
    return EXIT_OK


def cmd_admin(args) -> int:
    """``kiosk admin hash-pin``: the line to paste into kiosk.toml; the PIN itself is never printed or kept."""
    import getpass

    from .admin_pin import PIN_PATTERN, hash_pin

    read = getpass.getpass if sys.stdin.isatty() else (lambda prompt: (print(prompt, end="", file=sys.stderr),
                                                                          sys.stdin.readline().strip())[1])
    pin = read("PIN (4-8 digits): ")
    if not PIN_PATTERN.fullmatch(pin):
        print("kiosk admin: a PIN is 4 to 8 digits; nothing was made", file=sys.stderr)
        return EXIT_USAGE
    if read("the same PIN again: ") != pin:
        print("kiosk admin: the two PINs differ; nothing was made", file=sys.stderr)
        return EXIT_USAGE
    print("[admin]")
    print(f'pin_hash = "{hash_pin(pin)}"')
    return EXIT_OK


def cmd_selftest(args) -> int:
    from .selftest import SelfTest, exit_code, render_json, render_row, summary

    config = _load(args.config)
    out = sys.stderr if args.json else sys.stdout  # with --json, stdout is the JSON alone
    root = logging.getLogger()
    level = root.level
    if not args.verbose:
        root.setLevel(logging.CRITICAL)  # every problem is a row; log lines would only repeat them
    test = SelfTest(config, printer_url=args.printer, interactive=args.interactive, test_page=args.test_page,
                    timeout=args.timeout, prompt=lambda text: print(text, file=out, flush=True),
                    keys_in=sys.stdin if args.interactive and config.simulated else None)
    try:
        if args.json:
            checks = test.run()
            print(render_json(checks, config.kiosk.id))
        else:
            width = max(len(name) for name, _step in test.plan())
            checks = test.run(on_check=lambda check: print(render_row(check, width), flush=True))
            print(summary(checks, config.kiosk.id))
    finally:
        test.close()
        root.setLevel(level)
    return exit_code(checks)


def _shown_forms(config):
    """The forms the screen shows: what the office (or ``[forms] file``) last gave, kept on disk; else the file."""
    from protocol.forms_format import load_catalogue
    from .forms import FormCatalogueCache

    cache = FormCatalogueCache(config.data_dir)  # reads only
    catalogue = cache.current() if cache.path.is_file() else load_catalogue(override=config.forms.file or None)[0]
    return catalogue.offered(config.server.public_url)


def cmd_forms(args) -> int:
    from protocol.forms_format import SHIPPED, check_catalogue, load_catalogue
    from .forms import qr_image

    config = _load(args.config)
    if args.forms_command == "check":
        if args.file:
            # A full catalogue is checked alone; an office's override over the shipped one.
            problems = check_catalogue(args.file) if _is_full_catalogue(args.file) else \
                load_catalogue(override=args.file)[1]
            name = args.file
        else:
            problems = load_catalogue(override=config.forms.file or None)[1]
            name = config.forms.file or str(SHIPPED)
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print(f"{name}: {len(problems)} problem{'s' if len(problems) > 1 else ''}", file=sys.stderr)
            return EXIT_USAGE
        catalogue = load_catalogue(override=config.forms.file or None)[0] if not args.file else None
        print(f"OK {name}" + (f": {len(catalogue.forms)} forms in {len(catalogue.categories)} categories"
                               if catalogue else ""))
        return EXIT_OK
    catalogue = _shown_forms(config)
    try:
        if args.forms_command == "qr":
            form = catalogue.by_code(args.code)
            address = form.address(config.server.public_url)
            qr_image(address, args.size).save(args.out)
            print(f"wrote {args.out}: {form.title} -> {address}")
            return EXIT_OK
        forms = catalogue.in_category(args.category) if args.category else catalogue.forms
    except KeyError as exc:
        print(f"kiosk forms: {exc.args[0]}", file=sys.stderr)
        return EXIT_USAGE
    for form in forms:
        print(f"{form.code}\t{form.category}\t{form.title}")
    return EXIT_OK


def _is_full_catalogue(path) -> bool:
    """Whether a file defines its own categories (a whole catalogue) rather than overriding forms."""
    try:
        return "[[categories]]" in open(path, encoding="utf-8", errors="replace").read()
    except OSError:
        return True  # let check_catalogue report the unreadable file


def cmd_upload(args) -> int:
    import time as _time

    from .errors import StoreError
    from .store import Store
    from .uploader import Uploader

    config = _load(args.config)
    with Store.open(config.data_dir) as store:
        uploader = Uploader(config, store)
        if args.action == "status":
            status = uploader.status()
            print(f"server {status['server'] or '(none)'}: {status['pending']} events waiting, {status['parked']} "
                  f"parked (never sent: the office server refused them, or they could not be encoded), last success {status['last_success'] or 'never'}, "
                  f"last error {status['last_error'] or 'none'}, next try in {status['next_attempt_in']:g} s")
            return EXIT_OK
        try:
            while True:
                if not args.once and uploader.due_in() > 0:
                    _time.sleep(uploader.due_in())
                result = uploader.upload_once()
                if args.once or result.remaining == 0 or result.refused or not config.server.url:
                    break
        except StoreError as exc:  # a full data folder: what was sent but not marked goes again (sent once)
            print(f"kiosk upload: {exc}. Events the office already has are sent again later and kept once there",
                  file=sys.stderr)
            return EXIT_FAILED
    print(f"sent {result.sent}, duplicates {result.duplicates}, rejected {result.rejected}, "
          f"remaining {result.remaining}" + (f" ({result.error})" if result.error else ""))
    for rejection in result.rejections:
        print(f"  rejected {rejection}", file=sys.stderr)
    return EXIT_OK if result.remaining == 0 and result.error is None else EXIT_FAILED


def cmd_simulate(args) -> int:
    from .simulate import simulate_press
    return simulate_press(_load(args.config), args.key, count=args.count, gap=args.gap, hold=args.hold)


def cmd_fonts(args) -> int:
    from .fonts import build_fonts
    for style, path in build_fonts(args.dest).items():
        print(f"{style}: {path}")
    return EXIT_OK


def main(argv: Optional[List[str]] = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    args.config, args.verbose = getattr(args, "config", None), getattr(args, "verbose", False)
    from .logs import setup as setup_logging
    setup_logging(verbose=args.verbose)  # the journal under systemd, else stderr; secrets hidden, floods held
    handlers = {
        "run": cmd_run, "screenshot": cmd_screenshot, "bench": cmd_bench, "fonts": cmd_fonts,
        "simulate": cmd_simulate, "printer": cmd_printer, "upload": cmd_upload, "selftest": cmd_selftest,
        "admin": cmd_admin, "audit": cmd_audit,
        "version": lambda _a: print(f"kiosk {__version__}") or EXIT_OK,
    }
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
        handler = handlers[args.command]
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

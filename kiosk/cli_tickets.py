"""
``kiosk ticket print|preview|reprint`` and ``kiosk printer status``
===================================================================

Queue tickets from the command line, through the same ``TicketService`` the
screen uses (a number taken, printed, its faults stored), and the receipt
printer's state.  Both talk to the printer the kiosk is configured with, or to
the one ``--printer URL`` names.
"""

from __future__ import annotations

import sys

from .cli_common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, load

__all__ = ["cmd_ticket", "cmd_printer"]


def _printer_for(config, url):
    """The printer link a command uses: ``--printer URL``, else what the kiosk itself would use."""
    from hardware.printer import PrinterLink
    if url:
        return PrinterLink(url, baudrate=config.printer.baudrate, flow_control=config.printer.flow_control)
    from .services import Services
    return Services.printer_link_for(config)


def cmd_ticket(args) -> int:
    from .office_client import OfficeClient
    from .office_numbers import numbering_for
    from .store import Store
    from .tickets import TicketPrintFailed, TicketRefused, TicketService

    config = load(args.config)
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

    office = OfficeClient(config)
    with Store.open(config.data_dir) as store:
        tickets = TicketService(store, config, printer)
        tickets.numbers = numbering_for(config, store, office)  # the office's series, as on the screen
        try:
            if args.ticket_command == "preview":
                _preview(tickets, config, args)
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
            office.close()
    return EXIT_OK


def _preview(tickets, config, args) -> None:
    """``kiosk ticket preview``: the next ticket drawn as the printer would, to a PNG; no number is taken."""
    from hardware.printer.emulator import render_to_png
    from hardware.printer.escpos import dots_for_paper
    from .fonts import font_files
    data = tickets.render(args.service, lang=args.lang)
    render_to_png(data, args.out, width_dots=dots_for_paper(config.printer.paper_mm),
                  font_path=str(font_files()["regular"]), encoding=config.printer.encoding)
    print(f"wrote {args.out} ({len(data)} bytes of ESC/POS; no number taken)")


def cmd_printer(args) -> int:
    from hardware.exc import PrinterError
    config = load(args.config)
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

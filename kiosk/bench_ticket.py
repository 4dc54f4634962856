"""
``kiosk bench ticket``
======================

Why text mode: the default ticket's bytes and its time on the wire at 9600,
19200 and 115200 baud, beside the same ticket drawn as pictures (every line
and the QR as ``GS v 0`` rasters, what a printer without a Chinese font
needs); the ticket in each of the resident's languages, whose lines the
printer's Big5 cannot carry (Vietnamese, Thai) are drawn (``printed_text.py``),
beside the Chinese one measured in the same run; and the time from the tap
(here: the call) to the first byte handed to the port, through the real path
(opening hours, printer status, the numbering transaction, encoding), with the
simulated printer: numbered by the kiosk alone, and with each number asked of
a local office server (``make run``'s) in the same run, with their ratio.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import List, Optional, Sequence

from hardware.printer import PrinterLink
from hardware.printer.escpos import Raster, encode

from protocol import officetime

from .config import Config
from .local_office import LocalOffice
from .office_client import OfficeClient
from .office_numbers import OfficeNumbers
from .settings import LANGUAGES
from .store import Store
from .ticket_layout import TicketText, profile_for, ticket_blocks
from .tickets import TicketService

__all__ = ["bench_ticket"]

BAUDS = (9600, 19200, 115200)
#: A ticket in the resident's language: at most this many bytes and seconds at 9600 baud (6 s is 5,760 bytes).
LANG_GOAL_BYTES, LANG_GOAL_SECONDS = 6 * 1024, 6.0


def _wire_seconds(size: int, baud: int) -> float:
    return size * 10 / baud  # 8 data bits, a start and a stop bit


def bench_ticket(config: Config, tickets: int = 200, langs: Optional[Sequence[str]] = None) -> int:
    service = config.services[0]
    if not (config.server.public_url or config.tickets.qr_url):  # the ticket of a kiosk set up for phones: with its QR
        config = config.with_values("server", public_url="https://erlin-queue.example.gov.tw/")
    text = TicketText(f"{service.prefix}012", service, officetime.now(), 11, "zh-TW")
    profile = profile_for(config)
    text_bytes = encode(ticket_blocks(config, text, profile), profile)
    raster_profile = replace(profile, encoding="raster", qr="raster")
    raster_bytes = encode(ticket_blocks(config, text, raster_profile), raster_profile)

    print(f"kiosk bench ticket: the default ticket of service {service.prefix} ({service.name}), "
          f"{config.printer.paper_mm} mm paper, encoding {profile.encoding}")
    print(f"{'':26}{'bytes':>8}" + "".join(f"{f'{b} baud':>14}" for b in BAUDS))
    for name, data in (("text + native QR", text_bytes), ("all raster", raster_bytes)):
        print(f"{name:26}{len(data):>8}" + "".join(f"{_wire_seconds(len(data), b):>12.2f} s" for b in BAUDS))
    ratio = len(raster_bytes) / len(text_bytes)
    print(f"{'raster / text':26}{ratio:>7.1f}×")
    print(f"goal ≤ 1,024 bytes: {'meets goal' if len(text_bytes) <= 1024 else 'MISSES goal'}; "
          f"≥ 20× fewer than raster: {'meets goal' if ratio >= 20 else 'MISSES goal'}")

    _languages(config, profile, langs or [lang for lang in LANGUAGES if lang != "zh-TW"])

    # Opening hours and limits would make the bench depend on the time of day it runs.
    always_open = config.with_services(tuple(replace(s, hours=(), weekdays=(), daily_limit=0)
                                             for s in config.services))
    alone = _tap_to_first_byte(always_open, service.prefix, tickets)
    _report(f"tap → first byte on the wire, {tickets} tickets numbered by the kiosk", alone)
    office = _tap_to_first_byte(always_open, service.prefix, tickets, with_office=True)
    _report(f"the same, each number asked of the office server (make run's, over HTTP on 127.0.0.1)", office)
    print(f"office / kiosk alone, p50: {statistics.median(office) / statistics.median(alone):.1f}×")
    return 0


def _tap_to_first_byte(config: Config, prefix: str, tickets: int, with_office: bool = False) -> List[float]:
    """Milliseconds from each tap (the call) to its ticket's first byte handed to the simulated printer, through
    the real path; ``with_office``: each number taken from a local office server (kiosk/office_numbers.py)."""
    folder = tempfile.mkdtemp(prefix="kiosk-bench-ticket-")
    first_byte, taps, office = [], [], None
    try:
        if with_office:
            office = LocalOffice(Path(folder) / "office", config.kiosk.id)
            config = config.with_values("server", url=office.url, token=office.token)
        with Store.open(folder) as store:
            link = PrinterLink("sim://bench-ticket")
            write = link.write

            def timed_write(data):
                first_byte.append(time.perf_counter())
                write(data)
            link.write = timed_write
            tickets_service = TicketService(store, config, lambda: link)
            client = OfficeClient(config)
            tickets_service.numbers = OfficeNumbers(config, store, client) if with_office else None
            for _ in range(tickets):
                taps.append(time.perf_counter())
                tickets_service.issue(prefix)
            link.close()
            client.close()
    finally:
        if office is not None:
            office.close()
        shutil.rmtree(folder, ignore_errors=True)
    return sorted((b - a) * 1000 for a, b in zip(taps, first_byte))


def _report(what: str, delays: List[float]) -> None:
    p99 = delays[int(0.99 * len(delays))]
    print(f"{what}: p50 {statistics.median(delays):.1f} ms, p99 {p99:.1f} ms, max {delays[-1]:.1f} ms; "
          f"goal ≤ 100 ms: {'meets goal' if p99 <= 100 else 'MISSES goal'}")


def _languages(config: Config, profile, langs: Sequence[str]) -> None:
    """Each language's ticket beside the Chinese one: bytes, drawn lines, time at 9600 baud, the goal."""
    service = config.services[0]
    print("\nthe ticket in the resident's language (office and service in English, the messages in theirs), "
          "with an estimate of 15–25 min, beside the Chinese ticket:")
    print(f"{'language':10}{'bytes':>8}{'9600 baud':>12}{'drawn lines':>13}{'× zh-TW':>10}  "
          f"goal ≤ {LANG_GOAL_BYTES // 1024} KB and ≤ {LANG_GOAL_SECONDS:.0f} s")
    zh_size = None
    for lang in ["zh-TW", *(lang for lang in langs if lang != "zh-TW")]:
        text = TicketText(f"{service.prefix}012", service, officetime.now(), 11, lang, estimate=(15, 25))
        blocks = ticket_blocks(config, text, profile)
        size = len(encode(blocks, profile))
        zh_size = zh_size or size
        seconds = _wire_seconds(size, 9600)
        met = size <= LANG_GOAL_BYTES and seconds <= LANG_GOAL_SECONDS
        print(f"{lang:10}{size:>8}{seconds:>10.2f} s{sum(isinstance(b, Raster) for b in blocks):>13}"
              f"{size / zh_size:>9.1f}×  {'meets goal' if met else 'MISSES goal'}")

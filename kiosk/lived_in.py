"""
Lived-in states
===============

A kiosk is rarely empty: by mid-morning forms have been viewed, forty people
wait, a rating was just given, a service is closed for lunch, the printer has
run out of paper.  Screens that look right only on an empty store are wrong,
so ``kiosk screenshot --state NAME`` and ``kiosk audit layout`` draw them from
one of these named states, seeded into a scratch store through the kiosk's own
services (real tickets printed on a simulated printer, real ratings, real form
views), never by writing rows by hand.

Each state also pins the office clock (:func:`protocol.officetime.pin`) to a fixed
moment, so its pictures are the same at any hour and on any day they are
taken.  Nothing here imports Kivy.

=============  ==========================================================================
``empty``      the first morning: nothing recorded yet
``busy``       10:40 on a Tuesday: 54 numbers handed out, 40 waiting with the office's
               estimates, popular forms viewed, a ticket taken here 3 minutes ago, a
               rating just given, a fault this morning
``closed``     12:10, lunch: the counters' services closed until 13:30, one open
               through lunch but full for today, one open
``paper-out``  ``busy``, with the printer out of paper (tickets and slips refused)
``long-names`` ``busy``, with the longest office and service names in every language
=============  ==========================================================================
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Dict, Optional, Tuple

from protocol import officetime
from protocol.service_list import Service

from .config import Config

__all__ = ["STATES", "LivedIn", "seed", "PRINTER"]

#: name -> one line for ``kiosk screenshot --help``.
STATES: Dict[str, str] = {
    "empty": "the first morning, nothing recorded",
    "busy": "mid-morning: 40 waiting with estimates, popular forms, a recent ticket, a rating just given",
    "closed": "lunch: the counters closed until 13:30, one service full for today",
    "paper-out": "busy, and the printer is out of paper",
    "long-names": "busy, with the longest office and service names",
}

#: The simulated printer every state prints on (``sim://`` ports share printers by name).
PRINTER = "lived-in"
#: A Tuesday: an ordinary office day (民國115年12月8日).
DAY = (2026, 12, 8)

#: Numbers handed out by 10:40 and still waiting, per service of the usual list, with the office
#: server's estimate (minutes) for a ticket printed now and the pace each further ticket adds.
BUSY_QUEUE = {  # prefix: (handed out, waiting, (low, high) wait, (low, high) pace)
    "A": (18, 13, (45, 65), (3.0, 5.0)),
    "B": (12, 9, (30, 45), (3.0, 5.0)),
    "C": (9, 7, (20, 30), (2.5, 4.0)),
    "D": (4, 4, (25, 40), (6.0, 9.0)),
    "E": (5, 4, (15, 25), (3.0, 6.0)),
    "F": (3, 2, (5, 10), (2.0, 4.0)),
    "P": (3, 1, (3, 8), (2.0, 4.0)),
}
#: Views of the forms residents open most, most viewed first (codes of the shipped catalogue).
FORM_VIEWS = (("move-in", 9), ("transcript", 7), ("id-card", 6), ("seal-certificate", 4),
              ("birth", 3), ("marriage", 2), ("power-of-attorney", 2))
#: The morning's ratings, oldest first (0 the best choice, 1 the next, 2 the worst); the last is "just given".
RATINGS = (0, 0, 1, 0, 0, 2, 0, 1, 0, 0, 0, 1, 0, 2, 0, 0, 0, 1, 0, 0)

#: The usual opening hours of a household registration office (the counters close for lunch; appointments
#: and priority service run through it).  The closed state gives them to services that have none.
COUNTER_HOURS = ((time(8, 0), time(12, 0)), (time(13, 30), time(17, 0)))
ALL_DAY = ((time(8, 0), time(17, 0)),)
WEEKDAYS = (1, 2, 3, 4, 5)

#: The longest names a kiosk of any office shows (a district office of a special municipality, the
#: longest service names) — real shapes of names, longer than Erlin's.
LONG_OFFICE = ("高雄市鳳山區新甲戶政事務所", "Xinjia Household Registration Office, Fengshan District, Kaohsiung City")
LONG_SERVICES = (
    Service("A", "戶籍登記（遷入、遷出、出生、死亡）", "Household registration (moving in or out, births, deaths)"),
    Service("B", "國民身分證、戶口名簿初領補換", "National ID card and household certificate, new or replaced"),
    Service("C", "戶籍謄本、印鑑登記及印鑑證明", "Household transcripts, seal registration and seal certificates"),
    Service("D", "新住民歸化、國籍及外籍配偶登記", "New residents: naturalisation, nationality, foreign spouses"),
    Service("E", "自然人憑證申請及展期", "Citizen digital certificate, new or renewed"),
    Service("F", "網路預約報到", "Check-in for online appointments", check_in=True),
    Service("P", "優先（年長者、身心障礙、孕婦）", "Priority (seniors, people with disabilities, pregnant women)"),
)


@dataclass
class LivedIn:
    """A seeded state: the configuration to draw it with, its office time and the queue the office sees."""

    name: str
    config: Config
    moment: datetime
    queue: Optional[dict]              # the office server's answer (protocol JSON), None: not reachable
    paper_out: bool = False
    setup_problems: str = ""           # what a wrong boot-partition kiosk.toml would say (setup_error screen)


def _at(hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(*DAY, hour, minute, second, tzinfo=officetime.TAIPEI)


#: The states stand in a lobby whose office server phones can reach (the states' queue answers are its): a
#: kiosk with no ``server.public_url`` of its own is drawn with this one, so tickets carry their live-queue QR.
EXAMPLE_PUBLIC_URL = "https://erlin.example.gov.tw/"


def _base(config: Config, data_dir: Path) -> Config:
    """The config, drawn from a scratch store with a simulated printer, whatever the kiosk's hardware."""
    config = config.with_values("kiosk", data_dir=str(data_dir))
    config = config.with_values("hardware", mode="simulated")
    if not config.server.public_url:
        config = config.with_values("server", public_url=EXAMPLE_PUBLIC_URL)
    return config.with_values("printer", url=f"sim://{PRINTER}")


def _queue_answer(config: Config, waiting: Dict[str, Tuple[int, tuple, tuple]]) -> dict:
    """The office server's answer (``GET /api/v1/kiosks/{id}/queue``) for these services."""
    return {"day": officetime.office_day().isoformat(), "services": {
        prefix: {"waiting": count, "wait": {"low": wait[0], "high": wait[1]}, "pace": {"low": pace[0], "high": pace[1]}}
        for prefix, (count, wait, pace) in waiting.items() if any(s.prefix == prefix for s in config.services)}}


def _spread(first: datetime, last: datetime, count: int):
    """``count`` moments from ``first`` to ``last``, evenly."""
    step = (last - first) / max(1, count - 1)
    return [first + step * n for n in range(count)]


def _issue(services, prefix: str, at: datetime, lang: str = "zh-TW") -> None:
    officetime.pin(at)
    services.tickets.issue(prefix, lang=lang)


def _seed_busy(services, config: Config) -> dict:
    """Tickets, form views, ratings and a fault from 08:00 to 10:40; return the queue the office sees."""
    from protocol.forms_format import load_catalogue
    from .forms import record_view

    plan = []  # (moment, prefix)
    known = [s.prefix for s in config.services]
    for prefix, (handed, _waiting, _wait, _pace) in BUSY_QUEUE.items():
        if prefix in known:
            plan += [(at, prefix) for at in _spread(_at(8, 0, ord(prefix) - ord("A")), _at(10, 30), handed)]
    extra = [p for p in known if p not in BUSY_QUEUE]  # an office's own services: a few numbers each
    for prefix in extra:
        plan += [(at, prefix) for at in _spread(_at(8, 20), _at(10, 20), 3)]
    for at, prefix in sorted(plan):
        _issue(services, prefix, at, lang="en" if at.minute % 7 == 0 else "zh-TW")
    # A resident's own ticket, taken here 3 minutes ago (the rating screen may offer it).
    _issue(services, known[0], _at(10, 37))

    catalogue = load_catalogue()[0]
    codes = [code for code, _views in FORM_VIEWS if any(f.code == code for f in catalogue.forms)]
    codes += [f.code for f in catalogue.forms if f.code not in codes][:len(FORM_VIEWS) - len(codes)]
    views = sorted(((_at(8, 10) + timedelta(minutes=11 * n + 3 * rank), code)
                    for rank, (code, (_c, count)) in enumerate(zip(codes, FORM_VIEWS)) for n in range(count)))
    for at, code in views:
        officetime.pin(at)
        record_view(services.store, catalogue.by_code(code), "zh-TW")

    scale = services.ratings.scale
    for at, choice in zip(_spread(_at(8, 40), _at(10, 39, 30), len(RATINGS)), RATINGS):
        officetime.pin(at)
        index = choice if choice < 2 else scale.size - 1  # 0 best, 1 next, 2 the worst of any scale
        rating = services.ratings.rate(index, "button", at=at)
        if rating.negative:
            services.ratings.set_reason(rating.id, "wait_time")
    officetime.pin(_at(9, 12))
    services.record_fault("printer_near_end", "printer: paper near end (have a new roll ready)")
    waiting = {prefix: (count, wait, pace) for prefix, (_h, count, wait, pace) in BUSY_QUEUE.items()}
    for prefix in extra:
        waiting[prefix] = (2, (10, 20), (3.0, 5.0))
    return waiting


def _seed_closed(services, config: Config) -> None:
    """A morning's numbers, the full service's last one among them."""
    for n, service in enumerate(config.services):
        count = service.daily_limit or 3
        for at in _spread(_at(8, n), _at(11, 50), count):
            _issue(services, service.prefix, at)


def _closed_config(config: Config) -> Config:
    """Opening hours for services that have none (the last two open through lunch, the others not), and a
    daily limit of 20 for the second to last, which the morning reaches: closed and full both show at 12:10."""
    services, count = [], len(config.services)
    for n, service in enumerate(config.services):
        hours = service.hours or (ALL_DAY if n >= count - 2 else COUNTER_HOURS)
        weekdays = service.weekdays or WEEKDAYS
        limit = service.daily_limit or (20 if n == count - 2 and count > 1 else 0)
        services.append(replace(service, hours=hours, weekdays=weekdays, daily_limit=limit))  # names in every language kept
    return config.with_services(services)


def seed(name: str, config: Config, data_dir: Optional[Path] = None) -> LivedIn:
    """Seed state ``name`` into ``data_dir`` (a new temporary folder by default) and pin the clock to it.

    The store must be new: seeding an existing kiosk's store would mix a picture's
    data into real records, so a folder holding a store is refused.
    """
    from hardware.printer import SimulatedPrinter

    from .services import open_services

    if name not in STATES:
        raise ValueError(f"no state {name!r}; states: {', '.join(STATES)}")
    if data_dir is None:  # a scratch store of its own, gone when the process ends (/tmp is 64 MB on the Pi)
        data_dir = Path(tempfile.mkdtemp(prefix=f"kiosk-{name}-"))
        atexit.register(shutil.rmtree, data_dir, ignore_errors=True)
    data_dir = Path(data_dir)
    if any(data_dir.glob("*.sqlite*")) or any(data_dir.glob("*.db")):
        raise ValueError(f"{data_dir} already holds a store; a state is seeded into an empty folder")
    data_dir.mkdir(parents=True, exist_ok=True)
    config = _base(config, data_dir)
    if name == "long-names":
        config = config.with_values("kiosk", office=LONG_OFFICE[0], office_en=LONG_OFFICE[1])
        config = config.with_services(LONG_SERVICES)
    if name == "closed":
        config = _closed_config(config)
    printer = SimulatedPrinter.get(PRINTER)
    printer.paper_out = False
    printer.clear()
    state = LivedIn(name, config, _at(9, 0) if name == "empty" else _at(12, 10) if name == "closed" else _at(10, 40),
                    queue=None, paper_out=name == "paper-out", setup_problems=SETUP_PROBLEMS)
    # Ratings seeded a second apart in real time are hours apart on the pinned clock: not misuse.
    services = open_services(config, with_hardware=False, monotonic=lambda: officetime.now().timestamp())
    services.tickets.numbers = None  # the day's tickets numbered here: a picture asks no office server for them
    try:
        if name in ("busy", "paper-out", "long-names"):
            waiting = _seed_busy(services, config)
            officetime.pin(state.moment)
            state.queue = _queue_answer(config, waiting)
        elif name == "closed":
            _seed_closed(services, config)
    finally:
        services.close()
    printer.paper_out = state.paper_out
    printer.clear()
    officetime.pin(state.moment)
    return state


#: What kiosk-provision writes when the boot partition's kiosk.toml is wrong (the setup_error screen).
SETUP_PROBLEMS = (
    "kiosk.toml:7: server.url: must start with https:// (got 'htps://office.erlin.example/')\n"
    "kiosk.toml:15: wifi.psk: must be 8 to 63 characters (the value is hidden)\n"
    "kiosk.toml:22: services[3].hours: '13:30-12:00' ends before it starts"
)

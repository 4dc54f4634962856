"""
Queue tickets
=============

抽號碼牌: a resident picks a service, the kiosk hands out the next number for
it and prints it.  The order is what keeps a number from being lost or given
twice:

1. refuse politely, consuming nothing, if the service is closed now, its daily
   limit is reached, or the printer says it cannot print (paper out, cover
   open, offline, no answer): those faults are stored for the office;
2. take the number: with an office server, the office's next one (one series
   for all its kiosks and the phones, ``kiosk/office_numbers.py``), asked
   before the transaction; cut off from it, the next of this kiosk's own slot
   (A2001…, ``protocol/numbering.py``), or a refusal (``"offline"``) for a
   kiosk never given a slot; without a server, this kiosk's own 001…  Then,
   in one synchronous transaction, the (office day, service) counter, the
   ticket row and its ``ticket`` event (whose id is the office's key for the
   number);
3. print.  If printing fails midway the ticket is marked ``failed``, a fault is
   stored, and the resident is shown the number and sent to the service desk:
   the number is theirs, not lost.

The office day is Asia/Taipei's, so numbers restart at local midnight; the
counter only ever goes up within a day, so a clock that jumps back after NTP
cannot hand out a number twice.  A clock that is not synced (a Pi has no
real-time clock) and reads earlier than the last ticket cannot be trusted with
the office day: set back a day, it would start that day's numbers again at 001
and the office would file them under the wrong day.  No number is handed out
then (``TicketRefused("clock")``, a ``clock_behind`` fault) until the clock is
synced or passes the last ticket.  A number that cannot be stored (a full data
folder) is refused too (``"store"``), nothing consumed.  No Kivy here.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, List, Optional, Tuple

from hardware.exc import PrinterError

from protocol import numbering, officetime
from protocol.service_list import Service

from . import clock_sync
from .ticketing_pause import ticketing_paused
from .errors import KioskError, StoreError
from .events import Event
from .office_numbers import CheckInRefused, NumberFull
from .printing import Printing
from .queue_status import Outlook
from .ticket_layout import Appointment, TicketText, profile_for, ticket_blocks

__all__ = ["Ticket", "TicketService", "TicketRefused", "TicketPrintFailed", "CheckInRefused"]

log = logging.getLogger("kiosk.tickets")


class TicketRefused(KioskError):
    "Error raised when no number can be handed out now; nothing was consumed"

    def __init__(self, reason: str, message: str):
        self.reason = reason  # closed | full | printer | paused | clock | store | offline
        super().__init__(message)


class TicketPrintFailed(KioskError):
    "Error raised when a number was taken but its ticket did not print; the ticket says which"

    def __init__(self, ticket: "Ticket", message: str):
        self.ticket = ticket
        super().__init__(message)


@dataclass(frozen=True)
class Ticket:
    id: str               # the uuid of its ticket event
    seq: int
    label: str            # A012
    prefix: str
    issued: int           # 12: the twelfth of the day for this service
    at: str               # RFC 3339
    people_ahead: int
    lang: str
    status: str


#: A Ticket's fields, in order (its id is its event's).
_SELECT_TICKETS = ("SELECT e.id, t.seq, t.label, t.prefix, t.issued, t.at, t.people_ahead, t.lang, t.status "
                   "FROM tickets t JOIN events e ON e.seq = t.seq")

class TicketService:
    """Hands out numbers and prints them.

    :param store: the kiosk's Store.
    :param config: the kiosk's Config (services, tickets, printer).
    :param printer: a callable returning an open ``PrinterLink`` (it may raise
        ``PrinterNotConnected``); called for each ticket, so a printer that was
        unplugged and plugged back in is found again.
    """

    def __init__(self, store, config, printer: Callable[[], object],
                 now: Callable[[], datetime] = officetime.now):
        self.store = store
        self.config = config
        self.printer = printer
        self.printing = Printing(store, printer)
        self.on_fault = self.printing.on_fault
        self.now = now
        self._lock = threading.Lock()  # one ticket at a time: a double tap must not interleave two prints
        #: A :class:`~kiosk.queue_status.QueueStatus` (Services sets it), or None: the kiosk's own count only.
        self.queue = None
        #: :class:`~kiosk.office_numbers.OfficeNumbers` (Services sets it with a server), or None: the kiosk
        #: numbers alone, as one kiosk without an office server does.
        self.numbers = None

    # -- what the screen shows ------------------------------------------------------------------

    def issued_today(self, prefix: str) -> int:
        day = officetime.office_day(self.now()).isoformat()
        row = self.store.read(lambda c: c.execute(
            "SELECT issued - reset_base FROM ticket_counters WHERE day = ? AND prefix = ?", (day, prefix)).fetchone())
        return row[0] if row else 0

    def outlook(self, prefix: str) -> Outlook:
        """People ahead of a ticket of ``prefix`` taken now, and the estimated wait.

        From the office server's fresh answer (``self.queue``, ``kiosk/queue_status.py``): those not yet called,
        and an estimate once the server has enough service times.  Without one (no server, offline, stale), the
        kiosk says less: every number it handed out today counts as ahead (it cannot see them called), no estimate.
        """
        found = self.queue.outlook(prefix) if self.queue is not None else None
        return found if found is not None else Outlook(self.issued_today(prefix))

    def recent(self, minutes: int, limit: int = 6) -> List[Ticket]:
        """Tickets taken on this kiosk in the last ``minutes``, newest first: a rating can name its visit."""
        if minutes <= 0:
            return []
        since = officetime.rfc3339((self.now() - timedelta(minutes=minutes)).astimezone(officetime.TAIPEI))
        rows = self.store.read(lambda c: c.execute(f"{_SELECT_TICKETS} WHERE t.at >= ? ORDER BY t.seq DESC LIMIT ?",
                                                   (since, limit)).fetchall())
        return [Ticket(*row) for row in rows]

    def newest_unrated(self, minutes: int) -> Optional[Ticket]:
        """The newest ticket taken here in the last ``minutes``, unless a rating already names it.

        What the rating screen may offer as the resident's own: an older ticket, or one already
        rated, is most likely a stranger's number.
        """
        newest = self.recent(minutes, limit=1)
        if not newest:
            return None
        rated = self.store.read(lambda c: c.execute(
            "SELECT 1 FROM ratings WHERE ticket = ? AND day = (SELECT day FROM tickets WHERE seq = ?) LIMIT 1",
            (newest[0].label, newest[0].seq)).fetchone())
        return None if rated else newest[0]

    # -- handing out ------------------------------------------------------------------------------

    def issue(self, prefix: str, lang: str = "zh-TW") -> Ticket:
        """Take the next number of service ``prefix`` and print it; see the module docstring."""
        service = self.config.service(prefix)  # KeyError for a service that does not exist
        with self._lock:
            moment = self.now()
            self._refuse_now(service, moment)
            link = self._ready_printer()
            outlook = self.outlook(service.prefix)
            request_id = str(uuid.uuid4())  # the ticket event's id, and the office's key for its number
            office = self._office_number(service, moment, request_id)
            ticket = self._store(service, moment, lang, outlook, request_id, office)
            self._print(link, ticket, service, moment, "printed", outlook.estimate)
            return ticket

    def check_in(self, prefix: str, code: str, lang: str = "zh-TW") -> Tuple[Ticket, "Appointment"]:
        """An appointment's ``code`` typed at the check-in service ``prefix`` (預約報到): the office's number for it,
        printed with the appointment's service and time, and the appointment.  TicketRefused as for any ticket
        (nothing is asked of the office then), CheckInRefused when the office checks nothing in (``offline``
        when it does not answer, or with no server: only the office knows the appointments)."""
        service = self.config.service(prefix)
        if self.numbers is None:
            raise CheckInRefused("offline", "this kiosk has no office server: it knows no appointment")
        with self._lock:
            moment = self.now()
            self._refuse_now(service, moment)
            link = self._ready_printer()
            request_id = str(uuid.uuid4())
            try:
                answer = self.numbers.check_in(service, code, moment, request_id)
            except NumberFull as exc:
                raise TicketRefused("full", f"service {service.prefix}: {exc}") from exc
            appointment = Appointment(self._service_or_letter(answer["appointment"]["service"]),
                                      datetime.fromisoformat(answer["appointment"]["at"]).astimezone(officetime.TAIPEI))
            ticket = self._store(service, moment, lang, Outlook(0, live=True), request_id, answer,
                                 {"appointment": answer["appointment"]})
            self._print(link, ticket, service, moment, "printed", appointment=appointment)
            return ticket, appointment

    def _service_or_letter(self, prefix: str):
        """The kiosk's service of ``prefix``, or one named by its letter (the office may book a service this kiosk
        does not list)."""
        try:
            return self.config.service(prefix)
        except KeyError:
            return Service(prefix, prefix, prefix)

    def _refuse_now(self, service, moment: datetime) -> None:
        """TicketRefused, nothing consumed, when no number of ``service`` is handed out now (the admin's pause, a
        clock set back, the service's hours, its daily limit as this kiosk counts it)."""
        if ticketing_paused(self.store):
            raise TicketRefused("paused", "ticketing is paused by the staff (admin screen)")
        self._check_clock(moment)
        if not service.open_at(moment):
            raise TicketRefused("closed", f"service {service.prefix} ({service.name}) is not handing out "
                                          f"numbers at {moment.strftime('%a %H:%M')}")
        if service.daily_limit and self.issued_today(service.prefix) >= service.daily_limit:
            raise TicketRefused("full", f"service {service.prefix} has handed out all {service.daily_limit} "
                                        "numbers for today")

    def _store(self, service, moment: datetime, lang: str, outlook: Outlook, request_id: str,
               office: Optional[dict], extra: Optional[dict] = None) -> Ticket:
        """The ticket and its event, stored in one transaction; TicketRefused (rolled back) when it cannot be."""
        try:
            return self._take_number(service, moment, lang, outlook, request_id, office, extra)
        except TicketRefused as exc:  # rolled back: no number consumed
            if exc.reason == "offline":  # staff must hear of it: the kiosk refuses everyone until it answers
                self.printing.fault("numbering_offline", str(exc))
            raise
        except StoreError as exc:  # a full data folder: rolled back, no number consumed
            message = f"no number taken for service {service.prefix}: {exc}"
            log.error("%s", message)
            for listener in list(self.on_fault):  # the running kiosk's faults; the store cannot keep one now
                listener(message)
            raise TicketRefused("store", str(exc)) from exc

    def reprint_last(self, link=None) -> Ticket:
        """Print the most recent ticket again (a staff action); recorded as an event."""
        row = self.store.read(lambda c: c.execute(f"{_SELECT_TICKETS} ORDER BY t.seq DESC LIMIT 1").fetchone())
        if row is None:
            raise KioskError("no ticket has been handed out on this kiosk yet")
        ticket = Ticket(*row)
        service = self.config.service(ticket.prefix)
        with self._lock:
            link = link or self._ready_printer()
            self._print(link, ticket, service, datetime.fromisoformat(ticket.at), "reprinted")
        try:
            self.store.record_event("admin", {"action": "reprint", "ticket": ticket.label, "ticket_id": ticket.id})
        except StoreError as exc:  # printed all the same
            log.error("the reprint of ticket %s could not be recorded: %s", ticket.label, exc)
        return ticket

    def render(self, prefix: str, lang: str = "zh-TW") -> bytes:
        """The bytes the next ticket of ``prefix`` would be, without taking a number (``kiosk ticket preview``)."""
        service = self.config.service(prefix)
        moment = self.now()
        issued = self.issued_today(service.prefix) + 1
        outlook = self.outlook(service.prefix)  # as issue() prints it: the office's count when it is fresh
        ahead = outlook.ahead if outlook.live else issued - 1
        return self._encode(TicketText(self._label(service.prefix, issued), service, moment, ahead, lang,
                                       outlook.estimate))

    def next_label(self, prefix: str) -> str:
        """The number the next ticket of ``prefix`` would carry (A013), taking none."""
        service = self.config.service(prefix)
        return self._label(service.prefix, self.issued_today(service.prefix) + 1)

    # -- the steps ---------------------------------------------------------------------------------

    def _label(self, prefix: str, issued: int) -> str:
        wrap = self.config.tickets.wrap
        return f"{prefix}{(issued - 1) % wrap + 1:0{len(str(wrap))}d}"

    def _encode(self, text: TicketText) -> bytes:
        from hardware.printer.escpos import encode
        profile = profile_for(self.config)
        return encode(ticket_blocks(self.config, text, profile), profile)

    def _ready_printer(self):
        """An open printer that says it can print, or TicketRefused (nothing consumed) and a stored fault."""
        try:
            return self.printing.ready()
        except PrinterError as exc:
            raise TicketRefused("printer", str(exc)) from exc

    def last_ticket(self) -> Optional[Ticket]:
        """The newest ticket handed out on this kiosk, None before the first."""
        row = self.store.read(lambda c: c.execute(f"{_SELECT_TICKETS} ORDER BY t.seq DESC LIMIT 1").fetchone())
        return Ticket(*row) if row else None

    def _check_clock(self, moment: datetime) -> None:
        """Refuse (and store a fault) while the clock is not synced and reads earlier than the last ticket."""
        if clock_sync.clock_synced():
            return  # a synced clock is the truth, even set back: NTP corrected it (a real day change)
        if officetime.is_pinned():
            return  # a picture's clock (kiosk/lived_in.py), set on purpose and seeded service by service
        last = self.last_ticket()
        if last is None or moment >= datetime.fromisoformat(last.at):
            return
        at = datetime.fromisoformat(last.at).astimezone(officetime.TAIPEI)
        message = (f"the clock is not synced and says {moment.astimezone(officetime.TAIPEI):%Y-%m-%d %H:%M}, earlier "
                   f"than the last ticket ({last.label} at {at:%Y-%m-%d %H:%M}): no number is handed out until it is "
                   "right. Hint: check the kiosk's network and time sync (timedatectl; the NTP server in kiosk.toml)")
        self.printing.fault("clock_behind", message, last_ticket=last.label, last_ticket_at=last.at,
                            clock=officetime.rfc3339(moment))
        raise TicketRefused("clock", message)

    def _office_number(self, service, moment: datetime, request_id: str) -> Optional[dict]:
        """The office server's number for this ticket (kiosk/office_numbers.py); None: the kiosk numbers it."""
        if self.numbers is None:
            return None
        try:
            return self.numbers.take(service, moment, request_id)
        except NumberFull as exc:
            raise TicketRefused("full", f"service {service.prefix}: {exc}") from exc

    def _number(self, conn, service, day: str, issued: int, base: int, office: Optional[dict]) -> Tuple[str, str]:
        """The ticket's number as printed, and whose series it is from: the office's, the kiosk's slot's
        (``protocol/numbering.py``: a kiosk with a server that does not answer), or the kiosk's alone (no server)."""
        if office is not None:
            return office["number"], "office"
        if self.numbers is None:
            return self._label(service.prefix, issued - base), "kiosk"  # staff may have started the day again
        slot = self.numbers.slot()
        if slot is None:
            raise TicketRefused("offline", "this kiosk cannot reach its office server and has never been given a "
                                           "slot of numbers of its own (it gets one with its first number from the "
                                           "server): no number is handed out until the server answers")
        alone = conn.execute("UPDATE ticket_counters SET alone = alone + 1 WHERE day = ? AND prefix = ? "
                             "RETURNING alone", (day, service.prefix)).fetchone()[0]
        try:
            return numbering.label(service.prefix, numbering.own_number(slot, alone)), "alone"
        except ValueError as exc:
            raise TicketRefused("full", f"service {service.prefix}: {exc}") from exc

    def _take_number(self, service, moment: datetime, lang: str, outlook: Outlook, request_id: str,
                     office: Optional[dict] = None, extra: Optional[dict] = None) -> Ticket:
        day = officetime.office_day(moment).isoformat()
        extra = dict(extra or {}, **({"estimate_minutes": list(outlook.estimate)} if outlook.estimate else {}))

        def write(conn):
            issued, base = conn.execute(
                "INSERT INTO ticket_counters (day, prefix, issued) VALUES (?, ?, 1) "
                "ON CONFLICT (day, prefix) DO UPDATE SET issued = issued + 1 RETURNING issued, reset_base",
                (day, service.prefix)).fetchone()
            label, series = self._number(conn, service, day, issued, base, office)
            # The office's count when it is fresh; else every number handed out before this one is ahead.
            people_ahead = outlook.ahead if outlook.live else issued - base - 1
            event = dataclasses.replace(Event.new("ticket", {
                "number": label, "issued": issued, "numbering": series, "service": service.prefix,
                "service_name": service.name, "people_ahead": people_ahead, "lang": lang,
                "kiosk_id": self.config.kiosk.id, **extra}, at=moment), id=request_id)
            event = self.store.add_event(event, conn)
            conn.execute("INSERT INTO tickets (seq, day, prefix, issued, label, at, people_ahead, lang, status) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'printing')",
                         (event.seq, day, service.prefix, issued, label, event.at, people_ahead, lang))
            return Ticket(event.id, event.seq, label, service.prefix, issued, event.at, people_ahead, lang, "printing")

        return self.store.write(write)

    def numbered_alone(self, label: str) -> bool:
        """Whether this number is the kiosk's own, given while its office server did not answer: the counters
        cannot call it until the kiosk uploads it, and the ticket and the screen say so."""
        return self.numbers is not None and numbering.is_own(label)

    def _print(self, link, ticket: Ticket, service, moment: datetime, done: str, estimate=None,
               appointment: Optional["Appointment"] = None) -> None:
        data = self._encode(TicketText(ticket.label, service, moment, ticket.people_ahead, ticket.lang, estimate,
                                       alone=self.numbered_alone(ticket.label), appointment=appointment))
        try:
            self.printing.send(link, data)
        except PrinterError as exc:
            self._set_status(ticket, "failed")
            message = f"ticket {ticket.label} did not print: {exc}"
            self.printing.fault("ticket_print_failed", message, ticket=ticket.label, ticket_id=ticket.id)
            raise TicketPrintFailed(ticket, message) from exc
        self._set_status(ticket, done)
        log.info("ticket %s %s (%d bytes)", ticket.label, done, len(data))

    def _set_status(self, ticket: Ticket, status: str) -> None:
        """Note how the print went; a store that cannot write (full) must not hide the number from the resident."""
        try:
            self.store.write(lambda c: c.execute("UPDATE tickets SET status = ? WHERE seq = ?", (status, ticket.seq)))
        except StoreError as exc:  # the ticket and its event are stored already: only its status is not
            log.error("ticket %s is %s, but that could not be stored: %s", ticket.label, status, exc)

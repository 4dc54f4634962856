"""
The kiosk's services, wired together
====================================

One place builds what both the windowed kiosk and the command-line tools
(``kiosk simulate press``, ``kiosk bench ratings``) need, so a simulated press
takes exactly the path of a real one::

    gpiozero edge -> RatingButtons (debounce, stuck) -> RatingService.rate
        -> one synchronous transaction (rating row + event)
        -> the steps after a rating, in the order ``Services.after_rating_steps`` lists them:
           the LED confirms, the uploader wakes, the screen (which hands over to Kivy's main thread)

Nothing here imports Kivy.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable, List, Optional

from .config import Config
from .errors import StoreError
from .ratings import Rating, RatingService
from .speech import Speech
from .store import Store

__all__ = ["Services", "open_services"]

log = logging.getLogger("kiosk")


class Services:
    """The store, the hardware and the rating service of one kiosk; ``close()`` releases them."""

    def __init__(self, config: Config, store: Store, ratings: RatingService, hardware=None):
        from .form_slips import FormSlips
        from .forms import FormCatalogueCache
        from .tickets import TicketService

        self.config = config
        self.store = store
        self.ratings = ratings
        self.hardware = hardware
        self.tickets = TicketService(store, config, self.printer_link)
        self.form_slips = FormSlips(store, config, self.printer_link)
        self.forms = FormCatalogueCache(config.data_dir)
        #: Faults a person should see (stuck button, disk full...); the UI and the admin status read it.
        self.faults: List[str] = []
        self.on_fault: List[Callable[[str], None]] = []
        ratings.on_fault.append(self._fault)
        self.tickets.on_fault.append(self._fault)
        self.form_slips.on_fault.append(self._fault)
        self.load_office_forms()
        from .heartbeat import Heartbeat
        from .office_client import OfficeClient
        from .office_numbers import numbering_for
        from .office_sync import ConfigSync
        from .queue_status import QueueStatus
        from .uploader import Uploader
        #: The one way to the office server (URL, token, server.ca_bundle, timeouts), shared by all that follow.
        self.office = OfficeClient(config)
        self.sync = ConfigSync(config, store, self.forms, self.record_fault, self.office)
        # The office server's view of the queue: people ahead and the wait on the tiles and the tickets.
        self.queue = self.tickets.queue = QueueStatus(config, self.tickets.issued_today, self.office)
        # The office's numbers, one series for all its kiosks; without a server the kiosk numbers alone.
        self.tickets.numbers = numbering_for(config, store, self.office)
        self.uploader = Uploader(config, store, self.office)
        # Heartbeats run in the uploader's thread: they start and stop with it (kiosk/heartbeat.py).
        self.heartbeat = self.uploader.heartbeat = Heartbeat(self)
        #: The system updates' agent once :meth:`open_updates` made it (the running kiosk does); its state goes
        #: out in the heartbeats.
        self.updates = None
        #: The screen's step after a rating (the UI sets it: kiosk/ui/rating.py), and a command-line tool's
        #: (``kiosk simulate press`` keeps what was stored): see after_rating_steps.
        self.show_rating: Optional[Callable[[Rating], None]] = None
        self.report_rating: Optional[Callable[[Rating], None]] = None
        #: Who may take a button press before it is a rating, in order: while the screen asks "Need more
        #: time?", the press answers it (kiosk/ui/idle.py); while the voice guide runs, the press moves
        #: through the choices (kiosk/ui/voice.py).  Each returns True if it took the press.  Called on the
        #: thread that pressed: they only read a flag and hand over to Kivy's thread.
        self.press_takers: List[Callable[[int], bool]] = []
        #: A button held for speech.hold_seconds (the voice guide's start; the UI sets it).  Same thread rule.
        self.on_button_held: Optional[Callable[[int], None]] = None
        #: What the kiosk says (the voice guide): logged on kiosk.speech; spoken once open_services gives it a
        #: speaker (hardware/speech.py).
        self.speech = Speech(volume=config.speech.volume)
        ratings.on_rated.extend(self.after_rating_steps())

    def after_rating_steps(self) -> List[Callable[[Rating], None]]:
        """What happens once a rating is on disk, in this order (``RatingService.rate`` calls them one after
        the other on the thread that rated; one that fails does not stop the next).

        The order matters: the LED is the resident's feedback that the press counted, so it lights first,
        before anything else can delay it; waking the uploader only sets an event, so the rating is on its
        way to the office before the screen's step runs; the screen's step only hands over to Kivy's main
        thread; last, whoever reports what was stored (a command-line tool), once the kiosk has done its part.
        """
        return [self._confirm_led, self._wake_uploader, self._show_rating, self._report_rating]

    def open_updates(self):
        """The system updates' agent (kiosk/updates/agent.py), made on the first call: a screenshot or a command
        that never asks leaves no trace of one in the data folder.  It takes the office's offers from the
        config answer, the last one kept at once."""
        if self.updates is None:
            from . import __version__
            from .updates.agent import UpdateAgent
            from .updates.health import before_install
            from .updates.slots import slots_for
            agent = UpdateAgent(self.config, slots_for(self.config, __version__), self.office,
                                before=lambda: before_install(self, self.uploader.reaching()))
            known, offer = self.sync.last_offer()
            if known:
                agent.offer(offer)
            self.sync.on_update.append(agent.offer)
            agent.on_change = self._report_soon
            self.updates = agent
        return self.updates

    def _report_soon(self) -> None:
        """A heartbeat now (the update's state changed), sent by the uploader's next pass."""
        self.heartbeat.soon()
        self.uploader.wake()

    def _wake_uploader(self, _rating) -> None:
        self.uploader.wake()  # a resident's rating goes out soon

    def _show_rating(self, rating) -> None:
        if self.show_rating is not None:
            self.show_rating(rating)

    def _report_rating(self, rating) -> None:
        if self.report_rating is not None:
            self.report_rating(rating)

    def load_office_forms(self) -> None:
        """Read ``[forms] file`` over the shipped catalogue; if it is broken, keep the last good one and say so."""
        path = self.config.forms.file
        if not path:
            return
        try:
            problems = self.forms.update(Path(path).read_bytes(), path)
        except OSError as exc:
            problems = [f"{path}: cannot read: {exc.strerror or exc}"]
        if problems:
            self.record_fault("forms_catalogue", f"forms catalogue {path} has {len(problems)} problem(s), the last "
                              f"good catalogue is kept: " + "; ".join(map(str, problems[:3])))

    def printer_link(self):
        """The printer's open link, opened again if it was closed or missing (a USB printer plugged back in)."""
        hardware = self.hardware
        if hardware is not None and hardware.printer is not None and not hardware.printer.closed:
            return hardware.printer
        link = self.printer_link_for(self.config)
        if hardware is not None:
            hardware.printer, hardware.printer_fault = link, None
        return link

    @staticmethod
    def printer_link_for(config):
        """Open the printer the config names (the simulated one in simulated mode); PrinterNotConnected if not."""
        from hardware.devices import SIMULATED_PRINTER_URL
        from hardware.printer import PrinterLink

        printer = config.printer
        url = printer.url if config.hardware.mode == "real" or printer.url.startswith("sim://") \
            else SIMULATED_PRINTER_URL
        return PrinterLink(url, baudrate=printer.baudrate, flow_control=printer.flow_control)

    def _fault(self, message: str) -> None:
        self.faults.append(message)
        del self.faults[:-20]  # the latest few are what a technician needs
        for listener in list(self.on_fault):
            listener(message)

    def record_fault(self, kind: str, message: str, **data) -> None:
        """Tell the people (listeners) and the office (a ``fault`` event); survive a store that cannot write."""
        self._fault(message)
        try:
            self.store.record_event("fault", {"kind": kind, "message": message, **data})
        except Exception as exc:  # disk full: the message above is all we can do
            log.error("could not record fault %s: %s", kind, exc)

    # -- buttons --------------------------------------------------------------------------------

    def button_pressed(self, index: int) -> None:
        """A debounced press of button ``index`` (a gpiozero thread on the Pi)."""
        if any(taker(index) for taker in self.press_takers):
            return
        try:
            self.ratings.rate(index, "button")
        except StoreError:
            pass  # already reported by RatingService to the fault listeners

    def button_held(self, index: int) -> None:
        """Button ``index`` held for ``speech.hold_seconds``: no rating, the voice guide's start."""
        log.info("button %d held: the voice guide's start", index)
        if self.on_button_held is not None:
            self.on_button_held(index)

    def button_stuck(self, index: int, seconds: float) -> None:
        choice = self.ratings.scale.choice(index)
        self.record_fault("button_stuck", f"rating button {index + 1} ({choice.label}) held for {seconds:.0f} s: "
                          "stuck? It is ignored until released", button=index, choice=choice.key,
                          held_seconds=round(seconds, 1))

    def button_released(self, index: int, seconds: float) -> None:
        choice = self.ratings.scale.choice(index)
        self.record_fault("button_released", f"rating button {index + 1} ({choice.label}) released after "
                          f"{seconds:.0f} s", button=index, choice=choice.key, held_seconds=round(seconds, 1))

    def check_silent_buttons(self, today=None) -> List[str]:
        """Report each button that has gone quiet while the others have not (once per spell); return their keys.

        "Every choice must stay reachable": a covered or broken button shows
        up here as a ``button_silent`` fault the office sees.
        """
        from .rating_stats import silent_choices

        scale = self.ratings.scale
        silent = dict(silent_choices(self.store, scale, self.config.ratings.silent_days, today=today))
        reported = set(filter(None, (self.store.get_meta("silent_buttons") or "").split(",")))
        for key in sorted(set(silent) - reported):
            index = [c.key for c in scale.choices].index(key)
            self.record_fault("button_silent", f"rating button {index + 1} ({scale.choice(index).label}) has not been "
                              f"pressed on the last {silent[key]} days on which the others were: covered or broken?",
                              button=index, choice=key, days=silent[key])
        self.store.set_meta("silent_buttons", ",".join(sorted(silent)))  # pressed again: may be reported anew
        return sorted(silent)

    def _confirm_led(self, rating) -> None:
        """The LED is feedback: it lights only once the rating is on disk (none without hardware)."""
        if self.hardware is not None:
            self.hardware.confirm(rating.index)

    def close(self) -> None:
        """Stop the uploader (and its heartbeats), release the hardware (LEDs dark), then the store; safe to call
        more than once."""
        self.uploader.stop()
        if self.updates is not None:
            self.updates.stop()
        self.office.close()
        if self.hardware is not None:
            self.hardware.close()
        self.speech.close()
        self.store.close()


def open_services(config: Config, with_hardware: bool = True, data_dir=None, mode: Optional[str] = None,
                  button_clock=None, **rating_kwargs) -> Services:
    """Open the store, the rating service and (unless told not to) the hardware the config names.

    ``mode`` overrides ``[hardware] mode`` (``kiosk simulate`` always uses mock pins).
    """
    store = Store.open(data_dir or config.data_dir)
    services = Services(config, store, RatingService.from_config(store, config, **rating_kwargs))
    if with_hardware:
        from hardware.devices import open_hardware

        try:
            services.hardware = open_hardware(
                mode=mode or config.hardware.mode,
                button_pins=config.buttons.pins,
                led_pins=config.buttons.leds,
                printer_url=config.printer.url,
                baudrate=config.printer.baudrate,
                flow_control=config.printer.flow_control,
                on_press=services.button_pressed,
                debounce=config.buttons.debounce_ms / 1000,
                stuck_after=config.buttons.stuck_after,
                on_stuck=services.button_stuck,
                on_released_stuck=services.button_released,
                hold_after=config.speech.hold_seconds if config.speech.voice_guide else None,
                on_hold=services.button_held,
                **({"clock": button_clock} if button_clock else {}),
            )
        except BaseException:
            store.close()
            raise
        from hardware.speech import Speaker, audio_output_present

        if services.hardware.mode == "real" or audio_output_present():  # a Pi always; a simulator where it can
            services.speech = Speech(Speaker(), volume=config.speech.volume)
        if services.hardware.printer_fault:
            services.record_fault("printer_missing", services.hardware.printer_fault)
        if services.hardware.gpio_fault:  # rating buttons dead: residents rate on the screen meanwhile
            services.record_fault("gpio_missing", services.hardware.gpio_fault)
    return services

"""The rating buttons: one push button per point of the scale, best first.

Connect one side of each button to a ground pin and the other to its GPIO
pin; the Pi's internal pull-up holds the pin high until the button pulls it
low (active-low), so no resistor is needed.  See ``hardware/README.md`` for
the wiring table.

Debouncing, the hold and the stuck-button rule are done here, in our own code, not by
gpiozero's ``bounce_time``: gpiozero's mock pins ignore ``bounce_time``, so a
rule left to it could never be tested.  The timed rules (a hold, a stuck
button, the level read again after bounce) share one watcher thread.
"""

import logging
import threading
import time
from functools import partial

from gpiozero import Button

from .pins import PinGroup, close_all, open_pins

__all__ = ["RatingButtons"]

log = logging.getLogger("hardware")


def _ignore(*_args):
    pass


class RatingButtons(PinGroup):
    """Call ``on_press(index)`` once per real press of a rating button (index 0 is the best rating).

    :param pins: GPIO pins of the buttons, best first (BCM numbers such as 17,
        or any name gpiozero accepts, such as ``"GPIO17"`` or ``"BOARD11"``).
    :param on_press: called with the button's index on each press.  On a real
        Pi gpiozero calls it **from a background thread**: a UI must hand the
        event to its own thread (Kivy: ``Clock.schedule_once``).  An exception
        in it is logged, not raised into gpiozero's thread.
    :param pin_factory: the gpiozero pin factory, e.g. a ``MockFactory``;
        :data:`None` uses gpiozero's default (the real GPIO on a Pi).
    :param float debounce: seconds after an edge during which further edges of
        the same button are contact bounce, not presses.
    :param float stuck_after: seconds a button may be held before it is
        reported stuck: ``on_stuck(index, seconds)`` is called, the button is
        ignored until released, then ``on_released_stuck(index, seconds)``.
        The other buttons keep working.
    :param clock: the monotonic clock for every rule (a test may pass its own).
    :param float hold_after: seconds after which a held button is a *hold*, not
        a press: ``on_hold(index)`` is called once, while it is still down (the
        kiosk's voice guide starts so, for a resident who cannot see the
        screen).  With a hold rule a press is reported when the button comes
        back up, since only then is it known to be no hold; without one
        (:data:`None`) at once, when it goes down.  Must be shorter than
        ``stuck_after``.
    """

    def __init__(self, pins, on_press, pin_factory=None, debounce=0.05, stuck_after=10.0,
                 on_stuck=None, on_released_stuck=None, clock=time.monotonic, hold_after=None, on_hold=None):
        if hold_after is not None and not 0 < hold_after < stuck_after:
            raise ValueError(f"hold_after ({hold_after} s) must be positive and shorter than stuck_after "
                             f"({stuck_after} s): a hold would be taken for a stuck button")
        self.on_press = on_press
        self.on_stuck = on_stuck or _ignore
        self.on_released_stuck = on_released_stuck or _ignore
        self.on_hold = on_hold or _ignore
        self.debounce = debounce
        self.stuck_after = stuck_after
        self.hold_after = hold_after
        self.clock = clock
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)  # tells the watcher a deadline changed
        self._last_edge = {}    # index -> clock time of its last accepted edge
        self._down_since = {}   # index -> clock time it went down (while held)
        self._deadlines = {}    # (index, kind) -> clock time of a check: kind "stuck", "hold" or "settle"
        self._watcher = None    # one thread for every timed check, started when first needed
        self.stuck = set()      # indexes held past stuck_after and not yet released
        self.held = set()       # indexes held past hold_after (and reported) and not yet released
        # bounce_time=None: gpiozero must pass every edge on, our rules decide.
        self.devices = open_pins(Button, pins, "button", pull_up=True, bounce_time=None, pin_factory=pin_factory)
        for index, device in enumerate(self.devices):
            device.when_pressed = partial(self._edge, index, True)
            device.when_released = partial(self._edge, index, False)
            if device.is_pressed:  # held down since before we started: no press, no hold, but maybe stuck
                with self._lock:
                    self._down_since[index] = self.clock()
                    self.held.add(index)
                    self._at(index, "stuck", self.stuck_after)

    def __repr__(self):
        pins = ", ".join(str(d.pin) for d in self.devices) if not self.closed else "closed"
        return f"<RatingButtons {pins}>"

    def _edge(self, index, down):
        """An edge from gpiozero: contact bounce is dropped (and the level read again once it has settled)."""
        now = self.clock()
        with self._lock:
            last = self._last_edge.get(index)
            if last is not None and now - last < self.debounce:
                # Contact bounce: the first edge already counted.  But a press shorter than the window
                # (a simulated one) ends inside it: read the level again when the window is over.
                self._at(index, "settle", last + self.debounce - now)
                return
            self._last_edge[index] = now
        self._accept(index, down, now)

    def _accept(self, index, down, now):
        """A real change of button ``index`` to ``down`` at ``now``: keep the state, then report it."""
        with self._lock:
            if down == (index in self._down_since):
                return  # no change after all (the settled level is the one already known)
            if down:
                self._down_since[index] = now
                self._at(index, "stuck", self.stuck_after)
                if self.hold_after is not None:
                    self._at(index, "hold", self.hold_after)
                report = index not in self.stuck and self.hold_after is None  # else: at release, if short
            else:
                held = now - self._down_since.pop(index, now)
                self._deadlines.pop((index, "stuck"), None)
                self._deadlines.pop((index, "hold"), None)
                released_stuck = index in self.stuck
                # With a hold rule, a press counts when it ends: only then is it known to be no hold.
                report = self.hold_after is not None and index not in self.stuck and index not in self.held
                self.stuck.discard(index)
                self.held.discard(index)
        if report:
            self._call("on_press", index)
        elif not down and released_stuck:
            log.warning("button %d released after being stuck for %.0f s", index, held)
            self._call("on_released_stuck", index, held)

    def _at(self, index, kind, delay):
        """Check button ``index`` for ``kind`` in ``delay`` seconds (lock held)."""
        self._deadlines[(index, kind)] = self.clock() + delay
        if self._watcher is None:
            # One thread for all buttons, not a timer per press: a press must cost no thread start.
            self._watcher = threading.Thread(target=self._watch_loop, name="button-timers", daemon=True)
            self._watcher.start()
        self._wake.notify()

    def _watch_loop(self):
        while True:
            with self._lock:
                if not self.devices:
                    return  # closed
                if not self._deadlines:
                    self._wake.wait()
                    continue
                (index, kind), deadline = min(self._deadlines.items(), key=lambda item: item[1])
                remaining = deadline - self.clock()
                if remaining > 0:
                    # At most a tenth of a second: a test's clock moves without telling anyone.
                    self._wake.wait(min(remaining, 0.1))
                    continue
                del self._deadlines[(index, kind)]
                pressed = self.devices[index].is_pressed
                down = index in self._down_since
                if kind == "settle":
                    pass
                elif not down or not pressed or index in self.stuck:
                    continue
                elif kind == "hold" and index in self.held:
                    continue
                elif kind == "hold":
                    self.held.add(index)
                else:
                    self.stuck.add(index)
                held = self.clock() - self._down_since.get(index, self.clock())
            if kind == "settle":
                if pressed != down:
                    self._accept(index, pressed, self.clock())
            elif kind == "hold":
                log.info("button %d held for %.0f s", index, held)
                self._call("on_hold", index)
            else:
                log.warning("button %d held for %.0f s: reported stuck, ignored until released", index, held)
                self._call("on_stuck", index, held)

    def _call(self, name, *args):
        """Call the callback ``name``; an exception in it is logged, never raised into gpiozero's thread."""
        try:
            getattr(self, name)(*args)
        except Exception:
            log.exception("%s(%s) failed", name, ", ".join(map(repr, args)))

    def close(self):
        """Stop the stuck checks and release the pins; safe to call more than once."""
        with self._lock:  # the watcher reads self.devices under this lock
            devices, self.devices = self.devices, ()
            self._wake.notify()  # ...and, seeing none, ends
        close_all(devices)
        if self._watcher is not None and self._watcher is not threading.current_thread():
            self._watcher.join(1)

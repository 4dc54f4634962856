"""The office clock of a test: a fixed day and hour that runs, in this process and in the processes it starts.

Tests that depend on the date or the hour (a ticket's office day, "5 minutes ago", this month) take
their time from the ``office_clock`` fixture (tests/conftest.py), never from the machine's clock: the
suite then gives the same answers at 00:05 in Taipei, at 23:59, on the last day of a month (`.ci/hours`
runs the ``clock`` tests at such hours under libfaketime to prove it).

    def test_today(office_clock):
        app = create_app(db, clock=office_clock)        # the office server, in this process
        at = office_clock() - timedelta(minutes=5)       # a ticket taken 5 minutes ago
        with running_office(..., clock=office_clock):    # a real `kiosk-office serve` on the same clock

A process started by the test gets the same clock through ``command()``: this file, run as a script,
sets ``protocol.officetime.now`` from ``KIOSK_TEST_CLOCK`` and then runs the module (``-m office serve …``)
exactly as ``python -m`` would.  Nothing in the kiosk or the office server reads that variable: the
hook is here, in the tests.
"""

import os
import runpy
import sys
import time
from datetime import datetime, timedelta

from protocol import officetime

#: Tuesday 8 December 2026, 10:00 in Taipei: a weekday, office hours, mid-month (ROC 115/12/08).
DEFAULT_START = datetime(2026, 12, 8, 10, 0, tzinfo=officetime.TAIPEI)
VARIABLE = "KIOSK_TEST_CLOCK"


class OfficeClock:
    """An aware Asia/Taipei time that starts at ``start`` and runs with the machine's clock from then on.

    ``clock()`` is now; ``clock.start`` the moment it was set to; ``clock.set(moment)`` moves it.
    Processes started with ``clock.command(...)`` and ``clock.env()`` share it to the millisecond:
    the anchor is the machine's wall clock, read by both (also under libfaketime).
    """

    def __init__(self, start=DEFAULT_START, anchor=None):
        self.set(start, anchor)

    def set(self, moment, anchor=None):
        if moment.tzinfo is None:
            raise ValueError(f"an office clock needs an aware time, got {moment!r}")
        self.start = moment.astimezone(officetime.TAIPEI)
        self.anchor = time.time() if anchor is None else anchor

    def __call__(self):
        return self.start + timedelta(seconds=time.time() - self.anchor)

    def day(self):
        """Today's office day (a date) by this clock."""
        return officetime.office_day(self())

    def spec(self):
        return f"{self.start.isoformat()}@{self.anchor!r}"

    def env(self, base=None):
        """``base`` (default: this process's environment) with this clock for a process started by ``command``."""
        env = dict(os.environ if base is None else base)
        env[VARIABLE] = self.spec()
        return env

    @staticmethod
    def command(*args):
        """``[python, this file, *args]``: ``command("-m", "office", "serve", …)`` runs ``python -m office serve …``."""
        return [sys.executable, os.path.abspath(__file__), *args]

    @classmethod
    def from_spec(cls, spec):
        moment, _, anchor = spec.rpartition("@")
        return cls(datetime.fromisoformat(moment), float(anchor))


def install(clock):
    """``protocol.officetime.now`` reads ``clock`` in this process (what ``kiosk-office serve`` and the kiosk call now)."""
    officetime.now = clock


def _main(argv):
    spec = os.environ.get(VARIABLE)
    if spec:
        install(OfficeClock.from_spec(spec))
    if len(argv) < 2 or argv[0] != "-m":
        sys.exit(f"usage: {VARIABLE}=<iso time>@<epoch> python {os.path.basename(__file__)} -m MODULE [ARGS...]")
    sys.argv = [argv[1], *argv[2:]]
    runpy.run_module(argv[1], run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    _main(sys.argv[1:])

"""Imported by every Python process of `.ci/hours` (on PYTHONPATH): libfaketime 0.9.10 and Python >= 3.11.

Debian 12's libfaketime fakes the wall clock for the tests run under it, but with the monotonic clock left
real (FAKETIME_DONT_FAKE_MONOTONIC=1, without which every threading wait with a timeout hangs) it still
shifts the deadline of ``clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME)``, which is how Python 3.11's
``time.sleep`` sleeps: every sleep fails with EINVAL (libfaketime issue #426). A sleep on ``select``'s
relative timeout is the same sleep for the code under test.  Nothing is changed outside libfaketime.
"""

import os

if "faketime" in os.environ.get("LD_PRELOAD", "") and os.environ.get("FAKETIME"):
    import select
    import time

    def _sleep(seconds, _select=select.select):
        if seconds < 0:
            raise ValueError("sleep length must be non-negative")
        _select([], [], [], seconds)

    time.sleep = _sleep

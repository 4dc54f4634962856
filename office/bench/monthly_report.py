"""
``kiosk-office bench``: the monthly report over many ratings
============================================================

How long the monthly report (``office/report.py``) takes over ``--ratings`` stored ratings of one month, on a
temporary SQLite file: the rows ingest would leave are written straight in (faster to set up), counted for the
report as ingest counts them, then one report is timed.  The goal is at most 1 s for a million.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

__all__ = ["bench_report"]


def bench_report(ratings: int = 1_000_000) -> int:
    """Time the monthly report over ``ratings`` stored ratings of one month (SQLite)."""
    import random

    from sqlalchemy import insert

    from ..db import Database
    from ..schema import EVENTS, RATINGS
    from ..report import load_report, parse_month

    folder = Path(tempfile.mkdtemp(prefix="office-bench-report-"))
    try:
        db = Database(f"sqlite:///{folder / 'office.db'}")
        db.add_kiosk("BENCH-01")
        rng = random.Random(7)
        choices = (("smile", 3), ("neutral", 2), ("frown", 1))
        started = time.perf_counter()
        # The rows ingest would leave (an event and its reporting row), written straight in: faster to set up.
        for start in range(0, ratings, 50_000):
            rows, events = [], []
            for n in range(start, min(ratings, start + 50_000)):
                day, hour = 1 + n % 30, 8 + n % 9
                choice, score = choices[rng.randrange(3)]
                rows.append({"event_id": f"bench-{n}", "kiosk_id": "BENCH-01", "at": f"2026-11-{day:02d}T{hour:02d}:00:00.000+08:00",
                             "day": f"2026-11-{day:02d}", "hour": hour, "scale": 3, "score": score, "choice": choice,
                             "source": "button", "service": "ABCDEFP"[n % 7], "location": str(1 + n % 5),
                             "misuse": n % 40 == 0, "ticket": "", "reason": None, "clock_synced": True})
                events.append({"id": f"bench-{n}", "kiosk_id": "BENCH-01", "seq": n, "type": "rating",
                               "at": rows[-1]["at"], "clock_synced": True, "data": "{}", "received_at": rows[-1]["at"]})

            def store(conn, rows=rows, events=events):
                conn.execute(insert(EVENTS), events)
                conn.execute(insert(RATINGS), rows)
            db.write(store)
        db.recount_ratings()  # written past ingest, so counted for the report here
        filled_s = time.perf_counter() - started
        started = time.perf_counter()
        report = load_report(db, parse_month("115/11"))
        report_s = time.perf_counter() - started
        db.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"kiosk-office bench: the monthly report over {ratings:,} ratings of one month (SQLite): "
          f"{report_s:.2f} s (storing them took {filled_s:.1f} s); "
          f"goal ≤ 1 s: {'meets goal' if report_s <= 1 else 'MISSES goal'}")
    return 0 if report is not None else 1

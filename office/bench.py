"""
``kiosk-office bench``
======================

How many events a second the office server ingests when several kiosks post
at once: a real server (waitress + Flask + SQLite) on 127.0.0.1, N kiosk
threads each posting batches of 500 rating events through HTTP, beside the
same events ingested one batch at a time straight into the database (no HTTP)
in the same run, so the ratio shows what the web layer costs.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
import uuid
from pathlib import Path

__all__ = ["bench_ingest", "bench_report", "stop_server"]


def stop_server(server, thread: threading.Thread) -> None:
    """Stop a waitress server running ``server.run()`` in ``thread``, without a traceback.

    ``server.close()`` from another thread closes the trigger while a worker may still be finishing a
    response, whose last act is to pull that trigger: ``OSError: Bad file descriptor`` in ``pull_trigger``.
    So the workers finish first (``task_dispatcher.shutdown`` joins them), then the loop closes every socket
    from its own thread, and its map being empty, returns.
    """
    from waitress import wasyncore

    server.task_dispatcher.shutdown()
    socket_map = getattr(server, "map", None)
    if socket_map is None:
        socket_map = server._map
    server.trigger.pull_trigger(lambda: wasyncore.close_all(socket_map))
    thread.join(10)


def _batch(kiosk: str, start: int, size: int) -> dict:
    events = [{"id": str(uuid.uuid4()), "type": "rating", "seq": start + n, "at": "2026-11-27T09:30:00.000+08:00",
               "clock_synced": True, "data": {"score": 3, "scale": 3, "choice": "smile", "source": "button",
                                              "kiosk_id": kiosk, "location": "", "service": "", "misuse": False}}
              for n in range(size)]
    return {"kiosk_id": kiosk, "events": events}


def bench_ingest(kiosks: int = 4, batches: int = 10, size: int = 500) -> int:
    import requests
    import waitress

    from .app import create_app
    from .db import Database
    from .models import parse_events

    folder = Path(tempfile.mkdtemp(prefix="office-bench-"))
    try:
        db = Database(f"sqlite:///{folder / 'office.db'}")
        tokens = {f"BENCH-{k:02d}": db.add_kiosk(f"BENCH-{k:02d}") for k in range(kiosks)}
        payloads = {kiosk: [_batch(kiosk, b * size, size) for b in range(batches)] for kiosk in tokens}
        server = waitress.create_server(create_app(db), host="127.0.0.1", port=0, threads=kiosks + 2)
        url = f"http://127.0.0.1:{server.effective_port}/api/v1/events"
        loop = threading.Thread(target=server.run, daemon=True)
        loop.start()
        errors = []

        def post_all(kiosk):
            with requests.Session() as session:
                for payload in payloads[kiosk]:
                    r = session.post(url, json=payload, headers={"Authorization": f"Bearer {tokens[kiosk]}"},
                                     timeout=60)
                    if r.status_code != 200 or len(r.json()["accepted"]) != size:
                        errors.append(f"{kiosk}: HTTP {r.status_code}")

        threads = [threading.Thread(target=post_all, args=(k,)) for k in tokens]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        http_s = time.perf_counter() - started
        stop_server(server, loop)
        if errors:
            raise RuntimeError("; ".join(errors[:3]))

        direct = Database(f"sqlite:///{folder / 'direct.db'}")
        started = time.perf_counter()
        for kiosk in tokens:
            direct.add_kiosk(kiosk)
            for b in range(batches):
                valid, _rejected = parse_events(_batch(kiosk, b * size, size)["events"])
                direct.ingest(kiosk, [event for _, event in valid])
        direct_s = time.perf_counter() - started
        direct.close()
        db.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    total = kiosks * batches * size
    print(f"kiosk-office bench: {kiosks} kiosks posting {batches} batches of {size} rating events at once, "
          f"SQLite, on 127.0.0.1")
    print(f"{'':34}{'events':>8}{'seconds':>10}{'events/s':>11}")
    print(f"{'over HTTP, kiosks at once':34}{total:>8}{http_s:>10.2f}{total / http_s:>11.0f}")
    print(f"{'straight into the database':34}{total:>8}{direct_s:>10.2f}{total / direct_s:>11.0f}")
    print(f"{'HTTP / database':34}{'':>18}{(total / http_s) / (total / direct_s):>10.2f}×")
    print(f"goal ≥ 2,000 events/s over HTTP: {'meets goal' if total / http_s >= 2000 else 'MISSES goal'}")
    return 0


def bench_report(ratings: int = 1_000_000) -> int:
    """Time the monthly report over ``ratings`` stored ratings of one month (SQLite)."""
    import random

    from sqlalchemy import insert

    from .db import EVENTS, RATINGS, Database
    from .report import load_report, parse_month

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

"""
``kiosk-office bench``: the ingest rate
=======================================

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

__all__ = ["bench_ingest"]


def _batch(kiosk: str, start: int, size: int) -> dict:
    events = [{"id": str(uuid.uuid4()), "type": "rating", "seq": start + n, "at": "2026-11-27T09:30:00.000+08:00",
               "clock_synced": True, "data": {"score": 3, "scale": 3, "choice": "smile", "source": "button",
                                              "kiosk_id": kiosk, "location": "", "service": "", "misuse": False}}
              for n in range(size)]
    return {"kiosk_id": kiosk, "events": events}


def bench_ingest(kiosks: int = 4, batches: int = 10, size: int = 500) -> int:
    import waitress

    from ..app import create_app
    from ..db import Database
    from ..models import parse_events
    from .harness import ServerThread, client_session

    folder = Path(tempfile.mkdtemp(prefix="office-bench-"))
    try:
        db = Database(f"sqlite:///{folder / 'office.db'}")
        tokens = {f"BENCH-{k:02d}": db.add_kiosk(f"BENCH-{k:02d}") for k in range(kiosks)}
        payloads = {kiosk: [_batch(kiosk, b * size, size) for b in range(batches)] for kiosk in tokens}
        server = waitress.create_server(create_app(db), host="127.0.0.1", port=0, threads=kiosks + 2)
        url = f"http://127.0.0.1:{server.effective_port}/api/v1/events"
        serving = ServerThread(server)
        errors = []

        def post_all(kiosk):
            with client_session(tokens[kiosk]) as session:
                for payload in payloads[kiosk]:
                    r = session.post(url, json=payload, timeout=60)
                    if r.status_code != 200 or len(r.json()["accepted"]) != size:
                        errors.append(f"{kiosk}: HTTP {r.status_code}")

        threads = [threading.Thread(target=post_all, args=(k,)) for k in tokens]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        http_s = time.perf_counter() - started
        serving.stop()
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

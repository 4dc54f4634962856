"""
``kiosk bench upload``
======================

Drain a full outbox to a local office server (the real one, ``office/``, on
127.0.0.1 with SQLite) in batches of 500, beside the same events sent one per
request, in the same run.  One per request is timed on a slice of the events
and its rate reported (sending all 10,000 that way would take minutes).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from .config import Config, defaults
from .store import Store
from .uploader import Uploader

__all__ = ["bench_upload"]


def _outbox(folder: Path, events: int) -> Store:
    store = Store.open(folder)

    def fill(conn):
        for n in range(events):
            store.record_event("heartbeat", {"uptime_s": n, "backlog": events - n}, conn)
    store.write(fill)
    return store


def bench_upload(config: Config, events: int = 10000, single: int = 500) -> int:
    from .local_office import LocalOffice

    folder = Path(tempfile.mkdtemp(prefix="kiosk-bench-upload-"))
    office = LocalOffice(folder / "office", config.kiosk.id)
    try:
        values = defaults()
        values["kiosk"]["id"] = config.kiosk.id
        values["server"]["url"], values["server"]["token"] = office.url, office.token
        bench_config = Config(values)
        rates = {}
        for name, count, batch in (("batched (500 a request)", events, 500), ("one per request", single, 1)):
            store = _outbox(folder / name.split()[0], count)
            uploader = Uploader(bench_config, store)
            uploader.batch_size = batch
            started = time.perf_counter()
            result = uploader.upload_once()
            seconds = time.perf_counter() - started
            store.close()
            if result.error or result.remaining:
                raise RuntimeError(f"{name}: the drain did not finish: {result.error}")
            rates[name] = (count, seconds, count / seconds)
    finally:
        office.close()
        shutil.rmtree(folder, ignore_errors=True)

    print("kiosk bench upload: events to a local office server (waitress + Flask + SQLite) on 127.0.0.1")
    print(f"{'':28}{'events':>8}{'seconds':>10}{'events/s':>11}")
    for name, (count, seconds, rate) in rates.items():
        print(f"{name:28}{count:>8}{seconds:>10.2f}{rate:>11.0f}")
    (_, b_seconds, b_rate), (_, _, s_rate) = rates["batched (500 a request)"], rates["one per request"]
    print(f"{'batched / one per request':28}{'':>18}{b_rate / s_rate:>10.1f}×")
    print(f"goal ≥ 20× faster batched: {'meets goal' if b_rate / s_rate >= 20 else 'MISSES goal'}; "
          f"drain of {events} ≤ 10 s: {'meets goal' if b_seconds <= 10 else 'MISSES goal'}")
    return 0

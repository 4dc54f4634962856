"""
``kiosk upload [--once]`` and ``kiosk upload status``
=====================================================

The outbox sent to the office server by hand, through the same ``Uploader``
the running kiosk uses (its backoff honoured unless ``--once``), and the
backlog: events waiting, parked, the last success and error.
"""

from __future__ import annotations

import sys

from .cli_common import EXIT_FAILED, EXIT_OK, load

__all__ = ["cmd_upload"]


def cmd_upload(args) -> int:
    import time as _time

    from .errors import StoreError
    from .store import Store
    from .uploader import Uploader

    config = load(args.config)
    with Store.open(config.data_dir) as store:
        uploader = Uploader(config, store)
        if args.action == "status":
            status = uploader.status()
            print(f"server {status['server'] or '(none)'}: {status['pending']} events waiting, {status['parked']} "
                  f"parked (never sent: the office server refused them, or they could not be encoded), last success {status['last_success'] or 'never'}, "
                  f"last error {status['last_error'] or 'none'}, next try in {status['next_attempt_in']:g} s")
            return EXIT_OK
        try:
            while True:
                if not args.once and uploader.due_in() > 0:
                    _time.sleep(uploader.due_in())
                result = uploader.upload_once()
                if args.once or result.remaining == 0 or result.refused or not config.server.url:
                    break
        except StoreError as exc:  # a full data folder: what was sent but not marked goes again (sent once)
            print(f"kiosk upload: {exc}. Events the office already has are sent again later and kept once there",
                  file=sys.stderr)
            return EXIT_FAILED
    print(f"sent {result.sent}, duplicates {result.duplicates}, rejected {result.rejected}, "
          f"remaining {result.remaining}" + (f" ({result.error})" if result.error else ""))
    for rejection in result.rejections:
        print(f"  rejected {rejection}", file=sys.stderr)
    return EXIT_OK if result.remaining == 0 and result.error is None else EXIT_FAILED

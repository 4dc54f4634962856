"""
``kiosk bench startup|ratings|ticket|upload|text``
=============================================

Which benchmark a ``kiosk bench`` runs; each lives in its own module
(``kiosk/bench*.py``), imported only when asked for: ``bench startup`` opens
windows, ``bench upload`` starts an office server, the others need neither.
"""

from __future__ import annotations

from .cli_common import load

__all__ = ["cmd_bench"]


def cmd_bench(args) -> int:
    if args.what == "upload":
        from .bench_upload import bench_upload
        return bench_upload(load(args.config))
    if args.what == "ticket":
        from .bench_ticket import bench_ticket
        return bench_ticket(load(args.config), langs=args.lang)
    if args.what == "text":
        from .bench_text import bench_text
        return bench_text(langs=args.lang)
    if args.what == "ratings":
        from .bench_ratings import bench_ratings
        return bench_ratings(load(args.config), presses=args.presses)
    from .bench import bench_startup
    return bench_startup(config_path=args.config, changes=args.changes, runs=args.runs, size=args.size,
                         driver=args.driver)

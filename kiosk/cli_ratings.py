"""
``kiosk ratings stats|export`` and ``kiosk simulate press``
===========================================================

Satisfaction ratings from the command line: a period's statistics or every
rating as CSV, read from this kiosk's store; and a press of a simulated
rating button, recorded as a resident's would be (how the ratings are tried
without a Pi).
"""

from __future__ import annotations

import sys

from .cli_common import EXIT_OK, EXIT_USAGE, load

__all__ = ["cmd_ratings", "cmd_simulate"]


def cmd_ratings(args) -> int:
    from protocol.periods import Period
    from .rating_stats import export_csv, format_summary, summarise
    from protocol.ratings import Scale
    from .store import Store

    config = load(args.config)
    try:
        period = Period.parse(month=args.month, day=args.day)
    except ValueError as exc:
        print(f"kiosk ratings: {exc}", file=sys.stderr)
        return EXIT_USAGE
    scale = Scale.of_size(len(config.buttons.pins))
    with Store.open(config.data_dir) as store:
        if args.ratings_command == "stats":
            summary = summarise(store, scale, period, include_misuse=args.include_misuse)
            print(format_summary(summary, config.kiosk.id, include_misuse=args.include_misuse))
        else:
            rows = export_csv(store, scale, period, args.csv)
            print(f"wrote {rows} rating{'s' if rows != 1 else ''} of {period.name} to {args.csv}")
    return EXIT_OK


def cmd_simulate(args) -> int:
    from .simulate import simulate_press
    return simulate_press(load(args.config), args.key, count=args.count, gap=args.gap, hold=args.hold)

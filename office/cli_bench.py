"""
``kiosk-office bench``: the benches' command line
=================================================

::

    kiosk-office bench [--kiosks 4] [--ratings 1000000]   ingest rate, the report over many ratings
    kiosk-office bench day [--tickets 400] [--counters 4] [--seed 1]
    kiosk-office bench load [--kiosks 1000] [--displays 100] [--seconds 60] [--speed 10] [--db URL]

Options checked here; the benches themselves are the package ``office/bench/`` (imported only when run).
"""

from __future__ import annotations

import argparse
import sys

from .cli_common import db_url

__all__ = ["add_commands"]


def _bench(args) -> int:
    if getattr(args, "what", None) == "day":
        if not 1 <= args.tickets <= 2000 or not 1 <= args.counters <= 99:
            print("kiosk-office: bench day needs --tickets 1-2000 and --counters 1-99", file=sys.stderr)
            return 2
        from .bench.day import bench_day
        return bench_day(tickets=args.tickets, counters=args.counters, seed=args.seed)
    if getattr(args, "what", None) == "load":
        if not 1 <= args.kiosks <= 5000 or not 0 <= args.displays <= 2000 or not 1 <= args.seconds <= 3600 \
                or not 0 < args.speed <= 1000:
            print("kiosk-office: bench load needs --kiosks 1-5000, --displays 0-2000, --seconds 1-3600 and "
                  "--speed more than 0, at most 1000", file=sys.stderr)
            return 2
        from .bench.load import bench_load
        return bench_load(kiosks=args.kiosks, displays=args.displays, seconds=args.seconds,
                          db_url=getattr(args, "db", None), serve_args=args.serve,
                          speed=args.speed)
    from .bench.ingest import bench_ingest
    from .bench.monthly_report import bench_report
    bench_ingest(kiosks=max(1, args.kiosks))
    return bench_report(max(1, args.ratings))


def add_commands(commands) -> None:
    """The ``bench`` command and its ``day`` and ``load``, on ``kiosk-office``'s subparsers."""
    bench = commands.add_parser("bench", help="ingest rate with several kiosks at once; the report over many ratings; "
                                              "`bench day`: a simulated office day")
    bench.add_argument("--kiosks", type=int, default=4, help="kiosks posting at once (default 4)")
    bench.add_argument("--ratings", type=int, default=1_000_000, help="ratings for the report figure (default 1,000,000)")
    bench.set_defaults(func=_bench)
    subcommands = bench.add_subparsers(dest="what", metavar="WHAT")
    sim = subcommands.add_parser(
        "day", help="a simulated office day (tickets, counters, no-shows) replayed through a real server: "
                    "waits, estimate error, call-to-display latency")
    sim.add_argument("--tickets", type=int, default=400, help="tickets printed over the day (default 400)")
    sim.add_argument("--counters", type=int, default=4, help="counters calling numbers (default 4)")
    sim.add_argument("--seed", type=int, default=1, help="seed of the simulated day (default 1)")
    sim.set_defaults(func=_bench)
    load = subcommands.add_parser(
        "load", help="N kiosks (uploads, heartbeats, queue polls, config), their residents' phones and M lobby "
                     "displays against a real kiosk-office serve: events/s, p50/p99 per endpoint, errors, lost "
                     "and doubled events")
    load.add_argument("--kiosks", type=int, default=1000, help="simulated kiosks (default 1000)")
    load.add_argument("--displays", type=int, default=100, help="lobby displays, each an event stream (default 100)")
    load.add_argument("--seconds", type=float, default=60, help="how long the load runs (default 60)")
    load.add_argument("--speed", type=float, default=10,
                      help="the kiosks' pace: 1 is real time (an event every 30 s, queue figures every 20 s ...), "
                           "10 ten times that (default 10)")
    load.add_argument("--db", type=db_url, default=argparse.SUPPRESS, metavar="URL",
                      help="the database to load (PostgreSQL: postgresql+psycopg://...); default a temporary "
                           "SQLite file")
    load.add_argument("--serve", action="append", default=[], metavar="OPTION",
                      help="an option for the server instead of serve's default, e.g. --serve=--idle-timeout=30 "
                           "(repeatable)")
    load.set_defaults(func=_bench)

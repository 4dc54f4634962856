"""
``kiosk-office bench``: the office server measured
===================================================

Each bench starts a real server on 127.0.0.1 and plays its clients against it; the command line is
``office/cli_bench.py``.

* ``ingest`` — events a second over HTTP with several kiosks posting at once, beside straight into the database;
* ``monthly_report`` — the monthly report timed over a million stored ratings;
* ``day`` (with ``day_draw``, ``day_replay``, ``day_actors``, ``day_figures``) — ``bench day``: a seeded office
  day replayed in simulated time: waits, the estimate's error, call-to-display latency;
* ``load`` (with ``load_actors``) — ``bench load``: a county's kiosks, phones, displays and clerks against a
  ``kiosk-office serve`` process;
* ``harness`` — what they share: each simulated client's HTTP session, stopping an in-process server.
"""

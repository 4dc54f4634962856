"""
The office database's schema
============================

Every table the office server keeps, on one :data:`METADATA`, and the schema
version: the modules that read or write a table import it from here, and
:class:`office.db.Database` makes them all when it opens a database
(``create_all``) and raises an older one to :data:`SCHEMA_VERSION` (its
migrations are in ``office/db.py``).  Only table definitions live here, no
queries, so importing it pulls in nothing of the server.

Times are RFC 3339 text in office time (Asia/Taipei, ``+08:00``): they sort as
text, and the report compares them as text (``office/call_stats.py``).
"""

from __future__ import annotations

from sqlalchemy import (BigInteger, Boolean, Column, Float, ForeignKey, Index, Integer, LargeBinary, MetaData, String,
                        Table, Text, UniqueConstraint)

__all__ = ["METADATA", "SCHEMA_VERSION", "ALL_KIOSKS", "REPORT_KEYS", "KIOSKS", "EVENTS", "RATINGS", "RATINGS_LINK",
           "RATING_COUNTS", "TICKETS", "FORM_VIEWS", "OFFICE_CONFIG", "FORM_CATEGORIES", "FORMS", "META", "CALLS",
           "CALL_EVENTS", "COUNTERS", "NUMBERS", "NUMBER_SLOTS", "ALERTS", "APPOINTMENTS", "PUSH_SUBSCRIPTIONS", "STAFF", "STAFF_SESSIONS", "DISPLAYS",
           "LINK_WINDOWS", "VOICE_CLIPS", "BUNDLES", "UPDATE_TARGETS",
           "VOICE_REPORTS"]

#: 1: the first schema.  2: the number-calling tables (``calls``, ``call_events``, ``counters``); only new
#: tables, made by ``create_all`` on opening, so an older database is raised to 2 as is.
#: 3: the office's forms list (``forms``, ``form_categories``), again only new tables.
#: 4: ``rating_counts``, the ratings counted per office day and report key, filled from ``ratings`` on opening an
#: older database (``office/db.py``); the index ``ratings_report`` it replaces is dropped, and ``ratings_link``
#: made.  (``staff``, ``staff_sessions``, ``displays``, ``voice_clips`` and ``voice_reports`` came as new tables
#: too, without a version of their own: ``create_all`` makes them in an older database as it opens.)
#: 5: ``forms.translations`` and ``form_categories.translations``, the titles and descriptions in vi, id, th and fil
#: (JSON, office/forms_list.py), added to an older database's tables on opening (``office/db.py``).
#: (``numbers`` and ``number_slots``, the office-wide numbering, ``alerts``, ``appointments`` and
#: ``push_subscriptions``, and ``bundles`` and ``update_targets`` (system updates) are new tables again: no version
#: of their own.)
SCHEMA_VERSION = 5
ALL_KIOSKS = "*"  # the office_config scope every kiosk reads

METADATA = MetaData()

# -- system updates (office/updates.py) --------------------------------------------------------------

BUNDLES = Table(
    "bundles", METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("version", String(64), nullable=False),
    Column("compatible", String(64), nullable=False),
    Column("sha256", String(64), nullable=False, unique=True),
    Column("size", BigInteger, nullable=False),
    Column("file_name", Text),                     # kept in the bundles folder; NULL: fetched from url
    Column("url", Text),                           # an https:// address the kiosks fetch it from instead
    Column("added_by", String(64), nullable=False),
    Column("added_at", String(40), nullable=False),
)

UPDATE_TARGETS = Table(
    "update_targets", METADATA,
    Column("kiosk_id", String(32), ForeignKey("kiosks.id"), primary_key=True),  # one system offered a kiosk
    Column("bundle_id", Integer, ForeignKey("bundles.id"), nullable=False),
    Column("set_by", String(64), nullable=False),
    Column("set_at", String(40), nullable=False),
)

# -- the kiosks and what they upload ---------------------------------------------------------------

KIOSKS = Table(
    "kiosks", METADATA,
    Column("id", String(32), primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),  # sha256 hex of the bearer token
    Column("created_at", String(40), nullable=False),                # RFC 3339 text, office time, sorts as text
    Column("token_issued_at", String(40), nullable=False),
    Column("last_contact_at", String(40)),                           # last authenticated request
    Column("last_heartbeat", Text),                                  # JSON: the newest heartbeat received
)

EVENTS = Table(
    "events", METADATA,
    Column("id", String(36), primary_key=True),  # the kiosk's uuid4: an upload retried cannot store it twice
    Column("kiosk_id", String(32), ForeignKey("kiosks.id"), nullable=False),
    Column("seq", BigInteger, nullable=False),    # the kiosk's own order
    Column("type", String(20), nullable=False),
    Column("at", String(40), nullable=False),     # office time as RFC 3339 text
    Column("clock_synced", Boolean, nullable=False),
    Column("data", Text, nullable=False),         # JSON object, as sent
    Column("boot_id", String(64)),                # sent while the kiosk's clock is not synced...
    Column("monotonic", Float),                   # ...with the seconds since that boot
    Column("ref", String(36)),                    # the event this one is about: a rating_reason's rating
    Column("received_at", String(40), nullable=False),
    Index("events_kiosk_seq", "kiosk_id", "seq"),
    Index("events_ref", "ref"),
)


def _derived(name: str, *columns: Column) -> Table:
    """A reporting table: one row per event of its kind, with the office day and hour."""
    return Table(
        name, METADATA,
        Column("event_id", String(36), ForeignKey("events.id"), primary_key=True),
        Column("kiosk_id", String(32), nullable=False),
        Column("at", String(40), nullable=False),
        Column("day", String(10), nullable=False),   # office day in Asia/Taipei, YYYY-MM-DD
        Column("hour", Integer, nullable=False),     # 0-23, office time
        *columns,
        Index(f"{name}_day", "day"),
    )


RATINGS = _derived(
    "ratings",
    Column("scale", Integer, nullable=False), Column("score", Integer, nullable=False),
    Column("choice", Text, nullable=False), Column("source", Text, nullable=False),
    Column("service", Text), Column("location", Text, nullable=False),
    Column("misuse", Boolean, nullable=False), Column("ticket", Text, nullable=False),
    Column("reason", Text), Column("clock_synced", Boolean, nullable=False),
)
# Everything the monthly report groups ratings by.  ``rating_counts`` holds, per office day, how many ratings
# share each combination: the report reads ~30 × combinations rows instead of a county's million ratings.  Ingest
# keeps it in the same transaction as ``ratings`` (a rating stored counts once; a duplicate or a rejected event
# never; a reason arriving moves its rating to the reason's row).  ``service`` and ``reason`` are "" for none.
REPORT_KEYS = ("day", "kiosk_id", "scale", "score", "choice", "service", "location", "misuse", "reason", "clock_synced")
# The rating ↔ call link (office/call_stats.py) counts the ratings at a counter within each call's window of time
# from this index alone.
RATINGS_LINK = Index("ratings_link", *[RATINGS.c[name] for name in (
    "location", "at", "misuse", "clock_synced", "day", "scale", "score", "choice")])
RATING_COUNTS = Table(
    "rating_counts", METADATA,
    Column("day", String(10), primary_key=True), Column("kiosk_id", String(32), primary_key=True),
    Column("scale", Integer, primary_key=True, autoincrement=False),
    Column("score", Integer, primary_key=True, autoincrement=False),
    Column("choice", Text, primary_key=True), Column("service", Text, primary_key=True),
    Column("location", Text, primary_key=True), Column("misuse", Boolean, primary_key=True),
    Column("reason", Text, primary_key=True), Column("clock_synced", Boolean, primary_key=True),
    Column("n", BigInteger, nullable=False),
)
TICKETS = _derived(
    "tickets",
    Column("service", Text, nullable=False), Column("number", Text, nullable=False),
    Column("people_ahead", Integer), Column("lang", Text, nullable=False),
)
FORM_VIEWS = _derived(
    "form_views",
    Column("code", Text, nullable=False), Column("kind", String(4), nullable=False),  # view or slip
    Column("lang", Text, nullable=False),
)

# -- the office's numbers (office/numbering.py, protocol/numbering.py) --------------------------------

# Each number the office handed out: one row, so the next is one more than the service's highest of the day, a
# kiosk asking again with the same request gets the same number, and the unique key makes a second A013 of a day
# impossible whatever the code above it does.  A number taken is not yet a ticket: the ticket event follows in
# the kiosk's upload (a kiosk that died between the two leaves a gap, never a number called with no ticket).
NUMBERS = Table(
    "numbers", METADATA,
    Column("request_id", String(36), primary_key=True),  # the kiosk's uuid: its ticket event's id
    Column("kiosk_id", String(32), ForeignKey("kiosks.id")),
    Column("day", String(10), nullable=False),           # office day
    Column("service", String(1), nullable=False),
    Column("issued", Integer, nullable=False),           # 1 … 999
    Column("number", String(8), nullable=False),         # as printed: A013
    Column("taken_at", String(40), nullable=False),
    UniqueConstraint("day", "service", "issued", name="numbers_once"),
)
# The slot each kiosk numbers from when it cannot reach the server (2 → A2001…), given once, kept for good.
NUMBER_SLOTS = Table(
    "number_slots", METADATA,
    Column("kiosk_id", String(32), ForeignKey("kiosks.id"), primary_key=True),
    Column("slot", Integer, nullable=False, unique=True),
    Column("given_at", String(40), nullable=False),
)

# -- alerts for the staff (office/alerts.py) ------------------------------------------------------------

# A negative rating pressed at a counter's button box: shown on that counter's page and the dashboard until
# someone acknowledges it (who and when are kept).  One per rating: an upload retried cannot alert twice.
ALERTS = Table(
    "alerts", METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("rating_id", String(36), nullable=False, unique=True),  # the rating event's id
    Column("day", String(10), nullable=False),                     # its office day
    Column("at", String(40), nullable=False),                      # when it was pressed
    Column("counter", Integer, nullable=False),                    # ratings.location, a counter's number
    Column("kiosk_id", String(32), nullable=False),
    Column("choice", Text, nullable=False),
    Column("score", Integer, nullable=False),
    Column("scale", Integer, nullable=False),
    Column("acknowledged_by", String(64)),                         # a staff name; NULL: open
    Column("acknowledged_at", String(40)),
    Index("alerts_open", "day", "acknowledged_at"),
)

# -- what the office sets for its kiosks -----------------------------------------------------------

#: Appointments staff entered or imported (office/appointments.py): a resident checks in at a kiosk with the code.
APPOINTMENTS = Table(
    "appointments", METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("day", String(10), nullable=False),           # office day
    Column("at", String(40), nullable=False),            # the appointment's time, RFC 3339 office time
    Column("service", String(1), nullable=False),        # the queue its ticket waits in
    Column("code", String(8), nullable=False),           # digits, typed on the kiosk's keypad
    Column("created_by", String(64), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("ticket_id", String(36), unique=True),        # checked in: the kiosk's ticket event id (its request id)
    Column("number", String(8)),                         # the number printed at check-in
    Column("kiosk_id", String(32)),
    Column("checked_in_at", String(40)),
    UniqueConstraint("day", "code", name="appointments_day_code"),
)

#: A live queue page's 提醒我 (office/push.py): where its browser's push service takes the two messages, for one
#: ticket of one day; nothing about the resident.  Kept until the number is called (or the day is over).
PUSH_SUBSCRIPTIONS = Table(
    "push_subscriptions", METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("day", String(10), nullable=False),
    Column("number", String(8), nullable=False),
    Column("endpoint", Text, nullable=False),             # the push service's address for this browser
    Column("p256dh", String(100), nullable=False),        # the browser's public key (RFC 8291), base64url
    Column("auth", String(40), nullable=False),           # its auth secret, base64url
    Column("lang", String(8), nullable=False),            # the page's language: the messages'
    Column("near", Integer, nullable=False),              # "near" is sent when this many or fewer are ahead
    Column("near_sent_at", String(40)),
    Column("created_at", String(40), nullable=False),
    Column("failures", Integer, nullable=False, default=0),
    UniqueConstraint("day", "number", "endpoint", name="push_once"),
)

OFFICE_CONFIG = Table(
    "office_config", METADATA,
    Column("scope", String(32), primary_key=True),  # "*" for every kiosk, or one kiosk's id
    Column("forms", Text),                           # TOML text of a forms override; NULL: not set here
    Column("announcements", Text),                   # JSON (office/marquee.py); NULL: not set here
    Column("updated_at", String(40), nullable=False),
)
# The office's forms list (office/forms_list.py): what every kiosk offers, and what GET /f/<code> opens.
FORM_CATEGORIES = Table(
    "form_categories", METADATA,
    Column("code", String(64), primary_key=True), Column("position", Integer, nullable=False),
    Column("title", Text, nullable=False), Column("title_en", Text, nullable=False),
    Column("translations", Text),  # JSON {"title": {"vi": ...}}; NULL: none (office/forms_list.py)
)
FORMS = Table(
    "forms", METADATA,
    Column("code", String(64), primary_key=True), Column("position", Integer, nullable=False),
    Column("category", String(64), nullable=False),
    Column("title", Text, nullable=False), Column("title_en", Text, nullable=False),
    Column("description", Text, nullable=False), Column("description_en", Text, nullable=False),
    Column("translations", Text),  # JSON {"title": {"vi": ...}, "description": {...}}; NULL: none
    Column("url", Text, nullable=False),                # "" when only an uploaded file is offered
    Column("opens", String(8), nullable=False),         # "file" or "page": what a phone gets at the address
    Column("bilingual", Boolean, nullable=False),
    Column("file_name", Text), Column("file_type", Text), Column("file_data", LargeBinary),  # an uploaded file
    Column("check_result", String(8)),                   # the last link check: file, page or failed
    Column("check_detail", Text), Column("checked_at", String(40)),
    Column("updated_at", String(40), nullable=False),
)
# One row per setting: the schema version, the office name, the staff session key, the forms list's seeding.
META = Table("meta", METADATA, Column("key", String(64), primary_key=True), Column("value", Text, nullable=False))

# -- number calling (office/calls.py) --------------------------------------------------------------

CALLS = Table(
    "calls", METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ticket_id", String(36), ForeignKey("tickets.event_id"), nullable=False, unique=True),
    Column("day", String(10), nullable=False),           # the ticket's office day
    Column("number", Text, nullable=False),              # as printed: A012
    Column("printed_at", String(40), nullable=False),    # the ticket's time: its place in the queue
    Column("service", Text, nullable=False),             # the service it waits for / is served in now
    Column("state", String(10), nullable=False),         # waiting | called | done | no_show
    Column("counter", Integer),                          # while called (and the last counter after)
    Column("called_at", String(40)),                     # the last call (not recall) at that counter
    Column("recalls", Integer, nullable=False, default=0),
    Column("finished_at", String(40)),                   # done / no_show
    Column("transferred_from", Text),                    # the service it was transferred from, last
    Index("calls_day_state", "day", "state", "service"),
)
CALL_EVENTS = Table(
    "call_events", METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),  # increasing: the stream's `since`
    Column("call_id", Integer, ForeignKey("calls.id"), nullable=False),
    Column("day", String(10), nullable=False),
    Column("kind", String(10), nullable=False),          # call | recall | done | no_show | requeue | transfer
    Column("number", Text, nullable=False),
    Column("service", Text, nullable=False),
    Column("counter", Integer),
    Column("at", String(40), nullable=False),
    Column("detail", Text),                              # transfer: the service it went to
    Index("call_events_day", "day", "id"),
)
COUNTERS = Table(
    "counters", METADATA,
    Column("counter", Integer, primary_key=True),
    Column("services", Text, nullable=False),            # JSON list of prefixes, as last sent with call_next
    Column("day", String(10), nullable=False),
    Column("updated_at", String(40), nullable=False),
)

# -- who may read the pages: staff (office/staff.py) and lobby displays (office/displays.py) ------

STAFF = Table(
    "staff", METADATA,
    Column("name", String(64), primary_key=True),
    Column("password_hash", String(255), nullable=False),  # werkzeug: "scrypt:32768:8:1$salt$hash"
    Column("created_at", String(40), nullable=False),
    Column("password_set_at", String(40), nullable=False),
)
#: One row per signed-in browser: the SHA-256 of the session id its cookie carries.
STAFF_SESSIONS = Table(
    "staff_sessions", METADATA,
    Column("id_hash", String(64), primary_key=True),
    Column("name", String(64), nullable=False, index=True),
    Column("started", Float, nullable=False),  # seconds since the epoch, by the app's clock: old rows are pruned
)
DISPLAYS = Table(
    "displays", METADATA,
    Column("name", String(64), primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),  # sha256 hex of the display token
    Column("created_at", String(40), nullable=False),
    Column("token_issued_at", String(40), nullable=False),
    Column("last_seen_at", String(40)),                              # last request with its token (to the minute)
)

# -- the lobby display's voice (office/voice.py) ------------------------------------------------------

#: The clips the office recorded on /voice, one per language and word or phrase (the words are the key, so a
#: phrase reworded later is simply a clip not recorded yet).  In the database, not a folder: backed up with it,
#: shared by every server process, nothing to set up on PostgreSQL; a language's clips are ~20-40 KB each.
VOICE_CLIPS = Table(
    "voice_clips", METADATA,
    Column("lang", String(8), primary_key=True),
    Column("key", String(64), primary_key=True),
    Column("content_type", String(32), nullable=False),   # audio/webm, audio/ogg, audio/mp4, audio/mpeg, audio/wav
    Column("data", LargeBinary, nullable=False),
    Column("digest", String(16), nullable=False),         # first 16 hex of its SHA-256: the display's cache key
    Column("recorded_at", String(40), nullable=False),
    Column("recorded_by", String(64), nullable=False),
)
#: What each lobby display last said it can speak: per language, its speech voice and the clips it decoded.
VOICE_REPORTS = Table(
    "voice_reports", METADATA,
    Column("display", String(64), primary_key=True),      # the display's name (office/displays.py)
    Column("report", Text, nullable=False),               # JSON, office/voice.py
    Column("reported_at", String(40), nullable=False),
)

# -- made for one query only -------------------------------------------------------------------------

#: The rating ↔ call link's time windows (office/counter_calls.py), made and dropped within one read: a
#: temporary table, so on a MetaData of its own (``create_all`` must not make it in the database).
LINK_WINDOWS = Table("link_windows", MetaData(), Column("location", Text), Column("start", Text),
                     Column("stop", Text), Column("counter", Integer), Column("service", Text),
                     prefixes=["TEMPORARY"])

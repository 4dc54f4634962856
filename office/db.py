"""
The office database
===================

:class:`Database` owns it: the schema, every read and every write go through
it, and nothing else in the server holds a connection.  It speaks SQLAlchemy
Core, so the same code runs on a SQLite file (the default, one office) and on
PostgreSQL (``--db postgresql://…``).

Events are kept as uploaded (``events``: one row per event id, so a retried
upload cannot store an event twice) and, in the same transaction, the reported
kinds are copied into tables the monthly report reads without parsing JSON:
``ratings``, ``tickets`` and ``form_views`` (views and printed slips), each
with the office day and hour in Asia/Taipei.  A ``rating_reason`` event sets
the reason of the rating it names, whichever of the two arrives first.

On SQLite: WAL, ``synchronous = FULL`` (an answer "accepted" lets the kiosk
forget the event, so it must survive a power cut), a busy timeout, and one
writer at a time in this process, each write in ``BEGIN IMMEDIATE``.

Tokens are stored as their SHA-256.  A token is 32 random bytes
(``secrets.token_urlsafe(32)``): nobody can guess one from its hash, so the
salt and slowness a password hash needs (people choose guessable passwords)
buy nothing here, while an indexed look-up of the hash stays one query.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import json
import logging
import os
import re
import secrets
import stat
import threading
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Mapping, NamedTuple, Optional, Sequence, Tuple, TypeVar

from sqlalchemy import (BigInteger, Boolean, Column, Float, ForeignKey, Index, Integer, LargeBinary, MetaData, String,
                        Table, Text, create_engine, delete, event, func, insert, select, update)
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import StaticPool

from protocol import officetime

from . import marquee
from .models import EventIn

__all__ = ["Database", "Ingested", "KIOSK_ID", "SCHEMA_VERSION", "hash_token"]

log = logging.getLogger("office.db")
T = TypeVar("T")

#: 1: the first schema.  2: the number-calling tables (``calls``, ``call_events``, ``counters``, defined in
#: office/calls.py); only new tables, made by ``create_all`` on opening, so an older database is raised to 2 as is.
#: 3: the office's forms list (``forms``, ``form_categories``), again only new tables.
#: 4: ``rating_counts``, the ratings counted per office day and report key, filled from ``ratings`` on opening an
#: older database (``_backfill_rating_counts``); the index ``ratings_report`` it replaces is dropped, and
#: ``ratings_link`` made.
SCHEMA_VERSION = 4
BUSY_TIMEOUT_MS = 10000
#: The same rule as the kiosk's ``kiosk.id`` setting (kiosk/config.py).
KIOSK_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}")
ALL_KIOSKS = "*"  # the office_config scope every kiosk reads
OFFICE_NAME_CHARS = 60
_KEEP: Any = object()

METADATA = MetaData()

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


def _within(query, table: Table, first_day: Optional[str], last_day: Optional[str], kiosk_id: Optional[str]):
    """``query`` limited to the office days first_day..last_day (ISO dates) and one kiosk, each if given."""
    if first_day is not None:
        query = query.where(table.c.day >= first_day)
    if last_day is not None:
        query = query.where(table.c.day <= last_day)
    if kiosk_id is not None:
        query = query.where(table.c.kiosk_id == kiosk_id)
    return query


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


def _count_key(row: Mapping[str, Any]) -> Tuple[Any, ...]:
    """A ``ratings`` row's key in ``rating_counts``."""
    return tuple(row[name] or "" if name in ("service", "reason") else row[name] for name in REPORT_KEYS)


def _add_rating_counts(conn: Connection, deltas: Mapping[Tuple[Any, ...], int]) -> None:
    """Add ``deltas`` (key -> ratings more or fewer) to ``rating_counts``: one upsert, keys in order (so two
    PostgreSQL writers lock the rows they share in the same order, never in a circle)."""
    rows = [dict(zip(REPORT_KEYS, key), n=n) for key, n in sorted(deltas.items()) if n]
    if not rows:
        return
    dialect = importlib.import_module(f"sqlalchemy.dialects.{conn.dialect.name}")
    statement = dialect.insert(RATING_COUNTS)
    conn.execute(statement.on_conflict_do_update(index_elements=list(REPORT_KEYS),
                                                 set_={"n": RATING_COUNTS.c.n + statement.excluded.n}), rows)


def _backfill_rating_counts(conn: Connection) -> None:
    """Count every stored rating into ``rating_counts`` afresh (the upgrade to schema 4; ``kiosk-office bench``)."""
    keys = [func.coalesce(RATINGS.c[name], "") if name in ("service", "reason") else RATINGS.c[name]
            for name in REPORT_KEYS]
    conn.execute(delete(RATING_COUNTS))
    conn.execute(insert(RATING_COUNTS).from_select(
        list(REPORT_KEYS) + ["n"], select(*keys, func.count()).group_by(*keys)))

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
)
FORMS = Table(
    "forms", METADATA,
    Column("code", String(64), primary_key=True), Column("position", Integer, nullable=False),
    Column("category", String(64), nullable=False),
    Column("title", Text, nullable=False), Column("title_en", Text, nullable=False),
    Column("description", Text, nullable=False), Column("description_en", Text, nullable=False),
    Column("url", Text, nullable=False),                # "" when only an uploaded file is offered
    Column("opens", String(8), nullable=False),         # "file" or "page": what a phone gets at the address
    Column("bilingual", Boolean, nullable=False),
    Column("file_name", Text), Column("file_type", Text), Column("file_data", LargeBinary),  # an uploaded file
    Column("check_result", String(8)),                   # the last link check: file, page or failed
    Column("check_detail", Text), Column("checked_at", String(40)),
    Column("updated_at", String(40), nullable=False),
)
META = Table("meta", METADATA, Column("key", String(64), primary_key=True), Column("value", Text, nullable=False))


class Ingested(NamedTuple):
    """What became of an upload's valid events (canonical ids)."""

    accepted: List[str]
    duplicates: List[str]
    rejected: List[Tuple[str, str]]  # (id, error)


def hash_token(token: str) -> str:
    """The stored form of a bearer token (see the module docstring for why SHA-256 suffices)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _now() -> str:
    return officetime.rfc3339(officetime.now())


def check_office_name(name: str) -> str:
    """The office name as it is kept (stripped), or ValueError in Chinese, as the settings page and
    ``kiosk-office config set`` show it to staff."""
    if not isinstance(name, str):
        raise ValueError(f"機關名稱必須是文字，不是 {type(name).__name__}")
    name = name.strip()
    if "\n" in name or "\r" in name:
        raise ValueError("機關名稱只能有一行")
    if len(name) > OFFICE_NAME_CHARS:
        raise ValueError(f"機關名稱最多 {OFFICE_NAME_CHARS} 字（目前 {len(name)} 字）")
    return name


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _chunks(items: Sequence[T], size: int = 500) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _sqlite_setup(engine, wal: bool) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        # The driver's own transaction handling would BEGIN late and DEFERRED; we say BEGIN ourselves.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if wal:
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        # IMMEDIATE takes the write lock at once: a writer never fails half-way for a lock it cannot upgrade.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("office_write") else "BEGIN")


#: The files SQLite keeps beside a database file: made by SQLite with the database file's own mode.
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def _private_sqlite_file(path: Path) -> None:
    """Make ``path`` (and a new folder for it) readable by this user only, before SQLite opens it.

    The file holds the staff session key and every kiosk's token hash: a new one is created 0600 (its folder,
    if new, 0700); SQLite gives its ``-wal``, ``-shm`` and ``-journal`` files the database file's mode.  An
    existing file (or side file) open to the group or others is tightened to 0600 with a warning; one this
    user cannot change (another owner) is left as it is, with a warning saying what to do.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600))
        return
    except FileExistsError:
        pass
    for name in [path] + [path.with_name(path.name + side) for side in SQLITE_SIDE_FILES]:
        try:
            mode = stat.S_IMODE(os.stat(name).st_mode)
        except FileNotFoundError:
            continue
        if not mode & 0o077:
            continue
        try:
            os.chmod(name, mode & 0o700)
        except OSError as exc:
            log.warning("%s can be read by other users (mode %04o) and cannot be made private (%s): "
                        "it holds the staff session key; run: chmod 600 %s", name, mode, exc.strerror, name)
            continue
        log.warning("%s could be read by other users (mode %04o): now %04o (this user only)",
                    name, mode, mode & 0o700)


class Database:
    """The office database at a SQLAlchemy URL (``sqlite:///path`` or ``postgresql://…``)."""

    def __init__(self, url: str):
        self.url = make_url(url)  # sqlalchemy.exc.ArgumentError for a URL it cannot read
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        memory = self.is_sqlite and self.url.database in (None, "", ":memory:")
        kwargs: Dict[str, Any] = {}
        if memory:  # one shared connection, or every connection would see its own empty database
            kwargs.update(poolclass=StaticPool, connect_args={"check_same_thread": False})
        elif self.is_sqlite:
            _private_sqlite_file(Path(self.url.database).expanduser())
        self.engine = create_engine(self.url, **kwargs)
        if self.is_sqlite:
            _sqlite_setup(self.engine, wal=not memory)
        importlib.import_module(".calls", __package__)  # defines its tables on METADATA (and imports this module)
        # SQLite has one writer anyway: taking turns here spares the busy timeout.  PostgreSQL
        # writers run side by side; a race on an event id is retried (see ingest).
        self._write_lock = threading.Lock() if self.is_sqlite else contextlib.nullcontext()
        self._read_lock = self._write_lock if memory else contextlib.nullcontext()
        METADATA.create_all(self.engine)
        self._check_version()

    def __repr__(self) -> str:
        return f"Database({self.display_url!r})"

    @property
    def display_url(self) -> str:
        """The URL with any password hidden, for logs and messages."""
        return self.url.render_as_string(hide_password=True)

    def close(self) -> None:
        """Close every pooled connection; safe to call twice."""
        self.engine.dispose()

    def __enter__(self) -> "Database":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- transactions ------------------------------------------------------------------------------

    def read(self, fn: Callable[[Connection], T]) -> T:
        """``fn(connection)`` in one read transaction; its result."""
        with self._read_lock, self.engine.connect() as conn, conn.begin():
            return fn(conn)

    def write(self, fn: Callable[[Connection], T]) -> T:
        """``fn(connection)`` in one write transaction, committed when it returns; its result."""
        with self._write_lock, self.engine.connect().execution_options(office_write=True) as conn, conn.begin():
            return fn(conn)

    def _check_version(self) -> None:
        def check(conn):
            # FOR UPDATE: a second server process upgrading at the same time waits, then finds it done.
            found = conn.execute(select(META.c.value).where(META.c.key == "schema_version").with_for_update()).scalar()
            if found is None:
                conn.execute(insert(META).values(key="schema_version", value=str(SCHEMA_VERSION)))
            elif int(found) > SCHEMA_VERSION:
                raise RuntimeError(f"{self.display_url} has schema version {found}, newer than this "
                                   f"kiosk-office knows ({SCHEMA_VERSION}): upgrade kiosk-office")
            elif int(found) < SCHEMA_VERSION:  # create_all made the new tables; 4 also fills one
                if int(found) < 4:
                    conn.exec_driver_sql("DROP INDEX IF EXISTS ratings_report")
                    RATINGS_LINK.create(conn, checkfirst=True)
                    _backfill_rating_counts(conn)
                conn.execute(update(META).where(META.c.key == "schema_version").values(value=str(SCHEMA_VERSION)))
        self.write(check)

    # -- kiosks and tokens -------------------------------------------------------------------------

    def add_kiosk(self, kiosk_id: str) -> str:
        """Register ``kiosk_id`` and return its new bearer token (kept only as a hash).

        For a kiosk already registered, the new token replaces the old one at once.
        """
        if not isinstance(kiosk_id, str) or not KIOSK_ID.fullmatch(kiosk_id):
            raise ValueError(f"a kiosk id is 1-32 letters, digits, '-' or '_' (e.g. 'ERLIN-01'), got {kiosk_id!r}")
        token = secrets.token_urlsafe(32)
        now, hashed = _now(), hash_token(token)

        def add(conn):
            changed = conn.execute(update(KIOSKS).where(KIOSKS.c.id == kiosk_id)
                                   .values(token_hash=hashed, token_issued_at=now)).rowcount
            if not changed:
                conn.execute(insert(KIOSKS).values(id=kiosk_id, token_hash=hashed, created_at=now,
                                                   token_issued_at=now))
        self.write(add)
        return token

    def kiosk_for_token(self, token: str) -> Optional[str]:
        """The id of the kiosk whose token this is, or None."""
        if not token or len(token) > 256:
            return None
        return self.read(lambda c: c.execute(select(KIOSKS.c.id).where(KIOSKS.c.token_hash == hash_token(token)))
                         .scalar())

    def contact(self, kiosk_id: str) -> None:
        """Note that the kiosk was just heard from."""
        self.write(lambda c: c.execute(update(KIOSKS).where(KIOSKS.c.id == kiosk_id).values(last_contact_at=_now())))

    def kiosks(self) -> List[Dict[str, Any]]:
        """Every kiosk: id, created_at, last_contact_at, last_heartbeat (dict or None), events (count)."""
        counts = (select(EVENTS.c.kiosk_id, func.count().label("events"))
                  .group_by(EVENTS.c.kiosk_id).subquery())
        query = (select(KIOSKS.c.id, KIOSKS.c.created_at, KIOSKS.c.last_contact_at, KIOSKS.c.last_heartbeat,
                        func.coalesce(counts.c.events, 0).label("events"))
                 .outerjoin(counts, counts.c.kiosk_id == KIOSKS.c.id).order_by(KIOSKS.c.id))
        rows = [dict(row._mapping) for row in self.read(lambda c: c.execute(query).all())]
        for row in rows:
            row["last_heartbeat"] = json.loads(row["last_heartbeat"]) if row["last_heartbeat"] else None
        return rows

    # -- events ------------------------------------------------------------------------------------

    def ingest(self, kiosk_id: str, events: Sequence[EventIn]) -> Ingested:
        """Store a batch of checked events from ``kiosk_id`` in one transaction.

        An id this kiosk already uploaded is a duplicate (stored once, whatever
        the retries); an id another kiosk uploaded is rejected.
        """
        for attempt in (1, 2, 3):
            try:
                return self.write(lambda conn: self._ingest(conn, kiosk_id, events))
            except IntegrityError:
                # Another server process stored one of these ids between our look-up and our
                # insert (PostgreSQL): the whole batch was rolled back; the next pass sees duplicates.
                if attempt == 3:
                    raise
                log.info("upload from %s raced another writer; trying again", kiosk_id)
        raise AssertionError("unreachable")

    def _ingest(self, conn: Connection, kiosk_id: str, events: Sequence[EventIn]) -> Ingested:
        received = _now()
        owners: Dict[str, str] = {}
        for chunk in _chunks(list({e.id for e in events})):
            owners.update(conn.execute(select(EVENTS.c.id, EVENTS.c.kiosk_id).where(EVENTS.c.id.in_(chunk))).all())
        result = Ingested([], [], [])
        rows: Dict[str, List[dict]] = {"events": [], "ratings": [], "tickets": [], "form_views": []}
        reasons_for, heartbeat = set(), None
        numbers = self._number_owners(conn, [ev for ev in events if ev.type == "ticket" and ev.id not in owners])
        for ev in events:
            owner = owners.get(ev.id)
            if owner == kiosk_id:
                result.duplicates.append(ev.id)
                continue
            if owner is not None:
                result.rejected.append((ev.id, "this event id is already stored for another kiosk"))
                continue
            if ev.type == "ticket":
                day, number = ev.moment.date().isoformat(), ev.details().number
                first = numbers.setdefault((day, number), kiosk_id)
                if first != kiosk_id:
                    # Until numbering is office-wide (issue 21), two kiosks can print the same number: the first
                    # ticket stored keeps it, or the live page would switch tickets and both would be called.
                    log.warning("%s: ticket %s of %s rejected: kiosk %s uploaded that number first",
                                kiosk_id, number, day, first)
                    result.rejected.append((ev.id, f"ticket {number} of {day} was already taken by another kiosk; "
                                                   "the first ticket of a number each day is kept"))
                    continue
            owners[ev.id] = kiosk_id
            result.accepted.append(ev.id)
            details, moment = ev.details(), ev.moment
            rows["events"].append(dict(
                id=ev.id, kiosk_id=kiosk_id, seq=ev.seq, type=ev.type, at=ev.at, clock_synced=ev.clock_synced,
                data=_json(ev.data), boot_id=ev.boot_id, monotonic=ev.monotonic, received_at=received,
                ref=details.rating_id if ev.type == "rating_reason" else None))
            common = dict(event_id=ev.id, kiosk_id=kiosk_id, at=ev.at, day=moment.date().isoformat(),
                          hour=moment.hour)
            if ev.type == "rating":
                rows["ratings"].append(dict(
                    common, scale=details.scale, score=details.score, choice=details.choice, source=details.source,
                    service=details.service, location=details.location, misuse=details.misuse,
                    ticket=details.ticket, reason=None, clock_synced=ev.clock_synced))
                reasons_for.add(ev.id)
            elif ev.type == "rating_reason":
                reasons_for.add(details.rating_id)
            elif ev.type == "ticket":
                rows["tickets"].append(dict(common, service=details.service, number=details.number,
                                            people_ahead=details.people_ahead, lang=details.lang))
            elif ev.type in ("form_view", "form_slip"):
                rows["form_views"].append(dict(common, code=details.code, lang=details.lang,
                                               kind="view" if ev.type == "form_view" else "slip"))
            elif ev.type == "heartbeat":
                heartbeat = ev
        for table in (EVENTS, RATINGS, TICKETS, FORM_VIEWS):  # events first: the others refer to them
            if rows[table.name]:
                conn.execute(insert(table), rows[table.name])
        counted = Counter(_count_key(row) for row in rows["ratings"])
        if reasons_for:
            self._link_reasons(conn, kiosk_id, sorted(reasons_for), counted)
        _add_rating_counts(conn, counted)
        values = {"last_contact_at": received}
        if heartbeat is not None:
            values["last_heartbeat"] = _json({"id": heartbeat.id, "seq": heartbeat.seq, "at": heartbeat.at,
                                              "clock_synced": heartbeat.clock_synced, "data": heartbeat.data,
                                              "received_at": received})
        conn.execute(update(KIOSKS).where(KIOSKS.c.id == kiosk_id).values(**values))
        return result

    @staticmethod
    def _number_owners(conn: Connection, tickets: Sequence[EventIn]) -> Dict[Tuple[str, str], str]:
        """The kiosk whose ticket of each (office day, number) of ``tickets`` was stored first, where one was.

        On PostgreSQL each (day, number) is locked for the rest of the transaction first (in order, so two
        uploads never wait for each other in a circle): two kiosks uploading the same number at once take turns.
        SQLite has one writer at a time already.
        """
        pairs = sorted({(ev.moment.date().isoformat(), ev.details().number) for ev in tickets})
        if not pairs:
            return {}
        if conn.dialect.name == "postgresql":
            for day, number in pairs:
                key = int.from_bytes(hashlib.sha256(f"ticket {day} {number}".encode()).digest()[:8], "big", signed=True)
                conn.execute(select(func.pg_advisory_xact_lock(key)))
        found: Dict[Tuple[str, str], str] = {}
        for day in sorted({day for day, _ in pairs}):
            for chunk in _chunks([number for d, number in pairs if d == day]):
                query = (select(TICKETS.c.number, TICKETS.c.kiosk_id).join(EVENTS, EVENTS.c.id == TICKETS.c.event_id)
                         .where(TICKETS.c.day == day, TICKETS.c.number.in_(chunk))
                         .order_by(EVENTS.c.received_at, TICKETS.c.at))
                for number, kiosk in conn.execute(query):
                    found.setdefault((day, number), kiosk)
        return found

    @staticmethod
    def _link_reasons(conn: Connection, kiosk_id: str, rating_ids: Sequence[str],
                      counted: Counter) -> None:
        """Give each of these ratings the reason of its latest rating_reason event, if any; move each rating
        whose reason changes from its old key to its new one in ``counted`` (deltas for ``rating_counts``)."""
        latest: Dict[str, str] = {}
        for chunk in _chunks(rating_ids):
            query = (select(EVENTS.c.ref, EVENTS.c.data)
                     .where(EVENTS.c.kiosk_id == kiosk_id, EVENTS.c.type == "rating_reason", EVENTS.c.ref.in_(chunk))
                     .order_by(EVENTS.c.seq, EVENTS.c.received_at))
            for ref, data in conn.execute(query):
                latest[ref] = json.loads(data).get("reason")
        for chunk in _chunks(sorted(latest)):
            query = select(RATINGS).where(RATINGS.c.event_id.in_(chunk), RATINGS.c.kiosk_id == kiosk_id)
            for row in conn.execute(query).mappings():
                if (row["reason"] or "") != (latest[row["event_id"]] or ""):
                    counted[_count_key(row)] -= 1
                    counted[_count_key(dict(row, reason=latest[row["event_id"]]))] += 1
        for rating_id, reason in latest.items():
            conn.execute(update(RATINGS).where(RATINGS.c.event_id == rating_id, RATINGS.c.kiosk_id == kiosk_id)
                         .values(reason=reason))

    def events(self, kiosk_id: Optional[str] = None, type: Optional[str] = None) -> List[Dict[str, Any]]:
        """Stored events in upload order (data parsed), optionally of one kiosk or type."""
        query = select(EVENTS).order_by(EVENTS.c.received_at, EVENTS.c.kiosk_id, EVENTS.c.seq)
        if kiosk_id is not None:
            query = query.where(EVENTS.c.kiosk_id == kiosk_id)
        if type is not None:
            query = query.where(EVENTS.c.type == type)
        rows = [dict(row._mapping) for row in self.read(lambda c: c.execute(query).all())]
        for row in rows:
            row["data"] = json.loads(row["data"])
        return rows

    # -- reporting tables --------------------------------------------------------------------------

    def _derived_rows(self, table: Table, first_day: Optional[str], last_day: Optional[str],
                      kiosk_id: Optional[str]) -> List[Dict[str, Any]]:
        # Ties on `at` (to the millisecond) keep the kiosk's own order.
        query = (select(table).join(EVENTS, EVENTS.c.id == table.c.event_id)
                 .order_by(table.c.at, table.c.kiosk_id, EVENTS.c.seq))
        return self._rows(_within(query, table, first_day, last_day, kiosk_id))

    def _rows(self, query) -> List[Dict[str, Any]]:
        return [dict(row._mapping) for row in self.read(lambda c: c.execute(query).all())]

    def ratings(self, first_day=None, last_day=None, kiosk_id=None) -> List[Dict[str, Any]]:
        """Ratings of the office days first_day..last_day (ISO dates, both optional), oldest first."""
        return self._derived_rows(RATINGS, first_day, last_day, kiosk_id)

    def rating_counts(self, first_day=None, last_day=None, kiosk_id=None) -> List[Dict[str, Any]]:
        """Ratings counted by everything a report groups them by: rows like ``ratings()`` (``service`` and
        ``reason`` "" for none) with ``n``, read from ``rating_counts``."""
        keys = [RATING_COUNTS.c[name] for name in REPORT_KEYS]
        query = select(*keys, RATING_COUNTS.c.n).where(RATING_COUNTS.c.n > 0).order_by(*keys)
        return self._rows(_within(query, RATING_COUNTS, first_day, last_day, kiosk_id))

    def recount_ratings(self) -> None:
        """Count every stored rating into ``rating_counts`` afresh: for ratings written straight into the
        ``ratings`` table, not through :meth:`ingest` (``kiosk-office bench``)."""
        self.write(_backfill_rating_counts)

    def tickets(self, first_day=None, last_day=None, kiosk_id=None) -> List[Dict[str, Any]]:
        """Tickets taken on the office days first_day..last_day, oldest first."""
        return self._derived_rows(TICKETS, first_day, last_day, kiosk_id)

    def form_views(self, first_day=None, last_day=None, kiosk_id=None) -> List[Dict[str, Any]]:
        """Forms viewed (kind ``view``) or printed on a slip (``slip``), oldest first."""
        return self._derived_rows(FORM_VIEWS, first_day, last_day, kiosk_id)

    # -- what the office edits centrally -----------------------------------------------------------

    def office_name(self) -> str:
        """The office's name as staff set it (e.g. 彰化縣二林鎮戶政事務所); "" until they do.

        The report and the residents' live queue page head with it.  It lives in ``meta``
        (one row), so setting it needs no schema change.
        """
        return self.read(lambda c: c.execute(select(META.c.value).where(META.c.key == "office_name")).scalar()) or ""

    def set_office_name(self, name: str) -> None:
        """Set the office's name (one line, at most 60 characters); "" unsets it.  ValueError: see
        :func:`check_office_name`."""
        name = check_office_name(name)

        def store(conn):
            conn.execute(delete(META).where(META.c.key == "office_name"))
            if name:
                conn.execute(insert(META).values(key="office_name", value=name))
        self.write(store)


    def set_config(self, scope: str = ALL_KIOSKS, *, forms: Optional[str] = _KEEP,
                   announcements: Optional[Sequence[Any]] = _KEEP) -> None:
        """Set announcements for every kiosk (``"*"``) or one, and/or one kiosk's own forms override (TOML text).

        The office-wide forms are the office's forms list (office/forms_list.py), not an override.

        Announcements are Chinese strings, or objects with a text per language
        (``{"zh-TW": ..., "en": ...}``), checked by office/marquee.py (ValueError).
        None unsets a value at that scope (a kiosk then gets the office-wide one);
        an argument left out is kept as it is.
        """
        if scope != ALL_KIOSKS and not KIOSK_ID.fullmatch(scope):
            raise ValueError(f"scope must be '*' or a kiosk id, got {scope!r}")
        if scope == ALL_KIOSKS and forms not in (_KEEP, None):
            raise ValueError("the office-wide forms are the forms list (office/forms_list.py, /forms, "
                             "kiosk-office forms import FILE), not an override")
        values: Dict[str, Any] = {"updated_at": _now()}
        if forms is not _KEEP:
            values["forms"] = forms
        if announcements is not _KEEP:
            values["announcements"] = None if announcements is None else marquee.stored(marquee.items(announcements))

        def store(conn):
            if not conn.execute(update(OFFICE_CONFIG).where(OFFICE_CONFIG.c.scope == scope).values(**values)).rowcount:
                conn.execute(insert(OFFICE_CONFIG).values(scope=scope, **values))
        self.write(store)

    def config_for(self, kiosk_id: str) -> Dict[str, Any]:
        """What ``GET /api/v1/kiosks/{id}/config`` answers: the kiosk's own settings over the office's.

        ``announcements`` (Chinese) and ``announcements_en`` (same length, "" for none): office/marquee.py.
        """
        query = select(OFFICE_CONFIG).where(OFFICE_CONFIG.c.scope.in_([ALL_KIOSKS, kiosk_id]))
        rows = {row.scope: row for row in self.read(lambda c: c.execute(query).all())}
        forms, announcements = None, None
        for scope in (ALL_KIOSKS, kiosk_id):
            row = rows.get(scope)
            if row is not None:
                forms = row.forms if row.forms is not None else forms
                announcements = (marquee.from_stored(row.announcements) if row.announcements is not None
                                 else announcements)
        return {"forms": forms, **marquee.answer(announcements or [])}

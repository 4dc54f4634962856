"""
The office database
===================

:class:`Database` owns it: every read and every write go through it, and
nothing else in the server holds a connection.  It speaks SQLAlchemy Core, so
the same code runs on a SQLite file (the default, one office) and on
PostgreSQL (``--db postgresql://…``).  The tables are ``office/schema.py``'s;
opening a database makes the missing ones and raises an older schema to
:data:`~office.schema.SCHEMA_VERSION` (:meth:`Database._check_version`, the
migrations).

Events are kept as uploaded and, in the same transaction, the reported kinds
are copied into the tables the monthly report reads (``office/ingest.py``).

On SQLite: WAL, ``synchronous = FULL``, a busy timeout, and one writer at a
time in this process, each write in ``BEGIN IMMEDIATE``
(``office/sqlite_file.py``).

Tokens are stored as their SHA-256.  A token is 32 random bytes
(``secrets.token_urlsafe(32)``): nobody can guess one from its hash, so the
salt and slowness a password hash needs (people choose guessable passwords)
buy nothing here, while an indexed look-up of the hash stays one query.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import re
import secrets
import threading
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, TypeVar

from sqlalchemy import Table, create_engine, delete, func, insert, inspect, select, update
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import StaticPool

from protocol import officetime

from . import marquee
from .ingest import Ingested, count_all_ratings, store_batch
from .remote import PHONE
from .models import EventIn
from .schema import (ALL_KIOSKS, EVENTS, FORM_CATEGORIES, FORM_VIEWS, FORMS, KIOSKS, META, METADATA, OFFICE_CONFIG,
                     RATING_COUNTS, RATINGS, RATINGS_LINK, REPORT_KEYS, SCHEMA_VERSION, TICKETS)
from .sqlite_file import private_sqlite_file, set_up_connections

__all__ = ["Database", "KIOSK_ID", "hash_token", "check_office_name"]

log = logging.getLogger("office.db")
T = TypeVar("T")

#: The same rule as the kiosk's ``kiosk.id`` setting (kiosk/config.py).
KIOSK_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}")
OFFICE_NAME_CHARS = 60
_KEEP: Any = object()


def _within(query, table: Table, first_day: Optional[str], last_day: Optional[str], kiosk_id: Optional[str]):
    """``query`` limited to the office days first_day..last_day (ISO dates) and one kiosk, each if given."""
    if first_day is not None:
        query = query.where(table.c.day >= first_day)
    if last_day is not None:
        query = query.where(table.c.day <= last_day)
    if kiosk_id is not None:
        query = query.where(table.c.kiosk_id == kiosk_id)
    return query


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
            private_sqlite_file(Path(self.url.database).expanduser())
        self.engine = create_engine(self.url, **kwargs)
        if self.is_sqlite:
            set_up_connections(self.engine, wal=not memory)
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
                    count_all_ratings(conn)
                if int(found) < 5:  # the forms list's other languages: a column the tables made at 3 or 4 lack
                    for table in (FORMS, FORM_CATEGORIES):
                        if "translations" not in {c["name"] for c in inspect(conn).get_columns(table.name)}:
                            conn.exec_driver_sql(f"ALTER TABLE {table.name} ADD COLUMN translations TEXT")
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
        """Every kiosk: id, created_at, last_contact_at, last_heartbeat (dict or None), events (count); not the
        phones' pseudo-kiosk (office/remote.py)."""
        counts = (select(EVENTS.c.kiosk_id, func.count().label("events"))
                  .group_by(EVENTS.c.kiosk_id).subquery())
        query = (select(KIOSKS.c.id, KIOSKS.c.created_at, KIOSKS.c.last_contact_at, KIOSKS.c.last_heartbeat,
                        func.coalesce(counts.c.events, 0).label("events"))
                 .outerjoin(counts, counts.c.kiosk_id == KIOSKS.c.id).where(KIOSKS.c.id != PHONE)
                 .order_by(KIOSKS.c.id))
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
                return self.write(lambda conn: store_batch(conn, kiosk_id, events))
            except IntegrityError:
                # Another server process stored one of these ids between our look-up and our
                # insert (PostgreSQL): the whole batch was rolled back; the next pass sees duplicates.
                if attempt == 3:
                    raise
                log.info("upload from %s raced another writer; trying again", kiosk_id)
        raise AssertionError("unreachable")

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
        self.write(count_all_ratings)

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
        (``{"zh-TW": ..., "en": ..., "vi": ...}``), checked by office/marquee.py (ValueError).
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

        ``announcements`` (Chinese), ``announcements_en``, ``announcements_vi``… (one list per language, the
        same length, "" for none): office/marquee.py, protocol/announcements.py.
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

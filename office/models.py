"""
What a kiosk sends
==================

pydantic models of the upload protocol (``office/PROTOCOL.md``).  A request
body is checked in two steps, so that one bad event never costs the others:
:class:`Batch` checks the envelope (a bad one is a ``400``), then
:func:`parse_events` checks each event on its own and turns a bad one into a
rejection with a message that names the field.

The event types are the kiosk's own list (:data:`protocol.events.EVENT_TYPES`):
kiosk and server share one definition.  Times are read as RFC 3339 with an
offset and kept in office time (Asia/Taipei, to the millisecond), the form the
kiosk sends, so that they sort as text.

Nothing a kiosk sends may break the server (issue 17): before its fields are read,
an event is walked once and rejected, naming the member, if it holds what a
database or the office's pages cannot take — a string with a lone surrogate
(UTF-8 cannot carry it) or a NUL (PostgreSQL text cannot), a whole number beyond
64 bits, a number that is not finite, or nesting deeper than
:data:`MAX_DEPTH`.  Then ``seq`` must fit a 64-bit integer, ``at`` must lie in
:data:`EARLIEST`..:data:`LATEST` and, when the server's clock is given, not more
than :data:`FUTURE_SLACK` after it, and a ticket's number must be what a kiosk
prints (its service's letter and 1-4 digits).
"""

from __future__ import annotations

import re
import uuid
import math
from datetime import datetime, timedelta
from typing import Any, Dict, List, NamedTuple, Optional, Tuple, Union

from pydantic import (BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr, ValidationError,
                      field_validator, model_validator)
from pydantic_core import PydanticCustomError

from protocol.events import EVENT_TYPES
from protocol.officetime import TAIPEI, rfc3339

__all__ = ["MAX_DEPTH", "EARLIEST", "LATEST", "FUTURE_SLACK", "Batch", "EventIn",
           "NumberRequest", "Rejection", "parse_events", "parse_rfc3339", "describe", "unstorable"]

#: An event nested deeper than this (objects and arrays within ``data``) is rejected: no kiosk sends more than 3.
MAX_DEPTH = 32
#: The largest whole number stored as an integer (SQLite's and PostgreSQL's BIGINT).
INT64_MAX = 2 ** 63 - 1
#: PostgreSQL's INTEGER (``people_ahead``).
INT32_MAX = 2 ** 31 - 1
#: ``at`` is accepted from EARLIEST up to LATEST (office time) ...
EARLIEST = datetime(2000, 1, 1, tzinfo=TAIPEI)
LATEST = datetime(2100, 1, 1, tzinfo=TAIPEI)
#: ... and not more than this after the server's clock.
FUTURE_SLACK = timedelta(days=1)
#: A ticket's number as a kiosk prints it (kiosk/tickets.py): its service's letter and 1-4 digits.
TICKET_NUMBER = re.compile(r"[A-Z][0-9]{1,4}")

_RFC3339 = re.compile(r"(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})")


def parse_rfc3339(text: str) -> datetime:
    """A timezone-aware time from RFC 3339 text with its offset; ValueError names what is wrong."""
    match = _RFC3339.fullmatch(text)
    if not match:
        raise ValueError("must be an RFC 3339 time with its offset, e.g. 2026-11-27T09:30:00.000+08:00, "
                         f"got {_shown(text)}")
    day, clock, fraction, offset = match.groups()
    # datetime.fromisoformat of Python 3.9 takes neither 'Z' nor any number of digits but 3 or 6.
    fraction = (fraction[:7].ljust(7, "0")) if fraction else ""
    offset = "+00:00" if offset in "Zz" else offset
    try:
        return datetime.fromisoformat(f"{day}T{clock}{fraction}{offset}")
    except ValueError as exc:
        raise ValueError(f"is not a real time: {_shown(text)} ({exc})") from None


def _shown(value: Any, limit: int = 40) -> str:
    """``repr(value)``, cut to about ``limit`` characters: a rejection names the value, never echoes 200 KB of it
    into the answer and the log."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(value) if isinstance(value, str) else len(text)} characters)"


def _fail(message: str) -> PydanticCustomError:
    # A custom error keeps our message as it is (a plain ValueError gets "Value error, " in front).
    return PydanticCustomError("office", "{message}", {"message": message})


def _uuid(value: Any) -> str:
    """The canonical (lowercase, hyphenated) form of a UUID given as text."""
    if not isinstance(value, str):
        raise _fail(f"must be a UUID as text, got {type(value).__name__}")
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise _fail(f"must be a UUID (e.g. 0b6c0f4e-3b1c-4f8e-9a51-2f1d3c5e7a90), got {_shown(value)}") from None


# -- the data each reported type must carry; other keys are kept as they are -----------------

class _Data(BaseModel):
    model_config = ConfigDict(extra="allow")


class RatingData(_Data):
    score: StrictInt = Field(ge=1)
    scale: StrictInt = Field(ge=2, le=10)  # the kiosk's scales are 3 and 5
    choice: StrictStr
    source: StrictStr = ""
    service: Optional[StrictStr] = None
    location: StrictStr = ""
    misuse: StrictBool = False
    ticket: StrictStr = ""

    @model_validator(mode="after")
    def _score_on_scale(self):
        if self.score > self.scale:
            raise _fail(f"score {self.score} is beyond the scale of {self.scale}")
        return self


class ReasonData(_Data):
    rating_id: str
    reason: StrictStr

    @field_validator("rating_id", mode="before")
    @classmethod
    def _check_rating_id(cls, value):
        return _uuid(value)


class TicketData(_Data):
    number: StrictStr
    service: StrictStr
    people_ahead: Optional[StrictInt] = Field(default=None, ge=0, le=INT32_MAX)
    lang: StrictStr = ""

    @field_validator("service")
    @classmethod
    def _check_service(cls, value):
        # protocol/service_list.py: a service's prefix is one capital letter A-Z.
        if not re.fullmatch(r"[A-Z]", value):
            raise _fail(f"must be the service's letter, one capital A-Z (e.g. 'A'), got {_shown(value)}")
        return value

    @field_validator("number")
    @classmethod
    def _check_number(cls, value):
        if not TICKET_NUMBER.fullmatch(value):
            raise _fail(f"must be a capital letter and 1-4 digits as printed (e.g. 'A012'), got {_shown(value)}")
        return value

    @model_validator(mode="after")
    def _number_of_its_service(self):
        if self.number[0] != self.service:
            raise _fail(f"number {self.number!r} does not start with its service's letter {self.service!r}")
        return self


class FormData(_Data):
    code: StrictStr
    lang: StrictStr = ""


class _State(_Data):
    state: StrictStr


class UpdateState(_Data):
    """How far a kiosk got with its system update (protocol/updates.py: STATES)."""
    state: StrictStr
    version: Optional[StrictStr] = None
    done: Optional[StrictInt] = Field(default=None, ge=0)
    size: Optional[StrictInt] = Field(default=None, ge=0)
    error: Optional[StrictStr] = None


class SystemState(_Data):
    """The system a kiosk runs (its version and slot) and its update."""
    version: Optional[StrictStr] = None
    slot: Optional[StrictStr] = None
    update: Optional[UpdateState] = None


class FaultCount(_Data):
    kind: StrictStr
    count: StrictInt = Field(ge=1)


_Seconds = Optional[Union[StrictInt, StrictFloat]]


class HeartbeatData(_Data):
    """The health summary of ``kiosk/heartbeat.py``.  Every member may be missing (an older kiosk sends
    fewer); the ones the kiosk list shows must have their type, or the page would show nonsense."""

    version: Optional[StrictStr] = None
    uptime_s: _Seconds = Field(default=None, ge=0)
    boot_uptime_s: _Seconds = Field(default=None, ge=0)
    clock_synced: Optional[StrictBool] = None
    backlog: Optional[StrictInt] = Field(default=None, ge=0)
    parked: Optional[StrictInt] = Field(default=None, ge=0)
    printer: Optional[_State] = None
    gpio: Optional[_State] = None
    faults: Optional[List[FaultCount]] = None
    ticketing_paused: Optional[StrictBool] = None
    system: Optional[SystemState] = None


DATA_MODELS = {"rating": RatingData, "rating_reason": ReasonData, "ticket": TicketData,
               "form_view": FormData, "form_slip": FormData, "heartbeat": HeartbeatData}


# -- one event, the envelope --------------------------------------------------------------------

class EventIn(BaseModel):
    """One event as uploaded; ``id`` canonical, ``at`` in office time (text)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str
    type: str
    seq: StrictInt = Field(ge=0, le=INT64_MAX)
    at: str
    clock_synced: StrictBool
    data: Dict[str, Any]
    boot_id: Optional[StrictStr] = Field(default=None, max_length=64)
    monotonic: Optional[Union[StrictInt, StrictFloat]] = None

    @field_validator("id", mode="before")
    @classmethod
    def _check_id(cls, value):
        return _uuid(value)

    @field_validator("type", mode="before")
    @classmethod
    def _check_type(cls, value):
        if value not in EVENT_TYPES:
            raise _fail(f"unknown event type {_shown(value)}; known: {', '.join(EVENT_TYPES)}")
        return value

    @field_validator("at", mode="before")
    @classmethod
    def _check_at(cls, value):
        if not isinstance(value, str):
            raise _fail(f"must be an RFC 3339 time as text, got {type(value).__name__}")
        try:
            moment = parse_rfc3339(value)
        except ValueError as exc:
            raise _fail(str(exc)) from None
        # Compared before astimezone: year 1 or 9999 with an offset would overflow it.
        if not EARLIEST <= moment < LATEST:
            raise _fail(f"{value!r} is outside {EARLIEST.year}-{LATEST.year - 1}: a kiosk's clock is never that far off")
        return rfc3339(moment.astimezone(TAIPEI))

    @model_validator(mode="after")
    def _not_in_the_future(self, info):
        now = (info.context or {}).get("now")
        if now is not None and self.moment > now + FUTURE_SLACK:
            raise _fail(f"at: {self.at} is more than {FUTURE_SLACK.days} day after the server's clock "
                        f"({rfc3339(now.astimezone(TAIPEI))}): the kiosk's clock is wrong")
        return self

    @model_validator(mode="after")
    def _check_data(self):
        model = DATA_MODELS.get(self.type)
        if model is not None:
            try:
                model.model_validate(self.data)
            except ValidationError as exc:
                raise _fail(f"{self.type} event: " + describe(exc, prefix="data")) from None
        return self

    @property
    def moment(self) -> datetime:
        """``at`` as a datetime in Asia/Taipei."""
        return parse_rfc3339(self.at)

    def details(self) -> _Data:
        """``data`` read by the model of its type (a rating's score...); plain for other types."""
        return DATA_MODELS.get(self.type, _Data).model_validate(self.data)


class Batch(BaseModel):
    """A request body: the envelope only, each event is checked by :func:`parse_events`."""

    kiosk_id: StrictStr
    events: List[Any]


class NumberRequest(BaseModel):
    """``POST /api/v1/numbers``: a kiosk asks for the next office number of a service (office/numbering.py)."""

    kiosk_id: StrictStr
    request_id: str
    service: StrictStr
    at: str
    daily_limit: StrictInt = Field(default=0, ge=0, le=9999)

    @field_validator("request_id", mode="before")
    @classmethod
    def _check_request_id(cls, value):
        return _uuid(value)

    @field_validator("service")
    @classmethod
    def _check_service(cls, value):
        return TicketData._check_service(value)

    @field_validator("at", mode="before")
    @classmethod
    def _check_at(cls, value):
        return EventIn._check_at(value)

    @model_validator(mode="after")
    def _about_now(self, info):
        now = (info.context or {}).get("now")
        if now is not None and abs(self.moment - now) > FUTURE_SLACK:
            raise _fail(f"at: {self.at} is more than {FUTURE_SLACK.days} day from the server's clock "
                        f"({rfc3339(now.astimezone(TAIPEI))}): a number is taken now; the kiosk's clock is wrong")
        return self

    @property
    def moment(self) -> datetime:
        return parse_rfc3339(self.at)


class CheckInRequest(NumberRequest):
    """``POST /api/v1/appointments/check-in``: a number request with the code typed on the keypad
    (office/appointments.py); ``service`` is the kiosk's check-in service (F)."""

    code: StrictStr = Field(min_length=1, max_length=16)


class Rejection(NamedTuple):
    id: Optional[str]
    error: str


def _json_name(value: Any) -> str:
    names = {list: "an array", str: "a string", bool: "true/false", int: "a number", float: "a number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def describe(exc: ValidationError, prefix: str = "") -> str:
    """A ValidationError as one line: ``field: problem; other.field: problem``."""
    parts = []
    for error in exc.errors():
        loc = ".".join(str(p) for p in ((prefix,) if prefix else ()) + tuple(error["loc"]))
        message = error["msg"]
        if error["type"] == "missing":
            message = "missing"
        elif error["type"] in ("dict_type", "model_type"):
            message = f"must be a JSON object, got {_json_name(error['input'])}"
        parts.append(f"{loc}: {message}" if loc else message)
    return "; ".join(parts)


def _text_problem(text: str) -> Optional[str]:
    if "\x00" in text:
        return "holds a NUL character (\\u0000), which the database cannot store"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"holds a lone surrogate ({text[exc.start]!r}), which is not text UTF-8 can carry"
    return None


def unstorable(value: Any, path: str = "", depth: int = 0) -> Optional[str]:
    """Why the JSON value ``value`` cannot be stored as it is, naming where (``data.lang: holds …``); None if it can.

    Strings (object keys too) must be UTF-8-encodable and free of NUL, numbers finite and whole numbers within
    64 bits, nesting at most :data:`MAX_DEPTH` deep.
    """
    where = f"{path}: " if path else ""
    if isinstance(value, str):
        problem = _text_problem(value)
        return where + problem if problem else None
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return None if -INT64_MAX - 1 <= value <= INT64_MAX else where + "is a whole number beyond 64 bits"
    if isinstance(value, float):
        return None if math.isfinite(value) else where + "is a number too large to store"
    if isinstance(value, (dict, list)):
        if depth >= MAX_DEPTH:
            return where + f"is nested deeper than {MAX_DEPTH} levels"
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            if isinstance(key, str):
                problem = _text_problem(key)
                if problem:
                    return f"{path + ': ' if path else ''}a member's name {problem}"
            found = unstorable(item, f"{path}.{key}" if path else str(key), depth + 1)
            if found:
                return found
    return None


def parse_events(raw_events: List[Any], now: Optional[datetime] = None
                 ) -> Tuple[List[Tuple[str, EventIn]], List[Rejection]]:
    """The valid events (each with its id as sent) and a rejection for every bad one.

    ``now``: the server's clock (aware); an event more than :data:`FUTURE_SLACK` after it is rejected.
    """
    valid, rejected = [], []
    for raw in raw_events:
        sent_id = raw.get("id") if isinstance(raw, dict) and isinstance(raw.get("id"), str) else None
        if sent_id is not None and _text_problem(sent_id):
            sent_id = None  # it could not be answered or logged as it is; the rejection below names it
        if not isinstance(raw, dict):
            rejected.append(Rejection(None, f"an event must be a JSON object, got {_json_name(raw)}"))
            continue
        problem = unstorable({key: raw[key] for key in EventIn.model_fields if key in raw})  # others are ignored
        if problem:
            rejected.append(Rejection(sent_id, problem))
            continue
        try:
            valid.append((sent_id, EventIn.model_validate(raw, context={"now": now})))
        except ValidationError as exc:
            rejected.append(Rejection(sent_id, describe(exc)))
    return valid, rejected

import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from protocol.events import EVENT_TYPES
from kiosk.events import Event


def test_new_event_is_stamped_in_office_time(monkeypatch):
    monkeypatch.setenv("KIOSK_CLOCK_SYNCED", "1")
    event = Event.new("rating", {"score": 1})
    assert uuid.UUID(event.id).version == 4
    assert event.at.endswith("+08:00")
    assert abs(datetime.fromisoformat(event.at) - datetime.now(timezone.utc)) < timedelta(minutes=1)
    assert event.clock_synced is True
    assert event.seq is None
    assert event.data == {"score": 1}


def test_clock_synced_is_taken_from_the_machine(monkeypatch):
    monkeypatch.setenv("KIOSK_CLOCK_SYNCED", "0")
    assert Event.new("heartbeat").clock_synced is False


def test_given_time_is_converted_to_rfc3339():
    at = datetime(2026, 11, 27, 1, 30, tzinfo=timezone.utc)
    assert Event.new("ticket", {}, at=at.astimezone(timezone(timedelta(hours=8)))).at == "2026-11-27T09:30:00.000+08:00"


def test_ids_are_unique():
    assert len({Event.new("heartbeat").id for _ in range(100)}) == 100


def test_unknown_type_is_refused_by_name():
    with pytest.raises(ValueError, match="'ratings'.*known: rating, rating_reason, ticket"):
        Event.new("ratings", {})


@pytest.mark.parametrize("data", [{"when": datetime.now()}, {"x": float("nan")}, ["not", "a", "dict"]])
def test_data_must_be_a_json_object(data):
    with pytest.raises(ValueError, match="event data must be"):
        Event.new("admin", data)


def test_data_is_what_json_gives_back():
    assert Event.new("form_view", {"pages": (1, 2), 3: "x"}).data == {"pages": [1, 2], "3": "x"}


@pytest.mark.parametrize("type", EVENT_TYPES)
def test_to_json_matches_the_upload_protocol(type):
    event = Event.new(type, {"kind": "test", "text": "滿意"})
    payload = event.to_json()
    assert payload == {"id": event.id, "type": type, "seq": None, "at": event.at,
                       "clock_synced": event.clock_synced, "data": {"kind": "test", "text": "滿意"}}
    assert json.loads(json.dumps(payload)) == payload

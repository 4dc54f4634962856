import os
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from kiosk import store as store_module
from kiosk.errors import StoreError
from protocol.events import EVENT_TYPES
from kiosk.store import DB_NAME, MIGRATIONS, Store

REPO = Path(__file__).resolve().parent.parent


def pragma(store, name):
    return store.read(lambda c: c.execute(f"PRAGMA {name}").fetchone()[0])


def count(store, table):
    return store.read(lambda c: c.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def corrupt_files(data_dir):
    return sorted(p.name for p in Path(data_dir).iterdir() if ".corrupt-" in p.name)


def test_fresh_database_is_wal_full_and_current(tmp_path):
    with Store.open(tmp_path / "data") as store:
        assert store.path == tmp_path / "data" / DB_NAME
        assert store.path.is_file()
        assert pragma(store, "journal_mode") == "wal"
        assert pragma(store, "synchronous") == 2  # FULL
        assert pragma(store, "foreign_keys") == 1
        assert store.schema_version == len(MIGRATIONS) == pragma(store, "user_version")
        assert store.events() == []


def test_synchronous_is_full_whatever_the_sqlite_default(tmp_path, monkeypatch):
    # Debian's SQLite already defaults to FULL; start from OFF to see the store set it.
    connect = store_module._connect

    def lax_connect(path):
        conn = connect(path)
        conn.execute("PRAGMA synchronous = OFF")
        return conn

    monkeypatch.setattr(store_module, "_connect", lax_connect)
    with Store.open(tmp_path) as store:
        assert pragma(store, "synchronous") == 2


def test_events_survive_reopening_in_seq_order(tmp_path):
    with Store.open(tmp_path) as store:
        first = store.record_event("rating", {"score": 1})
        second = store.record_event("ticket", {"number": 7})
    assert first.seq < second.seq
    with Store.open(tmp_path) as store:
        third = store.record_event("heartbeat")
        assert store.events() == [first, second, third]
        assert second.seq < third.seq
        assert store.events(since_seq=first.seq) == [second, third]
        assert store.events(limit=1) == [first]


@pytest.mark.parametrize("type", EVENT_TYPES)
def test_every_event_type_round_trips(tmp_path, type):
    with Store.open(tmp_path) as store:
        event = store.record_event(type, {"text": "謝謝", "n": [1, 2]})
        assert store.events() == [event]
        assert event.to_json()["seq"] == event.seq


def test_bad_event_is_refused_and_not_stored(tmp_path):
    with Store.open(tmp_path) as store:
        with pytest.raises(ValueError, match="'nonsense'"):
            store.record_event("nonsense", {})
        with pytest.raises(ValueError, match="JSON"):
            store.record_event("rating", {"at": object()})
        assert count(store, "events") == 0


def test_failed_write_keeps_nothing(tmp_path):
    with Store.open(tmp_path) as store:
        def fn(conn):
            conn.execute("INSERT INTO meta VALUES ('a', '1')")
            store.record_event("rating", {"score": 3}, conn=conn)
            raise RuntimeError("printer jammed")

        with pytest.raises(RuntimeError, match="printer jammed"):
            store.write(fn)
        assert count(store, "meta") == 0
        assert count(store, "events") == 0
        # The connection is usable again afterwards.
        store.set_meta("a", "2")
        assert store.get_meta("a") == "2"


def test_event_is_written_with_the_callers_rows(tmp_path):
    with Store.open(tmp_path) as store:
        def fn(conn):
            conn.execute("INSERT INTO meta VALUES ('last_rating', '1')")
            return store.record_event("rating", {"score": 1}, conn=conn)

        event = store.write(fn)
    with Store.open(tmp_path) as store:
        assert store.get_meta("last_rating") == "1"
        assert store.events() == [event]


def test_nested_write_joins_the_outer_transaction(tmp_path):
    with Store.open(tmp_path) as store:
        def fn(conn):
            store.record_event("ticket", {"number": 1})  # no conn given: must not deadlock
            raise RuntimeError("cancel")

        with pytest.raises(RuntimeError):
            store.write(fn)
        assert store.events() == []


def test_writes_from_many_threads(tmp_path):
    with Store.open(tmp_path) as store:
        threads = [threading.Thread(target=lambda: [store.record_event("heartbeat") for _ in range(20)])
                   for _ in range(5)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        seqs = [e.seq for e in store.events()]
        assert len(seqs) == 100 == len(set(seqs))


def test_pending_and_mark_delivered(tmp_path):
    with Store.open(tmp_path) as store:
        a, b, c = (store.record_event("rating", {"score": n}) for n in (1, 2, 3))
        assert store.pending_events() == [a, b, c]
        assert store.pending_events(limit=2) == [a, b]
        assert store.mark_delivered([a.id, b.id], at="2026-11-27T09:30:00.000+08:00") == 2
        assert store.mark_delivered([a.id, "no-such-id"]) == 0  # already delivered: kept as it was
        assert store.mark_delivered([]) == 0
    with Store.open(tmp_path) as store:
        assert store.pending_events() == [c]
        delivered = store.read(lambda conn: conn.execute("SELECT delivered_at FROM events WHERE id = ?",
                                                         (a.id,)).fetchone()[0])
        assert delivered == "2026-11-27T09:30:00.000+08:00"


def test_meta_survives_restarts(tmp_path):
    with Store.open(tmp_path) as store:
        assert store.get_meta("boot_count") is None
        assert store.get_meta("boot_count", "0") == "0"
        store.set_meta("boot_count", "1")
        store.set_meta("boot_count", "2")
        with pytest.raises(TypeError, match="boot_count"):
            store.set_meta("boot_count", 3)
    with Store.open(tmp_path) as store:
        assert store.get_meta("boot_count") == "2"


def test_close_is_idempotent_and_final(tmp_path):
    store = Store.open(tmp_path)
    store.close()
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.record_event("heartbeat")


# -- migrations ------------------------------------------------------------------------------------

def test_version_0_database_is_migrated(tmp_path):
    conn = sqlite3.connect(tmp_path / DB_NAME)
    conn.execute("CREATE TABLE leftover (x)")  # a v0 file that is not empty
    conn.commit()
    conn.close()
    with Store.open(tmp_path) as store:
        assert store.schema_version == len(MIGRATIONS)
        assert store.record_event("heartbeat").seq == 1


def test_only_missing_migrations_run_and_data_is_kept(tmp_path, monkeypatch):
    with Store.open(tmp_path) as store:
        old = store.record_event("rating", {"score": 2})
    # A later release appends a migration; running v1 again would fail ("table events already exists").
    monkeypatch.setattr(store_module, "MIGRATIONS", MIGRATIONS + [
        "CREATE TABLE later_feature (seq INTEGER PRIMARY KEY, score INTEGER NOT NULL);"
        "INSERT INTO meta VALUES ('migrated', 'v2');"
    ])
    with Store.open(tmp_path) as store:
        assert store.schema_version == len(MIGRATIONS) + 1
        assert store.events() == [old]
        assert store.get_meta("migrated") == "v2"
        assert count(store, "later_feature") == 0


def test_failed_migration_changes_nothing(tmp_path, monkeypatch):
    with Store.open(tmp_path) as store:
        store.record_event("rating", {"score": 2})
    monkeypatch.setattr(store_module, "MIGRATIONS", MIGRATIONS + [
        "CREATE TABLE half (x); INSERT INTO no_such_table VALUES (1);"
    ])
    with pytest.raises(StoreError, match=f"migration {len(MIGRATIONS)} -> {len(MIGRATIONS) + 1} .*no such table"):
        Store.open(tmp_path)
    monkeypatch.setattr(store_module, "MIGRATIONS", MIGRATIONS)
    with Store.open(tmp_path) as store:
        assert store.schema_version == len(MIGRATIONS)
        assert store.read(lambda c: c.execute("SELECT name FROM sqlite_master WHERE name = 'half'").fetchall()) == []
        assert count(store, "events") == 1
    assert corrupt_files(tmp_path) == []


def test_newer_database_is_refused_and_left_alone(tmp_path):
    newer = len(MIGRATIONS) + 3
    conn = sqlite3.connect(tmp_path / DB_NAME)
    conn.execute("CREATE TABLE future (x)")
    conn.execute(f"PRAGMA user_version = {newer}")
    conn.commit()
    conn.close()
    before = (tmp_path / DB_NAME).read_bytes()
    with pytest.raises(StoreError) as info:
        Store.open(tmp_path)
    message = str(info.value)
    assert f"version {newer}" in message and f"up to {len(MIGRATIONS)}" in message
    assert str(tmp_path / DB_NAME) in message
    assert (tmp_path / DB_NAME).read_bytes() == before
    assert corrupt_files(tmp_path) == []


# -- corruption ------------------------------------------------------------------------------------

def assert_recovered(data_dir, original_bytes, caplog):
    """Open a store over a bad file; check it was moved aside and the fault recorded."""
    with Store.open(data_dir) as store:
        moved = [name for name in corrupt_files(data_dir) if not name.endswith("-wal")]  # its WAL goes with it
        assert len(moved) == 1 and moved[0].startswith(f"{DB_NAME}.corrupt-")
        assert (Path(data_dir) / moved[0]).read_bytes() == original_bytes
        *recovered, fault = store.events()  # what could still be read from it comes first
        assert fault.type == "fault"
        assert fault.data["kind"] == "database_corrupt"
        assert fault.data["moved_to"] == moved[0]
        assert fault.data["error"]
        assert fault.data["recovered_events"] == len(recovered)
        assert store.schema_version == len(MIGRATIONS)
        store.record_event("rating", {"score": 1})
        assert count(store, "events") == len(recovered) + 2
    assert any(r.name == "kiosk.store" and r.levelname == "WARNING" and moved[0] in r.getMessage()
               for r in caplog.records)
    return fault


def test_garbage_file_is_moved_aside(tmp_path, caplog):
    garbage = b"this is not a database\n" * 200
    (tmp_path / DB_NAME).write_bytes(garbage)
    (tmp_path / f"{DB_NAME}-wal").write_bytes(b"stale wal")  # must not disturb the new database
    fault = assert_recovered(tmp_path, garbage, caplog)
    assert "not a database" in fault.data["error"]


def test_damaged_page_is_moved_aside(tmp_path, caplog):
    with Store.open(tmp_path) as store:
        store.write(lambda c: [store.record_event("rating", {"score": n % 3, "pad": "x" * 200}, conn=c)
                               for n in range(200)])
    path = tmp_path / DB_NAME
    assert not (tmp_path / f"{DB_NAME}-wal").exists()  # all of it is in the main file
    page_size = 4096
    data = bytearray(path.read_bytes())
    assert len(data) > 4 * page_size
    data[page_size:page_size + 512] = b"\xa5" * 512  # page 2: the events table's root
    path.write_bytes(bytes(data))
    assert_recovered(tmp_path, bytes(data), caplog)


def test_failed_integrity_check_is_moved_aside(tmp_path, caplog):
    with Store.open(tmp_path) as store:
        event = store.record_event("rating", {"score": 1})
    path = tmp_path / DB_NAME
    data = bytearray(path.read_bytes())
    # Change the id in one of its two copies (row or index): every page still
    # reads, but the table and its UNIQUE index disagree.
    where = data.find(event.id.encode())
    data[where] = ord("x") if data[where] != ord("x") else ord("y")
    path.write_bytes(bytes(data))
    fault = assert_recovered(tmp_path, bytes(data), caplog)
    assert fault.data["error"].startswith("integrity check: ") and "index" in fault.data["error"]
    with Store.open(tmp_path) as store:  # the event itself still reads (as the table has it): it waits for the office
        recovered = store.pending_events()[0]
        assert (recovered.type, recovered.data, recovered.at) == ("rating", {"score": 1}, event.at)


def test_two_corrupt_files_in_a_row(tmp_path):
    for attempt in (1, 2):
        (tmp_path / DB_NAME).write_bytes(b"\x00garbage" * 600)
        with Store.open(tmp_path) as store:
            assert [e.data["kind"] for e in store.events()] == ["database_corrupt"]
        assert len(corrupt_files(tmp_path)) == attempt  # the first one was not overwritten


def test_locked_database_is_not_mistaken_for_corrupt(tmp_path, monkeypatch):
    Store.open(tmp_path).close()
    other = sqlite3.connect(tmp_path / DB_NAME, isolation_level=None)
    other.execute("PRAGMA locking_mode = EXCLUSIVE")
    other.execute("BEGIN EXCLUSIVE")
    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_MS", 100)
    try:
        with pytest.raises(StoreError, match="cannot open .*locked"):
            Store.open(tmp_path)
    finally:
        other.close()
    assert corrupt_files(tmp_path) == []


# -- the disk ---------------------------------------------------------------------------------------

CHILD = """
import os, signal, sys
from kiosk.store import Store
store = Store.open(sys.argv[1])
event = store.record_event("rating", {"score": 1})
print(event.id, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_event_survives_sigkill_right_after_record(tmp_path):
    child = subprocess.run([sys.executable, "-c", CHILD, str(tmp_path)], cwd=REPO,
                           capture_output=True, text=True, timeout=60)
    assert child.returncode == -signal.SIGKILL, child.stderr
    event_id = child.stdout.strip()
    assert (tmp_path / f"{DB_NAME}-wal").exists()  # never closed: the event is only in the WAL
    with Store.open(tmp_path) as store:
        assert [e.id for e in store.events()] == [event_id]
    assert corrupt_files(tmp_path) == []


def test_data_dir_under_a_file_is_refused_by_name(tmp_path):
    (tmp_path / "afile").write_text("not a directory")
    data_dir = tmp_path / "afile" / "sub"
    with pytest.raises(StoreError, match=f"{data_dir}.*Not a directory"):
        Store.open(data_dir)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only directories anyway")
def test_read_only_data_dir_is_refused_by_name(tmp_path):
    data_dir = tmp_path / "ro"
    data_dir.mkdir()
    data_dir.chmod(0o500)
    try:
        with pytest.raises(StoreError, match=f"{data_dir}.*permission denied"):
            Store.open(data_dir)
    finally:
        data_dir.chmod(0o700)

"""Logging as a technician reads it: fields in the journal, no secrets, no floods (kiosk/logs.py)."""

import logging
import os
import socket

from kiosk.logs import JournalHandler, RepeatFilter, SecretFilter, under_journal

TOKEN = "tok-7f3a9c-secret"


class Clock:
    def __init__(self):
        self.t = 100.0

    def __call__(self):
        return self.t


def logger_with(*filters):
    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            try:
                records.append(self.format(record))
            except Exception:  # as logging's own handlers do
                self.handleError(record)

    handler = Keep()
    for f in filters:
        handler.addFilter(f)
    log = logging.getLogger(f"test-logs-{id(records)}")
    log.propagate = False
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    return log, records


def test_a_secret_never_reaches_the_log_not_even_in_a_traceback():
    log, records = logger_with(SecretFilter([TOKEN, ""]))
    log.warning("upload refused for token %s", TOKEN)
    try:
        raise RuntimeError(f"bad header Authorization: Bearer {TOKEN}")
    except RuntimeError:
        log.exception("upload crashed")
    assert TOKEN not in "\n".join(records)
    assert "token ***" in records[0] and "Bearer ***" in records[1]


def test_a_repeating_fault_is_logged_a_few_times_then_counted():
    clock = Clock()
    log, records = logger_with(RepeatFilter(burst=3, window=60, clock=clock))
    for _ in range(200):  # a printer out of paper, asked twice a second for 100 s
        log.warning("printer %s: out of paper", "/dev/serial0")
        clock.t += 0.5
    # three per 60-s window; the first of the next window says how many were held back
    assert len(records) == 3 + 3
    assert records[3] == "printer /dev/serial0: out of paper (117 more like this held back in the last 60 s)"
    log.warning("another problem")
    assert records[-1] == "another problem"


def test_records_reach_the_journal_with_fields_a_technician_can_filter_on(tmp_path):
    path = str(tmp_path / "journal.socket")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(path)
    handler = JournalHandler(fields={"KIOSK_ID": "ERLIN-01"}, path=path)
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    log = logging.getLogger("kiosk.upload")
    log.addHandler(handler)
    try:
        log.error("cannot reach the office server:\nConnectionError", extra={"fields": {"kiosk_fault": "upload"}})
        data = server.recv(65536)
    finally:
        log.removeHandler(handler)
        handler.close()
        server.close()
    assert b"PRIORITY=3\n" in data and b"SYSLOG_IDENTIFIER=kiosk\n" in data and b"KIOSK_ID=ERLIN-01\n" in data
    assert b"KIOSK_LOGGER=kiosk.upload\n" in data and b"KIOSK_FAULT=upload\n" in data
    message = "kiosk.upload: cannot reach the office server:\nConnectionError".encode()
    assert b"MESSAGE\n" + len(message).to_bytes(8, "little") + message + b"\n" in data  # the newline form


def test_the_journal_is_used_only_when_systemd_connected_our_stderr(tmp_path):
    with open(tmp_path / "stderr", "w") as stream:
        info = os.fstat(stream.fileno())
        assert under_journal({"JOURNAL_STREAM": f"{info.st_dev}:{info.st_ino}"}, stream)
        assert not under_journal({"JOURNAL_STREAM": f"{info.st_dev}:{info.st_ino + 1}"}, stream)
        assert not under_journal({}, stream)


def test_once_the_config_is_loaded_its_token_cannot_be_logged(capsys):
    from kiosk.config import Config, defaults
    from kiosk.logs import hide_secrets_of, setup

    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        setup()
        values = defaults()
        values["server"].update(url="https://office.example/", token=TOKEN)
        hide_secrets_of(Config(values))
        logging.getLogger("kiosk.upload").warning("office said: invalid token %s", TOKEN)
        err = capsys.readouterr().err
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])
    assert "kiosk.upload: office said: invalid token ***" in err and TOKEN not in err


def test_a_bad_format_string_does_not_break_the_caller():
    log, records = logger_with(SecretFilter([TOKEN]), RepeatFilter())
    logging.raiseExceptions = False  # as in production: a broken log line is reported, not raised
    try:
        log.warning("two values %s %s", "only one")  # a programming slip must not stop a rating
    finally:
        logging.raiseExceptions = True
    log.warning("next line")
    assert records[-1] == "next line"

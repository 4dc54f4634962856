"""The ``kiosk-office`` command as an administrator runs it, and its server as a kiosk reaches it.

The command runs as ``python -m office`` (the same ``office.cli:main`` the ``kiosk-office`` script calls).
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

from office.app import create_app
from office.cli import default_db_url, main
from office.db import Database
from protocol.announcements import read_answer

ROOT = Path(__file__).resolve().parent.parent


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def office(*args, env, timeout=60):
    return subprocess.run([sys.executable, "-m", "office", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture
def env(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "KIOSK_OFFICE_DB"}
    env["XDG_DATA_HOME"] = str(tmp_path / "xdg")
    return env


def wait_for_port(port, process, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"kiosk-office serve exited with {process.returncode}: {process.stderr.read()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"nothing listens on port {port} after {seconds} s")


def test_a_token_from_kiosk_add_works_against_the_served_server(tmp_path, env):
    db = f"sqlite:///{tmp_path / 'office.db'}"
    added = office("kiosk", "add", "ERLIN-01", "--db", db, env=env)
    assert added.returncode == 0, added.stderr
    token = added.stdout.strip()
    assert len(token) >= 43 and "\n" not in token
    assert "not shown again" in added.stderr

    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "office", "serve", "--db", db, "--port", str(port)], cwd=ROOT,
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for_port(port, server)
        base = f"http://127.0.0.1:{port}"
        one = {"id": str(uuid.uuid4()), "type": "rating", "seq": 1, "at": "2026-11-27T09:30:00.000+08:00",
               "clock_synced": True, "data": {"score": 3, "scale": 3, "choice": "smile"}}
        headers = {"Authorization": f"Bearer {token}"}
        response = requests.post(f"{base}/api/v1/events", json={"kiosk_id": "ERLIN-01", "events": [one]},
                                 headers=headers, timeout=10)
        assert response.status_code == 200
        assert response.json() == {"accepted": [one["id"]], "duplicates": [], "rejected": []}
        assert requests.post(f"{base}/api/v1/events", json={"kiosk_id": "ERLIN-01", "events": [one]},
                             headers={"Authorization": "Bearer wrong"}, timeout=10).status_code == 401
        config = requests.get(f"{base}/api/v1/kiosks/ERLIN-01/config", headers=headers, timeout=10)
        assert config.status_code == 200 and config.headers["ETag"]
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            out, err = server.communicate(timeout=20)
        except subprocess.TimeoutExpired:  # pragma: no cover - only when the graceful stop is broken
            server.kill()
            out, err = server.communicate()
    assert server.returncode == 0, err  # SIGTERM stops it cleanly
    assert f"http://127.0.0.1:{port}/" in err
    assert token not in out + err  # the token is never logged

    listed = office("kiosk", "list", "--db", db, env=env)
    [line] = listed.stdout.splitlines()
    kiosk, contact, events = line.split("\t")
    assert (kiosk, events) == ("ERLIN-01", "1") and contact.startswith("20")


def test_adding_a_kiosk_again_replaces_its_token(tmp_path, capsys):
    db = f"sqlite:///{tmp_path / 'office.db'}"
    assert main(["kiosk", "add", "ERLIN-01", "--db", db]) == 0
    first = capsys.readouterr().out.strip()
    assert main(["kiosk", "add", "ERLIN-01", "--db", db]) == 0
    captured = capsys.readouterr()
    second = captured.out.strip()
    assert first != second and "old one no longer works" in captured.err
    with Database(db) as database:
        assert database.kiosk_for_token(first) is None
        assert database.kiosk_for_token(second) == "ERLIN-01"
        assert [k["id"] for k in database.kiosks()] == ["ERLIN-01"]


def test_a_bad_kiosk_id_is_refused(tmp_path, capsys):
    assert main(["kiosk", "add", "ERLIN 01", "--db", str(tmp_path / "office.db")]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "1-32 letters" in captured.err


def test_kiosk_list_says_never_before_any_contact(tmp_path, capsys):
    db = str(tmp_path / "office.db")  # a plain path is a SQLite file
    main(["kiosk", "add", "ERLIN-02", "--db", db])
    main(["kiosk", "add", "ERLIN-01", "--db", db])
    capsys.readouterr()
    assert main(["kiosk", "list", "--db", db]) == 0
    assert capsys.readouterr().out == "ERLIN-01\tnever\t0\nERLIN-02\tnever\t0\n"


def test_the_default_database_lives_under_xdg_data_home(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("KIOSK_OFFICE_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert default_db_url() == f"sqlite:///{tmp_path / 'data' / 'kiosk-office' / 'office.db'}"
    assert main(["kiosk", "add", "ERLIN-01"]) == 0
    assert (tmp_path / "data" / "kiosk-office" / "office.db").is_file()
    capsys.readouterr()
    monkeypatch.setenv("KIOSK_OFFICE_DB", str(tmp_path / "elsewhere.db"))
    assert main(["kiosk", "list"]) == 0
    assert capsys.readouterr().out == ""  # another, empty database
    assert (tmp_path / "elsewhere.db").is_file()


def test_config_set_checks_a_forms_file_as_the_kiosk_would(tmp_path, capsys):
    db = str(tmp_path / "office.db")
    good, broken = tmp_path / "good.toml", tmp_path / "broken.toml"
    good.write_text('remove = ["home-service"]\n', encoding="utf-8")
    broken.write_text('remove = ["no-such-form"]\noops =\n', encoding="utf-8")
    assert main(["config", "set", "--kiosk", "ERLIN-01", "--forms", str(broken), "--db", db]) == 2
    assert "problem" in capsys.readouterr().err
    with Database(f"sqlite:///{db}") as database:
        assert database.config_for("ERLIN-01")["forms"] is None
    # Office-wide, the forms are the office's list: the command says where to change it.
    assert main(["config", "set", "--forms", str(good), "--db", db]) == 2
    assert f"kiosk-office forms import {good}" in capsys.readouterr().err
    assert main(["config", "set", "--announcement", "今日下午停電", "--db", db]) == 0
    assert main(["config", "set", "--kiosk", "ERLIN-01", "--forms", str(good), "--announcement", "only here",
                 "--db", db]) == 0
    with Database(f"sqlite:///{db}") as database:
        assert database.config_for("ERLIN-01") == {"forms": 'remove = ["home-service"]\n',
                                                   "announcements": ["only here"], "announcements_en": [""],
                                                   "announcements_vi": [""], "announcements_id": [""],
                                                   "announcements_th": [""], "announcements_fil": [""]}
        assert database.config_for("ERLIN-02")["announcements"] == ["今日下午停電"]
    capsys.readouterr()
    assert main(["config", "show", "--db", db]) == 0
    assert "今日下午停電" in capsys.readouterr().out


def test_config_set_pairs_english_with_chinese_by_order_and_sets_the_office_name(tmp_path, capsys):
    db = str(tmp_path / "office.db")
    assert main(["config", "set", "--announcement", "今日下午停電", "--announcement", "請勿在大廳飲食",
                 "--announcement", "本所週六不上班", "--announcement-en", "Power cut this afternoon",
                 "--announcement-en", "", "--office-name", "彰化縣二林鎮戶政事務所", "--db", db]) == 0
    assert main(["config", "show", "--db", db]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["office_name"] == "彰化縣二林鎮戶政事務所"
    assert shown["announcements"] == ["今日下午停電", "請勿在大廳飲食", "本所週六不上班"]
    assert shown["announcements_en"] == ["Power cut this afternoon", "", ""]  # none: the Chinese, on the English screen

    # Announcements alone leave the office name as it is, and the name alone leaves the announcements.
    assert main(["config", "set", "--announcement", "請多包涵", "--db", db]) == 0
    assert main(["config", "set", "--office-name", "二林戶政", "--db", db]) == 0
    assert main(["config", "show", "--kiosk", "ERLIN-01", "--db", db]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert (shown["office_name"], shown["announcements"], shown["announcements_en"]) == ("二林戶政", ["請多包涵"], [""])


@pytest.mark.parametrize("args, says", [
    (["--announcement", "今日下午停電", "--announcement-en", "Power cut", "--announcement-en", "No food"],
     "--announcement-en 有 2 則，比 --announcement 的 1 則多"),
    (["--announcement", "今日下午停電", "--announcement", "請勿飲食", "--announcement-en", "", "--announcement-en",
      "x" * 201], "第 2 則的英文超過 200 字"),
    (["--announcement", "今日下午停電", "--announcement", "  "], "第 2 則是空白的"),
    (["--announcement", "今日下午停電\n請多包涵"], "第 1 則的中文不可換行"),
    (["--announcement", "今日下午停電", "--office-name", "二林" * 31], "機關名稱最多 60 字"),
    (["--office-name", "二林戶政", "--kiosk", "ERLIN-01"], "--office-name is the office's"),
    (["--no-announcements", "--announcement-en", "Power cut"], "goes with --announcement"),
], ids=["more-english", "english-too-long", "blank", "two-lines", "office-name-too-long", "office-name-per-kiosk",
        "english-without-chinese"])
def test_config_set_refuses_bad_announcements_and_names_naming_what_is_wrong(tmp_path, capsys, args, says):
    db = str(tmp_path / "office.db")
    assert main(["config", "set", "--announcement", "舊公告", "--announcement-en", "Old notice", "--db", db]) == 0
    assert main(["config", "set", *args, "--db", db]) == 2
    assert says in capsys.readouterr().err
    with Database(f"sqlite:///{db}") as database:  # nothing of a refused command is kept
        assert database.config_for("ERLIN-01")["announcements_en"] == ["Old notice"]
        assert database.office_name() == ""


def test_config_set_pairs_vietnamese_and_thai_with_chinese_and_a_kiosk_reads_them(tmp_path, env):
    db = f"sqlite:///{tmp_path / 'office.db'}"
    token = office("kiosk", "add", "ERLIN-01", "--db", db, env=env).stdout.strip()
    done = office("config", "set", "--announcement", "今日下午停電", "--announcement", "請勿在大廳飲食",
                  "--announcement-vi", "Chiều nay cúp điện", "--announcement-th", "", "--announcement-th",
                  "ห้ามรับประทานอาหารในล็อบบี้", "--announcement-en", "Power cut this afternoon", "--db", db, env=env)
    assert (done.returncode, done.stderr) == (0, "")

    # What the kiosk is sent, as it asks for it, and what it makes of it (its own check, protocol/announcements).
    answer = create_app(db).test_client().get("/api/v1/kiosks/ERLIN-01/config",
                                              headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    assert answer.json["announcements_vi"] == ["Chiều nay cúp điện", ""]  # the second shows in Chinese
    assert answer.json["announcements_th"] == ["", "ห้ามรับประทานอาหารในล็อบบี้"]
    assert read_answer(answer.json) == [
        {"zh-TW": "今日下午停電", "en": "Power cut this afternoon", "vi": "Chiều nay cúp điện"},
        {"zh-TW": "請勿在大廳飲食", "th": "ห้ามรับประทานอาหารในล็อบบี้"}]

    shown = office("config", "show", "--db", db, env=env)
    assert shown.returncode == 0
    shown = json.loads(shown.stdout)
    assert shown["announcements_vi"] == ["Chiều nay cúp điện", ""]
    assert shown["announcements_th"] == ["", "ห้ามรับประทานอาหารในล็อบบี้"]
    assert shown["announcements_id"] == shown["announcements_fil"] == ["", ""]

    # Every language has its option, named in the help.
    helped = office("config", "set", "--help", env=env).stdout
    assert all(f"--announcement-{lang}" in helped for lang in ("en", "vi", "id", "th", "fil"))


@pytest.mark.parametrize("args, says", [
    (["--announcement", "今日下午停電", "--announcement-th", "ไฟดับ", "--announcement-th", "งดอาหาร"],
     "--announcement-th 有 2 則，比 --announcement 的 1 則多"),
    (["--announcement-vi", "Cúp điện"], "--announcement-vi 有 1 則，比 --announcement 的 0 則多"),
    (["--announcement", "今日下午停電", "--announcement", "請勿飲食", "--announcement-vi", "",
      "--announcement-vi", "x" * 201], "第 2 則的越南文（Tiếng Việt）超過 200 字"),
    (["--announcement", "今日下午停電", "--announcement-fil", "Walang kuryente\nngayong hapon"],
     "第 1 則的菲律賓文（Filipino）不可換行"),
    (["--announcement", "  ", "--announcement-id", "Listrik padam"], "第 1 則沒有中文"),
    (["--no-announcements", "--announcement-th", "ไฟดับ"], "--announcement-th goes with --announcement"),
], ids=["more-thai", "vietnamese-without-chinese", "vietnamese-too-long", "filipino-two-lines",
        "indonesian-blank-chinese", "thai-with-no-announcements"])
def test_config_set_refuses_bad_texts_in_any_language_and_keeps_what_was_set(tmp_path, env, args, says):
    db = f"sqlite:///{tmp_path / 'office.db'}"
    assert office("config", "set", "--announcement", "舊公告", "--announcement-vi", "Thông báo cũ", "--db", db,
                  env=env).returncode == 0
    refused = office("config", "set", *args, "--db", db, env=env)
    assert refused.returncode == 2 and says in refused.stderr, refused.stderr
    with Database(db) as database:  # nothing of a refused command is kept
        kept = database.config_for("ERLIN-01")
        assert (kept["announcements"], kept["announcements_vi"]) == (["舊公告"], ["Thông báo cũ"])
        assert kept["announcements_th"] == [""]


def test_a_database_url_that_cannot_be_used_exits_2_without_its_password(capsys):
    assert main(["kiosk", "list", "--db", "nosuchdb://admin:s3cret@localhost/office"]) == 2
    err = capsys.readouterr().err
    assert "cannot use the database" in err and "s3cret" not in err

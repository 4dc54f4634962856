"""`kiosk selftest` as a technician runs it: one row per part, PASS / WARN / FAIL, exit 1 on a FAIL.

The simulated kiosk, a printer played on a pty (paper out, near end, switched off), the real office server
on 127.0.0.1 (token accepted, refused, unreachable), mock buttons pressed by typing their keys or from a
thread, a corrupt database, parked events, the test page read back by the emulator, and a real-mode display
read from a fake /sys and /proc tree.
"""

import io
import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from kiosk import cli
from kiosk.config import Config, defaults, load_config
from kiosk.selftest import FAIL, PASS, WARN, SelfTest
from kiosk.selftest.devices import check_button, check_buttons
from kiosk.selftest.network import check_network
from kiosk.selftest.system import check_outbox
from kiosk.store import DB_NAME, Store
from pty_printer import PtyPrinter

SIMULATED_ROWS = ["config", "display", "buttons", "leds", "printer", "network", "clock", "storage", "database",
                  "outbox", "services", "forms", "fonts"]

pytestmark = pytest.mark.usefixtures("fresh_simulated_printers")


def forms_override(folder, pages=0):
    """A ``[forms] file`` giving every shipped form the address of its file, except the first ``pages`` ones,
    which only open a web page listing forms (``url_is_page``); its path."""
    from kiosk.config import toml_value
    from protocol.forms_format import load_catalogue

    entries = []
    for index, form in enumerate(load_catalogue()[0].forms):
        page = index < pages
        url = "https://www.ris.gov.tw/app/portal/674" if page else f"https://www.ris.gov.tw/documents/{form.code}.pdf"
        entries.append("[[forms]]\n" + "".join(
            f"{key} = {toml_value(value)}\n" for key, value in (
                ("code", form.code), ("category", form.category), ("title", form.title), ("title_en", form.title_en),
                ("url", url), ("url_is_page", page))))
    path = Path(folder) / f"forms-{pages}-pages.toml"
    path.write_text("\n".join(entries), encoding="utf-8")
    return path


@pytest.fixture
def config(tmp_path):
    """A simulated kiosk whose forms all open their files (as issue 16 wants them)."""
    path = tmp_path / "kiosk.toml"
    path.write_text(f'[kiosk]\ndata_dir = "{tmp_path / "data"}"\n[forms]\nfile = "{forms_override(tmp_path)}"\n',
                    encoding="utf-8")
    return path


@pytest.fixture
def printer():
    p = PtyPrinter()
    yield p
    p.close()


def selftest(config, *args, flags=()):
    """``kiosk selftest`` in a process of its own, as a technician runs it."""
    env = {k: v for k, v in os.environ.items() if k != "KIOSK_CONFIG"}
    return subprocess.run([sys.executable, *flags, "-m", "kiosk.cli", "selftest", "--config", str(config), *args],
                          capture_output=True, text=True, timeout=60, env=env, stdin=subprocess.DEVNULL)


def main(capsys, *args):
    """``kiosk selftest`` through the same entry point, in this process: (exit code, stdout, stderr)."""
    code = cli.main(["selftest", *args])
    out, err = capsys.readouterr()
    return code, out, err


def rows(stdout):
    """``{name: (status, reason, advice)}`` from the text report."""
    found, last = {}, None
    for line in stdout.splitlines():
        status = line[:4]
        if status in (PASS, WARN, FAIL) and line[4:6] == "  ":
            name, _, reason = line[6:].partition("  ")
            last = name.strip()
            found[last] = (status, reason.strip(), "")
        elif line.strip().startswith("-> ") and last:
            found[last] = found[last][:2] + (line.strip()[3:],)
    return found


# -- the simulated kiosk -----------------------------------------------------------------------------------

def test_the_simulated_kiosk_passes_every_check_without_importing_kivy_and_json_says_the_same(config, capsys):
    result = selftest(config, flags=("-X", "importtime"))
    assert result.returncode == 0, result.stdout + result.stderr
    report = rows(result.stdout)
    assert list(report) == SIMULATED_ROWS
    assert {name: status for name, (status, _r, _a) in report.items()} == dict.fromkeys(SIMULATED_ROWS, PASS)
    assert "3 buttons (滿意 / 普通 / 不滿意) on mock pins 17, 27, 22" in report["buttons"][1]
    assert "sim://printer" in report["printer"][1]
    assert report["network"][1].startswith("no office server configured (uploads off)")
    assert "13 checks: 13 PASS, 0 WARN, 0 FAIL" in result.stdout.splitlines()[-1]
    imported = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in result.stderr.splitlines()
                if line.startswith("import time:")}
    assert "gpiozero" in imported and "kivy" not in imported

    code, out, _err = main(capsys, "--config", str(config), "--json")
    assert code == 0
    as_json = json.loads(out)
    assert as_json["ok"] is True and as_json["kiosk"] == "ERLIN-01"
    assert all(set(c) == {"name", "status", "reason", "advice"} for c in as_json["checks"])
    assert [(c["name"], c["status"]) for c in as_json["checks"]] == [(n, s) for n, (s, _r, _a) in report.items()]
    for check in as_json["checks"]:
        if check["name"] not in ("clock", "storage"):  # the time and the free space move on between the runs
            assert check["reason"] == report[check["name"]][1]


# -- the printer ---------------------------------------------------------------------------------------------

def test_a_printer_out_of_paper_is_a_fail_naming_the_paper(config, printer, capsys):
    printer.paper_out = True
    result = selftest(config, "--printer", printer.path)
    assert result.returncode == 1
    report = rows(result.stdout)
    status, reason, advice = report["printer"]
    assert status == FAIL and "out of paper" in reason and printer.path in reason
    assert advice == "load a new roll"
    assert [n for n, (s, _r, _a) in report.items() if s != PASS] == ["printer"]
    assert result.stdout.splitlines()[-1].endswith("1 FAIL -> FAILED")

    code, out, _err = main(capsys, "--config", str(config), "--printer", printer.path, "--json")
    json_report = json.loads(out)
    assert code == 1
    assert json_report["ok"] is False
    [row] = [c for c in json_report["checks"] if c["name"] == "printer"]
    assert row["status"] == FAIL and "out of paper" in row["reason"] and row["advice"] == "load a new roll"


def test_paper_near_end_is_a_warning_and_exit_0(config, printer, capsys):
    printer.paper_near_end = True
    code, out, _err = main(capsys, "--config", str(config), "--printer", printer.path)
    assert code == 0
    assert rows(out)["printer"] == (WARN, f"online, paper near end ({printer.path} @ 9600 baud)",
                                    "have a new roll ready")


def test_a_printer_that_does_not_answer_fails_and_no_test_page_is_tried(config, printer, capsys):
    printer.mute = True
    code, out, _err = main(capsys, "--config", str(config), "--printer", printer.path, "--test-page")
    assert code == 1
    report = rows(out)
    assert report["printer"][0] == FAIL and "no reply" in report["printer"][1]
    assert report["test page"][0] == FAIL and "not printed" in report["test page"][1]
    assert printer.received == b""


def test_the_test_page_carries_big5_the_office_name_and_a_qr_code_that_reads(config, capsys):
    from PIL import Image
    from pyzbar.pyzbar import decode

    from hardware.printer import SimulatedPrinter
    from hardware.printer.emulator import render
    from kiosk.fonts import font_files

    code, out, _err = main(capsys, "--config", str(config), "--test-page")
    assert code == 0, out
    assert rows(out)["test page"][0] == PASS
    received = SimulatedPrinter.get("printer").received  # status requests (DLE EOT n) before and after it
    data = received[received.index(b"\x1b@"):received.rindex(b"\x1dVB\x00") + 4]
    assert b"\x1c&" + "彰化縣二林戶政事務所".encode("cp950") + b"\x1c." in data
    assert "許功蓋".encode("cp950") in data  # each ends in byte 0x5C: the classic Big5 trap
    assert b"\x1d(k" in data
    paper = render(data, font_path=str(font_files()["regular"]))
    # no public URL: tickets carry no QR, and the page's QR still tests the printer's, saying so when scanned
    assert [c.data.decode() for c in decode(paper.convert("L"))] == [
        "kiosk ERLIN-01 self-test: no live-queue QR on tickets (server.public_url is not set)"]
    assert b"no live-queue QR on tickets" in data
    assert isinstance(paper, Image.Image) and paper.info["cuts"] == 1


def test_the_fonts_row_says_thai_is_drawn_and_fails_naming_the_package_where_the_thai_face_is_missing(
        config, capsys, tmp_path, monkeypatch):
    from kiosk import fonts

    _code, out, _err = main(capsys, "--config", str(config))
    status, reason, _advice = rows(out)["fonts"]
    assert status == PASS and "Noto Sans Thai" in reason and "HarfBuzz" in reason
    # a card built without fonts-noto-core, its Thai faces never copied beside the Chinese ones
    bare = tmp_path / "no-thai"
    bare.mkdir()
    for path in fonts.font_files().values():
        (bare / path.name).symlink_to(path)
    monkeypatch.setattr(fonts, "PACKAGE_FONT_DIR", bare)  # where the build put the fonts: the Chinese ones only
    monkeypatch.setattr(fonts, "FALLBACK_DIRS", (str(tmp_path / "usr-share-fonts"),))  # and no fonts-noto-core
    code, out, _err = main(capsys, "--config", str(config))
    status, reason, advice = rows(out)["fonts"]
    assert code == 1 and status == FAIL
    assert "NotoSansThai-Regular.ttf" in reason and "fonts-noto-core" in advice


@pytest.fixture
def office_morning():
    """The office clock stopped at 09:30 on 27 Nov 2026 (民國115年), Taipei, whatever the hour the test runs."""
    from datetime import datetime

    from protocol import officetime

    officetime.pin(datetime(2026, 11, 27, 9, 30, tzinfo=officetime.TAIPEI))
    yield
    officetime.pin(None)


def test_the_test_page_qr_is_a_tickets_live_queue_page_a_technician_can_open(tmp_path, capsys, office_morning):
    from pyzbar.pyzbar import decode

    from hardware.printer import SimulatedPrinter
    from hardware.printer.emulator import render
    from kiosk.fonts import font_files

    path = tmp_path / "kiosk.toml"
    path.write_text(f'[kiosk]\ndata_dir = "{tmp_path / "data"}"\nlanguage = "en"\n'
                    '[server]\npublic_url = "https://erlin-queue.example.gov.tw/"\n', encoding="utf-8")
    code, out, _err = main(capsys, "--config", str(path), "--test-page")
    assert rows(out)["test page"][0] == PASS, out
    url = "https://erlin-queue.example.gov.tw/q/2026-11-27/A000?lang=en"
    assert url in rows(out)["test page"][1]
    received = SimulatedPrinter.get("printer").received
    paper = render(received[received.index(b"\x1b@"):], font_path=str(font_files()["regular"]))
    assert [c.data.decode() for c in decode(paper.convert("L"))] == [url]
    assert url.encode() in received  # also printed under it, to compare with what the phone opens


# -- the network -----------------------------------------------------------------------------------------------

@pytest.fixture
def office(tmp_path):
    """The real office server (office/) on 127.0.0.1, with kiosk ERLIN-01 registered: (url, token)."""
    from werkzeug.serving import make_server

    from office.app import create_app
    from office.db import Database

    db = Database(f"sqlite:///{tmp_path / 'office.db'}")
    token = db.add_kiosk("ERLIN-01")
    server = make_server("127.0.0.1", 0, create_app(db), threaded=True)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/", token
    server.shutdown()
    server.server_close()
    db.close()


def server_config(tmp_path, url, token):
    path = tmp_path / "kiosk.toml"
    path.write_text(f'[kiosk]\ndata_dir = "{tmp_path / "data"}"\n[server]\nurl = "{url}"\ntoken = "{token}"\n',
                    encoding="utf-8")
    path.chmod(0o600)  # it holds the token
    return path


def test_the_office_server_accepts_the_token(tmp_path, office, capsys):
    url, token = office
    code, out, err = main(capsys, "--config", str(server_config(tmp_path, url, token)))
    assert code == 0, out
    status, reason, _advice = rows(out)["network"]
    assert status == PASS and f"office server {urlsplit(url).netloc} reachable" in reason
    assert "token accepted" in reason
    assert token not in out + err


def test_a_refused_token_fails_and_is_never_shown(tmp_path, office, capsys):
    url, _token = office
    wrong = "wrong-token-Zq83kL0pX2"
    code, out, err = main(capsys, "--config", str(server_config(tmp_path, url, wrong)), "--json")
    assert code == 1
    [row] = [c for c in json.loads(out)["checks"] if c["name"] == "network"]
    assert row["status"] == FAIL and "token was refused (HTTP 401" in row["reason"]
    assert "kiosk-office kiosk add ERLIN-01" in row["advice"]
    assert wrong not in out + err


def test_an_office_server_that_is_not_there_is_unreachable(tmp_path):
    from fake_office import free_port

    port = free_port()
    with SelfTest(load_config(str(server_config(tmp_path, f"http://127.0.0.1:{port}/", "some-token")))) as test:
        row = check_network(test)
    assert row.status == FAIL and row.reason.startswith(f"office server 127.0.0.1:{port} unreachable: ")
    assert "kiosk-office serve" in row.advice


# -- buttons ---------------------------------------------------------------------------------------------------

def test_interactive_presses_typed_as_the_simulated_keys_pass(config, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("1\n2\n3\n"))  # a technician rehearsing on a laptop
    code, out, _err = main(capsys, "--config", str(config), "--interactive", "--timeout", "5")
    assert code == 0, out
    assert "press 滿意 now" in out and "press 不滿意 now" in out
    report = rows(out)
    assert "buttons" not in report
    for number, label, pin in ((1, "滿意", 17), (2, "普通", 27), (3, "不滿意", 22)):
        status, reason, _advice = report[f"button {number}"]
        assert status == PASS and reason.startswith(f"{label} pressed on BCM pin {pin}")


def test_no_press_before_the_timeout_fails_naming_the_button_and_its_pin(config, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # nobody types
    code, out, _err = main(capsys, "--config", str(config), "--interactive", "--timeout", "0.1")
    assert code == 1
    status, reason, advice = rows(out)["button 1"]
    assert status == FAIL and reason == "滿意 (BCM pin 17): no press within 0.1 s"
    assert "check the wiring of BCM pin 17 (header pin 11)" in advice


@pytest.fixture
def simulated(tmp_path):
    values = defaults()
    values["kiosk"]["data_dir"] = str(tmp_path / "data")
    with SelfTest(Config(values), timeout=2) as test:
        yield test


def test_a_press_of_the_wrong_button_says_which_and_what_to_swap(simulated):
    simulated.prompt = lambda text: threading.Thread(target=simulated.hardware().press, args=(1,)).start()
    row = check_button(simulated, 0)
    assert row.status == FAIL and row.reason == "普通 (BCM pin 27) was pressed, not 滿意 (BCM pin 17)"
    assert "swap" in row.advice


def test_a_press_from_another_thread_passes(simulated):
    prompts = []

    def press(text):
        prompts.append(text)
        threading.Thread(target=simulated.hardware().press, args=(2,)).start()

    simulated.prompt = press
    row = check_button(simulated, 2)
    assert row.status == PASS and row.reason.startswith("不滿意 pressed on BCM pin 22")
    assert prompts[0].startswith("press 不滿意 now")


def test_a_button_held_down_is_a_fail(simulated):
    simulated.hardware().buttons.devices[2].pin.drive_low()
    row = check_buttons(simulated)
    assert row.status == FAIL and "不滿意 (BCM pin 22 (header pin 15))" in row.reason and "stuck" in row.advice
    simulated.hardware().buttons.devices[2].pin.drive_high()  # freed: gpiozero closes a held button slowly


# -- storage ---------------------------------------------------------------------------------------------------

def test_a_corrupt_database_fails_and_is_left_where_it_is(config, tmp_path, capsys):
    data = tmp_path / "data"
    with Store.open(data) as store:
        event = store.record_event("rating", {"score": 1})
    path = data / DB_NAME
    damaged = bytearray(path.read_bytes())
    where = damaged.find(event.id.encode())  # the row and its UNIQUE index now disagree
    damaged[where] = ord("x") if damaged[where] != ord("x") else ord("y")
    path.write_bytes(bytes(damaged))

    code, out, _err = main(capsys, "--config", str(config))
    assert code == 1
    report = rows(out)
    assert report["database"][0] == FAIL and "corrupt (integrity check" in report["database"][1]
    assert "copy it off" in report["database"][2]
    assert report["outbox"][0] == WARN and "not counted" in report["outbox"][1]
    assert path.read_bytes() == bytes(damaged) and sorted(p.name for p in data.iterdir()) == [DB_NAME]


def test_parked_events_are_a_warning(config, tmp_path):
    with Store.open(tmp_path / "data") as store:
        kept = store.record_event("rating", {"score": 3})
        refused = store.record_event("rating", {"score": 9})
        store.park([(refused.id, "data.score: must be 1-3")])
    assert kept.seq
    with SelfTest(load_config(str(config))) as test:
        row = check_outbox(test)
    assert row.status == WARN
    assert row.reason == "1 event waiting (uploads off: kept here); 1 event parked (refused by the office server, or not encodable)"
    assert "kiosk upload status" in row.advice


def test_a_server_that_echoes_the_token_still_never_gets_it_printed(tmp_path):
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Echo(BaseHTTPRequestHandler):
        def do_GET(self):
            body = json.dumps({"error": f"unknown token {self.headers['Authorization']}"}).encode()
            self.send_response(401)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        secret = "echoed-secret-token-5f2a"
        config = server_config(tmp_path, f"http://127.0.0.1:{server.server_port}/", secret)
        with SelfTest(load_config(str(config))) as test:
            row = test._scrubbed(check_network(test))
    finally:
        server.shutdown()
        server.server_close()
    assert row.status == FAIL and "unknown token Bearer ***" in row.reason
    assert secret not in row.reason + row.advice


# -- what residents' phones open (issue 16) ---------------------------------------------------------------------

def test_more_than_three_forms_that_only_open_a_web_page_are_a_warning_naming_them(tmp_path, capsys):
    from protocol.forms_format import load_catalogue

    titles = [form.title for form in load_catalogue()[0].forms]
    path = tmp_path / "kiosk.toml"
    for pages in (3, 4, 9):
        path.write_text(f'[kiosk]\ndata_dir = "{tmp_path / "data"}"\n'
                        f'[forms]\nfile = "{forms_override(tmp_path, pages)}"\n', encoding="utf-8")
        code, out, _err = main(capsys, "--config", str(path))
        assert code == 0, out
        status, reason, advice = rows(out)["forms"]
        if pages == 3:
            assert status == PASS and "web page" not in reason
            continue
        assert status == WARN
        assert f"{pages} of them only open a web page" in reason
        assert "、".join(titles[:3]) in reason and titles[3] not in reason  # the first few, not all of them
        assert "forms page (/forms)" in advice and "forms.file" in advice


def test_a_kiosk_server_url_without_a_public_url_is_a_warning_on_the_config_row(tmp_path, office, capsys):
    url, token = office  # the office server on 127.0.0.1, as `make run` or a LAN address would have it
    code, out, err = main(capsys, "--config", str(server_config(tmp_path, url, token)))
    assert code == 0, out
    report = rows(out)
    status, reason, advice = report["config"]
    assert status == WARN
    assert f"server.public_url is not set, so tickets carry no live-queue QR code (server.url {url}" in reason
    assert advice.startswith("set server.public_url to the address at which residents' phones reach the office")
    assert report["network"][0] == PASS
    assert token not in out + err

    code, out, _err = main(capsys, "--config", str(server_config(tmp_path, url, token)), "--json")
    [row] = [c for c in json.loads(out)["checks"] if c["name"] == "config"]
    assert (row["status"], row["advice"]) == (WARN, advice)


def test_a_public_url_on_the_office_network_is_a_warning_naming_it(tmp_path, office, capsys):
    url, token = office
    path = server_config(tmp_path, url, token)
    path.write_text(path.read_text() + 'public_url = "http://192.168.1.20:8080/"\n', encoding="utf-8")
    code, out, _err = main(capsys, "--config", str(path))
    assert code == 0
    status, reason, _advice = rows(out)["config"]
    assert status == WARN and "server.public_url 192.168.1.20 is a private address (RFC 1918)" in reason

    path.write_text(path.read_text().replace("http://192.168.1.20:8080/", "https://erlin-queue.example.gov.tw/"))
    code, out, _err = main(capsys, "--config", str(path))
    assert rows(out)["config"][0] == PASS

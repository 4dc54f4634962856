"""`kiosk ticket` and `kiosk printer` as a technician runs them, against a printer played on a pty."""

import os
import re
import subprocess
from datetime import timedelta

import pytest

from protocol import officetime
from office_clock import OfficeClock
from pty_printer import PtyPrinter

#: The kiosk processes' clock (tests/office_clock.py): the ticket's date is the same at any hour of the run.
CLOCK = OfficeClock()

QR_URL = "https://erlin.example/queue/{kiosk}/{number}"


@pytest.fixture
def printer():
    p = PtyPrinter()
    yield p
    p.close()


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "kiosk.toml"
    path.write_text(f'[kiosk]\ndata_dir = "{tmp_path / "data"}"\n[tickets]\nqr_url = "{QR_URL}"\n', encoding="utf-8")
    return path


def kiosk(config, *args, timeout=60):
    env = {k: v for k, v in os.environ.items() if k != "KIOSK_CONFIG"}
    return subprocess.run(CLOCK.command("-m", "kiosk.cli", *args, "--config", str(config)), capture_output=True,
                          text=True, timeout=timeout, env=CLOCK.env(env))


def test_ticket_print_writes_one_big5_ticket_with_a_native_qr(printer, config):
    result = kiosk(config, "ticket", "print", "A", "--printer", printer.path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "A001"
    data = bytes(printer.received)
    assert data.startswith(b"\x1b@")
    assert b"\x1c&" + "戶籍登記".encode("cp950") + b"\x1c." in data
    url = QR_URL.format(kiosk="ERLIN-01", number="A001").encode()
    store = b"\x1d(k" + bytes([(len(url) + 3) % 256, (len(url) + 3) // 256]) + b"\x31\x50\x30" + url
    assert store in data
    assert data.rstrip(b"\n").endswith(b"\x1dVB\x00")
    assert len(data) <= 1024, f"ticket is {len(data)} bytes"
    assert "前面還有 0 位".encode("cp950") in data
    assert officetime.roc_short(CLOCK.day()).encode() in data

    again = kiosk(config, "ticket", "print", "A", "--printer", printer.path)
    assert again.stdout.strip() == "A002"


def native_qr(url):
    """The ESC/POS bytes that store ``url`` as the printer's QR code (GS ( k, fn 80)."""
    url = url.encode()
    return b"\x1d(k" + bytes([(len(url) + 3) % 256, (len(url) + 3) // 256]) + b"\x31\x50\x30" + url


def office_days():
    """The kiosk's office day (its clock is the test's: midnight never passes while a test runs)."""
    return (CLOCK.day(),)


def given_slot(data_dir, slot=1):
    """A kiosk its office server gave ``slot`` on an earlier day: while the server does not answer (none does at
    these addresses), it numbers from that slot's block, C1001 … (protocol/numbering.py)."""
    from kiosk.office_numbers import SLOT_KEY
    from kiosk.store import Store
    with Store.open(data_dir) as store:
        store.set_meta(SLOT_KEY, str(slot))


@pytest.mark.parametrize("lang", ["zh-TW", "en"])
def test_with_no_qr_url_the_ticket_opens_its_live_queue_page_at_the_public_url_in_its_language(printer, tmp_path,
                                                                                                lang):
    config = tmp_path / "kiosk.toml"
    config.write_text(f'[kiosk]\ndata_dir = "{tmp_path / "data"}"\n[server]\nurl = "http://10.0.0.5:8080/erlin"\n'
                      'public_url = "https://erlin-queue.example.gov.tw/erlin"\n', encoding="utf-8")
    given_slot(tmp_path / "data")
    result = kiosk(config, "ticket", "print", "C", "--printer", printer.path, "--lang", lang)
    assert result.stdout.strip() == "C1001", result.stderr
    received = bytes(printer.received)
    assert any(native_qr(f"https://erlin-queue.example.gov.tw/erlin/q/{day.isoformat()}/C1001?lang={lang}") in received
               for day in office_days()), "the QR is not the ticket's live queue page, in its language, at public_url"
    assert b"10.0.0.5" not in received, "the kiosk's own way to the office server was printed"


def test_without_a_public_url_the_ticket_has_no_qr_code(printer, tmp_path):
    config = tmp_path / "kiosk.toml"
    config.write_text(f'[kiosk]\ndata_dir = "{tmp_path / "data"}"\n[server]\nurl = "http://127.0.0.1:8080/"\n',
                      encoding="utf-8")
    given_slot(tmp_path / "data")
    result = kiosk(config, "ticket", "print", "C", "--printer", printer.path)
    assert result.stdout.strip() == "C1001", result.stderr
    assert b"\x1d(k" not in printer.received and b"127.0.0.1" not in printer.received
    assert "請留意叫號燈號".encode("cp950") in printer.received  # the rest of the ticket is printed


def test_a_qr_url_may_carry_the_tickets_language(printer, tmp_path):
    config = tmp_path / "kiosk.toml"
    config.write_text(f'[kiosk]\ndata_dir = "{tmp_path / "data"}"\n[tickets]\n'
                      'qr_url = "https://erlin.example/queue/{number}?hl={lang}"\n', encoding="utf-8")
    assert kiosk(config, "ticket", "print", "A", "--printer", printer.path, "--lang", "en").stdout.strip() == "A001"
    assert native_qr("https://erlin.example/queue/A001?hl=en") in printer.received


@pytest.mark.parametrize("fault, words", [("paper_out", "out of paper"), ("cover_open", "cover open"),
                                          ("offline", "offline"), ("mute", "did not answer")])
def test_a_printer_that_cannot_print_takes_no_number(printer, config, fault, words):
    setattr(printer, fault, True)
    result = kiosk(config, "ticket", "print", "B", "--printer", printer.path)
    assert result.returncode == 1
    assert "no number taken" in result.stderr and words in result.stderr
    setattr(printer, fault, False)
    printer.received.clear()
    result = kiosk(config, "ticket", "print", "B", "--printer", printer.path)
    assert result.stdout.strip() == "B001", "the refused attempt used up a number"


def test_printer_status_reports_paper_out_and_fails(printer, config):
    printer.paper_out = True
    result = kiosk(config, "printer", "status", "--printer", printer.path)
    assert result.returncode == 1
    assert "paper out yes" in result.stdout and "cannot print" in result.stdout
    printer.paper_out = False
    printer.paper_near_end = True
    result = kiosk(config, "printer", "status", "--printer", printer.path)
    assert result.returncode == 0 and "paper near end yes" in result.stdout


def test_a_printer_that_disappears_mid_ticket_keeps_the_number_and_says_so(printer, config):
    printer.die_after = 40
    result = kiosk(config, "ticket", "print", "C", "--printer", printer.path, timeout=60)
    assert result.returncode == 1
    assert result.stdout.strip() == "C001", f"the resident must be told the number that was taken: {result.stderr}"
    assert "did not print" in result.stderr


def test_an_unknown_service_is_a_usage_error(config, printer):
    result = kiosk(config, "ticket", "print", "Z", "--printer", printer.path)
    assert result.returncode == 2
    assert "no service 'Z'" in result.stderr and "ABCDEFP" not in result.stderr
    assert printer.received == b""


def test_reprint_prints_the_last_ticket_again(printer, config):
    assert kiosk(config, "ticket", "print", "E", "--printer", printer.path).stdout.strip() == "E001"
    first = bytes(printer.received)
    printer.received.clear()
    result = kiosk(config, "ticket", "reprint", "--printer", printer.path)
    assert result.returncode == 0 and result.stdout.strip() == "E001"
    assert bytes(printer.received) == first


def test_ticket_preview_draws_the_ticket_with_a_readable_qr_and_takes_no_number(config, tmp_path, printer):
    from PIL import Image
    from pyzbar.pyzbar import decode

    out = tmp_path / "t.png"
    result = kiosk(config, "ticket", "preview", "A", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "no number taken" in result.stdout
    image = Image.open(out)
    assert image.width == 384
    codes = decode(image.convert("L"))
    assert [c.data.decode() for c in codes] == [QR_URL.format(kiosk="ERLIN-01", number="A001")]
    # the preview used no number: the first real ticket is still A001
    assert kiosk(config, "ticket", "print", "A", "--printer", printer.path).stdout.strip() == "A001"


def test_bench_ticket_prints_bytes_wire_times_and_the_tap_to_first_byte(config):
    result = kiosk(config, "bench", "ticket", timeout=120)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    text = re.search(r"text \+ native QR\s+(\d+)\s+([\d.]+) s", out)
    raster = re.search(r"all raster\s+(\d+)\s+([\d.]+) s", out)
    assert text and raster, out
    assert float(text.group(2)) == pytest.approx(int(text.group(1)) * 10 / 9600, abs=0.01)
    ratio = re.search(r"raster / text\s+([\d.]+)×", out)
    assert float(ratio.group(1)) == pytest.approx(int(raster.group(1)) / int(text.group(1)), abs=0.1)
    assert re.search(r"tap → first byte on the wire, \d+ tickets numbered by the kiosk: p50 [\d.]+ ms", out)
    # the same path with each number asked of a real office server, started and stopped by the bench
    assert re.search(r"each number asked of the office server .*: p50 [\d.]+ ms, p99 [\d.]+ ms", out)
    assert float(re.search(r"office / kiosk alone, p50: ([\d.]+)×", out).group(1)) > 0


@pytest.mark.parametrize("lang", ["vi", "th", "id"])
def test_ticket_print_in_the_residents_language_keeps_chinese_as_big5_and_draws_only_what_big5_lacks(
        printer, config, lang):
    result = kiosk(config, "ticket", "print", "A", "--printer", printer.path, "--lang", lang)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "A001"
    data = bytes(printer.received)
    assert b"\x1c&" + "戶籍登記".encode("cp950") + b"\x1c." in data and b"Household registration" in data
    assert b"\x1d!\x33\x1bE\x01A001" in data  # the number in the printer's own glyphs
    drawn = b"\x1dv0" in data
    assert drawn == (lang != "id")  # Indonesian is plain ASCII: all text
    assert len(data) <= 6 * 1024 and data.rstrip(b"\n").endswith(b"\x1dVB\x00")


def test_ticket_preview_in_thai_draws_the_thai_lines(config, tmp_path):
    from PIL import Image
    from pyzbar.pyzbar import decode

    out = tmp_path / "th.png"
    result = kiosk(config, "ticket", "preview", "A", "--lang", "th", "--out", str(out))
    assert result.returncode == 0, result.stderr
    image = Image.open(out)
    assert image.width == 384
    assert [c.data.decode() for c in decode(image.convert("L"))] == [QR_URL.format(kiosk="ERLIN-01", number="A001")]
    chinese = kiosk(config, "ticket", "preview", "A", "--lang", "zh-TW", "--out", str(tmp_path / "zh.png"))
    assert chinese.returncode == 0
    assert image.height > Image.open(tmp_path / "zh.png").height + 4 * 24  # the Thai lines under the Chinese


def test_bench_ticket_measures_each_language_beside_the_chinese_ticket(config):
    result = kiosk(config, "bench", "ticket", "--lang", "vi", "--lang", "th", timeout=120)
    assert result.returncode == 0, result.stderr
    rows = {m.group(1): (int(m.group(2)), float(m.group(3)), int(m.group(4)), float(m.group(5)))
            for m in re.finditer(r"^(zh-TW|vi|th)\s+(\d+)\s+([\d.]+) s\s+(\d+)\s+([\d.]+)×", result.stdout, re.M)}
    assert set(rows) == {"zh-TW", "vi", "th"}, result.stdout
    zh_bytes = rows["zh-TW"][0]
    for lang in ("vi", "th"):
        size, seconds, drawn, ratio = rows[lang]
        assert seconds == pytest.approx(size * 10 / 9600, abs=0.01) and drawn >= 4
        assert ratio == pytest.approx(size / zh_bytes, abs=0.1)
    assert "goal ≤ 6 KB and ≤ 6 s" in result.stdout


@pytest.mark.parametrize("public", ["https://erlin-queue.example.gov.tw/", ""], ids=["with-qr", "without-qr"])
def test_an_80_mm_ticket_uses_the_whole_width(tmp_path, public):
    from PIL import Image
    from pyzbar.pyzbar import decode

    config = tmp_path / "kiosk80.toml"
    config.write_text(f'[kiosk]\ndata_dir = "{tmp_path / "data"}"\n[printer]\npaper_mm = 80\n'
                      f'[server]\nurl = "https://office.example/"\npublic_url = "{public}"\n', encoding="utf-8")
    config.chmod(0o600)
    out = tmp_path / "t80.png"
    result = kiosk(config, "ticket", "preview", "P", "--lang", "en", "--out", str(out))
    assert result.returncode == 0, result.stderr
    image = Image.open(out)
    assert image.width == 576
    expected = [f"{public}q/{day.isoformat()}/P001?lang=en" for day in office_days()] if public else [None]
    assert [c.data.decode() for c in decode(image.convert("L"))] in [[url] if url else [] for url in expected]


def test_a_ticket_without_a_qr_code_still_looks_like_a_ticket(tmp_path):
    """The preview with no public URL: office, service, the number large, the notice, the paper cut below it."""
    from PIL import Image

    config = tmp_path / "kiosk.toml"
    images = {}
    for name, extra in (("plain", ""), ("qr", '[server]\npublic_url = "https://erlin-queue.example.gov.tw/"\n')):
        config.write_text(f'[kiosk]\ndata_dir = "{tmp_path / "data"}"\n{extra}', encoding="utf-8")
        out = tmp_path / f"{name}.png"
        assert kiosk(config, "ticket", "preview", "A", "--out", str(out)).returncode == 0
        images[name] = Image.open(out).convert("L")
    plain, with_qr = images["plain"], images["qr"]

    def inked_rows(image):
        return [y for y in range(image.height) if any(image.getpixel((x, y)) < 128 for x in range(0, image.width, 2))]

    # the emulator marks the cut with a dashed line at the paper's end: the text is what is above it
    text_rows = [y for y in inked_rows(plain) if y < plain.height - 8]
    # the same ticket without the QR code and its caption: shorter by about the QR's height, no blank stretch left
    # where it was, the notice still last and the feed before the cut kept; the top (office, service, number) the
    # same to the dot
    assert with_qr.height - plain.height > 150
    gaps = [b - a for a, b in zip(text_rows, text_rows[1:])]
    assert max(gaps) < 60, f"a blank stretch of {max(gaps)} dots between the ticket's lines"
    assert 60 < plain.height - text_rows[-1] < 160, "the paper is not cut a few lines below the notice"
    top = (0, 0, plain.width, text_rows[0] + 200)
    assert plain.crop(top).tobytes() == with_qr.crop(top).tobytes()
    assert len(inked_rows(with_qr)) - len(inked_rows(plain)) > 150, "the QR code's rows"


def test_an_unsynced_clock_behind_the_last_ticket_takes_no_number_and_says_why(printer, config, monkeypatch):
    from hardware.printer import PrinterLink
    from kiosk.config import load_config
    from kiosk.store import Store
    from kiosk.tickets import TicketService

    # The last ticket was taken a day later than this machine's clock now says: it restarted a day behind.
    tomorrow = CLOCK() + timedelta(days=1)
    link = PrinterLink(printer.path, timeout=2)
    with Store.open(load_config(str(config)).data_dir) as store:
        assert TicketService(store, load_config(str(config)), lambda: link, now=lambda: tomorrow).issue("E").label \
            == "E001"
    link.close()
    printer.received.clear()
    monkeypatch.setenv("KIOSK_CLOCK_SYNCED", "0")
    result = kiosk(config, "ticket", "print", "E", "--printer", printer.path)
    assert result.returncode == 1 and result.stdout == "" and "Traceback" not in result.stderr
    [line] = [line for line in result.stderr.splitlines() if line.startswith("kiosk ticket:")]
    assert line.startswith("kiosk ticket: no number taken: the clock is not synced and says ")
    assert f"E001 at {tomorrow:%Y-%m-%d %H:%M}" in line and "Hint: check the kiosk's network and time sync" in line
    assert b"E001" not in bytes(printer.received)
    monkeypatch.setenv("KIOSK_CLOCK_SYNCED", "1")  # synced: the clock is right, today's numbers begin
    result = kiosk(config, "ticket", "print", "E", "--printer", printer.path)
    assert result.returncode == 0 and result.stdout.strip() == "E001", result.stderr

"""`kiosk forms` and the forms screenshots as a user runs them."""

import os
import subprocess
import sys

import pytest
from PIL import Image
from pyzbar.pyzbar import decode

from protocol.forms_format import load_catalogue

CATALOGUE = load_catalogue()[0]
MOVE_IN = next(f for f in CATALOGUE.forms if f.title == "遷入登記申請書")


def kiosk(*args, timeout=120):
    env = {k: v for k, v in os.environ.items() if k not in ("KIOSK_CONFIG", "DISPLAY")}
    return subprocess.run([sys.executable, "-m", "kiosk.cli", *args], capture_output=True, text=True,
                          timeout=timeout, env=env)


def test_forms_list_prints_one_form_a_line_code_first_without_a_header():
    result = kiosk("forms", "list")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) >= 30
    rows = [line.split("\t") for line in lines]
    assert all(len(row) == 3 for row in rows), "every line is code, category, title"
    assert {row[1] for row in rows} == {c.code for c in CATALOGUE.categories}
    assert rows[0][0] == CATALOGUE.forms[0].code
    household = kiosk("forms", "list", "--category", "household").stdout.splitlines()
    assert household and all(line.split("\t")[1] == "household" for line in household)


def test_forms_qr_writes_a_code_that_reads_back_as_the_forms_url(tmp_path):
    out = tmp_path / "q.png"
    result = kiosk("forms", "qr", MOVE_IN.code, "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert [c.data.decode() for c in decode(Image.open(out).convert("L"))] == [MOVE_IN.url]


@pytest.mark.parametrize("args", [["forms", "qr", "no-such-form", "--out", "x.png"],
                                  ["forms", "list", "--category", "nowhere"],
                                  ["screenshot", "form:no-such-form", "--out", "x.png"]])
def test_an_unknown_code_is_a_usage_error_with_suggestions(tmp_path, args):
    result = kiosk(*[a if a != "x.png" else str(tmp_path / a) for a in args])
    assert result.returncode == 2
    assert "no-such-form" in result.stderr or "nowhere" in result.stderr
    assert not (tmp_path / "x.png").exists()


def test_forms_check_passes_the_shipped_catalogue_and_names_each_problem_of_a_broken_one(tmp_path):
    assert kiosk("forms", "check").returncode == 0
    broken = tmp_path / "office.toml"
    broken.write_text('[[forms]]\ncode = "move-in"\ncategory = "household"\ntitle = ""\ntitle_en = "Move in"\n'
                      'url = "http://example.org/x.pdf"\n\n[[forms]]\ncode = "extra"\ncategory = "nowhere"\n'
                      'title = "X"\ntitle_en = "X"\nurl = "https://example.org/x.pdf"\n', encoding="utf-8")
    result = kiosk("forms", "check", str(broken))
    assert result.returncode == 2
    for words in ("move-in", "title", "https", "extra", "nowhere"):
        assert words in result.stderr, f"{words!r} not named in:\n{result.stderr}"


def qr_with_quiet_zone(image, url):
    """The QR in ``image`` reads as ``url`` and has 4 white modules around it."""
    codes = decode(image.convert("L"))
    assert [c.data.decode() for c in codes] == [url]
    rect = codes[0].rect
    from kiosk.forms import qr_matrix
    modules = len(qr_matrix(url)) - 8  # without the quiet zone
    module = rect.width / modules
    grey = image.convert("L")
    for x in range(int(rect.left - 3.5 * module), int(rect.left + rect.width + 3.5 * module), 3):
        for y in (int(rect.top - 3.5 * module), int(rect.top + rect.height + 3.5 * module)):
            assert grey.getpixel((x, y)) > 200, f"quiet zone not white at {(x, y)}"
    assert rect.left - 4 * module >= 0 and rect.left + rect.width + 4 * module <= image.width
    return module


@pytest.mark.parametrize("size", ["1280x800", "800x480"])
def test_the_form_screenshot_shows_the_whole_qr_with_its_quiet_zone(tmp_path, size):
    out = tmp_path / "f.png"
    result = kiosk("screenshot", f"form:{MOVE_IN.code}", "--size", size, "--out", str(out))
    assert result.returncode == 0, result.stderr
    module = qr_with_quiet_zone(Image.open(out).convert("RGB"), MOVE_IN.url)
    assert module >= 4, f"modules of {module:.1f} px are too small to scan from 30-40 cm"


def test_with_a_public_url_the_qr_is_the_offices_short_address_which_opens_the_file(tmp_path):
    """The issue's check: `kiosk forms qr move-in` decodes to <public_url>f/move-in, which leads to the form's file."""
    import requests

    from office import forms_list
    from office.db import Database
    from office_browser import running_office

    with running_office(tmp_path / "office.db", "ERLIN-01", "chen", "a long enough password") as (url, token):
        config = tmp_path / "kiosk.toml"
        config.write_text(f'[kiosk]\nid = "ERLIN-01"\ndata_dir = "{tmp_path / "data"}"\n'
                          f'[server]\nurl = "{url}/"\ntoken = "{token}"\npublic_url = "{url}/"\n', encoding="utf-8")
        config.chmod(0o600)  # it holds the token
        out = tmp_path / "q.png"
        result = kiosk("--config", str(config), "forms", "qr", "move-in", "--out", str(out))
        assert result.returncode == 0, result.stderr
        [address] = [c.data.decode() for c in decode(Image.open(out).convert("L"))]
        assert address == f"{url}/f/move-in"
        # The office server sends the phone on to the ministry's PDF...
        answer = requests.get(address, allow_redirects=False, timeout=10)
        assert answer.status_code == 302 and answer.headers["Location"] == MOVE_IN.url
        # ...or, once the staff upload the office's own copy, to that file, with its type.
        with Database(f"sqlite:///{tmp_path / 'office.db'}") as db:
            assert forms_list.attach_file(db, "move-in", "move-in.pdf", b"%PDF-1.7\n%%EOF\n") is None
        answer = requests.get(address, timeout=10)
        assert answer.status_code == 200 and answer.headers["Content-Type"] == "application/pdf"
        assert answer.content.startswith(b"%PDF-") and answer.url == f"{url}/f/move-in/move-in.pdf"

"""What a form's QR code opens, and what the screen promises about it (issue 16, item 1 and 2).

With ``server.public_url`` the QR is the office server's short address (``f/<code>``), which the office
redirects to the form's current file; the caption says honestly whether a scan downloads the form
(掃描即可下載) or opens a web page on which the resident must find it.
"""

import pytest
from pyzbar.pyzbar import decode

PUBLIC = "https://erlin.example.gov.tw/"


@pytest.fixture
def public_kiosk(ui):
    app, slips = ui.app, ui.app.services.form_slips
    before = app.kiosk_config, slips.config
    app.kiosk_config = slips.config = before[0].with_values("server", public_url=PUBLIC)
    yield ui
    app.kiosk_config, slips.config = before


@pytest.mark.parametrize("code, caption", [
    ("move-in", "請用手機相機掃描左方 QR 碼：掃描即可下載"),     # the ministry publishes its PDF
    ("move-out", "掃描後請在網頁中找「遷出登記申請書」下載"),    # only a page: the resident must look for it
])
def test_the_qr_is_the_offices_short_address_and_the_caption_says_what_it_opens(public_kiosk, code, caption):
    ui = public_kiosk
    ui.app.forms.open_form(code, count_view=False)
    ui.frames(2)
    assert [c.data.decode() for c in decode(ui.grab().convert("L"))] == [PUBLIC + "f/" + code]
    assert ui.screen.ids.scan.text == caption
    assert ui.screen.ids.url.text == "erlin.example.gov.tw/f/" + code  # the address to type is the QR's


def test_the_english_caption_says_the_same(public_kiosk):
    ui = public_kiosk
    ui.app.lang = "en"
    ui.app.forms.open_form("move-out", count_view=False)
    ui.frames(2)
    assert ui.screen.ids.scan.text == "Scan it, then find “Application for Move-out Registration” on the web page it opens"
    ui.app.forms.open_form("move-in", count_view=False)
    ui.frames(2)
    assert "the form downloads at once" in ui.screen.ids.scan.text


def test_a_slip_prints_the_short_address(public_kiosk):
    ui = public_kiosk
    printer = ui.app.hardware.simulated_printer
    ui.app.forms.open_form("move-in", count_view=False)
    ui.frames(2)
    before = len(printer.received)
    ui.tap(ui.screen.ids.print_slip)
    assert ui.wait_for(lambda: ui.screen.slip_message == "已印出，請取下方紙條。"), ui.screen.slip_message
    printed = bytes(printer.received[before:])
    assert (PUBLIC + "f/move-in").encode() in printed
    assert b"ris.gov.tw" not in printed

"""The printer link: bytes reach the printer, and every fault (or silence) is named.

The same PrinterLink code runs against three printers: the simulated one
(``sim://``), a fake printer answering on a pseudo-terminal (a real serial
device path, end to end), and pyserial's ``loop://``.
"""

import threading
from time import monotonic

import pytest
import serial

from hardware.exc import (PrinterCoverOpen, PrinterError, PrinterNoReply, PrinterNotConnected,
                          PrinterOffline, PrinterPaperOut)
from hardware.printer import PrinterLink, PrinterStatus, SimulatedPrinter
from hardware.printer import urlhandler
from pty_printer import PtyPrinter

TICKET = b"\x1b@\x1c&" + "二林戶政 A017 號".encode("cp950") + b"\x1c.\x1dV\x42\x00"
HEALTHY = PrinterStatus(online=True, cover_open=False, paper_out=False, paper_near_end=False)
TIMEOUT = 0.2


pytestmark = pytest.mark.usefixtures("fresh_simulated_printers")


@pytest.fixture
def open_link():
    """Open PrinterLinks that are closed after the test: ``link = open_link("sim://t")``."""
    links = []

    def open_link(url, **kwargs):
        kwargs.setdefault("timeout", TIMEOUT)
        links.append(PrinterLink(url, **kwargs))
        return links[-1]

    yield open_link
    for link in links:
        link.close()


# -- the simulated printer ------------------------------------------------------------------

def test_the_simulated_printer_keeps_what_it_was_sent(open_link):
    link = open_link("sim://lobby")
    link.write(TICKET)
    printer = SimulatedPrinter.get("lobby")
    assert printer.received == TICKET
    printer.clear()
    assert printer.received == b""


def test_a_long_write_arrives_whole(open_link):
    image = bytes(range(256)) * 120  # about a raster ticket's worth, more than one chunk
    open_link("sim://lobby").write(image)
    assert SimulatedPrinter.get("lobby").received == image


def test_a_healthy_printer_is_online_without_faults(open_link):
    link = open_link("sim://lobby")
    assert link.status() == HEALTHY
    assert link.check_ready() == HEALTHY


def test_paper_out_stops_printing(open_link):
    link = open_link("sim://lobby")
    SimulatedPrinter.get("lobby").paper_out = True
    assert link.status().paper_out
    with pytest.raises(PrinterPaperOut, match=r"'sim://lobby' is out of paper"):
        link.check_ready()


def test_paper_near_end_is_reported_but_printing_goes_on(open_link):
    link = open_link("sim://lobby")
    SimulatedPrinter.get("lobby").paper_near_end = True
    status = link.check_ready()
    assert status.paper_near_end and status.ready


def test_an_open_cover_stops_printing(open_link):
    link = open_link("sim://lobby")
    SimulatedPrinter.get("lobby").cover_open = True
    assert not link.status().online
    with pytest.raises(PrinterCoverOpen, match="cover open"):
        link.check_ready()


def test_another_fault_reports_the_printer_offline(open_link):
    link = open_link("sim://lobby")
    SimulatedPrinter.get("lobby").error = True
    with pytest.raises(PrinterOffline, match="offline"):
        link.check_ready()


def test_a_switched_off_printer_is_no_reply_within_the_timeout(open_link):
    link = open_link("sim://lobby")
    printer = SimulatedPrinter.get("lobby")
    printer.offline = True
    started = monotonic()
    with pytest.raises(PrinterNoReply, match=r"'sim://lobby' did not answer .* within 0.2 s"):
        link.check_ready()
    assert TIMEOUT <= monotonic() - started < TIMEOUT + 0.5
    link.write(TICKET)
    assert printer.received == b""  # nobody there to hear it
    printer.offline = False  # switched back on: the link works again
    assert link.check_ready() == HEALTHY


@pytest.mark.parametrize("state, replies", [
    ({}, b"\x12\x12\x12"),
    ({"paper_near_end": True}, b"\x12\x12\x1e"),
    ({"paper_out": True}, b"\x1a\x32\x7e"),
    ({"cover_open": True}, b"\x1a\x16\x12"),
], ids=["healthy", "near-end", "paper-out", "cover-open"])
def test_status_replies_are_the_bytes_a_real_printer_sends(state, replies):
    urlhandler.register()
    for name, value in state.items():
        setattr(SimulatedPrinter.get("wire"), name, value)
    with serial.serial_for_url("sim://wire", timeout=TIMEOUT) as port:
        port.write(b"\x10\x04\x01\x10\x04\x02\x10\x04")
        port.write(b"\x04")  # a request split across two writes is still one request
        assert port.read(3) == replies
        assert port.in_waiting == 0


def test_a_reply_reaches_a_reader_waiting_in_another_thread():
    urlhandler.register()
    with serial.serial_for_url("sim://wire", timeout=2) as port:
        reading, got = threading.Event(), []

        def reader():
            reading.set()
            got.append(port.read(1))

        thread = threading.Thread(target=reader)
        thread.start()
        assert reading.wait(1)
        port.write(b"\x10\x04\x01")
        thread.join(2)
    assert got == [b"\x12"]


# -- a fake printer on a real serial device (pseudo-terminal) ---------------------------------

@pytest.fixture
def pty_printer():
    printer = PtyPrinter()
    yield printer
    printer.close()


def test_a_serial_device_printer_end_to_end(open_link, pty_printer):
    link = open_link(pty_printer.path, baudrate=19200)
    link.write(TICKET)
    assert pty_printer.wait_received(len(TICKET))
    assert bytes(pty_printer.received) == TICKET
    assert link.check_ready() == HEALTHY

    pty_printer.replies = {1: 0x1A, 2: 0x32, 4: 0x7E}  # offline, stopped at paper end, both paper sensors empty
    with pytest.raises(PrinterPaperOut):
        link.check_ready()

    pty_printer.replies = {1: 0x1A, 2: 0x52, 4: 0x12}  # offline with an error, paper fine
    with pytest.raises(PrinterOffline):
        link.check_ready()

    pty_printer.mute = True
    with pytest.raises(PrinterNoReply, match=pty_printer.path):
        link.status()


# -- loop:// and bad ports ---------------------------------------------------------------------

def test_loop_gives_back_the_bytes_written(open_link):
    link = open_link("loop://")
    link.write(TICKET)
    assert link.port.read(len(TICKET)) == TICKET


def test_status_over_loop_is_an_error_not_a_status(open_link):
    # loop:// echoes the request (0x10 0x04 1), and 0x10 does not match the status pattern 0xx1xx10.
    with pytest.raises(PrinterError, match=r"answered DLE EOT 1 with b'\\x10', which is not a status byte") as info:
        open_link("loop://").status()
    assert not isinstance(info.value, PrinterNoReply)


@pytest.mark.parametrize("url, reason", [
    ("/dev/ttyKIOSK-NO-SUCH-PRINTER", "No such file or directory"),
    ("nosuch://printer", "protocol 'nosuch' not known"),
    ("sim://", "sim://NAME"),
])
def test_a_port_that_cannot_be_opened_is_named(url, reason):
    with pytest.raises(PrinterNotConnected) as info:
        PrinterLink(url)
    assert repr(url) in str(info.value) and reason in str(info.value)
    assert isinstance(info.value, OSError)  # callers that only know OSError still catch it


def test_a_closed_link_says_so(open_link):
    link = open_link("sim://lobby")
    link.close()
    link.close()  # twice is fine
    assert link.closed
    with pytest.raises(PrinterError, match="closed"):
        link.write(TICKET)


def test_a_printer_unplugged_while_open_is_a_printer_error_not_a_crash(open_link):
    # A USB printer pulled out (here: the pty's far end closed): pyserial's flush raises termios.error,
    # which is no OSError; the kiosk must get a PrinterError it handles, and closing must not raise.
    printer = PtyPrinter()
    try:
        link = open_link(printer.path)
        assert link.check_ready().online
        printer.die_after = 0
        link.write(b"\x1b@")
        deadline = monotonic() + 2
        while printer.master is not None and monotonic() < deadline:
            threading.Event().wait(0.01)
        with pytest.raises(PrinterError, match="unplugged"):
            link.status()
        link.close()
        assert link.closed
    finally:
        printer.close()

"""The link to the receipt printer: send bytes, ask how the printer is.

The printer is one pyserial URL: a device path (``/dev/serial0``,
``/dev/ttyUSB0``), ``socket://host:9100`` for a LAN printer, ``sim://NAME``
for the simulated printer, ``loop://`` for byte-level tests.  The code here
never knows which one it has.  Before each ticket the kiosk calls
:meth:`PrinterLink.check_ready`, which asks the printer for its real-time
status (``DLE EOT n``) and turns a fault, or silence, into a named exception.
"""

import errno
import threading
from dataclasses import dataclass
from time import monotonic

import serial

try:  # tcflush/tcsetattr on a port whose device went away raise termios.error, which is not an OSError
    from termios import error as _TermiosError
except ImportError:  # pragma: no cover - not POSIX
    class _TermiosError(Exception):
        pass

#: What the port can raise when the printer is unplugged, switched off or was never there.
PORT_ERRORS = (OSError, serial.SerialException, _TermiosError)

from ..exc import (PrinterCoverOpen, PrinterError, PrinterNoReply, PrinterNotConnected,
                   PrinterOffline, PrinterPaperOut)
from . import urlhandler

__all__ = ["PrinterLink", "PrinterStatus"]

STATUS_MASK, STATUS_FIXED = 0x93, 0x12  # every status reply matches 0xx1xx10

_HINTS = {
    errno.ENOENT: "is the printer plugged in, and for /dev/serial0 is enable_uart=1 set?",
    errno.EACCES: "is this user in the 'dialout' group?",
    errno.EBUSY: "is another program (a serial console?) using the port?",
    errno.EIO: "was the printer unplugged or switched off?",
}


@dataclass(frozen=True)
class PrinterStatus:
    """What the printer said about itself in answer to ``DLE EOT 1``, ``2`` and ``4``."""

    online: bool
    cover_open: bool
    paper_out: bool
    paper_near_end: bool

    @classmethod
    def from_bytes(cls, printer, offline_cause, paper):
        """Return the status read from the replies to ``DLE EOT 1``, ``2`` and ``4``."""
        return cls(
            online=not printer & 0x08,
            cover_open=bool(offline_cause & 0x04),
            paper_out=bool(offline_cause & 0x20 or paper & 0x60),
            paper_near_end=bool(paper & 0x0C),
        )

    @property
    def ready(self):
        """Return True if a ticket can be printed now (the paper may still be nearly used up)."""
        return self.online and not self.cover_open and not self.paper_out


def _reason(exc):
    """Return the operating system's own words for why *exc* happened, with a hint when there is one."""
    # pyserial wraps the OSError in a SerialException whose text repeats the port name: prefer the original.
    for cause in (exc.__cause__, exc.__context__, exc):
        if isinstance(cause, OSError) and not isinstance(cause, serial.SerialException) and cause.strerror:
            hint = _HINTS.get(cause.errno)
            return f"{cause.strerror} ({hint})" if hint else cause.strerror
        if isinstance(cause, _TermiosError) and len(cause.args) == 2:  # (errno, text)
            hint = _HINTS.get(cause.args[0])
            return f"{cause.args[1]} ({hint})" if hint else str(cause.args[1])
    return str(exc)


class PrinterLink:
    """An open port to the receipt printer.

    :param str url: a device path or pyserial URL (see the module docstring).
    :param int baudrate: serial speed; must match the printer's DIP switches.
    :param float timeout: seconds to wait for each status reply.
    :param float write_timeout: seconds a stalled printer may hold up one chunk of
        :meth:`write` (flow control) before :exc:`~hardware.exc.PrinterError`.
    :param str flow_control: ``"none"``, ``"rtscts"`` (hardware handshake) or
        ``"xonxoff"`` (software), as the printer's DIP switches say.
    :raises ~hardware.exc.PrinterNotConnected: if the port cannot be opened.
    """

    def __init__(self, url, baudrate=9600, timeout=1.0, write_timeout=5.0, flow_control="none"):
        if flow_control not in ("none", "rtscts", "xonxoff"):
            raise ValueError(f"flow control must be 'none', 'rtscts' or 'xonxoff', got {flow_control!r}")
        urlhandler.register()
        self.url = url
        self.baudrate = baudrate
        self.timeout = timeout
        # One operation at a time: a status reply must meet its own request.
        self._lock = threading.Lock()
        try:
            self.port = serial.serial_for_url(url, baudrate=baudrate, timeout=timeout, write_timeout=write_timeout,
                                              rtscts=flow_control == "rtscts", xonxoff=flow_control == "xonxoff")
        except (OSError, ValueError) as exc:  # SerialException is an OSError; a bad URL a ValueError
            raise PrinterNotConnected(f"cannot open printer port {url!r}: {_reason(exc)}") from exc

    def __repr__(self):
        return f"<PrinterLink {self.url!r} @ {self.baudrate} baud{' closed' if self.closed else ''}>"

    def write(self, data: bytes):
        """Send *data* (ESC/POS bytes) to the printer."""
        data = bytes(data)
        # Chunks of about half a second of line time, so write_timeout measures a stall, not a big image.
        chunk = max(64, self.baudrate // 20)
        with self._lock:
            self._check_open()
            try:
                for start in range(0, len(data), chunk):
                    self.port.write(data[start:start + chunk])
            except serial.SerialTimeoutException as exc:
                raise PrinterError(f"printer {self.url!r} stopped taking data for {self.port.write_timeout:g} s "
                                   "(out of paper, or flow control holding?)") from exc
            except PORT_ERRORS as exc:
                raise PrinterError(f"cannot write to printer {self.url!r}: {_reason(exc)}") from exc

    def _check_open(self):
        if self.port is None:
            raise PrinterError(f"printer link {self.url!r} is closed")

    def _ask(self, n):
        """Send ``DLE EOT n`` and return the one-byte reply."""
        self.port.write(bytes((0x10, 0x04, n)))
        deadline = monotonic() + self.timeout
        reply = b""
        # Loop because a port may return early with nothing; the deadline is ours, not the port's.
        while not reply and monotonic() < deadline:
            reply = self.port.read(1)
        if not reply:
            raise PrinterNoReply(f"printer {self.url!r} did not answer a status request (DLE EOT {n}) within "
                                 f"{self.timeout:g} s: is it switched on and plugged in?")
        if reply[0] & STATUS_MASK != STATUS_FIXED:
            raise PrinterError(f"printer {self.url!r} answered DLE EOT {n} with {reply!r}, which is not a status "
                               "byte (0xx1xx10): wrong baud rate, or not an ESC/POS printer?")
        return reply[0]

    def status(self):
        """Ask the printer how it is and return a :class:`PrinterStatus`.

        :raises ~hardware.exc.PrinterNoReply: if it does not answer within ``timeout``.
        :raises ~hardware.exc.PrinterError: if the answer is not a status byte.
        """
        with self._lock:
            self._check_open()
            try:
                self.port.reset_input_buffer()  # a late reply to an earlier request must not be read as this one's
                return PrinterStatus.from_bytes(self._ask(1), self._ask(2), self._ask(4))
            except PrinterError:
                raise
            except PORT_ERRORS as exc:
                raise PrinterError(f"cannot ask printer {self.url!r} for its status: {_reason(exc)}") from exc

    def check_ready(self):
        """Return the status if a ticket can be printed now, else raise the exception that says why.

        The returned status may have ``paper_near_end`` set: print, but tell the staff.
        """
        status = self.status()
        if status.paper_out:
            raise PrinterPaperOut(f"printer {self.url!r} is out of paper: load a new roll")
        if status.cover_open:
            raise PrinterCoverOpen(f"printer {self.url!r} has its cover open: close it")
        if not status.online:
            raise PrinterOffline(f"printer {self.url!r} reports itself offline (an error such as a paper jam "
                                 "or cutter jam?): check its error light, switch it off and on")
        return status

    @property
    def closed(self):
        """Return True once :meth:`close` has run."""
        return self.port is None

    def close(self):
        """Close the port; safe to call more than once."""
        with self._lock:  # not under a status request running in another thread
            port, self.port = self.port, None
        if port is not None:
            try:
                port.close()
            except PORT_ERRORS:  # the device is already gone: nothing left to release
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

#
# A serial port wired to a simulated ESC/POS printer (hardware/printer/simulated.py).
#
# Everything written reaches the SimulatedPrinter of that NAME, which records
# it and answers status requests (DLE EOT n) as a real printer would; reads
# return those answers.  Ports opened on the same NAME share one printer, and
# SimulatedPrinter.get(NAME) gives it to a test or to the simulated kiosk.
#
# URL format:    sim://NAME
# NAME:          letters, digits, '-', '_' or '.', case-sensitive (e.g. sim://printer)
# options:       none yet
#
# Registered by hardware.printer.urlhandler.register(), which PrinterLink calls.

import re
import urllib.parse

from serial.serialutil import PortNotOpenError, SerialBase, SerialException, to_bytes

from ..simulated import SimulatedPrinter

NAME = re.compile(r"[A-Za-z0-9_.-]+")


class Serial(SerialBase):
    """Serial port whose other end is a :class:`SimulatedPrinter`."""

    BAUDRATES = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)

    def __init__(self, *args, **kwargs):
        self.printer = None
        self._cancel_read = False
        super().__init__(*args, **kwargs)

    def open(self):
        """Connect to the simulated printer named in the URL (creating it if needed)."""
        if self.is_open:
            raise SerialException("Port is already open.")
        if self._port is None:
            raise SerialException("Port must be configured before it can be used.")
        self.printer = SimulatedPrinter.get(self.from_url(self.port))
        self._reconfigure_port()
        self.is_open = True

    def from_url(self, url):
        """Return the printer NAME from a ``sim://NAME`` URL."""
        parts = urllib.parse.urlsplit(url)
        if parts.scheme != "sim" or not NAME.fullmatch(parts.netloc) or parts.path or parts.query:
            raise SerialException(f"expected a URL in the form 'sim://NAME' (e.g. 'sim://printer'), got {url!r}")
        return parts.netloc

    def close(self):
        if self.is_open:
            self.is_open = False
            self.printer.wake()  # a reader blocked in read() returns instead of waiting for ever
        super().close()

    def _reconfigure_port(self):
        # Nothing to configure, but a bad value should fail here as it would on a real port.
        if not isinstance(self._baudrate, int) or self._baudrate <= 0:
            raise ValueError(f"invalid baudrate: {self._baudrate!r}")

    # -- data --------------------------------------------------------------------------------

    def read(self, size=1):
        """Return up to *size* reply bytes from the printer, waiting as the port's timeout says."""
        if not self.is_open:
            raise PortNotOpenError()
        try:
            return self.printer.read_replies(size, self._timeout, lambda: self.is_open and not self._cancel_read)
        finally:
            self._cancel_read = False

    def write(self, data):
        """Send bytes to the printer; it takes them at once, so this never times out."""
        if not self.is_open:
            raise PortNotOpenError()
        data = to_bytes(data)
        self.printer.receive(data)
        return len(data)

    @property
    def in_waiting(self):
        """Return the number of reply bytes waiting to be read."""
        if not self.is_open:
            raise PortNotOpenError()
        return self.printer.replies_waiting

    @property
    def out_waiting(self):
        """Return 0: the simulated printer takes every byte at once."""
        if not self.is_open:
            raise PortNotOpenError()
        return 0

    def reset_input_buffer(self):
        """Discard replies not read yet."""
        if not self.is_open:
            raise PortNotOpenError()
        self.printer.discard_replies()

    def reset_output_buffer(self):
        """Nothing to discard: written bytes have already reached the printer."""
        if not self.is_open:
            raise PortNotOpenError()

    def cancel_read(self):
        self._cancel_read = True
        if self.printer is not None:
            self.printer.wake()

    def cancel_write(self):
        pass

    # -- control lines: a switched-off printer drops its handshake lines ----------------------

    def _update_break_state(self):
        pass

    def _update_rts_state(self):
        pass

    def _update_dtr_state(self):
        pass

    @property
    def cts(self):
        """Return True while the printer is switched on."""
        return self.is_open and not self.printer.offline

    @property
    def dsr(self):
        """Return True while the printer is switched on."""
        return self.is_open and not self.printer.offline

    @property
    def ri(self):
        return False

    @property
    def cd(self):
        return self.is_open and not self.printer.offline

"""A receipt printer played on the far side of a pseudo-terminal, for tests.

The kiosk opens ``printer.path`` (``/dev/pts/N``) exactly as it opens
``/dev/ttyUSB0``; a thread on the master side answers real-time status
requests (``DLE EOT n``) with the state the test sets, and keeps every other
byte.  ``mute = True`` makes it a printer that is switched off; ``replies``
(``{n: byte}``) answers with exact status bytes instead of the flags.
"""

import os
import pty
import select
import threading
import tty

PAPER_END, NEAR_END, COVER_OPEN, OFFLINE = 0x60, 0x0C, 0x04, 0x08


class PtyPrinter:
    def __init__(self):
        self.master, slave = pty.openpty()
        tty.setraw(slave)  # no echo, no line discipline: bytes pass as on a serial cable
        self.path = os.ttyname(slave)
        self._slave = slave  # kept open so the pty does not hang up between the kiosk's opens
        self.received = bytearray()
        self.paper_out = self.paper_near_end = self.cover_open = self.offline = self.mute = False
        self.die_after = None  # stop reading and answering after this many bytes (a printer pulled out)
        self.replies = None  # {n: status byte}: exact replies to DLE EOT n, overriding the flags
        self._arrived = threading.Condition()
        self._stop = threading.Event()
        self._pending = b""
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def status(self, n):
        if self.replies is not None:
            return self.replies[n]
        if n == 1:
            return 0x12 | (OFFLINE if self.offline or self.cover_open or self.paper_out else 0)
        if n == 2:
            return 0x12 | (COVER_OPEN if self.cover_open else 0) | (0x20 if self.paper_out else 0)
        return 0x12 | (NEAR_END if self.paper_near_end or self.paper_out else 0) | (PAPER_END if self.paper_out else 0)

    def _serve(self):
        while not self._stop.is_set():
            ready, _, _ = select.select([self.master], [], [], 0.05)
            if not ready:
                continue
            try:
                data = os.read(self.master, 4096)
            except OSError:
                return
            if self.die_after is not None and len(self.received) + len(data) > self.die_after:
                self.received += data[: max(0, self.die_after - len(self.received))]
                os.close(self.master)  # unplugged: the kiosk's next write fails (EIO), as with a USB printer
                self.master = None
                return
            data = self._pending + data
            self._pending = b""
            i = 0
            while i < len(data):
                if data[i] == 0x10 and i + 1 < len(data) and data[i + 1] == 0x04:
                    if i + 2 >= len(data):
                        self._pending = data[i:]
                        break
                    if not self.mute:
                        os.write(self.master, bytes([self.status(data[i + 2])]))
                    i += 3
                    continue
                with self._arrived:
                    self.received.append(data[i])
                    self._arrived.notify_all()
                i += 1

    def wait_received(self, count, timeout=1.0):
        """Wait until ``count`` bytes (status requests not counted) have arrived; return whether they did."""
        with self._arrived:
            return self._arrived.wait_for(lambda: len(self.received) >= count, timeout)

    def close(self):
        self._stop.set()
        self._thread.join(1)
        if self.master is not None:
            os.close(self.master)
        os.close(self._slave)

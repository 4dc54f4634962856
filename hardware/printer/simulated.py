"""A simulated ESC/POS receipt printer, reached through ``sim://NAME`` ports.

It keeps every byte it receives and answers real-time status requests
(``DLE EOT n``) with the same one-byte replies a real printer gives, so the
printer code cannot tell it from a real one.  Tests and the simulated kiosk
set its state (``paper_out``, ``cover_open``...) to rehearse every fault.
"""

import threading
from time import monotonic

__all__ = ["SimulatedPrinter", "status_byte"]

DLE_EOT = b"\x10\x04"
STATUS_FIXED = 0x12  # bits 1 and 4 are always set in a status reply (pattern 0xx1xx10)


def status_byte(n, *, paper_out=False, paper_near_end=False, cover_open=False, error=False):
    """Return the reply a real printer gives to ``DLE EOT n`` in this state, or None for an unknown n."""
    if n == 1:  # printer status: bit 3 offline
        return STATUS_FIXED | (0x08 if cover_open or paper_out or error else 0)
    if n == 2:  # offline cause: bit 2 cover open, bit 5 stopped at paper end, bit 6 error
        return STATUS_FIXED | (0x04 if cover_open else 0) | (0x20 if paper_out else 0) | (0x40 if error else 0)
    if n == 3:  # error cause: bit 3 autocutter error, the error a kiosk printer meets
        return STATUS_FIXED | (0x08 if error else 0)
    if n == 4:  # paper sensors: bits 2-3 near end, bits 5-6 end
        # With the roll gone the near-end sensor sees no paper either, as on a real printer.
        return STATUS_FIXED | (0x0C if paper_near_end or paper_out else 0) | (0x60 if paper_out else 0)
    return None


class SimulatedPrinter:
    """A printer that records what it is sent and reports the state it is given.

    State, all False at first, settable at any time from any thread:

    * ``paper_out``: the roll has run out (status says offline, paper end).
    * ``paper_near_end``: the roll is nearly used up (still prints).
    * ``cover_open``: the cover is open (status says offline, cover open).
    * ``error``: another fault such as a cutter jam (status says offline, error).
    * ``offline``: switched off or unplugged: it hears nothing and never answers.

    Use :meth:`get` to share one printer by name with the ``sim://NAME`` ports.
    """

    _registry = {}
    _registry_lock = threading.Lock()

    def __init__(self, name="printer"):
        self.name = name
        self.paper_out = False
        self.paper_near_end = False
        self.cover_open = False
        self.error = False
        self.offline = False
        self._received = bytearray()
        self._replies = bytearray()  # status bytes not yet read by the host
        self._tail = b""  # start of a DLE EOT split across two writes
        self._changed = threading.Condition()

    def __repr__(self):
        state = [name for name in ("paper_out", "paper_near_end", "cover_open", "error", "offline")
                 if getattr(self, name)]
        return f"<SimulatedPrinter {self.name!r} received={len(self._received)} bytes {' '.join(state) or 'ready'}>"

    @classmethod
    def get(cls, name):
        """Return the simulated printer called *name*, creating it the first time."""
        with cls._registry_lock:
            if name not in cls._registry:
                cls._registry[name] = cls(name)
            return cls._registry[name]

    @classmethod
    def reset_all(cls):
        """Forget every simulated printer, so the next :meth:`get` gives a fresh one (for tests)."""
        with cls._registry_lock:
            cls._registry.clear()

    @property
    def received(self):
        """Return every byte received since creation or the last :meth:`clear`."""
        with self._changed:
            return bytes(self._received)

    def clear(self):
        """Forget the bytes received so far."""
        with self._changed:
            self._received.clear()

    def status_byte(self, n):
        """Return this printer's reply to ``DLE EOT n`` now, or None if it would not answer."""
        if self.offline:
            return None
        return status_byte(n, paper_out=self.paper_out, paper_near_end=self.paper_near_end,
                           cover_open=self.cover_open, error=self.error)

    # -- the printer's end of the wire, used by the sim:// port --------------------------------

    def receive(self, data):
        """Take bytes from the host, queueing a reply for each real-time status request."""
        with self._changed:
            if self.offline:
                self._tail = b""
                return  # a switched-off printer hears nothing
            self._received += data
            # Real-time commands are obeyed wherever they appear in the stream, as on a real printer.
            buffer = self._tail + bytes(data)
            done = 0  # bytes of buffer already understood
            start = buffer.find(DLE_EOT)
            while start != -1 and start + 2 < len(buffer):
                reply = self.status_byte(buffer[start + 2])
                if reply is not None:
                    self._replies.append(reply)
                done = start + 3
                start = buffer.find(DLE_EOT, done)
            if start != -1:
                self._tail = buffer[start:]
            else:
                self._tail = buffer[-1:] if len(buffer) > done and buffer.endswith(DLE_EOT[:1]) else b""
            self._changed.notify_all()

    def read_replies(self, size, timeout, still_open=lambda: True):
        """Return up to *size* reply bytes, waiting at most *timeout* seconds (None: for ever)."""
        deadline = None if timeout is None else monotonic() + timeout
        with self._changed:
            while len(self._replies) < size and still_open():
                if deadline is None:
                    self._changed.wait()
                else:
                    left = deadline - monotonic()
                    if left <= 0:
                        break
                    self._changed.wait(left)
            data = bytes(self._replies[:size])
            del self._replies[:size]
            return data

    @property
    def replies_waiting(self):
        """Return how many reply bytes the host has not read yet."""
        with self._changed:
            return len(self._replies)

    def discard_replies(self):
        """Drop replies the host has not read (its input buffer was reset)."""
        with self._changed:
            self._replies.clear()

    def wake(self):
        """Wake every reader waiting in :meth:`read_replies` so it can see that its port closed."""
        with self._changed:
            self._changed.notify_all()

"""Every exception the hardware drivers raise on purpose, in one small tree.

Each class also inherits a built-in exception, so a caller that only knows
Python's own (``ValueError``, ``OSError``) still catches it.  Messages name the
pin, port or URL involved, and say what to do when there is something to do.
"""

__all__ = [
    "HardwareError", "PinError", "PrinterError", "PrinterNotConnected", "PrinterNoReply",
    "PrinterPaperOut", "PrinterCoverOpen", "PrinterOffline",
]


class HardwareError(Exception):
    "Base class of every error the hardware drivers raise on purpose"


class PinError(HardwareError, ValueError):
    "Error raised when a GPIO pin does not exist or is already used by another device"


class PrinterError(HardwareError, OSError):
    "Error raised when the printer cannot print or gives an answer that makes no sense"


class PrinterNotConnected(PrinterError):
    "Error raised when the printer's port (device path or URL) cannot be opened"


class PrinterNoReply(PrinterError):
    "Error raised when the printer does not answer a status request in time (off or unplugged)"


class PrinterPaperOut(PrinterError):
    "Error raised when the printer reports that its paper roll has run out"


class PrinterCoverOpen(PrinterError):
    "Error raised when the printer reports that its cover is open"


class PrinterOffline(PrinterError):
    "Error raised when the printer answers but reports itself offline for another reason"

"""The receipt printer: the link to it (a pyserial port) and a simulated printer.

``link.py`` sends bytes and reads the printer's status, ``simulated.py`` is
the printer behind ``sim://NAME`` URLs, and ``urlhandler/`` teaches pyserial
that scheme.  The ESC/POS ticket encoder and the emulator will live here too.
"""

from .link import PrinterLink, PrinterStatus
from .simulated import SimulatedPrinter

__all__ = ["PrinterLink", "PrinterStatus", "SimulatedPrinter"]

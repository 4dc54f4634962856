"""pyserial URL handlers of our own: ``sim://NAME`` (``protocol_sim.py``).

``serial.serial_for_url()`` imports ``<package>.protocol_<scheme>`` from each
package listed in ``serial.protocol_handler_packages`` and uses its ``Serial``
class; :func:`register` adds this package to that list.
"""

import serial

__all__ = ["register"]


def register():
    """Let ``serial.serial_for_url()`` open ``sim://`` URLs; safe to call more than once."""
    if __name__ not in serial.protocol_handler_packages:
        serial.protocol_handler_packages.append(__name__)

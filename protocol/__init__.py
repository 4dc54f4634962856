"""The protocol the kiosk and the office server share, and nothing else.

The kiosk (``kiosk/``) and the office server (``office/``) are two programs: neither imports the other.  What
both must read the same way lives here, free of Kivy, GPIO, serial ports and QR drawing:

``officetime``    office time (Asia/Taipei) and ROC dates
"""

__version__ = "0.1.0"  # one version for the kiosk and its office server: they speak this protocol

__all__ = ["__version__"]

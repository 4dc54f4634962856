"""The kiosk's hardware drivers: rating buttons, their LEDs and the receipt printer.

A plain driver package, testable without a screen: it imports neither the kiosk nor Kivy (``.importlinter``).
Importing the package itself loads no library: ``hardware.wiring_defaults`` (the default pins, read by the
kiosk's settings) must stay importable where gpiozero and pyserial are not installed, e.g. by
``kiosk-provision validate`` under the system's Python.  :func:`hardware.devices.open_hardware` opens them all.
"""

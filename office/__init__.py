"""The reference office server (``kiosk-office``): kiosks upload their events here and read the office's settings.

Modules: ``models`` (the upload protocol, pydantic), ``db`` (the database, one class owns it), ``api`` (the
kiosks' endpoints), ``app`` (the Flask application), ``cli`` (the ``kiosk-office`` command).
"""

from protocol import __version__  # one version for the kiosk and its office server: they share the protocol

__all__ = ["__version__"]

"""The lobby kiosk appliance of a household registration office (戶政事務所)."""

from protocol import __version__  # one version for the kiosk and the office server

__all__ = ["__version__"]

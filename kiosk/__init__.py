"""The lobby kiosk appliance of a household registration office (戶政事務所)."""

__version__ = "0.1.0"

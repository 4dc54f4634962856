"""
What every ``kiosk`` command handler shares
===========================================

The exit codes (0 fine, 1 failed, 2 bad configuration or usage) and the
configuration as a command loads it: its secrets hidden from the logs before
anything else runs.  The handlers live by concern in ``kiosk/cli_*.py``;
``kiosk/cli.py`` picks one and turns the kiosk's errors into these exit codes.
"""

from __future__ import annotations

from typing import Optional

__all__ = ["EXIT_OK", "EXIT_FAILED", "EXIT_USAGE", "load"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def load(path: Optional[str]):
    """The configuration at ``path`` (else the one the kiosk would use); a bad one raises ``ConfigError``."""
    from .config import load_config
    from .logs import hide_secrets_of
    config = load_config(path)
    hide_secrets_of(config)  # from here on no log line can show the token or the PIN hash
    return config

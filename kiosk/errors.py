"""Every exception the kiosk raises on purpose, in one small tree.

Each class inherits from a built-in exception too, so callers that only know
Python's own (``ValueError``, ``OSError``) still catch it.  Messages name the
key, file, pin or port involved and never carry a secret.
"""


class KioskError(Exception):
    "Base class of every error the kiosk raises on purpose"


class ConfigError(KioskError, ValueError):
    "Error raised when the configuration file has one or more problems"

    def __init__(self, problems, source=None):
        self.problems = list(problems)
        self.source = source
        where = str(source) if source else "built-in defaults"
        lines = [f"{where}: {p}" for p in self.problems]
        super().__init__("\n".join(lines) if lines else f"{where}: invalid configuration")


class StoreError(KioskError, RuntimeError):
    "Error raised when the local database cannot be opened or written"


class FontError(KioskError, FileNotFoundError):
    "Error raised when no Traditional Chinese font can be found or built"


class NoDisplayError(KioskError, RuntimeError):
    "Error raised when the kiosk is asked to show a window and there is no display"

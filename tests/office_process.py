"""The kiosk's local office server (``kiosk/local_office.py``, a process of its own) with its database at hand.

``make run``'s office server runs as ``python -m office.local``: the kiosk reaches it only over HTTP.  A test
also reads and writes its database directly (what arrived, the office's announcements), through the office
server's own ``Database`` on the same SQLite file:

    office = LocalOfficeAndDatabase(tmp_path / "office", "ERLIN-01")
    office.db.set_config(announcements=[...])       # as the staff would on /settings
    assert office.db.events()                        # what the kiosk uploaded
    office.close()                                   # stops the process, closes the database
"""

from kiosk.local_office import LocalOffice
from office.db import Database


class LocalOfficeAndDatabase(LocalOffice):
    """A :class:`LocalOffice` whose ``db`` is the office's ``Database`` on the process's file."""

    def __init__(self, folder, *args, **kwargs):
        super().__init__(folder, *args, **kwargs)
        self.db = Database(f"sqlite:///{self.database_file}")

    def close(self):
        super().close()
        self.db.close()

"""The databases the office tests run on: SQLite always, and the one at ``$OFFICE_TEST_DATABASE_URL``
(PostgreSQL in CI, `.ci/run`) when it is set.  Each test gets an empty database and leaves none behind.

A test file parametrizes its own fixture over :data:`BACKENDS` and opens the URL with :func:`database_url`.
"""

import os
from contextlib import contextmanager

from office.db import Database
from office.schema import METADATA

BACKENDS = ["sqlite"] + (["other"] if os.environ.get("OFFICE_TEST_DATABASE_URL") else [])


@contextmanager
def database_url(backend: str, tmp_path):
    """The URL of an empty database of ``backend``: a new SQLite file, or the other server, emptied afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'office.db'}"
        return
    try:
        yield os.environ["OFFICE_TEST_DATABASE_URL"]
    finally:
        with Database(os.environ["OFFICE_TEST_DATABASE_URL"]) as database:
            METADATA.drop_all(database.engine)

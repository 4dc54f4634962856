"""
The office server application
=============================

``create_app(db)`` builds the Flask application around one
:class:`~office.db.Database` (or a database URL, which it opens): the kiosks'
API (``office/api.py``) and a front page that says the server is running and
lists the kiosks.  ``kiosk-office serve`` runs it under waitress.
"""

from __future__ import annotations

import logging
from typing import Any, Union

from flask import Flask, jsonify, request
from markupsafe import escape
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from . import __version__
from .api import blueprint
from .db import Database
from .models import MAX_BYTES, MAX_EVENTS

__all__ = ["create_app"]

log = logging.getLogger("office.app")


def create_app(db: Union[str, Database], **config: Any) -> Flask:
    """The Flask app serving ``db`` (a Database, or a SQLAlchemy URL to open); ``config`` goes to app.config."""
    database = db if isinstance(db, Database) else Database(db)
    app = Flask("office")
    app.config["MAX_CONTENT_LENGTH"] = MAX_BYTES
    app.config.update(config)
    app.extensions["office_db"] = database
    app.register_blueprint(blueprint)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if not request.path.startswith("/api/"):
            return exc
        message = exc.description
        if exc.code == 413:
            message = (f"the request is larger than {MAX_BYTES // 1024} KB; "
                       f"send at most {MAX_EVENTS} events or {MAX_BYTES // 1024} KB per request")
        return jsonify(error=message), exc.code

    @app.errorhandler(OperationalError)
    def _database_down(exc: OperationalError):
        # Locked, unreachable, disk full: the kiosk keeps its events and tries again later.
        log.error("database error: %s", exc.orig if exc.orig is not None else exc)
        return jsonify(error="the office database is not available; try again later"), 503, {"Retry-After": "30"}

    @app.get("/")
    def index():
        rows = "".join(
            f"<tr><td>{escape(k['id'])}</td><td>{escape(k['last_contact_at'] or 'never')}</td>"
            f"<td>{k['events']}</td></tr>" for k in database.kiosks())
        return (f"<!doctype html><html lang='zh-TW'><meta charset='utf-8'><title>kiosk-office</title>"
                f"<h1>kiosk-office {escape(__version__)} is running</h1>"
                f"<table><tr><th>kiosk</th><th>last contact</th><th>events</th></tr>{rows}</table></html>")

    return app

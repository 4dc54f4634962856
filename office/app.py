"""
The office server application
=============================

``create_app(db)`` builds the Flask application around one
:class:`~office.db.Database` (or a database URL, which it opens): the kiosks'
API (``office/api.py``), the number-calling API (``office/calls_api.py``),
the staff pages behind a sign-in (``office/pages.py``: today, the monthly
report and its CSV; ``office/settings_pages.py``: announcements and forms) and
``/healthz`` for a monitor.  ``kiosk-office serve`` runs it under waitress.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, Callable, Optional, Union

from flask import Flask, jsonify, request
from markupsafe import escape
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, ServiceUnavailable

from protocol.events import MAX_BYTES, MAX_EVENTS

from . import __version__
from . import staff
from .api import blueprint
from .calls_api import blueprint as calls_api
from .calling_pages import blueprint as calling_pages
from .db import Database
from . import forms_list
from .forms_pages import blueprint as forms_pages
from .pages import blueprint as pages, error_page
from .settings_pages import blueprint as settings_page
from .voice_pages import blueprint as voice_pages
from .take_pages import blueprint as take_pages
from .appointment_pages import blueprint as appointment_pages
from .push_pages import blueprint as push_pages
from .update_pages import blueprint as update_pages
from .report import OFFLINE_AFTER_MINUTES
from .staff import LoginLimiter

__all__ = ["create_app"]

log = logging.getLogger("office.app")


def create_app(db: Union[str, Database], *, offline_minutes: float = OFFLINE_AFTER_MINUTES,
               clock: Optional[Callable[[], datetime]] = None, **config: Any) -> Flask:
    """The Flask app serving ``db`` (a Database, or a SQLAlchemy URL to open); ``config`` goes to app.config.

    The staff pages mark a kiosk silent for more than ``offline_minutes`` offline; ``clock`` (an aware
    datetime, default now in Asia/Taipei) is their "now".
    """
    if not offline_minutes > 0:
        raise ValueError(f"offline_minutes must be more than 0, got {offline_minutes!r}")
    database = db if isinstance(db, Database) else Database(db)
    app = Flask("office")
    app.config["MAX_CONTENT_LENGTH"] = MAX_BYTES
    app.config["OFFLINE_MINUTES"] = offline_minutes
    app.extensions["office_db"] = database
    app.extensions["office_clock"] = clock  # None: officetime.now(), looked up at each request
    app.extensions["office_login_limiter"] = LoginLimiter()
    forms_list.ensure_seeded(database)  # the office's forms list starts as the shipped catalogue
    # Staff sessions: signed with a key kept in the database, so they survive a restart; never logged.
    app.config["SECRET_KEY"] = staff.secret_key(database)
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      SESSION_COOKIE_NAME="kiosk_office_session", PERMANENT_SESSION_LIFETIME=timedelta(hours=12))
    app.config.update(config)
    app.register_blueprint(blueprint)
    app.register_blueprint(pages)
    app.register_blueprint(settings_page)  # /settings (office/settings_pages.py)
    app.register_blueprint(forms_pages)  # /forms, /f/<code> (office/forms_pages.py)
    app.register_blueprint(calls_api)  # number calling (office/calls.py); its tables come with Database
    app.register_blueprint(calling_pages)  # /counter, /display, /q/<day>/<number> (office/calling_pages.py)
    app.register_blueprint(voice_pages)  # /voice and the display's languages and clips (office/voice_pages.py)
    app.register_blueprint(take_pages)  # /take: a number taken on the phone (office/take_pages.py)
    app.register_blueprint(appointment_pages)  # /appointments (office/appointment_pages.py)
    app.register_blueprint(push_pages)  # 提醒我 on the live queue page (office/push_pages.py)
    app.register_blueprint(update_pages)  # /updates: system updates rolled out (office/update_pages.py)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if not request.path.startswith("/api/"):
            return error_page(exc)  # a page in Chinese (office/pages.py), not werkzeug's English one
        message = exc.description
        if exc.code == 413:
            message = (f"the request is larger than {MAX_BYTES // 1024} KB; "
                       f"send at most {MAX_EVENTS} events or {MAX_BYTES // 1024} KB per request")
        return jsonify(error=message), exc.code

    @app.errorhandler(OperationalError)
    def _database_down(exc: OperationalError):
        # Locked, unreachable, disk full: the kiosk keeps its events and tries again later.
        log.error("database error: %s", exc.orig if exc.orig is not None else exc)
        if not request.path.startswith("/api/"):
            return error_page(ServiceUnavailable(retry_after=30))
        return jsonify(error="the office database is not available; try again later"), 503, {"Retry-After": "30"}

    @app.get("/healthz")
    def healthz():
        # For a load balancer or a monitor: says the server runs, tells nothing about the office.
        return f"kiosk-office {escape(__version__)} is running\n", 200, {"Content-Type": "text/plain; charset=utf-8"}

    return app

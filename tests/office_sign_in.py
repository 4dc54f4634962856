"""Signing in to the office server's staff pages as a browser does: read the sign-in form's CSRF token, post it."""

import re

import requests

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf(html: str) -> str:
    """The CSRF token of the form on a staff page."""
    return CSRF.search(html).group(1)


#: The clerk of the office's tests: a sign-in name and a password good enough for office.staff.
CLERK = ("chen", "correct horse 1")


def clerk(app):
    """A test client of ``app`` (office.app.create_app) signed in as :data:`CLERK`, whose account is added first."""
    from office import staff
    staff.add_user(app.extensions["office_db"], *CLERK)
    return sign_in(app.test_client(), *CLERK)


def sign_in(client, name: str, password: str):
    """A Flask test client signed in as staff ``name`` (the sign-in answers 302); returns the client."""
    token = csrf(client.get("/login").get_data(as_text=True))
    answer = client.post("/login", data={"csrf": token, "name": name, "password": password})
    assert answer.status_code == 302, f"signing in as {name} answered {answer.status_code}"
    return client


def signed_in_session(url: str, name: str, password: str) -> requests.Session:
    """A requests session signed in as staff ``name`` on the server at ``url`` (no trailing slash)."""
    session = requests.Session()
    token = csrf(session.get(url + "/login", timeout=10).text)
    answer = session.post(url + "/login", data={"csrf": token, "name": name, "password": password},
                          allow_redirects=False, timeout=10)
    assert answer.status_code == 302, f"signing in as {name} answered {answer.status_code}"
    return session

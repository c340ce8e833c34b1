"""Fixtures: an app on a temporary demo database, and logged-in clients per role."""
import os
import re
import shutil
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import app as kefu  # noqa: E402
from models import db  # noqa: E402

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
ROLES = ("admin", "clerk", "property", "ops", "pm", "gm", "auditor")


def csrf_token(html):
    """Return the CSRF token of the first form in a page."""
    match = CSRF_RE.search(html)
    assert match, "no CSRF token in page"
    return match.group(1)


@pytest.fixture(scope="session")
def demo_db_template(tmp_path_factory):
    """Build one demo database per test session; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "kefu.db"
    kefu.create_app({"TESTING": True, "SECRET_KEY": "test", "KEFU_DEMO": True,
                     "DATABASE_URL": f"sqlite:///{path}"})
    db.close()
    return path


@pytest.fixture
def app(demo_db_template, tmp_path):
    path = tmp_path / "kefu.db"
    shutil.copy(demo_db_template, path)
    application = kefu.create_app({"TESTING": True, "SECRET_KEY": "test",
                                   "DATABASE_URL": f"sqlite:///{path}"})
    yield application
    if not db.is_closed():
        db.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class Client:
    """A test client logged in as one user, with helpers for Flask-Admin forms."""

    def __init__(self, app, username, password="demo"):
        self.http = app.test_client()
        self.username = username
        page = self.http.get("/login")
        response = self.http.post("/login", data={
            "username": username, "password": password, "csrf_token": csrf_token(page.text)})
        assert response.status_code == 302, f"login as {username} failed"

    def get(self, url, **kw):
        return self.http.get(url, **kw)

    def post(self, url, data=None, **kw):
        return self.http.post(url, data=data, **kw)

    def submit(self, form_url, data, token=True):
        """GET a form page, then POST `data` with its CSRF token; return the response."""
        page = self.http.get(form_url)
        assert page.status_code == 200, f"{form_url} answered {page.status_code}"
        payload = dict(data)
        if token:
            payload["csrf_token"] = csrf_token(page.text)
        return self.http.post(form_url, data=payload)


@pytest.fixture
def login(app):
    """login('clerk') returns a Client logged in as that demo user."""
    with app.app_context():
        pass
    return lambda username: Client(app, username)


@pytest.fixture
def as_admin(login):
    return login("admin")


@pytest.fixture
def as_clerk(login):
    return login("clerk")


@pytest.fixture
def as_auditor(login):
    return login("auditor")


@pytest.fixture
def as_property(login):
    return login("property")

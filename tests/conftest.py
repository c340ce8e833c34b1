"""Fixtures: one app per test session, a fresh copy of the demo database per test (`app`), and
logged-in clients per role; markers and the browser."""
import glob
import os
import html
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from datetime import datetime


def free_port():
    """A loopback port nobody listens on (for the servers the tests start)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import app as kefu  # noqa: E402
import clock  # noqa: E402
from models import db  # noqa: E402

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
# The `now` of every test app: the demo data is built at this moment, and the console's clock
# stays there, so no test depends on the day it runs. A Monday morning of a known calendar year.
DEMO_NOW = datetime(2026, 11, 23, 10, 0)
ROLES = ("admin", "clerk", "property", "ops", "pm", "gm", "auditor")


class Statements(list):
    """The SQL text of each statement run, in order; `.params` holds their parameters."""

    def __init__(self):
        super().__init__()
        self.params = []


@contextmanager
def statements_run():
    """Record every SQL statement the database runs inside the block."""
    from models import db
    statements, real = Statements(), db.obj.execute_sql

    def record(sql, params=None, *args, **kwargs):
        statements.append(sql)
        statements.params.append(params)
        return real(sql, params, *args, **kwargs)
    db.obj.execute_sql = record
    try:
        yield statements
    finally:
        del db.obj.execute_sql


def csrf_token(html):
    """Return the CSRF token of the first form in a page."""
    match = CSRF_RE.search(html)
    assert match, "no CSRF token in page"
    return match.group(1)


# KEFU_TEST_POSTGRES=1 runs the whole suite on a real PostgreSQL server that the tests
# start themselves (Debian's postgresql package); otherwise on SQLite.
ON_POSTGRES = os.environ.get("KEFU_TEST_POSTGRES") == "1"


def _run_as_postgres(args, **kw):
    """Run a PostgreSQL program, as the postgres user when we are root (initdb refuses root)."""
    if os.geteuid() == 0:
        args = ["runuser", "-u", "postgres", "--"] + args
    return subprocess.run(args, check=True, capture_output=True, text=True, **kw)


@pytest.fixture(scope="session")
def postgres_server():
    """Start a throw-away PostgreSQL cluster on a free loopback port; yield its admin URL."""
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not bins:
        pytest.fail("PostgreSQL is not installed: apt-get install postgresql (.ci/run does)")
    bindir = os.path.dirname(bins[-1])
    home = tempfile.mkdtemp(prefix="kefu-pg-")
    if os.geteuid() == 0:
        shutil.chown(home, "postgres")
    port = free_port()
    data = os.path.join(home, "data")
    _run_as_postgres([f"{bindir}/initdb", "-D", data, "-A", "trust", "-U", "kefu", "-E", "UTF8"])
    _run_as_postgres([f"{bindir}/pg_ctl", "-D", data, "-l", os.path.join(home, "log"), "-w",
                      "-o", f"-p {port} -k {home} -c listen_addresses=127.0.0.1 -c fsync=off",
                      "start"])
    yield f"postgresql://kefu@127.0.0.1:{port}"
    _run_as_postgres([f"{bindir}/pg_ctl", "-D", data, "-m", "immediate", "stop"])
    shutil.rmtree(home, ignore_errors=True)


def _postgres_admin(server_url, sql):
    import psycopg2
    conn = psycopg2.connect(server_url + "/postgres")
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
    finally:
        conn.close()


TEST_CONFIG = {"TESTING": True, "SECRET_KEY": "test", "KEFU_FIXED_NOW": DEMO_NOW}


@pytest.fixture(scope="session")
def demo_db_template(request, tmp_path_factory):
    """Build one demo database per test session; each test gets a copy of it."""
    if ON_POSTGRES:
        server = request.getfixturevalue("postgres_server")
        _postgres_admin(server, "CREATE DATABASE kefu_template")
        kefu.create_app(dict(TEST_CONFIG, KEFU_DEMO=True, DATABASE_URL=f"{server}/kefu_template"))
        quick_demo_logins()
        close_every_connection()  # PostgreSQL copies no template anyone is connected to
        return server
    path = tmp_path_factory.mktemp("template") / "kefu.db"
    kefu.create_app(dict(TEST_CONFIG, KEFU_DEMO=True, DATABASE_URL=f"sqlite:///{path}"))
    quick_demo_logins()
    close_every_connection()  # the last one out checkpoints the WAL into the file we copy
    return path


def quick_demo_logins():
    """The demo users' password, hashed cheaply in the template: checking the real scrypt hash
    costs 0.3 s of CPU, and a test logs in once or more per role (Client). Passwords the tests
    set themselves, and the unknown-name check, still use the console's own method."""
    from werkzeug.security import generate_password_hash
    from models import User
    cheap = generate_password_hash(kefu.DEMO_PASSWORD, method="pbkdf2:sha256:1000")
    with db.connection_context():
        User.update(password_hash=cheap).where(
            User.username.in_([username for username, *_ in kefu.DEMO_USERS])).execute()


def close_every_connection():
    """Close this thread's connection and the pool's idle ones (database.open_database pools)."""
    db.close()
    db.obj.close_all()


class FreshDatabases:
    """A new copy of the demo template for each test: a file copy on SQLite, a database made
    from the template on PostgreSQL (CREATE DATABASE … TEMPLATE)."""

    def __init__(self, template, tmp_path_factory):
        self.template, self.folder = template, tmp_path_factory.mktemp("databases")
        self.count = 0
        self.strategy = ""
        if ON_POSTGRES:
            import psycopg2
            conn = psycopg2.connect(template + "/postgres")
            if conn.server_version >= 150000:
                # Copy the files instead of writing the template into the WAL: half the time
                # of a CREATE DATABASE and of its DROP (0.25 s a test before).
                self.strategy = " STRATEGY = FILE_COPY"
            conn.close()

    def new(self):
        """Make a fresh copy; return (its URL, a function that removes it)."""
        self.count += 1
        if ON_POSTGRES:
            name = "kefu_" + uuid.uuid4().hex[:12]
            _postgres_admin(self.template, f"CREATE DATABASE {name} TEMPLATE kefu_template{self.strategy}")
            return f"{self.template}/{name}", lambda: _postgres_admin(
                self.template, f"DROP DATABASE {name} WITH (FORCE)")
        path = self.folder / f"kefu-{self.count}.db"
        shutil.copyfile(self.template, path)
        os.chmod(path, 0o600)

        def remove():
            for suffix in ("", "-wal", "-shm"):
                try:
                    os.unlink(f"{path}{suffix}")
                except FileNotFoundError:
                    pass
        return f"sqlite:///{path}", remove


@pytest.fixture(scope="session")
def fresh_databases(demo_db_template, tmp_path_factory):
    return FreshDatabases(demo_db_template, tmp_path_factory)


@pytest.fixture(scope="session")
def session_app(fresh_databases):
    """The console, built once per test session (~450 URL rules, half a second), on a first
    copy of the template; `app` points its database at a fresh copy for every test."""
    url, remove = fresh_databases.new()
    application = kefu.create_app(dict(TEST_CONFIG, DATABASE_URL=url))
    close_every_connection()
    application.kefu_pristine_config = dict(application.config)
    yield application
    remove()


def reset_process_state(application):
    """What a test may leave behind in this process besides its database: the clock, the
    zone, the grid totals' cache, the database outage notes."""
    import database
    from views import grid
    clock.set_fixed_now(application.config.get("KEFU_FIXED_NOW"))
    clock.set_timezone(application.config["KEFU_TIMEZONE"])
    grid._grid_totals.clear()
    database.outage.since, database.outage.refused = None, 0
    database.turn.gate = None


@pytest.fixture
def app(session_app, fresh_databases):
    """The console on a fresh copy of the demo database (the app is the session's: its config
    is restored after each test, and a test needing other settings builds its own app)."""
    import database
    url, remove = fresh_databases.new()
    session_app.config.clear()
    session_app.config.update(session_app.kefu_pristine_config)
    session_app.config["DATABASE_URL"] = url
    database.open_database(url)
    reset_process_state(session_app)
    yield session_app
    close_every_connection()
    remove()


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
        """GET a form page, then POST `data` with its CSRF token; return the response.

        A step that asks nothing has no page of its own: its GET leads to the record's page,
        whose step buttons carry the token."""
        page = self.http.get(form_url, follow_redirects=True)
        assert page.status_code == 200, f"{form_url} answered {page.status_code}"
        payload = dict(data)
        if token:
            payload["csrf_token"] = csrf_token(page.text)
        version = re.search(r'name="kefu_version" value="([^"]*)"', page.text)
        if version and "kefu_version" not in payload:  # as the browser posts the edit page
            payload["kefu_version"] = html.unescape(version.group(1))
        once = re.search(r'name="kefu_once" value="([^"]*)"', page.text)
        if once and "kefu_once" not in payload:  # a form's one-time token, as the browser posts it
            payload["kefu_once"] = html.unescape(once.group(1))
        return self.http.post(form_url, data=payload)


def browser_form(page, **changes):
    """A form page posted as a browser posts it: every enabled field's value, none disabled."""
    data = {}
    for tag, name, value in re.findall(
            r'(<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"[^>]*>)', page):
        if " disabled" not in tag:
            data[name] = html.unescape(value)
    for tag, name, body in re.findall(
            r'(<textarea[^>]*name="([^"]+)"[^>]*>)(.*?)</textarea>', page, re.S):
        if " disabled" not in tag:
            data[name] = html.unescape(body).strip()
    for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option[^>]*selected[^>]*value="([^"]*)"|'
                           r'<option[^>]*value="([^"]*)"[^>]*selected', options)
        if chosen:
            data[name] = chosen.group(1) or chosen.group(2)
    data.update(changes)
    return data


@pytest.fixture
def login(app):
    """login('clerk') returns a Client logged in as that demo user."""
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


@pytest.fixture
def at_monday(app, monkeypatch):
    """The dashboard's tests: a movable `now` (at_monday["value"]) from the demo Monday, with
    the demo's repair orders archived and no alerts, so only the test's own records count."""
    from models import Alert, RepairOrder
    now = {"value": DEMO_NOW}
    monkeypatch.setattr(clock, "now", lambda: now["value"])
    RepairOrder.update(archived_at=DEMO_NOW, archive_reason="测试").execute()  # only ours count
    Alert.delete().execute()
    return now


# Tests that use one of these fixtures start a server process: marked slow.
SERVER_FIXTURES = {"server", "console", "chromium", "page"}


def pytest_collection_modifyitems(config, items):
    """Mark the tests that start a server as slow, and skip the PostgreSQL-only ones on SQLite."""
    for item in items:
        if SERVER_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
        if item.get_closest_marker("postgres") and not ON_POSTGRES:
            item.add_marker(pytest.mark.skip(reason="PostgreSQL only (KEFU_TEST_POSTGRES=1)"))


# ---------------------------------------------------------------- the browser (tests/test_browser*.py)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


def start_console(tmp_path, **env):
    """Start `python app.py` on a free loopback port with a new demo database; return
    (base URL, process, log path)."""
    import urllib.request
    port = free_port()
    log_path = tmp_path / "server.log"
    environment = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path / 'e2e.db'}", KEFU_DEMO="1",
                       KEFU_SECRET_KEY="e2e-secret-key-for-the-test-only", **env)
    log = open(log_path, "w")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    proc = subprocess.Popen([sys.executable, "app.py", "--host", "127.0.0.1", "--port", str(port)],
                            cwd=root, env=environment, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(base + "/login", timeout=2)
            return base, proc, log_path
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise AssertionError(log_path.read_text())
            time.sleep(0.2)


@pytest.fixture
def server(tmp_path):
    """The console, as `python app.py` starts it, on a new demo database."""
    base, proc, _ = start_console(tmp_path)
    yield base
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    """One console for a test file's browser tests (each works on records of its own)."""
    base, proc, _ = start_console(tmp_path_factory.mktemp("console"))
    yield base
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium driven by playwright (no downloaded browser)."""
    if not os.path.exists(CHROMIUM):
        pytest.fail("Debian's chromium is missing: apt-get install chromium (.ci/run does)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    context = chromium.new_context(locale="zh-CN", timezone_id="Asia/Shanghai",
                                   viewport={"width": 1366, "height": 768})
    yield context.new_page()
    context.close()

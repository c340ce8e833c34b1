"""Kefu Desk (客服台): create the app, wire the extensions, and run the console or a command."""
import argparse
import logging
import os
import re
import secrets
import sys
import time
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import click
from flask import (Blueprint, Flask, abort, current_app, flash, g, has_request_context, redirect,
                   render_template, request, send_from_directory, session, url_for)
from flask.cli import with_appcontext
from flask.sessions import SecureCookieSessionInterface
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_babel import Babel
from flask_login import LoginManager, current_user, login_user, logout_user
from peewee import InterfaceError, OperationalError
from wtforms import PasswordField, StringField, validators

import access
import clock
import database
import demo as demo_data
import flows.calendar
import flows.records
import jobs
import sla
import workflow
from forms import NUL_MESSAGE, KefuForm, request_has_nul
from i18n import TRANSLATIONS_DIR, _l, compile_catalogs, install_template_gettext
from audit import audit, verify_chain
from history import SUMMARY_TOKEN_RE, SUMMARY_TOKENS
from jobs.communication import refresh_last_contacts
from models import (CalendarDay, Department, DomainError, LoginAttempt, Setting, Survey, User,
                    ValidationError, db, job_label)
from views import menu_html, register_views, role_tables
from views.crm import CallerView
from views.dashboard import HomeView, MyWorkView
from views.grid import estimate_badge  # the 估算 badge, for templates
from views.public import public

DEFAULT_DB_FILE = "kefu.db"
LANGUAGES = {"zh_Hans_CN": "中文", "en": "English"}

babel = Babel()
login_manager = LoginManager()
auth = Blueprint("auth", __name__)


# ---------------------------------------------------------------- locale

def select_locale():
    """Chinese unless the user picked English or the browser prefers it."""
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    best = request.accept_languages.best_match(["zh_CN", "zh", "en"]) if request else None
    return "en" if best == "en" else "zh_Hans_CN"


# ---------------------------------------------------------------- login

@login_manager.user_loader
def load_user(user_id):
    """The session's user, while active and while the session's epoch is still theirs."""
    try:
        user = User.get_or_none((User.id == int(user_id)) & (User.is_active == True))  # noqa: E712
    except ValueError:
        return None
    if user is None or session.get("epoch") != user.session_epoch:
        return None  # logged out, password changed or disabled since: this session is over
    return user


def start_session(user):
    """Log `user` in on a fresh session: nothing of the anonymous one (its CSRF secret, a
    planted value) carries over; only the chosen language does."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    session.permanent = True
    session["seen"] = time.time()
    session["epoch"] = user.session_epoch
    login_user(user)


class LoginForm(KefuForm):
    username = StringField(_l("登录名"), validators=[validators.InputRequired(message=_l("请输入登录名")),
                                               validators.Length(max=40)])
    password = PasswordField(_l("密码"), validators=[validators.InputRequired(message=_l("请输入密码")),
                                               validators.Length(max=200)])


THROTTLE_MINUTES = 15
THROTTLE_PER_USER = 5     # failed logins for one name within THROTTLE_MINUTES: the name waits
# Failed logins from one address (behind a proxy without KEFU_PROXY_COUNT, every clerk's):
# past this its failures are answered slowly (KEFU_LOGIN_SLOWDOWN seconds), but a known user
# with the right password still gets in: the address limit slows guessing, it locks no one out.
THROTTLE_PER_ADDRESS = 20
LOGIN_LOCK_KEY = 0x6B656667  # PostgreSQL: login attempts are counted one at a time


def claim_login_attempt(username, address, now):
    """Record a login attempt, then count it with the others, in one write transaction: of
    guesses sent at once, no more than THROTTLE_PER_USER get a password check.

    Return (attempt, the name is locked, the address is past its limit)."""
    name = username[:40].lower()
    since = now - timedelta(minutes=THROTTLE_MINUTES)
    with database.write_transaction():
        if not database.is_sqlite():  # SQLite's IMMEDIATE transaction already queues writers
            db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (LOGIN_LOCK_KEY,))
        LoginAttempt.delete().where(LoginAttempt.at < now - timedelta(days=1)).execute()
        attempt = LoginAttempt.create(username=name, address=address, at=now)
        counted = LoginAttempt.select().where(
            (LoginAttempt.at >= since)
            & LoginAttempt.outcome.in_((LoginAttempt.PENDING, LoginAttempt.FAILED)))
        name_locked = counted.where(LoginAttempt.username == name).count() > THROTTLE_PER_USER
        address_busy = bool(address) and counted.where(
            LoginAttempt.address == address).count() > THROTTLE_PER_ADDRESS
        if name_locked:
            LoginAttempt.update(outcome=LoginAttempt.REFUSED).where(
                LoginAttempt.id == attempt.id).execute()
            audit("login_throttled", None, now=now, summary=username[:40])
    return attempt, name_locked, address_busy


@auth.route("/login", methods=("GET", "POST"))
def login():
    form = LoginForm(request.form if request.method == "POST" else None)
    if request.method == "POST" and form.validate():
        name = form.username.data.strip()
        now = clock.now()
        attempt, name_locked, address_busy = claim_login_attempt(name, request.remote_addr, now)
        if name_locked:
            form.password.errors = [_l("登录失败次数过多，请 %(minutes)s 分钟后再试",
                                       minutes=THROTTLE_MINUTES)]
            return render_template("kefu/login.html", form=form, demo=False, demo_users=())
        user = User.authenticate(name, form.password.data)
        with database.write_transaction():
            LoginAttempt.update(outcome=LoginAttempt.OK if user else LoginAttempt.FAILED).where(
                LoginAttempt.id == attempt.id).execute()
            if user is not None:
                User.update(last_login_at=now).where(User.id == user.id).execute()
                audit("login", None, now=now, user=user, summary=user.username)
            else:
                audit("login_failed", None, now=now, summary=name[:40])
        if user is not None:
            start_session(user)
            return redirect(_local_target(request.args.get("next")))
        if address_busy:
            answer_slowly(current_app.config["KEFU_LOGIN_SLOWDOWN"])
        form.password.errors = [_l("登录名或密码不正确")]
    demo = Setting.read("demo") == "1"
    return render_template("kefu/login.html", form=form, demo=demo,
                           demo_users=DEMO_USERS if demo else ())


def _local_target(target):
    """Return `target` as a path on this site, or the home page (never another site)."""
    parts = urlsplit(target or "")
    if parts.scheme not in ("", "http", "https") or parts.netloc not in ("", request.host) \
            or not parts.path.startswith("/") or parts.path.startswith("//"):
        return url_for("admin.index")
    return parts.path + ("?" + parts.query if parts.query else "")


class LogoutForm(KefuForm):
    """Only the CSRF token: logging out is a POST from the console's own page."""


@auth.route("/logout", methods=("POST",))
def logout():
    if not LogoutForm(request.form).validate():
        abort(400)
    if current_user.is_authenticated:
        with database.write_transaction():
            current_user.end_sessions()  # a copy of this session's cookie is refused from now on
            audit("logout", None, summary=current_user.username)
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


@auth.route("/lang/<code>")
def set_language(code):
    if code not in LANGUAGES:
        abort(404)
    session["lang"] = code
    target = request.referrer or url_for("admin.index")
    return redirect(target if target.startswith(request.host_url) else url_for("admin.index"))


@auth.route("/")
def home():
    return redirect(url_for("admin.index"))


# ---------------------------------------------------------------- headers

# Scripts: our static files and the inline tags that carry this response's nonce (Flask-Admin
# puts it on its own). Styles: style="…" attributes are all over Flask-Admin's templates.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'nonce-%s'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'self'")
STATIC_ENDPOINTS = ("static", "admin.static", "favicon")


def csp_nonce():
    """This response's script nonce (one per request)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


class KefuSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the Secure flag following KEFU_SECURE_COOKIE."""

    def get_cookie_secure(self, app):
        setting = str(app.config.get("KEFU_SECURE_COOKIE", "auto")).lower()
        if setting == "auto":
            return has_request_context() and request.is_secure
        return setting in ("1", "true", "yes", "on")


# ---------------------------------------------------------------- the app

def _secret_key(instance_path):
    """Read the secret key from the environment or a generated file in the instance folder."""
    if os.environ.get("KEFU_SECRET_KEY"):
        return os.environ["KEFU_SECRET_KEY"]
    path = os.path.join(instance_path, "secret_key")
    os.makedirs(instance_path, exist_ok=True)
    try:
        # O_EXCL: of several workers starting at once exactly one writes the key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    for _ in range(50):  # another worker may be between creating and writing the file
        with open(path) as fh:
            key = fh.read().strip()
        if key:
            return key
        time.sleep(0.1)
    raise RuntimeError(f"{path} is empty: delete it and start again")


def create_app(test_config=None):
    """Create and configure the console."""
    # Every file the console creates (database, WAL, backups, uploads) is its user's alone.
    os.umask(0o077)
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(
        DATABASE_URL=os.environ.get("DATABASE_URL")
        or "sqlite:///" + os.path.join(app.instance_path, DEFAULT_DB_FILE),
        KEFU_TIMEZONE=os.environ.get("KEFU_TIMEZONE", clock.DEFAULT_TIMEZONE),
        # Demo data only in a database created without DATABASE_URL, unless asked for.
        KEFU_DEMO=os.environ.get("KEFU_DEMO", "0" if os.environ.get("DATABASE_URL") else "1") == "1",
        BABEL_DEFAULT_LOCALE="zh_Hans_CN",
        BABEL_DEFAULT_TIMEZONE="Asia/Shanghai",
        FLASK_ADMIN_FLUID_LAYOUT=True,
        PERMANENT_SESSION_LIFETIME=8 * 3600,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # A long complaint form must still save after a phone call: 4 hours.
        KEFU_CSRF_TIME_LIMIT=4 * 3600,
        # A console left open at the desk logs itself out.
        KEFU_IDLE_MINUTES=int(os.environ.get("KEFU_IDLE_MINUTES", "30")),
        # Seconds a failed login waits once its address is past THROTTLE_PER_ADDRESS.
        KEFU_LOGIN_SLOWDOWN=float(os.environ.get("KEFU_LOGIN_SLOWDOWN", "1")),
        # How many proxies (nginx: 1) stand before the console and set X-Forwarded-For and
        # -Proto. 0: the headers are ignored, since anyone can send them.
        KEFU_PROXY_COUNT=int(os.environ.get("KEFU_PROXY_COUNT", "0")),
        # The session cookie's Secure flag: "auto" when the request came over HTTPS (itself,
        # or by X-Forwarded-Proto from a trusted proxy), "1" always, "0" never.
        KEFU_SECURE_COOKIE=os.environ.get("KEFU_SECURE_COOKIE", "auto"),
    )
    if test_config:
        app.config.update(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(app.instance_path)

    if app.config["KEFU_PROXY_COUNT"] > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix
        hops = app.config["KEFU_PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)

    clock.set_fixed_now(app.config.get("KEFU_FIXED_NOW"))  # tests choose their `now`
    database.open_database(app.config["DATABASE_URL"])
    told = "KEFU_TIMEZONE" in os.environ or "KEFU_TIMEZONE" in (test_config or {})
    app.config["KEFU_TIMEZONE"] = site_timezone(app.config["KEFU_TIMEZONE"], told)
    clock.set_timezone(app.config["KEFU_TIMEZONE"])
    prepare_database(app.config["KEFU_DEMO"], app.config["KEFU_TIMEZONE"])

    compile_catalogs()
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories=TRANSLATIONS_DIR)
    install_template_gettext(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("请先登录")
    app.register_blueprint(auth)
    app.register_blueprint(public)

    app.session_interface = KefuSessionInterface()
    admin = Admin(app, name="客服台 Kefu Desk", url="/admin", csp_nonce_generator=csp_nonce,
                  theme=Bootstrap4Theme(base_template="kefu/master.html", fluid=True),
                  index_view=HomeView(name=_l("首页"), url="/admin"))
    admin.add_view(MyWorkView(name=_l("我的待办"), endpoint="mywork", url="/admin/mywork"))
    admin.add_view(CallerView(name=_l("来电弹屏"), endpoint="caller", url="/admin/caller"))
    # Flask-Admin's packaged zh_Hans_CN admin.mo lacks strings its admin.po has: ours fills them.
    admin.translations_path = TRANSLATIONS_DIR
    register_views(admin)
    app.jinja_env.globals["kefu_menu"] = menu_html

    @app.route("/favicon.ico")
    def favicon():
        """The console's icon (a 客), where every browser asks for it."""
        return send_from_directory(app.static_folder, "favicon.ico", max_age=7 * 24 * 3600,
                                   mimetype="image/vnd.microsoft.icon")

    @app.before_request
    def _refuse_nul():
        """A NUL in the address is refused before any query sees it (PostgreSQL fails on one)."""
        if request_has_nul(request):
            return render_template("kefu/error.html", code=400, message=NUL_MESSAGE), 400
        return None

    @app.before_request
    def _connect():
        if request.endpoint in STATIC_ENDPOINTS:  # styles and icons need no database (an outage's page)
            return
        db.connect(reuse_if_open=True)

    @app.before_request
    def _idle_timeout():
        """Log out a session left idle longer than KEFU_IDLE_MINUTES (default 30)."""
        if request.endpoint in ("static", "admin.static", "favicon") \
                or not current_user.is_authenticated:
            return None
        idle = app.config["KEFU_IDLE_MINUTES"] * 60
        seen = session.get("seen", 0)
        session["seen"] = time.time()
        if time.time() - seen > idle:
            with database.write_transaction():
                audit("logout", None, summary="%s（超时自动退出）" % current_user.username)
            logout_user()
            session.pop("seen", None)
            flash(_l("长时间未操作，已自动退出，请重新登录"))
            return redirect(url_for("auth.login", next=request.full_path
                                    if request.method == "GET" else None))
        return None

    @app.teardown_request
    def _close(exc):
        if not db.is_closed():
            db.close()

    @app.context_processor
    def _globals():
        return {"languages": LANGUAGES, "current_locale": select_locale(),
                "logout_form": LogoutForm, "now": clock.now(), "calendar_warning": calendar_warning,
                "estimate_badge": estimate_badge, "may": may}

    for code in (400, 403, 404, 405):
        app.register_error_handler(code, _error_page(code))

    @app.errorhandler(DomainError)
    def _domain_error(err):
        return render_template("kefu/error.html", code=400, message=str(err)), 400

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def _database_away(err):
        """The database refused or is unreachable: nothing of this request was saved (its
        transaction never began or was rolled back); say so in the console's own page (503)
        instead of a bare 500. SQLite's write lock held past the busy timeout is "busy"; a
        stopped or unreachable server is logged once per outage (database.outage), not with a
        traceback per request."""
        if "_login_user" not in g:  # not loaded yet: the page must not ask the database for it
            g._login_user = login_manager.anonymous_user()
        if database.is_locked(err):
            message = _l("系统繁忙，本次操作未保存，请稍后重试")
        else:
            database.outage.began(err, "%s %s" % (request.method, request.path))
            message = _l("数据库暂时无法连接，本次操作未保存，请稍后重试")
        response = current_app.make_response((render_template(
            "kefu/error.html", code=503, message=message), 503))
        response.headers["Retry-After"] = "10"
        return response

    @app.after_request
    def _database_back(response):
        """A page answered from the database: an outage this process saw is over."""
        if response.status_code < 500 and request.endpoint not in STATIC_ENDPOINTS:
            database.outage.over()
        return response

    @app.after_request
    def _headers(response):
        """No script but our own files and nonce'd tags, no framing by other sites, and no
        copy of a page or an export (personal data) in a browser's or proxy's cache."""
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY % csp_nonce())
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.endpoint not in STATIC_ENDPOINTS:
            response.headers["Cache-Control"] = "no-store"
        return response

    app.cli.add_command(create_user_command)
    app.cli.add_command(run_jobs_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(verify_audit_command)
    app.cli.add_command(role_table_command)
    app.cli.add_command(workflow_table_command)
    return app


def answer_slowly(seconds):
    """Hold this response back `seconds`: behind the RequestGate the wait happens after the
    gate is let go (it slows the guesser, not the clerks queued behind), else here."""
    if request.environ.get("kefu.gate"):
        request.environ["kefu.delay"] = seconds
    else:
        time.sleep(seconds)


class RequestGate:
    """WSGI middleware: at most `limit` requests of this process run at once, the others wait
    their turn in arrival order; streamed exports (minutes long) do not wait and are not waited
    for.

    A page is CPU work, and Python's threads share one core. When 4 threads split it, every
    page takes 4 times as long, and a heavy page (the dashboard) most of all: at 16 clerks on
    2 cores the p95 was 500 ms (bench/RESULTS.md). In turn, a page waits only for the pages
    ahead of it and then runs at full speed. The threads still matter: one streams an export,
    one waits on a lock, the others queue here."""

    def __init__(self, wsgi_app, limit):
        self.wsgi_app, self.slots = wsgi_app, TurnQueue(limit)

    def __call__(self, environ, start_response):
        if "/export/" in environ.get("PATH_INFO", ""):
            return self.wsgi_app(environ, start_response)
        environ["kefu.gate"] = True
        self.slots.acquire()
        # What waits for something other than the CPU gives the slot back meanwhile: a write
        # waiting for SQLite's lock, a long bulk action between chunks (database.turn).
        database.turn.gate = self.slots
        try:
            response = self.wsgi_app(environ, start_response)
            # The page is rendered by now, except a streamed body: read it inside the gate.
            body = response if isinstance(response, list) else _read_all(response)
        finally:
            database.turn.gate = None
            self.slots.release()
        if environ.get("kefu.delay"):  # a refused login answered slowly (answer_slowly)
            time.sleep(environ["kefu.delay"])
        return body


class TurnQueue:
    """`limit` slots handed out strictly in arrival order. A thread that gives its slot back
    and asks again (database.off_turn) queues behind everyone already waiting; threading's
    Semaphore would let it take the slot straight back before a woken waiter runs."""

    def __init__(self, limit):
        import collections
        import threading
        self._free, self._queue = limit, collections.deque()
        self._cond = threading.Condition()

    def acquire(self, blocking=True):
        """Take a slot in turn; without `blocking`, only if one is free and nobody waits."""
        with self._cond:
            if not blocking:
                if self._free and not self._queue:
                    self._free -= 1
                    return True
                return False
            ticket = object()
            self._queue.append(ticket)
            while self._queue[0] is not ticket or not self._free:
                self._cond.wait()
            self._queue.popleft()
            self._free -= 1
            self._cond.notify_all()  # the next in line may have a free slot too
            return True

    def release(self):
        with self._cond:
            self._free += 1
            self._cond.notify_all()

    def waiting(self):
        """How many threads wait for a slot."""
        return len(self._queue)


def _read_all(response):
    try:
        return [b"".join(response)]
    finally:
        if hasattr(response, "close"):
            response.close()


def start_scheduler(app):
    """Run the jobs every minute in this process (python app.py; never under tests).

    Every process may start one: the claim rows in the database let exactly one of them run
    each job in each minute."""
    from flask_apscheduler import APScheduler
    app.config.update(SCHEDULER_API_ENABLED=False,  # its endpoints run any function unauthenticated
                      SCHEDULER_TIMEZONE=app.config["KEFU_TIMEZONE"])
    scheduler = APScheduler()
    scheduler.init_app(app)

    scheduler.add_job(id="kefu-jobs", func=scheduled_minute, args=(app,), trigger="cron", second=5,
                      max_instances=1, coalesce=True, misfire_grace_time=50)
    scheduler.start()
    return scheduler


def scheduled_minute(app):
    """The scheduler's tick: this minute's due jobs. A database that is away or busy costs one
    log line (one per outage), not a traceback a minute; the next minute tries again."""
    try:
        with app.app_context(), db.connection_context():
            jobs.run_due_jobs(clock.now(), run=jobs.run_apart)  # upkeep in its own process
    except (OperationalError, InterfaceError) as err:
        if database.is_unavailable(err):
            database.outage.began(err, "scheduler")
            return
        logging.getLogger("kefu.jobs").warning(
            "scheduler: database busy, this minute's jobs wait for the next (%s)", err)
    else:
        database.outage.over()


@click.command("run-job")
@click.argument("name")
@click.option("--now", "now_text", required=True, help="ISO time to run the job at")
def run_job_command(name, now_text):
    """Run one job at --now, unclaimed (the scheduler claimed it: jobs.run_apart)."""
    if name not in jobs.JOBS_BY_NAME:
        raise click.ClickException("没有名为 %s 的定时任务 (no such job)" % name)
    try:
        now = datetime.fromisoformat(now_text)
    except ValueError:
        raise click.ClickException("--now 须为 ISO 时间，例如 2026-11-22T10:00:00")
    with db.connection_context():
        result = jobs.run_job(jobs.JOBS_BY_NAME[name], now.replace(tzinfo=None))
    click.echo(str(result))


@click.command("run-jobs")
@click.option("--now", "now_text", default=None, help="ISO time to run the jobs at (default: now)")
@click.option("--full", is_flag=True, help="分钟任务也运行，即使上次运行后没有新变化")
def run_jobs_command(now_text, full):
    """Run every job once now (or at --now), whatever the schedule says (the minute's jobs
    only if something changed since they last settled, unless --full)."""
    try:
        now = datetime.fromisoformat(now_text) if now_text else clock.now()
    except ValueError:
        raise click.ClickException("--now 须为 ISO 时间，例如 2026-11-22T10:00:00")
    try:
        with db.connection_context():
            results = jobs.run_due_jobs(now.replace(tzinfo=None), force=True, full=full)
    except (OperationalError, InterfaceError) as err:
        raise click.ClickException("数据库无法访问，任务未完成，请稍后重试 (database unavailable): %s"
                                   % " ".join(str(err).split())[:200])
    for name, result in results.items():
        click.echo(f"{job_label(name)}（{name}）：{result_in_words(result)}")


def result_in_words(result):
    """A job's result as the run-jobs command prints it: counts named in words, never None."""
    if result is None or result == {}:
        return "无"
    if isinstance(result, dict):
        result = "，".join("%s %s" % item for item in result.items())
    return SUMMARY_TOKEN_RE.sub(lambda m: SUMMARY_TOKENS[m.group()], str(result))


@click.command("verify-audit")
@click.option("--head", "expected_head", default=None,
              help="先前记录的链头哈希：须仍在链中（发现末尾被删或整条链被重写）")
def verify_audit_command(expected_head):
    """Check the audit log's whole hash chain; name the first broken row (exit 1 when broken)."""
    with db.connection_context():
        check = verify_chain(expected_head=expected_head)
    for line in check.describe():
        click.echo(line, err=not check.ok)
    if not check.ok:
        sys.exit(1)


@click.command("role-table")
@with_appcontext
def role_table_command():
    """Print README's "Who may do what" tables, made from access.py (the one declaration)."""
    click.echo(role_tables(current_app.extensions["admin"][0]), nl=False)


@click.command("workflow-table")
def workflow_table_command():
    """Print README's workflow tables, made from workflow.py (the one declaration)."""
    click.echo(workflow.table(), nl=False)


def backup_database(target):
    """Copy the SQLite database to `target` with SQLite's online backup API: a consistent
    snapshot even while the console is writing (in WAL mode the copy reads one snapshot and
    writers are not held up). Returns the number of pages copied."""
    import sqlite3
    if not database.is_sqlite():
        raise DomainError("backup 只用于内置 SQLite 数据库；PostgreSQL 请用 pg_dump")
    if os.path.exists(target):
        raise DomainError(f"{target} 已存在，请换一个文件名")
    source = sqlite3.connect(db.obj.database)
    copy = sqlite3.connect(target)
    try:
        with copy:
            source.backup(copy)  # one read transaction: a snapshot; WAL lets writers go on
        os.chmod(target, 0o600)
        check = copy.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            raise DomainError(f"备份校验失败：{check}")
        return copy.execute("PRAGMA page_count").fetchone()[0]
    finally:
        copy.close()
        source.close()


@click.command("backup")
@click.argument("target")
def backup_command(target):
    """Make a consistent copy of the SQLite database at TARGET while the console runs."""
    try:
        pages = backup_database(target)
    except DomainError as err:
        raise click.ClickException(str(err))
    with db.connection_context(), database.write_transaction():
        audit("backup", None, summary=f"数据库备份至 {target[:150]}")
    click.echo(f"已备份 {pages} 页至 {target}")


def may(power):
    """Does the logged-in user hold `power` (access.POWERS)? For templates."""
    return access.may(current_user, power)


def calendar_warning():
    """Say which years (this one, or next within 60 days) have no confirmed holiday arrangement,
    so their deadlines are estimates; shown to every supervisor, with the remedy to the admin."""
    today = clock.now().date()
    # Only the years in question, not the whole calendar: the dashboard asks on every view.
    calendar = sla.WorkCalendar(known_years=CalendarDay.known_years((today.year, today.year + 1)))
    missing = sla.years_missing(calendar, today)
    if not missing:
        return ""
    years = "、".join(str(y) for y in missing)
    return _l("%(years)s 年的调休安排尚未确认：落在该年的期限按法定节假日估算（未含调休），显示为“估算：未含当年调休安排”。"
              "管理员在“工作日历”页粘贴国务院办公厅的放假安排通知并导入后，期限自动重算。", years=years)


ERROR_TEXT = {400: _l("请求无效或已过期，请返回重试"), 403: _l("没有权限访问该页面"),
              404: _l("页面或记录不存在"), 405: _l("不支持该请求方式")}


def _error_page(code):
    def handler(err):
        return render_template("kefu/error.html", code=code, message=ERROR_TEXT[code]), code
    return handler


# ---------------------------------------------------------------- data set-up

DEMO_USERS = (
    ("admin", "系统管理员", Department.SERVICE, User.ADMIN),
    ("clerk", "客服专员 王芳", Department.SERVICE, User.CLERK),
    ("clerk2", "客服专员 孙丽", Department.SERVICE, User.CLERK),
    ("warehouse", "仓库保管员 周伟", Department.WAREHOUSE, User.STAFF),
    ("property", "物业管理部 李强", Department.PROPERTY, User.STAFF),
    ("ops", "营运部经理 张敏", Department.OPERATIONS, User.MANAGER),
    ("pm", "项目经理 陈刚", Department.PROJECT, User.PM),
    ("gm", "总经理 刘洋", Department.GENERAL, User.GM),
    ("auditor", "审计员 赵静", Department.FINANCE, User.AUDITOR),
)
DEMO_PASSWORD = "demo"


class TimezoneMismatch(RuntimeError):
    """KEFU_TIMEZONE names another zone than the one the site's times are stored in."""


def site_timezone(configured, told):
    """The zone of the site's stored times: the one recorded at its first start (every stored
    time is naive local time of it). A process told another zone (KEFU_TIMEZONE) refuses to
    start: run with it, `run-jobs` would read every deadline hours off (issue 19). Not told,
    it takes the site's own."""
    with db.connection_context():
        stored = Setting.read(SITE_TIMEZONE) if db.table_exists(Setting._meta.table_name) else None
    if stored is None or stored == configured:
        return configured
    if told:
        raise TimezoneMismatch(
            f"KEFU_TIMEZONE={configured}，但本站数据按 {stored} 时间保存；请不设 KEFU_TIMEZONE 或设为 "
            f"{stored} (the site's times are stored in {stored}: unset KEFU_TIMEZONE or set it to that)")
    return stored


SITE_TIMEZONE = "timezone"  # the Setting that records the zone of the stored times


def recompute_after_migrations(names, now):
    """Recompute the derived values old migrations left to today's rules (database.RECOMPUTE_AFTER)."""
    if "last_contacts" in names:
        refresh_last_contacts(now)
    if "survey_plan_clocks" in names:
        for survey in Survey.select().where(Survey.status.not_in(Survey.WORKFLOW.group("finished"))):
            survey.plan_clocks(now)


def prepare_database(demo, timezone=clock.DEFAULT_TIMEZONE):
    """Migrate, seed reference data, record the site's zone, and on a new demo database create
    demo users and data."""
    with db.connection_context(), database.startup_transaction():
        applied = database.migrate()
        if Setting.read(SITE_TIMEZONE) is None:  # first start (or the first since issue 19)
            Setting.write(SITE_TIMEZONE, timezone)
        now = clock.now()
        calendar_before = database.seed_reference_data(now)
        if calendar_before is not None:  # a newer package brought a year: the clocks running
            flows.calendar.calendar_changed(calendar_before, None, now)  # into it move, audited
        recompute_after_migrations(database.recomputations(applied), now)  # with the rules seeded
        if 1 in applied and demo:
            with db.atomic():
                Setting.write("demo", "1")
                for username, name, dept, role in DEMO_USERS:
                    user = User(username=username, full_name=name, roles=role,
                                department=Department.by_code(dept), created_at=now, updated_at=now)
                    user.set_password(DEMO_PASSWORD)
                    user.save()
                demo_data.create_demo_data(now)


def create_user(username, full_name, password, roles, department_code=None):
    """Create a login for a real deployment; raise DomainError on bad input."""
    now = clock.now()
    with db.connection_context(), database.write_transaction():
        if User.select().where(User.username == username).exists():
            raise DomainError(f"登录名 {username} 已存在")
        dept = None
        if department_code:
            dept = Department.get_or_none(Department.code == department_code)
            if dept is None:
                raise DomainError(f"部门代码 {department_code} 不存在")
        try:
            return flows.records.create(
                User, dict(username=username, full_name=full_name, roles=roles, department=dept),
                None, now, summary=f"命令行创建员工 {username}", password=password)
        except ValidationError as err:
            raise DomainError("；".join(err.errors.values())) from None


@click.command("create-user")
@click.argument("username")
@click.option("--name", "full_name", required=True, help="姓名")
@click.option("--roles", default=User.CLERK, show_default=True,
              help="逗号分隔：" + ",".join(code for code, _ in User.ROLES))
@click.option("--department", default=None, help="部门代码，如 service / property / operations")
@click.password_option(help="至少 8 位")
def create_user_command(username, full_name, roles, department, password):
    """Create a user (real deployments never get the demo users)."""
    try:
        create_user(username, full_name, password, roles, department)
    except DomainError as err:
        raise click.ClickException(str(err))
    click.echo(f"已创建员工 {username}")


class QuietRequestLog(logging.Filter):
    """The development server's request log without the files a page loads (scripts, styles,
    icons) when they load fine: a page is one line, not twenty; errors are always logged."""

    QUIET_PATHS = ("/static/", "/admin/static/", "/favicon.ico")

    def filter(self, record):
        args = record.args if isinstance(record.args, tuple) else ()
        if len(args) != 3 or not isinstance(args[0], str):
            return True  # not a request line: a start-up message, an error, a traceback
        code = str(args[1])
        parts = ANSI_CODES.sub("", args[0]).split(" ")
        path = parts[1] if len(parts) > 1 else ""
        return not (code[:1] in ("2", "3") and path.startswith(self.QUIET_PATHS))


ANSI_CODES = re.compile(r"\x1b\[[0-9;]*m")


def _quiet_server_name():
    from werkzeug.serving import WSGIRequestHandler

    class Handler(WSGIRequestHandler):
        """The development server, not telling its Werkzeug and Python versions."""

        def version_string(self):
            return "kefu"
    return Handler


def main(argv=None):
    """`python app.py [--host H] [--port P]` runs the console; `create-user …` adds a login."""
    argv = list(sys.argv[1:] if argv is None else argv)
    commands = {"create-user": create_user_command, "run-jobs": run_jobs_command,
                "run-job": run_job_command,
                "backup": backup_command, "verify-audit": verify_audit_command,
                "role-table": role_table_command, "workflow-table": workflow_table_command}
    if argv and argv[0] in commands:
        try:
            app = create_app()
        except TimezoneMismatch as err:
            print(err, file=sys.stderr)
            return 2
        command = commands[argv[0]]
        with app.app_context():
            return command.main(argv[1:], prog_name=f"python app.py {argv[0]}",
                                standalone_mode=True, obj=app)
    parser = argparse.ArgumentParser(description="客服台 Kefu Desk")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--debug", action="store_true")
    args = parser.parse_args(argv)
    app = create_app()
    with db.connection_context():
        demo = Setting.read("demo") == "1"
    print(f"客服台 Kefu Desk: http://{args.host}:{args.port}/  数据库 {app.config['DATABASE_URL']}", flush=True)
    if demo:
        print("演示账号 demo logins (password 'demo'): " + ", ".join(u[0] for u in DEMO_USERS), flush=True)
    logging.getLogger("werkzeug").addFilter(QuietRequestLog())
    start_scheduler(app)
    app.run(host=args.host, port=args.port, debug=args.debug, use_reloader=False,
            request_handler=_quiet_server_name())
    return 0


if __name__ == "__main__":
    sys.exit(main())

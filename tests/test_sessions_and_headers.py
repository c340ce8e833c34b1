"""Issue 18: sessions end server-side, login throttling, response headers, file modes and
spreadsheet bombs refused."""
from conftest import csrf_token
from models import User


def try_login(client, username, password, **kw):
    page = client.get("/login", **kw)
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": csrf_token(page.text)}, **kw)


def session_cookie(client):
    return client.get_cookie("session").value


def replay(app, cookie, path="/admin/"):
    """A fresh browser presenting a copied session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    return thief.get(path)


def logout(client):
    page = client.get("/admin/")
    return client.post("/logout", data={"csrf_token": csrf_token(page.text)})


# ---------------------------------------------------------------- sessions

def test_a_captured_cookie_is_refused_after_logout(as_clerk, app):
    captured = session_cookie(as_clerk.http)
    assert replay(app, captured).status_code == 200
    assert logout(as_clerk.http).status_code == 302
    refused = replay(app, captured)
    assert refused.status_code == 302 and "/login" in refused.headers["Location"]


def test_a_captured_cookie_is_refused_after_a_password_change(login, app):
    clerk = login("clerk")
    captured = session_cookie(clerk.http)
    admin = login("admin")
    user = User.get(User.username == "clerk")
    page = admin.get("/admin/user/edit/?id=%d" % user.id).text
    from helpers import edit_payload
    saved = admin.post("/admin/user/edit/?id=%d" % user.id,
                       data=edit_payload(page, password="a-new-password-1"))
    assert saved.status_code == 302
    assert replay(app, captured).status_code == 302
    assert clerk.get("/admin/").status_code == 302  # the clerk's own browser too
    assert admin.get("/admin/").status_code == 200  # the admin's session is not touched


def test_an_admin_changing_their_own_password_stays_logged_in(login, app):
    admin = login("admin")
    user = User.get(User.username == "admin")
    page = admin.get("/admin/user/edit/?id=%d" % user.id).text
    from helpers import edit_payload
    saved = admin.post("/admin/user/edit/?id=%d" % user.id,
                       data=edit_payload(page, password="a-new-password-1"))
    assert saved.status_code == 302
    assert admin.get("/admin/").status_code == 200


def test_a_captured_cookie_is_refused_after_the_user_is_disabled_and_enabled_again(login, app):
    clerk = login("clerk")
    captured = session_cookie(clerk.http)
    admin = login("admin")
    user = User.get(User.username == "clerk")
    url = "/admin/user/edit/?id=%d" % user.id
    from helpers import edit_payload
    payload = edit_payload(admin.get(url).text)
    payload.pop("is_active", None)  # an unticked box is not posted
    assert admin.post(url, data=payload).status_code == 302
    assert not User.get_by_id(user.id).is_active
    assert replay(app, captured).status_code == 302
    again = edit_payload(admin.get(url).text, is_active="y")
    assert admin.post(url, data=again).status_code == 302
    assert User.get_by_id(user.id).is_active
    assert replay(app, captured).status_code == 302  # enabling again revives no old session


def test_login_rotates_the_session_and_its_csrf_secret(client, app):
    client.get("/login")
    with client.session_transaction() as before:
        before["planted"] = "by someone else"
        secret_before = before.get("csrf")
    assert secret_before
    assert try_login(client, "clerk", "demo").status_code == 302
    with client.session_transaction() as after:
        assert "planted" not in after
        assert after.get("csrf") != secret_before


# ---------------------------------------------------------------- login throttling

def test_a_known_user_logs_in_after_20_failures_from_the_same_address(client, app):
    app.config["KEFU_LOGIN_SLOWDOWN"] = 0  # the slowdown itself is a sleep
    for number in range(21):
        assert "登录名或密码不正确" in try_login(client, "nobody%d" % number, "guess").text
    assert try_login(client, "admin", "demo").status_code == 302


def test_a_name_is_still_locked_after_5_failures(client, app):
    for _ in range(5):
        try_login(client, "clerk", "wrong")
    assert "登录失败次数过多" in try_login(client, "clerk", "demo").text


def test_forwarded_address_is_trusted_only_with_the_proxy_setting(app, demo_db_template, tmp_path):
    from models import AuditLog
    forwarded = {"headers": {"X-Forwarded-For": "10.1.2.3"}}
    try_login(app.test_client(), "nobody", "guess", **forwarded)
    assert AuditLog.select().order_by(AuditLog.id.desc()).first().ip == "127.0.0.1"
    import app as kefu
    from conftest import DEMO_NOW
    behind_nginx = kefu.create_app({"TESTING": True, "SECRET_KEY": "test", "KEFU_FIXED_NOW": DEMO_NOW,
                                    "DATABASE_URL": app.config["DATABASE_URL"],
                                    "KEFU_PROXY_COUNT": 1})
    try_login(behind_nginx.test_client(), "nobody", "guess", **forwarded)
    assert AuditLog.select().order_by(AuditLog.id.desc()).first().ip == "10.1.2.3"


class HashChecks:
    """Counts the password-hash checks login makes (werkzeug's function, wrapped)."""

    def __init__(self, monkeypatch):
        import threading
        from domain import organisation  # where User checks passwords
        self.count, self.lock, real = 0, threading.Lock(), organisation.check_password_hash

        def counted(*args):
            with self.lock:
                self.count += 1
            return real(*args)
        monkeypatch.setattr(organisation, "check_password_hash", counted)


def test_an_unknown_name_costs_the_same_hash_check_as_a_wrong_password(client, monkeypatch):
    checks = HashChecks(monkeypatch)
    try_login(client, "no-such-person", "guess")
    unknown = checks.count
    try_login(client, "clerk", "guess")
    assert unknown == 1 and checks.count - unknown == 1


def test_simultaneous_guesses_never_get_more_checks_than_the_limit(app, monkeypatch):
    import threading
    from app import THROTTLE_PER_USER
    checks = HashChecks(monkeypatch)
    guessers = []
    for _ in range(30):
        browser = app.test_client()
        guessers.append((browser, csrf_token(browser.get("/login").text)))
    start = threading.Barrier(len(guessers))
    answers = []

    def guess(browser, token):
        start.wait()
        answers.append(browser.post("/login", data={"username": "clerk", "password": "guess",
                                                    "csrf_token": token}).status_code)
    app.config["KEFU_LOGIN_SLOWDOWN"] = 0
    threads = [threading.Thread(target=guess, args=pair) for pair in guessers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [200] * 30
    assert checks.count == THROTTLE_PER_USER


# ---------------------------------------------------------------- headers

def test_every_page_carries_the_security_headers(as_clerk, app):
    page = as_clerk.get("/admin/repairorder/")
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in csp and "frame-ancestors 'self'" in csp
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    nonce = csp.split("'nonce-")[1].split("'")[0]
    import re
    for tag in re.findall(r"<script\b[^>]*>", page.text):
        assert "src=" in tag or 'nonce="%s"' % nonce in tag, tag  # every inline script is ours
    assert not re.findall(r'\son[a-z]+="[^"]*"', page.text)  # no inline handler to be refused
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "same-origin"
    export = as_clerk.get("/admin/repairorder/export/csv/")
    assert export.headers["Cache-Control"] == "no-store"


def test_the_caller_screens_inline_script_carries_the_nonce(as_clerk):
    page = as_clerk.get("/admin/caller/")
    nonce = page.headers["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
    assert '<script nonce="%s">' % nonce in page.text


def test_the_session_cookie_is_secure_over_https_and_as_configured(app):
    def cookie_of(client, **kw):
        page = client.get("/login", **kw)
        return [v for k, v in page.headers.items() if k == "Set-Cookie" and v.startswith("session=")][0]
    assert "Secure" not in cookie_of(app.test_client())
    assert "Secure" in cookie_of(app.test_client(), base_url="https://localhost")
    app.config["KEFU_SECURE_COOKIE"] = "1"
    assert "Secure" in cookie_of(app.test_client())


def test_the_development_server_does_not_name_werkzeug_or_python():
    import app as kefu
    assert kefu._quiet_server_name().version_string(object.__new__(kefu._quiet_server_name())) == "kefu"


# ---------------------------------------------------------------- files

def test_the_database_backups_and_uploads_are_the_consoles_own(app, as_admin, tmp_path):
    import os
    import stat
    import app as kefu
    from views.imports import keep_upload
    database = app.config["DATABASE_URL"][len("sqlite:///"):]
    if not os.path.exists(database):
        return  # PostgreSQL: no file of ours
    as_admin.get("/admin/")
    for name in (database, database + "-wal"):
        assert stat.S_IMODE(os.stat(name).st_mode) == 0o600, name
    backup = str(tmp_path / "copy.db")
    kefu.backup_database(backup)
    assert stat.S_IMODE(os.stat(backup).st_mode) == 0o600
    app.config["KEFU_IMPORT_FOLDER"] = str(tmp_path / "imports")
    with app.test_request_context():
        from flask_login import login_user
        from models import User
        login_user(User.get(User.username == "admin"))
        keep_upload("customer", "a.csv", b"x")
        folder = app.config["KEFU_IMPORT_FOLDER"]
        assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
        assert {stat.S_IMODE(os.stat(os.path.join(folder, n)).st_mode)
                for n in os.listdir(folder)} == {0o600}


def test_migration_13_adds_the_session_epoch_to_a_database_that_has_audit_rows(app):
    """Adding a NOT NULL column rebuilt the user table on SQLite, which set audit rows' user
    to NULL and was refused by the append-only log: every existing deployment failed to start."""
    import database
    from models import AuditLog, db
    audited = AuditLog.select().where(AuditLog.user.is_null(False)).count()
    assert audited
    db.execute_sql('ALTER TABLE "user" DROP COLUMN "session_epoch"')
    database.SchemaMigration.delete().where(database.SchemaMigration.version == 13).execute()
    assert database.migrate() == [13]
    assert AuditLog.select().where(AuditLog.user.is_null(False)).count() == audited
    assert {u.session_epoch for u in User.select()} == {0}

"""Races and outages (issue 19): jobs run twice at once, a site's time zone, bulk actions beside
other clerks, a write waiting for SQLite's lock, and PostgreSQL stopped under a running console.

Real concurrency: threads started together with a barrier, and real servers (gunicorn, as
README's Production section runs it) on the test's database."""
import glob
import http.cookiejar
import os
import re
import shlex
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

import database
import jobs
from conftest import DEMO_NOW, ON_POSTGRES, _run_as_postgres, free_port
from models import (Alert, AuditLog, Contact, Customer, Deadline, Department, JobRun, RepairOrder,
                    Setting, db)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HIDDEN_INPUT = re.compile(r'<input[^>]*type="hidden"[^>]*>')
NAME_VALUE = re.compile(r'name="([^"]+)"[^>]*?value="([^"]*)"|value="([^"]*)"[^>]*?name="([^"]+)"')


def open_alerts_twice():
    """Open alerts that another open alert already stands for (same record, clock and kind)."""
    return db.execute_sql(
        "SELECT COUNT(*) FROM alert a WHERE a.status = 'open' AND EXISTS (SELECT 1 FROM alert b "
        "WHERE b.status = 'open' AND b.kind = a.kind AND b.record_type = a.record_type "
        "AND b.record_id = a.record_id AND COALESCE(b.rule_id, 0) = COALESCE(a.rule_id, 0) "
        "AND b.since = a.since AND b.id < a.id)").fetchone()[0]


def at_once(count, work):
    """Run `work(i)` in `count` threads released together; return their results in order."""
    barrier = threading.Barrier(count)
    results, errors = [None] * count, []

    def run(i):
        try:
            with db.connection_context():
                barrier.wait()
                results[i] = work(i)
        except Exception as err:  # noqa: BLE001 - reported below
            errors.append(err)
    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    assert not errors, errors
    return results


# ---------------------------------------------------------------- 1. two runs of the jobs at once

@pytest.mark.slow
def test_two_run_jobs_at_once_raise_each_alert_once(app):
    """`run-jobs` twice with the same --now (a forced run claims a slot of its own, so the
    claims never collide): every alert is raised once, on both databases."""
    waiting_to_be_accepted(3000)  # a big first job: both runs' INSERTs overlap
    for round_ in range(4):
        now = DEMO_NOW + timedelta(days=2 + round_, hours=round_)
        Alert.delete().execute()  # each round raises the whole set again
        results = at_once(2, lambda i: jobs.run_due_jobs(now, force=True))
        assert all("failed" not in r.values() for r in results), results
        raised = Alert.select().where(Alert.status == Alert.OPEN).count()
        assert raised > 3000, "round %d raised too little to race: %d" % (round_, raised)
        assert open_alerts_twice() == 0, "round %d: duplicates" % round_
        # A third run finds nothing left to raise.
        assert jobs.run_due_jobs(now, force=True, full=True)["flag_unaccepted_repairs"] == 0


def test_migration_16_resolves_open_alerts_raised_twice_and_audits_it(app):
    """An older database may hold duplicates already: the migration keeps the oldest open,
    resolves the others, audits how many, and then the database refuses another."""
    from peewee import IntegrityError
    now = DEMO_NOW + timedelta(days=3)
    jobs.run_due_jobs(now, force=True)
    db.execute_sql('DROP INDEX "%s"' % database.OPEN_ALERT_INDEX)
    originals = list(Alert.select().where((Alert.status == Alert.OPEN)
                                          & Alert.kind.in_(("overdue", "due_soon"))).limit(7))
    for alert in originals:
        Alert.insert(**{k: v for k, v in alert.__data__.items() if k != "id"}).execute()
    assert open_alerts_twice() == 7
    database.SchemaMigration.delete().where(database.SchemaMigration.version == 16).execute()
    with database.startup_transaction():
        assert database.migrate() == [16]
    assert open_alerts_twice() == 0
    assert all(Alert.get_by_id(a.id).status == Alert.OPEN for a in originals)
    assert Alert.select().where(Alert.resolution_note == "重复提醒，系统自动解除").count() == 7
    assert AuditLog.select().where(
        AuditLog.summary == "数据库迁移 16：重复的未处理提醒 7 条已自动解除").count() == 1
    with pytest.raises(IntegrityError), db.atomic():
        Alert.insert(**{k: v for k, v in originals[0].__data__.items() if k != "id"}).execute()


# ---------------------------------------------------------------- 2. the site's time zone

@pytest.mark.slow
def test_run_jobs_uses_the_sites_time_zone_and_refuses_another(app):
    """A site whose times are stored in another zone than the default: `run-jobs` without
    KEFU_TIMEZONE flags an order 1 minute overdue by the site's clock; told another zone, it
    refuses and runs nothing."""
    zone = "Pacific/Kiritimati"  # UTC+14: six hours ahead of the default Asia/Shanghai
    Setting.write("timezone", zone)
    site_now = datetime.now(ZoneInfo(zone)).replace(tzinfo=None, microsecond=0)
    customer = Customer.select().where(Customer.kind == "tenant").first()
    order = RepairOrder.create(customer=customer, location="时区测试 1F", description="漏水",
                               reported_at=site_now - timedelta(minutes=31),
                               department=Department.get(Department.code == "property"),
                               created_at=site_now, updated_at=site_now, number="TZ-0001")
    with database.write_transaction():
        order.dispatch(None, site_now - timedelta(minutes=31))
    Deadline.update(due_at=site_now - timedelta(minutes=1), warn_at=site_now - timedelta(minutes=1)) \
        .where((Deadline.record_type == "RepairOrder") & (Deadline.record_id == order.id)).execute()
    env = {k: v for k, v in os.environ.items() if k != "KEFU_TIMEZONE"}
    env.update(DATABASE_URL=app.config["DATABASE_URL"], KEFU_SECRET_KEY="t" * 32)
    runs = JobRun.select().count()

    told = subprocess.run([sys.executable, "app.py", "run-jobs"], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, env=dict(env, KEFU_TIMEZONE="Asia/Shanghai"))
    assert told.returncode != 0 and zone in told.stderr and "Traceback" not in told.stderr
    assert JobRun.select().count() == runs

    result = subprocess.run([sys.executable, "app.py", "run-jobs"], cwd=ROOT, capture_output=True,
                            text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr
    assert Alert.select().where((Alert.record_type == "RepairOrder") & (Alert.record_id == order.id)
                                & (Alert.kind == "overdue")).count() == 1


# ---------------------------------------------------------------- a console under gunicorn

@contextmanager
def gunicorn(app, workers=1, threads=4, active=1, scheduler="0"):
    """The console as README's Production section runs it, on the test's database; yields
    (base URL, a function returning the server's log so far)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "KEFU_TIMEZONE"}
    env.update(DATABASE_URL=app.config["DATABASE_URL"], KEFU_SECRET_KEY="t" * 32,
               KEFU_BIND=f"127.0.0.1:{port}", KEFU_WORKERS=str(workers),
               KEFU_THREADS=str(threads), KEFU_ACTIVE_REQUESTS=str(active),
               KEFU_SCHEDULER=scheduler)
    log_path = os.path.join(app.instance_path, f"gunicorn-{port}.log")
    os.makedirs(app.instance_path, exist_ok=True)
    with open(log_path, "w") as log:
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py",
                                   "wsgi:app"], cwd=ROOT, env=env, stdout=log,
                                  stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    read_log = lambda: open(log_path).read()  # noqa: E731
    try:
        deadline = time.monotonic() + 90
        while True:
            assert server.poll() is None, read_log()
            try:
                urllib.request.urlopen(base + "/login", timeout=5)
                break
            except OSError:
                assert time.monotonic() < deadline, read_log()
                time.sleep(0.2)
        yield base, read_log
    finally:
        server.terminate()
        server.wait(timeout=30)


class Browser:
    """One clerk's browser: cookies, forms posted with every hidden field of their page."""

    def __init__(self, base, headers=None):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.opener.addheaders = list((headers or {}).items())

    def request(self, path, data=None):
        """Return (status, text, seconds)."""
        started = time.monotonic()
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, body, timeout=120) as response:
                status, text = response.status, response.read().decode()
        except urllib.error.HTTPError as err:
            status, text = err.code, err.read().decode()
        return status, text, time.monotonic() - started

    def hidden(self, path):
        status, text, _ = self.request(path)
        assert status == 200, (path, status, text[:300])
        fields = {}
        for tag in HIDDEN_INPUT.findall(text):
            match = NAME_VALUE.search(tag)
            if match:
                name, value = (match.group(1), match.group(2)) if match.group(1) else \
                    (match.group(4), match.group(3))
                fields.setdefault(name, value)
        return fields

    def login(self, username):
        fields = self.hidden("/login")
        status, text, _ = self.request("/login", dict(fields, username=username, password="demo"))
        assert status == 200 and "登录名或密码不正确" not in text, text[:300]
        return self

    def save_contact(self, subject):
        fields = self.hidden("/admin/contact/new/")
        return self.request("/admin/contact/new/", dict(
            fields, subject=subject, channel="phone", kind="enquiry", status="open",
            received_at="2026-11-23 10:00:00"))

    def bulk(self, view, action, ids):
        fields = self.hidden(f"/admin/{view}/")
        return self.request(f"/admin/{view}/action/", {
            "csrf_token": fields["csrf_token"], "action": action, "rowid": [str(i) for i in ids]})


def registered_orders(count):
    """`count` new registered repair orders (ids), made in one statement."""
    customer = Customer.select().where(Customer.kind == "tenant").first()
    property_ = Department.get(Department.code == "property")
    first = RepairOrder.select().count()
    rows = [dict(customer=customer.id, location="批量 %d" % i, description="批量派单测试",
                 reported_at=DEMO_NOW, department=property_.id, created_at=DEMO_NOW,
                 updated_at=DEMO_NOW, number="BULK-%05d" % (first + i)) for i in range(count)]
    with database.write_transaction():
        for start in range(0, count, 200):
            RepairOrder.insert_many(rows[start:start + 200]).execute()
    return [o.id for o in RepairOrder.select(RepairOrder.id).where(
        RepairOrder.number.startswith("BULK-"))]


def waiting_to_be_accepted(count):
    """`count` new repair orders dispatched at DEMO_NOW, their acceptance clocks running."""
    ids = registered_orders(count)
    with database.write_transaction():
        one = RepairOrder.get_by_id(ids[0])
        one.dispatch(None, DEMO_NOW)
        clock = Deadline.get((Deadline.record_type == "RepairOrder") & (Deadline.record_id == one.id))
        rows = [dict({k: v for k, v in clock.__data__.items() if k != "id"}, record_id=pk)
                for pk in ids[1:]]
        for start in range(0, len(rows), 200):
            Deadline.insert_many(rows[start:start + 200]).execute()
        RepairOrder.update(status="dispatched", dispatched_at=DEMO_NOW).where(
            RepairOrder.id.in_(ids)).execute()


def dispatched(ids):
    return RepairOrder.select().where(RepairOrder.id.in_(ids)
                                      & (RepairOrder.status == "dispatched")).count()


# ---------------------------------------------------------------- 3. a bulk action beside a save

@pytest.mark.slow
def test_a_bulk_action_beside_a_saving_clerk_does_every_row_and_says_so(app):
    """A 300-row bulk 派单 while another clerk saves contacts: every order is dispatched and
    the page says so (SQLite failed it with a false "未保存" once the other clerk committed)."""
    ids = registered_orders(300)
    with gunicorn(app, threads=4, active=4) as (base, read_log):
        bulk_clerk, other = Browser(base).login("clerk"), Browser(base).login("clerk")
        outcome, saves = {}, []
        bulk_fields = bulk_clerk.hidden("/admin/repairorder/")

        def run_bulk():
            outcome["bulk"] = bulk_clerk.request("/admin/repairorder/action/", {
                "csrf_token": bulk_fields["csrf_token"], "action": "dispatch",
                "rowid": [str(i) for i in ids]})
        thread = threading.Thread(target=run_bulk)
        thread.start()
        while thread.is_alive():
            if dispatched(ids):  # the bulk is writing: save beside it
                saves.append(other.save_contact("批量期间的来电 %d" % len(saves)))
        thread.join()
        status, text, _ = outcome["bulk"]
        assert status == 200, (status, text[:500])
        assert "派单：成功 300 条" in text, text[:2000]
        assert "未保存" not in text and "未办理" not in text
        assert dispatched(ids) == 300
        assert saves and all(s[0] == 200 for s in saves), [s[:1] for s in saves]
        assert "Traceback" not in read_log()


@pytest.mark.slow
def test_a_long_bulk_action_lets_a_single_save_on_its_worker_through(app):
    """One worker with one page at a time: a clerk's single save, clicked while a 600-row bulk
    action runs on that worker, is answered between the bulk's chunks, not after it."""
    ids = registered_orders(600)
    with gunicorn(app, threads=4, active=1) as (base, _):
        bulk_clerk, other = Browser(base).login("clerk"), Browser(base).login("clerk")
        bulk_fields = bulk_clerk.hidden("/admin/repairorder/")
        save_fields = other.hidden("/admin/contact/new/")
        outcome = {}

        def run_bulk():
            outcome["bulk"] = bulk_clerk.request("/admin/repairorder/action/", {
                "csrf_token": bulk_fields["csrf_token"], "action": "dispatch",
                "rowid": [str(i) for i in ids]})
        thread = threading.Thread(target=run_bulk)
        thread.start()
        while not dispatched(ids):  # the bulk holds the worker's slot and writes
            assert thread.is_alive(), outcome
        status, _, took = other.request("/admin/contact/new/", dict(
            save_fields, subject="批量期间的单条保存", channel="phone", kind="enquiry",
            status="open", received_at="2026-11-23 10:00:00"))
        done_when_saved = dispatched(ids)
        thread.join()
        assert status == 200 and Contact.select().where(Contact.subject == "批量期间的单条保存").exists()
        assert done_when_saved < 600, "the save waited for the whole bulk action"
        assert took < 5, took
        assert "派单：成功 600 条" in outcome["bulk"][1]


# ---------------------------------------------------------------- 4. reads and SQLite's lock

@pytest.mark.slow
@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's write lock")
def test_pages_do_not_wait_behind_a_write_waiting_for_the_sqlite_lock(app):
    """Another process holds SQLite's write lock for 4 s; a clerk's save waits for it. Read-only
    pages on the same worker (one page at a time) are answered meanwhile: WAL readers never wait."""
    import sqlite3
    path = app.config["DATABASE_URL"][len("sqlite:///"):]
    with gunicorn(app, threads=4, active=1) as (base, _):
        writer, reader = Browser(base).login("clerk"), Browser(base).login("auditor")
        fields = writer.hidden("/admin/contact/new/")
        reader.request("/admin/contact/")  # warm: the first page of a worker loads templates
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        held_at = time.monotonic()
        saved = {}
        thread = threading.Thread(target=lambda: saved.update(result=writer.request(
            "/admin/contact/new/", dict(fields, subject="等锁的保存", channel="phone",
                                        kind="enquiry", status="open",
                                        received_at="2026-11-23 10:00:00"))))
        thread.start()
        time.sleep(0.5)  # the save reaches the lock first (arrival order; not the outcome)
        reads = [reader.request(p) for p in ("/admin/contact/", "/admin/repairorder/", "/admin/")]
        read_while_held = time.monotonic() - held_at
        time.sleep(max(0.0, 4 - (time.monotonic() - held_at)))
        holder.execute("COMMIT")
        holder.close()
        thread.join(30)
    assert [r[0] for r in reads] == [200, 200, 200]
    assert read_while_held < 3.5, ("reads waited for the lock", [round(r[2], 2) for r in reads])
    assert saved["result"][0] == 200 and Contact.select().where(Contact.subject == "等锁的保存").exists()


# ---------------------------------------------------------------- 5. PostgreSQL stopped

@contextmanager
def postgres_stopped(server_url):
    """Stop the tests' PostgreSQL server (fast shutdown) for the block, then start it again."""
    import psycopg2
    conn = psycopg2.connect(server_url + "/postgres")
    try:
        with conn.cursor() as cur:
            cur.execute("SHOW data_directory")
            data = cur.fetchone()[0]
    finally:
        conn.close()
    bindir = os.path.dirname(sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))[-1])
    with open(os.path.join(data, "postmaster.opts")) as fh:
        words = shlex.split(fh.read())[1:]
    options = [w for i, w in enumerate(words) if w != "-D" and (i == 0 or words[i - 1] != "-D")]
    log = os.path.join(os.path.dirname(data), "log")
    _run_as_postgres([f"{bindir}/pg_ctl", "-D", data, "-m", "fast", "-w", "stop"])
    try:
        yield
    finally:
        _run_as_postgres([f"{bindir}/pg_ctl", "-D", data, "-l", log, "-w", "-o",
                          " ".join(shlex.quote(o) for o in options), "start"])


@pytest.mark.slow
@pytest.mark.postgres  # a PostgreSQL server to stop
def test_a_stopped_postgresql_gets_the_consoles_page_and_one_log_line(app, demo_db_template, caplog):
    """PostgreSQL stopped under a running console: every request gets the console's own 503
    page (Chinese; English in English mode), the log says so once per outage and once when it is
    back, no traceback; the scheduler's failed minute is one line too; afterwards all works."""
    import logging
    import app as kefu
    with gunicorn(app, workers=1, threads=4, active=1) as (base, read_log):
        clerk = Browser(base).login("clerk")
        english = Browser(base, {"Accept-Language": "en"})
        assert clerk.request("/admin/")[0] == 200
        with postgres_stopped(demo_db_template):
            caplog.set_level(logging.INFO)
            kefu.scheduled_minute(app)
            kefu.scheduled_minute(app)
            pages = [clerk.request("/admin/") for _ in range(5)]
            pages += [clerk.request("/admin/contact/new/", {"subject": "停库时的保存"})]
            pages += [clerk.request("/admin/repairorder/") for _ in range(5)]
            in_english = english.request("/login")
        assert {p[0] for p in pages} == {503}, [p[0] for p in pages]
        assert all("数据库暂时无法连接，本次操作未保存，请稍后重试" in p[1] for p in pages)
        assert in_english[0] == 503 and "The database cannot be reached" in in_english[1]
        scheduler_lines = [r for r in caplog.records if r.name.startswith("kefu")]
        assert len(scheduler_lines) == 1 and scheduler_lines[0].exc_info is None, scheduler_lines
        assert "database unavailable (scheduler)" in scheduler_lines[0].getMessage()
        kefu.scheduled_minute(app)  # the next minute runs, and says the database is back
        assert "database reachable again" in caplog.records[-1].getMessage()
        # Back: the console works again, the first request included.
        assert clerk.request("/admin/")[0] == 200
        assert clerk.save_contact("恢复后的保存")[0] == 200
        log = read_log()
    assert Contact.select().where(Contact.subject == "恢复后的保存").exists()
    assert not Contact.select().where(Contact.subject == "停库时的保存").exists()
    assert "Traceback" not in log, log[-3000:]
    assert log.count("database unavailable") == 1, log[-3000:]
    assert log.count("database reachable again") == 1, log[-3000:]

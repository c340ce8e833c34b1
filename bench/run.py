"""Measure the console on a database built by bench/build_data.py and print one table.

    python bench/run.py [--db sqlite:////tmp/bench/kefu.db] [--password PW]
                        [--repeat 10] [--warmup 2] [--only pages,export,jobs,load]
                        [--profile N] [--out bench/RESULTS.md]

Pages go through the Flask test client (same process, same database as the floor); each is
requested --warmup times, then --repeat times, and reported as median and p95. The floor is
the bare SQL the page needs (a COUNT and a LIMIT 20 page with the same condition, the rows of
a details page...), run on the same connection. The export, the jobs and the load run each run
in a child process (peak RSS is the child's own); jobs and load run on a copy of the SQLite
database so the measured database stays as built (on PostgreSQL they change it in place).
--profile N writes a pyinstrument text report for the N slowest pages to /tmp/bench/profile/.
"""
import argparse
import json
import os
import platform
import random
import re
import resource
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

DEFAULT_DB = "sqlite:////tmp/bench/kefu.db"
WORK = "/tmp/bench"
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')

TARGETS = {"grid": 200, "overdue": 200, "search": 200, "details": 200, "deep": 400,
           "dashboard": 300}


def percentile(values, q):
    values = sorted(values)
    if len(values) == 1:
        return values[0]
    k = (len(values) - 1) * q
    low = int(k)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (k - low)


def sqlite_path(url):
    return url[len("sqlite:///"):] if url.startswith("sqlite:///") else None


def read_password(args):
    if args.password:
        return args.password
    if os.environ.get("KEFU_BENCH_PASSWORD"):
        return os.environ["KEFU_BENCH_PASSWORD"]
    path = sqlite_path(args.db)
    path = (path + ".admin-password") if path else os.path.join(WORK, "pg.admin-password")
    with open(path) as fh:
        return fh.read().strip()


def make_app(url):
    """The console on `url` with a fresh random secret key (never a fixed one)."""
    os.environ.pop("DATABASE_URL", None)
    from app import create_app
    return create_app({"DATABASE_URL": url, "TESTING": True, "KEFU_DEMO": False,
                       "SECRET_KEY": secrets.token_hex(32)})


def login(client, password):
    page = client.get("/login")
    token = CSRF_RE.search(page.text).group(1)
    response = client.post("/login", data={"username": "admin", "password": password,
                                           "csrf_token": token})
    if response.status_code != 302:
        sys.exit("login as admin failed (status %s): wrong --password?" % response.status_code)


# ---------------------------------------------------------------- pages and their floors

class Raw:
    """Run hand-written SQL on the app's own connection and fetch every row (the floor)."""

    def __init__(self, db):
        self.db = db
        self.sqlite = "sqlite" in type(db.obj).__name__.lower()

    def q(self, sql, params=()):
        if not self.sqlite:
            sql = sql.replace("?", "%s")
        return self.db.execute_sql(sql, params).fetchall()


def view_table(view):
    return view.model._meta.table_name


def default_order(view):
    sort = view.column_default_sort
    if isinstance(sort, tuple):
        column, desc = sort
    else:
        column, desc = sort, False
    field = view.model._meta.fields.get(column)
    return '"%s" %s' % (field.column_name if field else column, "DESC" if desc else "ASC")


def related_joins(view):
    """LEFT JOINs for the related names the grid shows (what with_related loads)."""
    from peewee import ForeignKeyField
    joins, cols = [], []
    for i, name in enumerate(view.column_list or ()):
        field = view.model._meta.fields.get(name) if isinstance(name, str) else None
        if isinstance(field, ForeignKeyField):
            alias = "r%d" % i
            joins.append('LEFT JOIN "%s" %s ON %s.id = t."%s"' % (
                field.rel_model._meta.table_name, alias, alias, field.column_name))
            cols.append("%s.*" % alias)
    return joins, cols


def grid_floor(raw, view, where_sql="", params=(), offset=0):
    """COUNT over the condition plus one page of 20 rows, sorted, with the related names."""
    table = view_table(view)
    joins, cols = related_joins(view)
    where = (" WHERE " + where_sql) if where_sql else ""

    def run():
        raw.q('SELECT COUNT(*) FROM "%s" t%s' % (table, where), params)
        raw.q('SELECT t.*%s FROM "%s" t %s%s ORDER BY t.%s LIMIT 20 OFFSET %d' % (
            "".join(", " + c for c in cols), table, " ".join(joins), where,
            default_order(view), offset), params)
    return run


def condition_sql(model, condition):
    """Render a peewee condition on `model` as a WHERE clause for the alias t."""
    sql, params = model.select(model.id).where(condition).sql()
    where = sql.split(" WHERE ", 1)[1]
    table = model._meta.table_name
    return where.replace('"t1".', "t.").replace('"%s".' % table, "t."), params


def build_pages(app, db, admin_views):
    """[(item, group, url, floor function)] for every page measured."""
    import clock
    from models import Complaint, Contact, Customer, RepairOrder
    from views.base import any_overdue_condition
    raw = Raw(db)
    pages = []
    for view in admin_views:
        if getattr(view, "model", None) is None:
            continue
        pages.append(("grid %s" % view.endpoint, "grid", view.url + "/", grid_floor(raw, view)))
    now = clock.now()
    for view in admin_views:
        if getattr(view, "deadline_filters", None):
            # The condition itself, rendered once with a fixed now (the page uses its own now).
            cond = any_overdue_condition(view.model, view.deadline_filters, now)
            where, params = condition_sql(view.model, cond)
            pages.append(("overdue %s" % view.endpoint, "overdue", view.url + "/?flt0_id_overdue=1",
                          grid_floor(raw, view, where, params)))
    views = {v.endpoint: v for v in admin_views}
    def pick(query, model, back):
        """A record some way back from the newest (not the hot end of the table)."""
        return query.order_by(model.id.desc()).offset(min(back, query.count() // 2)).first()
    with db.connection_context():
        contact = pick(Contact.select().where(Contact.customer.is_null(False)), Contact, 5000)
        customer = Customer.get_by_id(contact.customer_id)
        complaint = pick(Complaint.select().where(Complaint.status == Complaint.CLOSED), Complaint, 3000)
        complaint_open = pick(Complaint.select().where(Complaint.status == Complaint.IN_PROGRESS),
                              Complaint, 10)
        repair = pick(RepairOrder.select().where(RepairOrder.status == RepairOrder.CLOSED),
                      RepairOrder, 2000)
    phone = contact.phone
    for endpoint, value in (("contact", phone), ("complaint", complaint.complainant_phone),
                            ("customer", customer.phone)):
        view = views[endpoint]
        column = {"contact": "phone", "complaint": "complainant_phone", "customer": "phone"}[endpoint]
        # The floor nobody can beat: the phone column's own index, equality.
        pages.append(("search phone %s" % endpoint, "search", view.url + "/?search=" + value,
                      grid_floor(raw, view, 't."%s" = ?' % column, (value,))))
    for endpoint in ("contact", "auditlog", "repairorder"):
        view = views[endpoint]
        pages.append(("deep page 1000 %s" % endpoint, "deep", view.url + "/?page=999",
                      grid_floor(raw, view, offset=999 * 20)))

    def details_floor(model, record_id, children):
        def run():
            raw.q('SELECT * FROM "%s" WHERE id = ?' % model._meta.table_name, (record_id,))
            raw.q("SELECT * FROM audit_log WHERE model = ? AND record_id = ? ORDER BY id DESC LIMIT 200",
                  (model.__name__, str(record_id)))
            raw.q("SELECT * FROM deadline WHERE record_type = ? AND record_id = ? "
                  "ORDER BY started_at, id", (model.__name__, record_id))
            raw.q("SELECT * FROM hold WHERE record_type = ? AND record_id = ?", (model.__name__, record_id))
            for table, column in children:
                raw.q('SELECT * FROM "%s" WHERE "%s" = ?' % (table, column), (record_id,))
        return run
    for label, endpoint, model, record, children in (
            ("details complaint (closed)", "complaint", Complaint, complaint,
             (("complaint_update", "complaint_id"), ("callback", "complaint_id"))),
            ("details complaint (open)", "complaint", Complaint, complaint_open,
             (("complaint_update", "complaint_id"), ("callback", "complaint_id"))),
            ("details repairorder", "repairorder", RepairOrder, repair, (("callback", "repair_order_id"),)),
            ("details contact", "contact", Contact, contact,
             (("repair_order", "contact_id"), ("complaint", "contact_id")))):
        pages.append((label, "details", "%s/details/?id=%d" % (views[endpoint].url, record.id),
                      details_floor(model, record.id, children)))
    pages.append(("dashboard /admin/", "dashboard", "/admin/", dashboard_floor(raw, admin_views, app)))
    pages.append(("my work /admin/mywork/", "dashboard", "/admin/mywork/", mywork_floor(raw, admin_views)))
    return pages


def dashboard_floor(raw, admin_views, app):
    """The dashboard's counts per register (open, due soon, overdue, by department) and the
    admin's open alerts: the statements views.dashboard issues for them, recorded once and
    replayed raw (no ORM, no template)."""
    import clock
    from flask_login import login_user
    from models import User
    from views.dashboard import (deadline_views, department_names, my_alerts, my_alerts_count,
                                 register_counts)
    statements, real = [], raw.db.obj.execute_sql

    def record(sql, params=None, *args, **kwargs):
        statements.append((sql, params))
        return real(sql, params, *args, **kwargs)
    with app.test_request_context("/admin/"):
        admin = User.get(User.username == "admin")
        login_user(admin)
        views = deadline_views(app.extensions["admin"][0])
        now, departments = clock.now(), department_names()
        raw.db.obj.execute_sql = record
        try:
            for view in views:
                register_counts(view, now, departments)
            my_alerts(admin)
            my_alerts_count(admin)
        finally:
            del raw.db.obj.execute_sql

    def run():
        for sql, params in statements:  # peewee's own SQL: the database's placeholders already
            raw.db.execute_sql(sql, params).fetchall()
    return run


def mywork_floor(raw, admin_views):
    """Running clocks of the service department, oldest due first, per register (LIMIT 200)."""
    statements = []
    for view in admin_views:
        if not getattr(view, "deadline_filters", None):
            continue
        statements.append(("SELECT d.*, r.* FROM deadline d JOIN \"%s\" r ON r.id = d.record_id "
                           "WHERE d.record_type = ? AND d.status = 'running' AND d.kind != 'follow_up' "
                           "AND r.archived_at IS NULL ORDER BY d.due_at LIMIT 200"
                           % view.model._meta.table_name, (view.model.__name__,)))

    def run():
        for sql, params in statements:
            raw.q(sql, params)
    return run


def time_calls(fn, warmup, repeat):
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def measure_pages(args, password):
    from models import db
    app = make_app(args.db)
    admin_views = app.extensions["admin"][0]._views
    client = app.test_client()
    login(client, password)
    pages = build_pages(app, db, admin_views)
    if args.pages:
        pages = [p for p in pages if any(w in p[0] for w in args.pages.split(","))]
    rows = []
    for item, group, url, floor in pages:
        status = {}

        def get():
            response = client.get(url)
            status["code"] = response.status_code
            status["size"] = len(response.data)

        started = time.perf_counter()
        get()
        first = time.perf_counter() - started
        repeat = args.repeat if first < 2 else max(3, args.repeat // 3)  # a slow page: fewer runs
        samples = time_calls(get, max(args.warmup - 1, 0), repeat)
        with db.connection_context():
            floors = time_calls(floor, 1, repeat)
        row = {"item": item, "group": group, "url": url, "status": status["code"],
               "median": statistics.median(samples), "p95": percentile(samples, 0.95),
               "floor": statistics.median(floors), "n": repeat, "target": TARGETS[group],
               "samples": samples}
        rows.append(row)
        print("  %-34s %4s %9.1f %9.1f %9.1f  n=%d" % (item, row["status"], row["median"], row["p95"],
                                                      row["floor"], repeat), flush=True)
    if args.profile:
        chosen = sorted(rows, key=lambda r: -r["p95"])[:args.profile]
        if args.profile_items:
            wanted = args.profile_items.split(",")
            chosen = [r for r in rows if any(w in r["item"] for w in wanted)]
        profile_pages(client, chosen)
    return rows


def sql_origin():
    """file:line of the app code (else Flask-Admin's) that issued the current statement."""
    import traceback
    fallback = None
    for frame in reversed(traceback.extract_stack()[:-2]):
        path = frame.filename
        if path.startswith(ROOT) and not path.startswith(HERE):
            return "%s:%d %s" % (os.path.relpath(path, ROOT), frame.lineno, frame.name)
        if fallback is None and "flask_admin" in path:
            fallback = "%s:%d %s" % (path.split("site-packages/")[-1], frame.lineno, frame.name)
    return fallback or "?"


class SqlTrace:
    """Time every statement run through the app's database, with where it came from."""

    def __init__(self, db):
        self.db, self.statements = db, []

    def __enter__(self):
        original = self.original = self.db.obj.execute_sql

        def timed(sql, params=None, *a, **kw):
            started = time.perf_counter()
            cursor = original(sql, params, *a, **kw)
            if sql.lstrip().upper().startswith("SELECT"):
                cursor = _Materialised(cursor)  # fetching is part of the statement's cost
            self.statements.append(((time.perf_counter() - started) * 1000, sql, sql_origin()))
            return cursor
        self.db.obj.execute_sql = timed
        return self

    def __exit__(self, *exc):
        self.db.obj.execute_sql = self.original


class _Materialised:
    """A cursor whose rows were all fetched at once (so the fetch is timed with the query)."""

    def __init__(self, cursor):
        self.rows = cursor.fetchall()
        self.description = cursor.description
        self.rowcount = cursor.rowcount
        self.lastrowid = getattr(cursor, "lastrowid", None)
        self._iter = iter(self.rows)

    def fetchone(self):
        return next(self._iter, None)

    def fetchall(self):
        return list(self._iter)

    def fetchmany(self, size=1):
        return [row for _, row in zip(range(size), self._iter)]

    def __iter__(self):
        return self._iter

    def close(self):
        pass


def profile_pages(client, rows):
    from pyinstrument import Profiler
    from models import db
    folder = os.path.join(WORK, "profile")
    os.makedirs(folder, exist_ok=True)
    for row in rows:
        with SqlTrace(db) as trace:
            started = time.perf_counter()
            client.get(row["url"])
            total = (time.perf_counter() - started) * 1000
        profiler = Profiler(interval=0.0005)
        profiler.start()
        for _ in range(3):
            client.get(row["url"])
        profiler.stop()
        name = re.sub(r"[^a-z0-9]+", "-", row["item"].lower()).strip("-")
        path = os.path.join(folder, name + ".txt")
        sql_ms = sum(s[0] for s in trace.statements)
        with open(path, "w") as fh:
            fh.write("%s  %s\n" % (row["item"], row["url"]))
            fh.write("one request: %.1f ms, %d statements, %.1f ms in SQL (fetch included)\n" % (
                total, len(trace.statements), sql_ms))
            for ms, sql, origin in sorted(trace.statements, key=lambda s: -s[0])[:12]:
                fh.write("  %8.1f ms  %s\n      %s\n" % (ms, origin, sql[:700]))
            fh.write("\n")
            fh.write(profiler.output_text(unicode=True, color=False, show_all=False))
        print("  profile: %s (%.0f ms, %d statements, %.0f ms SQL)" % (
            path, total, len(trace.statements), sql_ms), flush=True)


# ---------------------------------------------------------------- export (child process)

def export_child(args, password):
    """Stream /admin/contact/export/csv/ and print rows, seconds, peak RSS as JSON."""
    app = make_app(args.db)
    client = app.test_client()
    login(client, password)
    client.get("/admin/contact/")  # warm the view
    before = vm_hwm_mb()
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    profiler = None
    if args.profile:  # profile the first --profile rows of the export only
        from pyinstrument import Profiler
        profiler = Profiler(interval=0.001)
        profiler.start()
    response = client.get("/admin/contact/export/csv/", buffered=False)
    lines = size = 0
    for block in response.response:
        block = block.encode() if isinstance(block, str) else block
        size += len(block)
        lines += block.count(b"\n")
        if profiler and lines > args.profile:
            break
    response.close()
    if profiler:
        profiler.stop()
        os.makedirs(os.path.join(WORK, "profile"), exist_ok=True)
        with open(os.path.join(WORK, "profile", "export-csv.txt"), "w") as fh:
            fh.write("first %d rows of /admin/contact/export/csv/\n" % args.profile)
            fh.write(profiler.output_text(unicode=True, color=False, show_all=True))
    took = time.perf_counter() - started
    print(json.dumps({"rows": lines - 1, "seconds": took, "bytes": size, "rss_before_mb": before,
                      "peak_rss_mb": vm_hwm_mb(), "cpu_seconds": cpu_since(cpu)}))


def cpu_since(before, who=resource.RUSAGE_SELF):
    """CPU seconds (user and system) used since the getrusage(who) `before`: unlike the wall
    time, hardly changed by what else runs on a shared machine."""
    now = resource.getrusage(who)
    return now.ru_utime - before.ru_utime + now.ru_stime - before.ru_stime


def vm_hwm_mb():
    """This process's peak RSS since its exec (VmHWM; ru_maxrss also counts the forked parent)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


EXPORT_SQL = (
    "SELECT c.id, c.created_at, c.updated_at, u1.full_name, c.archived_at, c.archive_reason, "
    "c.number, cu.shop_no || ' ' || cu.name, c.visitor_name, c.phone, c.channel, c.kind, c.subject, "
    "c.content, c.received_at, u2.full_name, d.name, c.outcome, c.status "
    "FROM contact c LEFT JOIN user u1 ON u1.id = c.created_by_id "
    "LEFT JOIN customer cu ON cu.id = c.customer_id LEFT JOIN user u2 ON u2.id = c.received_by_id "
    "LEFT JOIN department d ON d.id = c.department_id ORDER BY c.id")


# Started from this small launcher, a child's ru_maxrss is its own: Linux keeps the maximum RSS
# across fork and exec, so a child forked from this (large) process would report ours.
LAUNCHER = ("import os, sys\n"
            "pid = os.fork()\n"
            "if pid == 0:\n"
            "    os.execvp(sys.argv[1], sys.argv[1:])\n"
            "_, status, usage = os.wait4(pid, 0)\n"
            "sys.stderr.write('\\nLAUNCHER_MAXRSS_KB=%d\\n' % usage.ru_maxrss)\n"
            "sys.exit(os.waitstatus_to_exitcode(status))\n")


def pgcopy_child(args):
    """The export's floor on PostgreSQL: COPY (EXPORT_SQL) TO STDOUT CSV into a file."""
    import psycopg2
    conn = psycopg2.connect(args.db)
    target = os.path.join(WORK, "export-floor.csv")
    started = time.perf_counter()
    with open(target, "w", encoding="utf-8") as fh:
        conn.cursor().copy_expert("COPY (%s) TO STDOUT WITH CSV HEADER"
                                  % EXPORT_SQL.replace("JOIN user ", 'JOIN "user" '), fh)
    took = time.perf_counter() - started
    with open(target, "rb") as fh:
        lines = sum(block.count(b"\n") for block in iter(lambda: fh.read(1 << 20), b""))
    print(json.dumps({"rows": lines - 1, "seconds": took, "bytes": os.path.getsize(target)}))
    os.remove(target)


def run_child(argv, env=None):
    """Run a child process; return (stdout, seconds, its own peak RSS in MB, exit code)."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", LAUNCHER] + list(argv), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)
    out_chunks = []
    reader = threading.Thread(target=lambda: out_chunks.append(proc.stdout.read()))
    err_chunks = []
    reader_err = threading.Thread(target=lambda: err_chunks.append(proc.stderr.read()))
    reader.start()
    reader_err.start()
    _, status, usage = os.wait4(proc.pid, 0)
    reader.join()
    reader_err.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    took = time.perf_counter() - started
    err = err_chunks[0].decode(errors="replace")
    if proc.returncode != 0:
        sys.stderr.write(err[-3000:])
    found = re.findall(r"LAUNCHER_MAXRSS_KB=(\d+)", err)
    peak = int(found[-1]) / 1024 if found else usage.ru_maxrss / 1024
    return out_chunks[0], took, peak, proc.returncode


def measure_export(args, password):
    env = dict(os.environ, KEFU_BENCH_PASSWORD=password)
    out, wall, child_peak, rc = run_child([sys.executable, __file__, "--child", "export", "--db", args.db], env)
    if rc != 0:
        return {"error": "export child failed"}
    result = json.loads(out.decode().strip().splitlines()[-1])
    path = sqlite_path(args.db)
    floor = None
    if path and shutil.which("sqlite3"):
        target = os.path.join(WORK, "export-floor.csv")
        cpu = resource.getrusage(resource.RUSAGE_CHILDREN)  # sqlite3's, reaped by the launcher
        out, took, peak, rc = run_child(["sh", "-c", 'exec sqlite3 -csv -header "$1" "$2" > "$3"', "sh",
                                         path, EXPORT_SQL, target])
        cpu = cpu_since(cpu, resource.RUSAGE_CHILDREN)
        with open(target, "rb") as fh:
            lines = sum(block.count(b"\n") for block in iter(lambda: fh.read(1 << 20), b""))
        floor = {"rows": lines - 1, "seconds": took, "peak_rss_mb": peak,
                 "bytes": os.path.getsize(target), "cpu_seconds": cpu}
        os.remove(target)
    elif not path:  # PostgreSQL: COPY (the same join) TO STDOUT, written to a file
        out, took, peak, rc = run_child([sys.executable, __file__, "--child", "pgcopy", "--db", args.db])
        floor = json.loads(out.decode().strip().splitlines()[-1]) if rc == 0 else {}
        floor["peak_rss_mb"] = peak
    result["child_peak_rss_mb"] = child_peak
    result["floor"] = floor
    result["sqlite"] = bool(path)
    return result


# ---------------------------------------------------------------- jobs (child process)

NIGHTLY_UPKEEP = ("segment_customers", "refresh_statistics", "refresh_last_contacts",
                  "check_audit_log")


def jobs_child(args):
    """Run the overdue jobs twice at now (force), then each nightly upkeep job once; print
    per-run, per-job and per-statement times."""
    import clock
    import jobs
    from peewee import fn

    from models import Alert, db
    make_app(args.db)
    statements = []
    current_job = [None]
    original = db.obj.execute_sql

    def timed(sql, params=None, *a, **kw):
        started = time.perf_counter()
        try:
            cursor = original(sql, params, *a, **kw)
        except Exception as err:
            statements.append((time.perf_counter() - started, "ABORTED (%s) " % err + sql,
                               current_job[0]))
            raise
        statements.append((time.perf_counter() - started, sql, current_job[0]))
        return cursor
    db.obj.execute_sql = timed
    # A statement running past --statement-timeout is interrupted (its job fails and rolls
    # back, as run_due_jobs handles any failing job), so one runaway plan cannot hide the rest.
    limit = args.statement_timeout
    if limit and "sqlite" in type(db.obj).__name__.lower():
        statement_started = [time.perf_counter()]
        original_cursor = db.obj.execute_sql

        def stamped(sql, params=None, *a, **kw):
            statement_started[0] = time.perf_counter()
            return original_cursor(sql, params, *a, **kw)
        db.obj.execute_sql = stamped
        db.connect(reuse_if_open=True)
        db.connection().set_progress_handler(
            lambda: int(time.perf_counter() - statement_started[0] > limit), 100_000)
    elif limit:
        db.connect(reuse_if_open=True)
        db.execute_sql("SET statement_timeout = %d" % (limit * 1000))
    per_job = {}
    schedule = []
    for job, every in jobs.SCHEDULE:
        def wrapped(now, _job=job):
            current_job[0] = _job.__name__
            started = time.perf_counter()
            try:
                return _job(now)
            finally:
                per_job.setdefault(_job.__name__, []).append(time.perf_counter() - started)
        wrapped.__name__ = job.__name__
        wrapped.in_transaction = getattr(job, "in_transaction", True)
        schedule.append((wrapped, every))
    # The sweep is the overdue jobs (issue 8); the nightly upkeep (segments, ANALYZE) is not
    # about anything being late: each runs once afterwards, timed on its own row.
    jobs.SCHEDULE = tuple((job, every) for job, every in schedule
                          if job.__name__ not in NIGHTLY_UPKEEP)
    nightly = [job for job, _ in schedule if job.__name__ in NIGHTLY_UPKEEP]
    runs = []
    with db.connection_context() if db.is_closed() else _Nothing():
        alerts_before = Alert.select().count()
        now = clock.now()  # the reruns at the same moment must change nothing
        # 0: the sweep; 1: the rerun (issue 23: the minute's jobs see nothing new, jobs.quiet);
        # 2: the rerun with the minute's jobs run in full anyway; 3: a minute later.
        for i, (at, full) in enumerate(((now, False), (now, False), (now, True),
                                        (now + timedelta(minutes=1), False))):
            del statements[:]
            current_job[0] = None
            started = time.perf_counter()
            results = jobs.run_due_jobs(at, force=True, full=full)
            took = time.perf_counter() - started
            sql_total = sum(s for s, _, _ in statements)
            writes = sum(s for s, sql, _ in statements
                         if sql.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")))
            top = sorted(statements, key=lambda s: -s[0])[:8]
            runs.append({"seconds": took, "sql_seconds": sql_total, "write_seconds": writes,
                         "statements": len(statements),
                         "results": {k: str(v) for k, v in results.items()},
                         "top": [(round(s * 1000, 1), job, sql[:300]) for s, sql, job in top],
                         # What the alerts are after the run (runs 1 and 2 must leave them as is).
                         "alerts": list(Alert.select(
                             fn.COUNT(Alert.id), fn.SUM(Alert.level),
                             fn.COUNT(Alert.resolved_at)).tuples().get())})
            if i == 0 and args.replay:
                runs[-1]["statements_sql"] = [(sql, job) for _, sql, job in statements]
        alerts_after = Alert.select().count()
        upkeep = {}
        for job in nightly:
            started = time.perf_counter()
            if job.in_transaction:
                with db.atomic():
                    job(now)
            else:
                job(now)  # its own short transactions
            upkeep[job.__name__] = time.perf_counter() - started
    print(json.dumps({"runs": runs, "per_job": per_job, "upkeep": upkeep, "alerts_before": alerts_before,
                      "alerts_after": alerts_after}, default=str))


class _Nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def copy_sqlite(path, name):
    """A consistent copy of the bench database (checkpoint, then copy the file), named for this
    run (two runs at once must not copy over each other's open database), and written to disk
    before anything is measured on it (or the first commits wait for 3 GB of write-back)."""
    import sqlite3
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    target = os.path.join(WORK, "%s-%d.db" % (name, os.getpid()))
    remove_sqlite(target)
    shutil.copyfile(path, target)
    os.sync()
    return "sqlite:///" + target


def remove_sqlite(path):
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)


def measure_jobs(args):
    path = sqlite_path(args.db)
    url = copy_sqlite(path, "jobs-copy") if path else args.db
    try:
        out, wall, peak, rc = run_child([sys.executable, __file__, "--child", "jobs", "--db", url,
                                         "--statement-timeout", str(args.statement_timeout)])
    finally:
        if path:
            remove_sqlite(sqlite_path(url))
    if rc != 0:
        return {"error": "jobs child failed"}
    result = json.loads(out.decode().strip().splitlines()[-1])
    return result


# ---------------------------------------------------------------- load (gunicorn + threads)

UPKEEP_JOBS = ("refresh_last_contacts", "segment_customers", "refresh_statistics", "check_audit_log")
UPKEEP_APP_NAME = "kefu-bench-upkeep"  # the upkeep children's PostgreSQL application_name


def settle_upkeep(url):
    """Cancel what a stopped upkeep child left running. Its PostgreSQL backend goes on with its
    statement until it next writes to the gone client, so the 'alone' rounds shared the cores
    with it (session 14, scale 1: a segmentation stopped after 12 s; the pages alone came out
    slower than during, median ratio 0.83×). SQLite's statement ends with its process."""
    if sqlite_path(url):
        return
    from models import db
    with db.connection_context():
        for _ in range(120):
            busy = db.execute_sql(
                "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = %s "
                "AND state <> 'idle' AND pid <> pg_backend_pid()", (UPKEEP_APP_NAME,)).fetchall()
            if not busy:
                return
            time.sleep(0.5)
    print("upkeep: a stopped child's statement still runs after 60 s", flush=True)


def measure_upkeep(args, password):
    """Pages measured on one database (a copy on SQLite: the upkeep writes) while the nightly
    upkeep runs as the web workers' scheduler starts it (jobs.run_apart:
    `python app.py run-job NAME` at nice 10), one job after another, over and over, for the
    whole of the measurement (rounds of the pages until each upkeep job has finished once),
    then as many rounds alone. Issue 23: each page's p95 within 1.5× of without."""
    import clock
    import jobs
    path = sqlite_path(args.db)
    url = copy_sqlite(path, "upkeep-copy") if path else args.db
    sub = argparse.Namespace(**vars(args))
    sub.db, sub.profile = url, 0
    app_py = os.path.join(ROOT, "app.py")
    env = dict(os.environ, DATABASE_URL=url, KEFU_DEMO="0", KEFU_SECRET_KEY=secrets.token_hex(32),
               PGAPPNAME=UPKEEP_APP_NAME)  # libpq's: settle_upkeep finds the children's backends
    stop, runs = threading.Event(), []

    def upkeep_loop():
        while not stop.is_set():
            for name in UPKEEP_JOBS:
                if stop.is_set():
                    return
                started = time.perf_counter()
                child = subprocess.Popen([sys.executable, app_py, "run-job", name, "--now",
                                          clock.now().isoformat()], cwd=ROOT, env=env,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                         preexec_fn=lambda: os.nice(jobs.APART_NICENESS))
                while child.poll() is None and not stop.wait(0.2):
                    pass
                finished = child.poll() is not None
                if not finished:
                    child.terminate()
                child.wait()
                runs.append({"job": name, "seconds": time.perf_counter() - started,
                             "finished": finished, "returncode": child.returncode})

    def pooled_rounds(label, rounds=None):
        """Round after round of the pages (until `rounds`, or until each upkeep job has finished
        once); each page's samples of every round pooled: its median and p95."""
        pooled, done = {}, 0
        while (done < rounds) if rounds else (
                done == 0 or {r["job"] for r in runs if r["finished"]} != set(UPKEEP_JOBS)):
            done += 1
            print("pages %s, round %d:" % (label, done), flush=True)
            for row in measure_pages(sub, password):
                pooled.setdefault(row["item"], dict(row, samples=[]))["samples"] += row["samples"]
            if done >= 60:
                break
        for row in pooled.values():
            row.update(median=statistics.median(row["samples"]),
                       p95=percentile(row["samples"], 0.95), n=len(row["samples"]))
        return list(pooled.values()), done

    try:
        worker = threading.Thread(target=upkeep_loop, daemon=True)
        worker.start()
        time.sleep(3)  # the first upkeep job under way (past its start-up)
        during, rounds = pooled_rounds("during the nightly upkeep")
        stop.set()
        worker.join()
        settle_upkeep(url)
        alone, _ = pooled_rounds("alone", rounds)  # as many samples, nothing else running
    finally:
        if path:
            remove_sqlite(sqlite_path(url))
    failed = [r for r in runs if r["finished"] and r["returncode"] != 0]
    return {"alone": alone, "during": during, "rounds": rounds, "upkeep_runs": runs,
            "upkeep_failed": len(failed)}


def upkeep_rows(upkeep):
    """The report's lines for measure_upkeep: per page the p95 alone and during, and the ratio."""
    alone = {row["item"]: row for row in upkeep["alone"]}
    ratios = []
    for row in upkeep["during"]:
        base = alone.get(row["item"])
        if base and base["p95"]:
            ratios.append((row["p95"] / base["p95"], row["item"], base["p95"], row["p95"],
                           row["median"]))
    ratios.sort(reverse=True)
    within = sum(1 for ratio, *_ in ratios if ratio <= 1.5)
    finished = [r for r in upkeep["upkeep_runs"] if r["finished"]]
    out = ["| pages during the nightly upkeep (%d rounds, samples pooled): %d of %d within 1.5× "
           "of alone (upkeep jobs run: %s; %d failed) | | | | | p95 ≤ 1.5× alone | %s |" % (
               upkeep.get("rounds", 1), within, len(ratios), ", ".join("%s %.1f s" % (r["job"], r["seconds"]) for r in finished)
               or "none finished", upkeep["upkeep_failed"],
               verdict(within == len(ratios) and not upkeep["upkeep_failed"]))]
    if ratios:
        middle = statistics.median(r[0] for r in ratios)
        out.append("| pages during upkeep: median ratio / worst | %.2f× | %.2f× (%s: %.1f → %.1f ms) "
                   "| | | | |" % (middle, ratios[0][0], ratios[0][1], ratios[0][2], ratios[0][3]))
        for ratio, item, before, after, median in ratios[:5]:
            out.append("| during upkeep: %s | %.1f | %.1f | (alone p95 %.1f) | %.2f× | ≤ 1.5× | %s |" % (
                item, median, after, before, ratio, verdict(ratio <= 1.5)))
    return out


def growth_rows(baseline_path, pages, export, jobs_result, load, upkeep):
    """Each measured row against the same row of an earlier run's --json (e.g. scale 1 against
    scale 3): issue 23's growth from one scale to the next, row by row."""
    with open(baseline_path) as fh:
        base = json.load(fh)
    out = ["", "Growth against `%s` (this run / that run):" % baseline_path, "",
           "| item | that run | this run | growth |", "|---|---:|---:|---:|"]

    def row(item, before, after, unit):
        if before is None or after is None:
            return
        out.append("| %s | %.1f %s | %.1f %s | %s |" % (
            item, before, unit, after, unit, "%.2f×" % (after / before) if before else ""))
    before_pages = {r["item"]: r for r in base.get("pages") or []}
    for r in pages or []:
        if r["item"] in before_pages:
            row(r["item"] + " (p95)", before_pages[r["item"]]["p95"], r["p95"], "ms")
    if export and base.get("export"):
        row("CSV export (rows/s)", base["export"]["rows"] / base["export"]["seconds"],
            export["rows"] / export["seconds"], "rows/s")
        row("CSV export peak RSS", base["export"]["child_peak_rss_mb"], export["child_peak_rss_mb"], "MB")
    if jobs_result and (base.get("jobs") or {}).get("runs"):
        for i, label in enumerate(("jobs: full sweep", "jobs: rerun", "jobs: rerun in full",
                                   "jobs: the next minute")):
            if i < len(jobs_result["runs"]) and i < len(base["jobs"]["runs"]):
                row(label, base["jobs"]["runs"][i]["seconds"] * 1000,
                    jobs_result["runs"][i]["seconds"] * 1000, "ms")
        for name, seconds in sorted(jobs_result.get("upkeep", {}).items()):
            row("nightly upkeep: " + name, base["jobs"].get("upkeep", {}).get(name), seconds, "s")
    if load and (base.get("load") or {}).get("p95"):
        row("load p95", base["load"]["p95"], load["p95"], "ms")
        row("load throughput", base["load"]["rps"], load["rps"], "req/s")
    if upkeep and base.get("upkeep"):
        before_during = {r["item"]: r for r in base["upkeep"]["during"]}
        for r in upkeep["during"]:
            if r["item"] in before_during:
                row(r["item"] + " (p95 during upkeep)", before_during[r["item"]]["p95"], r["p95"], "ms")
    return out


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Client:
    """One browser: its own cookie, keep-alive connection (reopened when the server closes)."""

    def __init__(self, port, password):
        import http.client
        self.http = http.client
        self.port, self.cookie = port, ""
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        page = self.request("GET", "/login")[1]
        token = CSRF_RE.search(page).group(1)
        status, _ = self.request("POST", "/login", {"username": "admin", "password": password,
                                                    "csrf_token": token})
        if status != 302:
            raise RuntimeError("login failed: %s" % status)
        self.token = CSRF_RE.search(self.request("GET", "/admin/contact/new/")[1]).group(1)

    def request(self, method, path, form=None):
        from urllib.parse import urlencode
        body = urlencode(form) if form else None
        headers = {"Cookie": self.cookie, "Accept-Language": "zh-CN"}
        if body:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (self.http.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                if attempt:
                    raise
        for header, value in response.getheaders():
            if header.lower() == "set-cookie" and value.startswith("session="):
                self.cookie = value.split(";", 1)[0]
        if response.getheader("Connection", "").lower() == "close":
            self.conn.close()
        return response.status, data.decode("utf-8", "replace")


def load_worker(port, password, window, ids, open_contacts, results, lock, seed):
    """One clerk: log in, wait for the others (window["ready"]), then work until the deadline."""
    rng = random.Random(seed)
    try:
        client = Client(port, password)
    except Exception as err:  # noqa: BLE001 - counted as an error
        with lock:
            results.append(("login", 0, 0.0, repr(err)))
        window["ready"].wait()
        return
    window["ready"].wait()
    window["go"].wait()
    deadline = window["deadline"]
    lists = ["/admin/contact/", "/admin/repairorder/", "/admin/complaint/",
             "/admin/complaint/?flt0_id_overdue=1", "/admin/repairorder/?flt0_id_overdue=1",
             "/admin/alert/", "/admin/"]
    while time.time() < deadline:
        r = rng.random()
        form = None
        expect = (200,)
        if r < 0.55:
            kind, method, path = "list", "GET", rng.choice(lists)
        elif r < 0.80:
            register = rng.choice(("complaint", "repairorder", "contact"))
            kind, method = "details", "GET"
            path = "/admin/%s/details/?id=%d" % (register, rng.choice(ids[register]))
        elif r < 0.92:
            kind, method, path = "create", "POST", "/admin/contact/new/"
            form = {"csrf_token": client.token, "subject": "压测咨询停车收费", "channel": "phone",
                    "kind": "enquiry", "phone": "139%08d" % rng.randrange(10 ** 8),
                    "received_at": datetime.now().strftime("%Y-%m-%d %H:%M:%S"), "status": "open"}
            expect = (302,)
        else:
            with lock:
                contact = open_contacts.pop() if open_contacts else None
            if contact is None:
                continue
            kind, method = "action", "POST"
            path = "/admin/contact/step/handled/?id=%d" % contact
            form = {"csrf_token": client.token, "outcome": "已电话答复"}
            expect = (302,)
        started = time.perf_counter()
        try:
            status, body = client.request(method, path, form)
            error = None if status in expect else "status %s" % status
        except Exception as err:  # noqa: BLE001 - a failed request is an error, not a crash
            status, error = 0, repr(err)
        took = (time.perf_counter() - started) * 1000
        with lock:
            results.append((kind, status, took, error))


def child_pids(pid):
    """The processes `pid` started that are still running (gunicorn's workers)."""
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as fh:
            return [int(p) for p in fh.read().split()]
    except OSError:
        return []


def machine_cpu_seconds():
    """Busy CPU seconds of the whole machine so far, all cores (from /proc/stat)."""
    with open("/proc/stat") as fh:
        values = [int(v) for v in fh.readline().split()[1:9]]
    idle = values[3] + values[4]  # idle, iowait
    return (sum(values) - idle) / os.sysconf("SC_CLK_TCK")


def machine_waits():
    """(iowait, steal) seconds of the whole machine so far, all cores (from /proc/stat): a core
    waiting on the disk, or taken by the hypervisor, is neither busy with the load nor idle."""
    with open("/proc/stat") as fh:
        values = [int(v) for v in fh.readline().split()[1:9]]
    return values[4] / os.sysconf("SC_CLK_TCK"), values[7] / os.sysconf("SC_CLK_TCK")


def process_cpu():
    """{pid: (name, user + system CPU seconds)} of every process now running (from /proc)."""
    tick, found = os.sysconf("SC_CLK_TCK"), {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry) as fh:
                    head, tail = fh.read().rsplit(")", 1)
                fields = tail.split()
                found[int(entry)] = (head.split("(", 1)[1], (int(fields[11]) + int(fields[12])) / tick)
            except (OSError, IndexError, ValueError):
                pass
    return found


def others_during(before, after, ours):
    """The processes other than `ours` that used CPU between two process_cpu() readings, the
    busiest first: [(name, pid, seconds)] (what else shared the cores with a run)."""
    used = [(name, pid, seconds - before.get(pid, (name, 0))[1])
            for pid, (name, seconds) in after.items() if pid not in ours]
    return sorted((u for u in used if u[2] >= 0.1), key=lambda u: -u[2])


def cpu_seconds(pid):
    """User + system CPU seconds of process `pid` and its children now running (from /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    pids = [pid] + child_pids(pid)
    total = 0
    for p in pids:
        try:
            with open("/proc/%d/stat" % p) as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except OSError:
            pass
    return total / tick


def wait_until_idle(pid, workers, limit=60):
    """Wait until gunicorn's `workers` have booted (the server's CPU stays flat for 0.5 s)."""
    deadline = time.time() + limit
    while time.time() < deadline:
        before = cpu_seconds(pid)
        time.sleep(0.5)
        try:
            with open("/proc/%d/task/%d/children" % (pid, pid)) as fh:
                running = len(fh.read().split())
        except OSError:
            running = 0
        if running >= workers and cpu_seconds(pid) - before < 0.05:
            return


def sweep_child(args):
    """One scheduled sweep at the present minute, as a running site had before the load: it
    claims the minute's and the day's slots (the day's segments and ANALYZE ran at midnight)."""
    import clock
    import jobs
    make_app(args.db)
    print(json.dumps({k: str(v) for k, v in jobs.run_due_jobs(clock.now()).items()}))


def measure_load(args, password, url):
    """16 clients for --load-seconds against the production setup (gunicorn.conf.py, wsgi.py)
    with --workers processes on loopback."""
    import sqlite3
    port = free_port()
    log_path = os.path.join(WORK, "gunicorn.log")
    # The production setup of the README: gunicorn.conf.py (gthread workers) and wsgi.py, whose
    # workers also run the job scheduler, so the minute's sweep runs during the load as it would.
    env = dict(os.environ, DATABASE_URL=url, KEFU_DEMO="0", KEFU_SECRET_KEY=secrets.token_hex(32),
               PYTHONPATH=ROOT, KEFU_BIND="127.0.0.1:%d" % port)
    if args.workers:
        env["KEFU_WORKERS"] = str(args.workers)
    if args.threads:
        env["KEFU_THREADS"] = str(args.threads)
    if args.active:
        env["KEFU_ACTIVE_REQUESTS"] = str(args.active)
    active = int(env.get("KEFU_ACTIVE_REQUESTS", "1"))  # wsgi.py's default
    # What gunicorn.conf.py makes of them (its defaults unless given).
    conf = {}
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        exec(open(os.path.join(ROOT, "gunicorn.conf.py")).read(), conf)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    # Steady state first: the catch-up sweep and the day's upkeep are not what 16 clerks meet
    # at ten in the morning; the minute's sweeps still run in the workers during the load.
    run_child([sys.executable, __file__, "--child", "sweep", "--db", url])
    with open(log_path, "w") as log:
        server = subprocess.Popen([gunicorn, "-c", os.path.join(ROOT, "gunicorn.conf.py"),
                                   "--chdir", ROOT, "--access-logfile", "/dev/null", "wsgi:app"],
                                  stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        wait_until_idle(server.pid, conf["workers"])
        path = sqlite_path(url)
        if path:
            conn = sqlite3.connect(path)
            q = lambda sql: [r[0] for r in conn.execute(sql)]  # noqa: E731
        else:
            import psycopg2
            conn = psycopg2.connect(url)
            cur = conn.cursor()

            def q(sql):
                cur.execute(sql)
                return [r[0] for r in cur.fetchall()]
        ids = {"complaint": q("SELECT id FROM complaint ORDER BY random() LIMIT 2000"),
               "repairorder": q("SELECT id FROM repair_order ORDER BY random() LIMIT 2000"),
               "contact": q("SELECT id FROM contact ORDER BY random() LIMIT 2000")}
        open_contacts = q("SELECT id FROM contact WHERE status = 'open' AND customer_id IS NULL LIMIT 5000")
        conn.close()
        results, lock = [], threading.Lock()
        # Every client logs in first; the measured window starts when all have.
        window = {"ready": threading.Barrier(args.clients + 1), "go": threading.Event()}
        threads = [threading.Thread(target=load_worker, args=(port, password, window, ids,
                                                             open_contacts, results, lock, i))
                   for i in range(args.clients)]
        for t in threads:
            t.start()
        window["ready"].wait()
        started, client_cpu = time.time(), time.process_time()
        server_cpu = cpu_seconds(server.pid)
        machine_cpu, processes = machine_cpu_seconds(), process_cpu()
        waits = machine_waits()
        window["deadline"] = started + args.load_seconds
        window["go"].set()
        for t in threads:
            t.join()
        took = time.time() - started
        # CPU of the 16 client threads (this process) and of gunicorn (master and workers)
        # during the run: on 2 cores the client must not take a share the server then lacks.
        client_cpu = time.process_time() - client_cpu
        server_cpu = cpu_seconds(server.pid) - server_cpu
        # What else used the cores meanwhile: the load's variance is read from here.
        machine_cpu = machine_cpu_seconds() - machine_cpu
        waits = [after - before for after, before in zip(machine_waits(), waits)]
        ours = {os.getpid(), server.pid} | set(child_pids(server.pid))
        others = others_during(processes, process_cpu(), ours)
    finally:
        server.terminate()
        server.wait(timeout=30)
    with open(log_path, encoding="utf-8", errors="replace") as fh:
        log_text = fh.read()
    latencies = [r[2] for r in results if r[0] != "login"]
    by_kind = {}
    for kind, status, ms, error in results:
        entry = by_kind.setdefault(kind, {"n": 0, "errors": 0, "ms": []})
        entry["n"] += 1
        entry["ms"].append(ms)
        entry["errors"] += error is not None
    errors = [r for r in results if r[3] is not None]
    return {"requests": len(latencies), "seconds": took, "rps": len(latencies) / took,
            "median": statistics.median(latencies) if latencies else None,
            "p95": percentile(latencies, 0.95) if latencies else None,
            "errors": len(errors), "error_samples": [e[3] for e in errors[:5]],
            "locked": log_text.count("database is locked"),
            "tracebacks": log_text.count("Traceback"),
            "by_kind": {k: {"n": v["n"], "errors": v["errors"],
                            "median": statistics.median(v["ms"]), "p95": percentile(v["ms"], 0.95)}
                        for k, v in by_kind.items()},
            "log": log_path, "workers": conf["workers"], "threads": conf["threads"],
            "active": active,
            "clients": args.clients, "client_cpu_seconds": client_cpu,
            "server_cpu_seconds": server_cpu,
            "machine_cpu_seconds": machine_cpu,
            "other_cpu_seconds": max(0.0, machine_cpu - server_cpu - client_cpu),
            "busiest_others": others[:3],
            "iowait_seconds": waits[0], "steal_seconds": waits[1],
            "server_cpu_ms_per_request": server_cpu * 1000 / len(latencies) if latencies else None}


# ---------------------------------------------------------------- report

def machine():
    lines = ["- date: %s" % subprocess.run(["date"], capture_output=True, text=True).stdout.strip(),
             "- nproc: %s" % os.cpu_count(),
             "- python: %s" % platform.python_version()]
    lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines()
    for line in lscpu:
        if line.split(":")[0].strip() in ("Architecture", "Model name", "CPU(s)", "Thread(s) per core",
                                          "CPU max MHz", "Hypervisor vendor"):
            lines.append("- %s" % re.sub(r"\s+", " ", line.strip()))
    lines.append("- load average at start: %s" % " ".join(open("/proc/loadavg").read().split()[:3]))
    return lines


def verdict(ok):
    return "pass" if ok else "**FAIL**"


def table(pages, export, jobs_result, load):
    out = ["| item | median ms | p95 ms | floor ms | ratio p95/floor | target | result |",
           "|---|---:|---:|---:|---:|---|---|"]
    for r in pages:
        ratio = r["p95"] / r["floor"] if r["floor"] > 0 else float("inf")
        bad = "" if r["status"] == 200 else " (HTTP %s)" % r["status"]
        out.append("| %s%s | %.1f | %.1f | %.2f | %.0f× | p95 < %d ms | %s |" % (
            r["item"], bad, r["median"], r["p95"], r["floor"], ratio, r["target"],
            verdict(r["p95"] < r["target"] and r["status"] == 200)))
    if export and "rows" in export:
        rate = export["rows"] / export["seconds"]
        floor = export.get("floor") or {}
        frate = floor.get("rows", 0) / floor["seconds"] if floor.get("seconds") else 0
        out.append("| CSV export contact (%d rows) | %.1f s | %.0f rows/s | %.0f rows/s (%.1f s) | %.0f× "
                   "| ≥ 100,000 rows/s | %s |" % (
                       export["rows"], export["seconds"], rate, frate, floor.get("seconds", 0),
                       frate / rate if rate else 0, verdict(rate >= 100_000)))
        if export.get("cpu_seconds") and floor.get("cpu_seconds"):  # sqlite3's: SQLite only
            out.append("| CSV export CPU (rows per CPU second) | %.1f s | %.0f rows/s | %.0f rows/s "
                       "(%.1f s) | %.1f× | | |" % (
                           export["cpu_seconds"], export["rows"] / export["cpu_seconds"],
                           floor["rows"] / floor["cpu_seconds"], floor["cpu_seconds"],
                           export["cpu_seconds"] / floor["cpu_seconds"]))
        out.append("| CSV export peak RSS | | %.0f MB | %.0f MB (%s) | | < 150 MB | %s |" % (
            export["child_peak_rss_mb"], floor.get("peak_rss_mb", 0),
            "sqlite3 -csv" if export.get("sqlite", True) else "COPY TO STDOUT",
            verdict(export["child_peak_rss_mb"] < 150)))
    if jobs_result and "runs" in jobs_result:
        for i, (label, target) in enumerate((
                ("jobs: full sweep", 3000), ("jobs: idempotent rerun", 100),
                ("jobs: rerun, the minute's jobs in full (--full)", 500),
                ("jobs: the next minute", None))):
            if i >= len(jobs_result["runs"]):
                break
            run = jobs_result["runs"][i]
            if i in (1, 2) and run.get("alerts") != jobs_result["runs"][0].get("alerts"):
                label += " **CHANGED ALERTS**"  # a rerun at the same moment must change nothing
            ms, floor = run["seconds"] * 1000, run["sql_seconds"] * 1000
            out.append("| %s (%d statements) | %.0f | | %.0f (SQL; writes %.0f) | %.1f× | %s | %s |" % (
                label, run["statements"], ms, floor, run["write_seconds"] * 1000,
                ms / floor if floor else 0, "< %d ms" % target if target else "",
                verdict(ms < target) if target else ""))
        for name, seconds in sorted(jobs_result.get("upkeep", {}).items()):
            out.append("| nightly upkeep: %s (not in the sweep) | %.0f | | | | | |" % (
                name, seconds * 1000))
    if load and "requests" in load:
        out.append("| load: %d clients, %d s, gunicorn gthread -w %d --threads %d, %d active | %.1f | %.1f | | | "
                   "p95 < 300 ms, 0 errors, 0 locked | %s |" % (
                       load["clients"], round(load["seconds"]), load["workers"], load["threads"],
                       load.get("active", 0),
                       load["median"], load["p95"],
                       verdict(load["p95"] < 300 and load["errors"] == 0 and load["locked"] == 0)))
        out.append("| load: throughput / errors / 'database is locked' | %.1f req/s | %d errors | %d locked "
                   "| | | | |" % (load["rps"], load["errors"], load["locked"]))
        out.append("| load: CPU s of server (%.1f ms a request) / of the client threads | %.1f | %.1f "
                   "| | | | |" % (load["server_cpu_ms_per_request"], load["server_cpu_seconds"],
                                 load["client_cpu_seconds"]))
        if "machine_cpu_seconds" in load:
            out.append("| load: CPU s of the whole machine / of everything else (busiest: %s) "
                       "| %.1f | %.1f | | | | |" % (
                           ", ".join("%s %.1f s" % (name, sec) for name, _, sec
                                     in load["busiest_others"]) or "none",
                           load["machine_cpu_seconds"], load["other_cpu_seconds"]))
        if "iowait_seconds" in load:
            out.append("| load: machine's cores waiting on the disk / taken by the hypervisor (s) "
                       "| %.1f | %.1f | | | | |" % (load["iowait_seconds"], load["steal_seconds"]))
        for kind, v in sorted(load["by_kind"].items()):
            out.append("| load: %s (%d requests, %d errors) | %.1f | %.1f | | | | |" % (
                kind, v["n"], v["errors"], v["median"], v["p95"]))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=DEFAULT_DB)
    parser.add_argument("--password", default=None)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--only", default="pages,export,jobs,load")
    parser.add_argument("--profile", type=int, default=0, metavar="N")
    parser.add_argument("--profile-items", default="", help="comma-separated parts of item names")
    parser.add_argument("--pages", default="", help="measure only pages whose item contains one of these")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=None,
                        help="gunicorn processes (default: gunicorn.conf.py's)")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads per gunicorn process (default: gunicorn.conf.py's)")
    parser.add_argument("--active", type=int, default=None,
                        help="pages a gunicorn process runs at once (default: wsgi.py's, 1)")
    parser.add_argument("--load-seconds", type=int, default=60)
    parser.add_argument("--baseline", default=None,
                        help="an earlier run's --json: report each row's growth against it (scale 1 → 3)")
    parser.add_argument("--out", default=None, help="also write the report (markdown) here")
    parser.add_argument("--json", default=os.path.join(WORK, "results.json"))
    parser.add_argument("--child", choices=("export", "jobs", "pgcopy", "sweep"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--replay", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--statement-timeout", type=int, default=60,
                        help="jobs: interrupt one SQL statement after this many seconds (0: never)")
    args = parser.parse_args()
    os.makedirs(WORK, exist_ok=True)
    if args.child == "export":
        return export_child(args, os.environ["KEFU_BENCH_PASSWORD"])
    if args.child == "jobs":
        return jobs_child(args)
    if args.child == "pgcopy":
        return pgcopy_child(args)
    if args.child == "sweep":
        return sweep_child(args)
    password = read_password(args)
    parts = set(args.only.split(","))
    info = machine()
    pages, export, jobs_result, load, upkeep = [], None, None, None, None
    if "pages" in parts:
        print("pages (item, status, median, p95, floor ms):", flush=True)
        pages = measure_pages(args, password)
    if "export" in parts:
        print("export ...", flush=True)
        export = measure_export(args, password)
        print("  %s" % json.dumps(export), flush=True)
    if "jobs" in parts:
        print("jobs ...", flush=True)
        jobs_result = measure_jobs(args)
        print("  %s" % json.dumps({k: v for k, v in jobs_result.items() if k != "per_job"})[:3000], flush=True)
    if "upkeep" in parts:
        print("pages alone and during the nightly upkeep ...", flush=True)
        upkeep = measure_upkeep(args, password)
    if "load" in parts:
        path = sqlite_path(args.db)
        url = args.db
        if path:
            url = copy_sqlite(path, "load-copy")
        print("load on %s ..." % url, flush=True)
        try:
            load = measure_load(args, password, url)
        finally:
            if path:
                remove_sqlite(sqlite_path(url))
        print("  %s" % json.dumps(load), flush=True)
    lines = ["## Run of %s" % datetime.now().strftime("%Y-%m-%d %H:%M"), "",
             "Command: `%s`" % " ".join(["python bench/run.py"] + sys.argv[1:]), "",
             "Database: `%s`" % args.db, ""] + info + [""] + table(pages, export, jobs_result, load)
    if upkeep:
        lines += upkeep_rows(upkeep)
    if args.baseline:
        lines += growth_rows(args.baseline, pages, export, jobs_result, load, upkeep)
    report = "\n".join(lines) + "\n"
    print()
    print(report)
    with open(args.json, "w") as fh:
        json.dump({"pages": pages, "export": export, "jobs": jobs_result, "load": load,
                   "upkeep": upkeep}, fh,
                  default=str, indent=1)
    if args.out:
        with open(args.out, "a") as fh:
            fh.write("\n" + report)
    return 0


if __name__ == "__main__":
    sys.exit(main())

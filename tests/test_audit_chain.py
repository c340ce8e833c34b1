"""The audit log is append-only in fact (issue 18): the database refuses REPLACE and TRUNCATE,
and each row's hash is chained to the previous one, so that an altered, deleted, inserted or
moved row is found by `verify-audit` and the nightly check, even when done with raw SQL by
someone who lifted the triggers first."""
import os
import sqlite3
import subprocess
import sys
import threading
from datetime import timedelta

import pytest
from click.testing import CliRunner
from peewee import DatabaseError

import app as kefu
import audit
import database
import jobs
from audit import ALTERED, INSERTED, MISSING_BEFORE, OUT_OF_ORDER, verify_chain
from conftest import statements_run
from database import write_transaction
from jobs.deadlines import flag_unaccepted_repairs
from jobs.maintenance import check_audit_log
from models import JOB_LABELS, Alert, AuditLog, User, db
from helpers import MON, run, user
from factories import make_repair_order

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def raw(sql, params=None):
    """Run SQL as someone holding the database would, in a transaction of its own."""
    with db.atomic():
        db.execute_sql(sql, params)


def lift_guards():
    """Remove the append-only triggers, as an attacker with the database's owner rights can."""
    if database.is_sqlite():
        for name in database.APPEND_ONLY_GUARD_NAMES_SQLITE:
            raw("DROP TRIGGER IF EXISTS %s" % name)
    else:
        raw("ALTER TABLE audit_log DISABLE TRIGGER USER")


def restore_guards():
    """Put the triggers back, so that only the chain can tell what happened."""
    if database.is_sqlite():
        for statement in database.APPEND_ONLY_GUARDS_SQLITE:
            raw(statement)
    else:
        raw("ALTER TABLE audit_log ENABLE TRIGGER USER")


def tampered(*statements):
    lift_guards()
    for sql, *params in statements:
        raw(sql, params[0] if params else None)
    restore_guards()


def middle_row():
    ids = [i for (i,) in AuditLog.select(AuditLog.id).order_by(AuditLog.id).tuples()]
    assert len(ids) >= 5
    return AuditLog.get_by_id(ids[len(ids) // 2])


def next_row(row):
    return AuditLog.select().where(AuditLog.id > row.id).order_by(AuditLog.id).first()


def verify_command(*args):
    result = CliRunner().invoke(kefu.verify_audit_command, list(args))
    return result.exit_code, result.output


# ---------------------------------------------------------------- a whole chain

@pytest.mark.slow
def test_verify_audit_on_the_demo_database_says_ok(app):
    rows = AuditLog.select().count()
    env = dict(os.environ, DATABASE_URL=app.config["DATABASE_URL"], KEFU_SECRET_KEY="verify")
    db.close()
    result = subprocess.run([sys.executable, "app.py", "verify-audit"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok") and "共 %d 行" % rows in result.stdout
    assert audit.last_hash() in result.stdout  # the head hash, to be recorded elsewhere


def test_every_row_the_console_writes_is_chained_to_the_one_before(app):
    with write_transaction():
        audit.audit("setting", None, summary="链测试")
    last, before = list(AuditLog.select().order_by(AuditLog.id.desc()).limit(2))
    assert last.prev_hash == before.row_hash
    assert last.row_hash == audit.chain_hash(last.prev_hash, audit._values(last))
    assert verify_chain().ok


def test_an_append_reads_only_the_last_row(app):
    with statements_run() as statements, write_transaction():
        audit.audit("setting", None, summary="一次读取")
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")
             and "audit_log" in s and "advisory" not in s]
    assert len(reads) == 1 and "ORDER BY" in reads[0] and "LIMIT" in reads[0]


# ---------------------------------------------------------------- each tampering, named

def test_an_altered_row_is_named(app):
    row = middle_row()
    tampered(("UPDATE audit_log SET summary = 'rewritten' WHERE id = %d" % row.id,))
    check = verify_chain()
    assert not check.ok and check.broken.id == row.id and check.problem == ALTERED
    code, output = verify_command()
    assert code == 1
    assert "第 %d 行" % row.id in output and "内容被改动" in output
    assert row.created_at.strftime("%Y-%m-%d %H:%M:%S") in output
    assert row.action_label() in output


def test_a_deleted_row_is_found_at_the_row_after_it(app):
    row = middle_row()
    after = next_row(row)
    tampered(("DELETE FROM audit_log WHERE id = %d" % row.id,))
    check = verify_chain()
    assert check.broken.id == after.id and check.problem == MISSING_BEFORE
    code, output = verify_command()
    assert code == 1 and "第 %d 行" % after.id in output and "之前有记录被删除" in output


def test_a_deleted_first_row_is_found(app):
    first = AuditLog.select().order_by(AuditLog.id).first()
    tampered(("DELETE FROM audit_log WHERE id = %d" % first.id,))
    assert verify_chain().problem == MISSING_BEFORE


def test_a_row_inserted_without_a_hash_is_named(app):
    raw("INSERT INTO audit_log (created_at, updated_at, username, action, summary) "
        "VALUES ('2026-11-23 09:00:00', '2026-11-23 09:00:00', 'admin', 'login', '补记')")
    inserted = AuditLog.select().order_by(AuditLog.id.desc()).first()
    check = verify_chain()
    assert check.broken.id == inserted.id and check.problem == INSERTED
    code, output = verify_command()
    assert code == 1 and "第 %d 行" % inserted.id in output and "被插入" in output


def test_a_row_inserted_with_a_forged_hash_is_named(app):
    """Chained to the row before it by someone who knows the scheme: the row after it still
    names that row as its predecessor, so the inserted one shows."""
    first = AuditLog.select().order_by(AuditLog.id).first()
    at = first.created_at - timedelta(hours=1)
    values = dict(created_at=at, updated_at=at, user=None, username="admin", ip=None,
                  action="login", model=None, record_id=None, summary="伪造", changes=None)
    forged = audit.chain_hash(audit.GENESIS, values)
    raw("INSERT INTO audit_log (id, created_at, updated_at, username, action, summary, prev_hash, "
        "row_hash) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)" % ((db.param,) * 8),
        (first.id - 1, audit.as_text(at), audit.as_text(at), "admin", "login", "伪造",
         audit.GENESIS, forged))
    check = verify_chain()
    assert check.broken.id == first.id - 1 and check.problem == INSERTED


def test_a_moved_row_is_found_out_of_order(app):
    row = middle_row()
    after = next_row(row)
    moved_to = AuditLog.select().order_by(AuditLog.id.desc()).first().id + 10
    tampered(("UPDATE audit_log SET id = %d WHERE id = %d" % (moved_to, row.id),))
    check = verify_chain()
    assert check.broken.id == after.id and check.problem == OUT_OF_ORDER
    assert check.follows == moved_to
    assert "顺序被打乱" in verify_command()[1]


def test_a_removed_tail_is_found_against_a_recorded_head(app):
    """Deleting the newest rows leaves a whole chain: the head hash recorded elsewhere tells."""
    head = verify_chain().head
    newest = AuditLog.select().order_by(AuditLog.id.desc()).first()
    assert verify_command("--head", head)[0] == 0
    tampered(("DELETE FROM audit_log WHERE id = %d" % newest.id,))
    assert verify_chain().ok  # nothing inside the chain shows it
    code, output = verify_command("--head", head)
    assert code == 1 and "链头哈希已不在链中" in output


def test_a_dropped_trigger_is_reported(app):
    lift_guards()
    check = verify_chain()
    assert not check.ok and check.broken is None and check.guards_missing
    code, output = verify_command()
    assert code == 1 and "触发器" in output


# ---------------------------------------------------------------- what the database refuses

def test_replace_and_truncate_are_refused(app):
    first = AuditLog.select().order_by(AuditLog.id).first()
    if database.is_sqlite():
        assert db.execute_sql("PRAGMA recursive_triggers").fetchone()[0] == 1
        # Another client, without the console's pragmas: the INSERT trigger still refuses.
        con = sqlite3.connect(db.obj.database)
        with pytest.raises(sqlite3.DatabaseError, match="不能覆盖"):
            with con:
                con.execute("INSERT OR REPLACE INTO audit_log (id, created_at, updated_at, action) "
                            "VALUES (?, '2026-01-01', '2026-01-01', 'login')", (first.id,))
        con.close()
        with pytest.raises(DatabaseError):
            raw("REPLACE INTO audit_log (id, created_at, updated_at, action) "
                "VALUES (%d, '2026-01-01', '2026-01-01', 'login')" % first.id)
    else:
        with pytest.raises(DatabaseError):
            raw("TRUNCATE audit_log")
        with pytest.raises(DatabaseError):
            raw("INSERT INTO audit_log (id, created_at, updated_at, action) VALUES "
                "(%d, now(), now(), 'login') ON CONFLICT (id) DO UPDATE SET summary = 'x'" % first.id)
    assert AuditLog.get_by_id(first.id).summary == first.summary
    assert verify_chain().ok


def test_the_migration_chains_the_rows_already_there(app):
    """An old database: rows without hashes get their place in the chain, and the log is
    guarded again afterwards."""
    lift_guards()
    raw("UPDATE audit_log SET prev_hash = NULL, row_hash = NULL")
    restore_guards()
    assert verify_chain().problem == INSERTED
    with db.atomic():
        database._tamper_evident_audit(db.obj)
    check = verify_chain()
    assert check.ok and check.rows == AuditLog.select().count()
    with pytest.raises(DatabaseError):
        raw("UPDATE audit_log SET summary = 'x'")


# ---------------------------------------------------------------- concurrency

def test_two_concurrent_appenders_keep_one_chain(app):
    before = AuditLog.select().count()
    start, errors = threading.Barrier(2), []

    def appender(n):
        try:
            with db.connection_context():  # a connection of this thread's own
                start.wait()
                for i in range(40):
                    with write_transaction():
                        audit.audit("setting", None, summary="并发 %d-%d" % (n, i))
        except Exception as err:  # surfaced below
            errors.append(err)

    threads = [threading.Thread(target=appender, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    check = verify_chain()
    assert check.ok, check.describe()
    assert check.rows == before + 80


# ---------------------------------------------------------------- the system as an actor

def test_a_job_run_leaves_one_system_audit_row(app):
    order = make_repair_order()
    run(order.dispatch, user("clerk"), MON)
    later = MON + timedelta(hours=2)
    last = AuditLog.select().order_by(AuditLog.id.desc()).first().id
    raised = jobs.run_job(flag_unaccepted_repairs, later)
    assert raised >= 1
    rows = list(AuditLog.select().where(AuditLog.id > last))
    assert len(rows) == 1
    row = rows[0]
    assert row.user_id is None and row.username == "系统" and row.action == "job"
    assert row.action_label() == "定时任务"
    assert JOB_LABELS["flag_unaccepted_repairs"] in row.summary and str(raised) in row.summary
    assert row.created_at == later
    # A rerun changes nothing and writes nothing.
    assert jobs.run_job(flag_unaccepted_repairs, later) == 0
    assert AuditLog.select().where(AuditLog.id > last).count() == 1
    assert verify_chain().ok


def test_a_failed_job_leaves_no_audit_row(app):
    last = AuditLog.select().order_by(AuditLog.id.desc()).first().id

    def breaks_midway(now):
        Alert.update(level=2).execute()
        raise RuntimeError("boom")
    with pytest.raises(RuntimeError):
        jobs.run_job(breaks_midway, MON)
    assert AuditLog.select().where(AuditLog.id > last).count() == 0


def test_the_nightly_check_raises_one_alert_to_the_admin(app):
    assert (check_audit_log, "day") in jobs.SCHEDULE
    night = MON.replace(hour=0, minute=1)
    assert check_audit_log(night).startswith("完好，共 ")
    assert not Alert.select().where(Alert.record_type == "AuditLog").exists()
    row = middle_row()
    tampered(("UPDATE audit_log SET summary = 'rewritten' WHERE id = %d" % row.id,))
    for day in range(3):  # three nights: still one alert
        check_audit_log(night + timedelta(days=day))
    alerts = list(Alert.select().where(Alert.record_type == "AuditLog"))
    assert len(alerts) == 1
    alert = alerts[0]
    admin = User.get(User.username == "admin")
    assert alert.status == Alert.OPEN and alert.assignee_id == admin.id
    assert alert.record_id == row.id and "第 %d 行" % row.id in alert.title
    system_rows = AuditLog.select().where((AuditLog.action == "job")
                                          & AuditLog.summary.contains(JOB_LABELS["check_audit_log"]))
    assert system_rows.count() == 1  # the night it raised the alert


# ---------------------------------------------------------------- PostgreSQL privileges (README)

def test_the_apps_postgres_role_cannot_rewrite_the_log_and_still_runs(app):
    """README, Audit log: the app's role owns every table but the audit log; the audit log,
    its trigger function, the database and its schema belong to a role nobody logs in as (the
    owner of a schema may drop any table in it). The console still starts and appends."""
    import uuid
    import psycopg2
    if database.is_sqlite():
        pytest.skip("database privileges: PostgreSQL only")
    suffix = uuid.uuid4().hex[:8]
    role, keeper = "kefu_app_" + suffix, "kefu_audit_" + suffix
    url = app.config["DATABASE_URL"]
    name = url.rsplit("/", 1)[1]
    tables = db.get_tables()
    db.execute_sql("CREATE ROLE %s LOGIN" % role)
    db.execute_sql("ALTER DATABASE %s OWNER TO %s" % (name, role))
    for table in tables:  # a deployment's app role created them all at its first start
        db.execute_sql('ALTER TABLE "%s" OWNER TO %s' % (table, role))
    db.execute_sql("ALTER FUNCTION audit_log_append_only() OWNER TO %s" % role)
    # The README's commands, as a superuser:
    for statement in (
            "CREATE ROLE %s NOLOGIN" % keeper,
            "ALTER DATABASE %s OWNER TO %s" % (name, keeper),
            "ALTER SCHEMA public OWNER TO %s" % keeper,
            "GRANT USAGE, CREATE ON SCHEMA public TO %s" % role,
            "ALTER TABLE audit_log OWNER TO %s" % keeper,
            "ALTER FUNCTION audit_log_append_only() OWNER TO %s" % keeper,
            "GRANT SELECT, INSERT ON audit_log TO %s" % role,
            "GRANT USAGE ON SEQUENCE audit_log_id_seq TO %s" % role):
        db.execute_sql(statement)
    role_url = url.replace("//kefu@", "//%s@" % role)
    con = psycopg2.connect(role_url)
    con.autocommit = True
    refused = []
    for sql in ("TRUNCATE audit_log", "DROP TABLE audit_log", "DROP SCHEMA public CASCADE",
                "ALTER TABLE audit_log RENAME TO old_log",
                "DROP TRIGGER audit_log_append_only ON audit_log",
                "ALTER TABLE audit_log DISABLE TRIGGER USER",
                "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS "
                "$$ BEGIN RETURN NEW; END; $$ LANGUAGE plpgsql",
                "UPDATE audit_log SET summary = 'x'", "DELETE FROM audit_log"):
        with con.cursor() as cur:
            try:
                cur.execute(sql)
            except psycopg2.Error:
                refused.append(sql)
    con.close()
    assert len(refused) == 9, refused
    db.close()
    kefu.create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": role_url})
    rows = AuditLog.select().count()
    with write_transaction():
        audit.audit("setting", None, summary="受限角色追加")
    check = verify_chain()
    assert check.ok and check.rows == rows + 1

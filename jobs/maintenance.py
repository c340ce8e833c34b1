"""Upkeep of the database itself."""
from datetime import timedelta

from audit import audit_job, verify_chain
from database import is_sqlite, job_transaction, write_transaction
from models import Alert, FormToken, JobRun, LoginAttempt, User, db


# A table's statistics are refreshed once it has grown or shrunk by a tenth since they were
# taken (PostgreSQL's autovacuum waits for the same: autovacuum_analyze_scale_factor 0.1, plus
# 50 rows): the planner's choices follow proportions, which a day of a year's rows hardly moves.
STALE_SHARE, STALE_ROWS = 0.1, 50


def _stale(rows_then, rows_now):
    return abs(rows_now - rows_then) > STALE_SHARE * rows_then + STALE_ROWS


def refresh_statistics(now):
    """Nightly: fresh planner statistics where the planner needs them, the tables that grew by
    a tenth since their statistics were taken and indexes that have none (a new one), not the
    whole file every night (5-7 s at a year of data, most of it on tables that grew 0.3 %).
    On SQLite ANALYZE holds the write lock while it reads, so it goes one index at a time, each
    in a transaction of its own: the desk's saves wait for one index's scan at most. PostgreSQL's
    ANALYZE blocks no reader or writer: it runs on the tables its own counters call changed."""
    if not is_sqlite():
        tables = [name for (name,) in db.execute_sql(
            "SELECT relname FROM pg_stat_user_tables WHERE n_mod_since_analyze > %s * n_live_tup + %s"
            " OR (last_analyze IS NULL AND last_autoanalyze IS NULL)", (STALE_SHARE, STALE_ROWS))]
        for name in tables:
            db.execute_sql('ANALYZE "%s"' % name)
        return "已更新 %d 张表的统计信息" % len(tables)
    then, known = {}, set()
    if db.table_exists("sqlite_stat1"):
        for table, index, stat in db.execute_sql("SELECT tbl, idx, stat FROM sqlite_stat1"):
            rows = int((stat or "0").split()[0])
            then[table] = max(then.get(table, 0), rows)  # a full index counts the whole table
            known.add(index or table)
    parts = []
    for table in db.get_tables():
        indexes = [index.name for index in db.get_indexes(table)] or [table]
        if table not in then:
            parts += indexes
            continue
        # The largest rowid: the rows added since (a count would read the whole table).
        (rows_now,), = db.execute_sql('SELECT COALESCE(MAX(rowid), 0) FROM "%s"' % table)
        if _stale(then[table], rows_now):
            parts += indexes
        else:
            parts += [name for name in indexes if name not in known]
    for name in parts:
        with write_transaction():
            db.execute_sql('ANALYZE "%s"' % name)
    return "已更新 %d 个索引的统计信息" % len(parts)


refresh_statistics.in_transaction = False  # a transaction per index


def check_audit_log(now):
    """Nightly: walk the audit log's hash chain (audit.verify_chain); when it is broken, raise
    one alert to the admin, once per broken row (an open alert stands until an admin closes
    it). The walk reads outside any transaction; only the alert is written."""
    check = verify_chain()
    if check.ok:
        return "完好，共 %d 行" % check.rows
    broken_id = check.broken.id if check.broken is not None else 0
    with job_transaction("check_audit_log"):  # a second run waits, then sees this one's alert
        raised = 0
        already = Alert.select(Alert.id).where(
            (Alert.record_type == "AuditLog")
            & ((Alert.status == Alert.OPEN) | (Alert.record_id == broken_id)))
        if not already.exists():
            Alert.create(kind="reminder", title="；".join(check.describe())[:200],
                         record_type="AuditLog", record_id=broken_id, since=now,
                         assignee=User.first_with_role(User.ADMIN), level=1, created_at=now,
                         updated_at=now)
            raised = 1
        audit_job("check_audit_log", raised, now)
    return ("%s；新提醒 %d 条" % ("；".join(check.describe()), raised))[:200]


check_audit_log.in_transaction = False  # a long read; the alert has its own short transaction


# How long the console's own bookkeeping is kept: a claim tells which job ran when (a week is
# enough to read a failure), a form token only has to outlive a double click and a resubmit,
# a login attempt the throttle's window.
KEEP_CLAIMS, KEEP_FORM_TOKENS, KEEP_LOGIN_ATTEMPTS = timedelta(days=7), timedelta(days=2), \
    timedelta(days=1)


def prune_bookkeeping(now):
    """Nightly: delete job claims, form tokens and login attempts past their use (about 30,000
    claims a day would otherwise pile up for ever). Records and the audit log are never
    touched; a claim of today's slots always stays. Returns {what: rows deleted}."""
    return {
        "任务认领记录": JobRun.delete().where(JobRun.started_at < now - KEEP_CLAIMS).execute(),
        "表单令牌": FormToken.delete().where(FormToken.used_at < now - KEEP_FORM_TOKENS).execute(),
        "登录尝试记录": LoginAttempt.delete().where(
            LoginAttempt.at < now - KEEP_LOGIN_ATTEMPTS).execute(),
    }

"""Upkeep of the database itself."""
from datetime import timedelta

from audit import audit_job, verify_chain
from database import is_sqlite, job_transaction, refresh_planner_statistics, write_transaction
from models import Alert, FormToken, JobRun, LoginAttempt, User, db


def refresh_statistics(now):
    """Nightly: fresh planner statistics as the registers grow. On SQLite ANALYZE holds the
    write lock while it reads, so it goes one index at a time, each in a transaction of its own:
    the desk's saves wait for one index's scan at most (under a second for 2M clocks), not for
    a table's eight or the 8 s of the whole file. PostgreSQL's ANALYZE blocks no reader or
    writer and is left whole."""
    if not is_sqlite():
        refresh_planner_statistics(db.obj)
        return "analyzed"
    parts = []
    for table in db.get_tables():
        parts += [index.name for index in db.get_indexes(table)] or [table]
    for name in parts:
        with write_transaction():
            db.execute_sql('ANALYZE "%s"' % name)
    return "analyzed %d indexes" % len(parts)


refresh_statistics.in_transaction = False  # a transaction per index


def check_audit_log(now):
    """Nightly: walk the audit log's hash chain (audit.verify_chain); when it is broken, raise
    one alert to the admin, once per broken row (an open alert stands until an admin closes
    it). The walk reads outside any transaction; only the alert is written."""
    check = verify_chain()
    if check.ok:
        return "ok %d" % check.rows
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
    return "broken at %s (%s), alerts raised %d" % (broken_id, check.problem or "guards", raised)


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

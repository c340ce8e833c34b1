"""A minute with nothing new: the minute's jobs are skipped when they cannot find anything (issue 23).

What the minute's jobs (jobs.MINUTE_JOBS: the clocks' overdue and due-soon flags, escalation,
missed follow-ups, due dates, resolving what is done) find depends on two things only:

- the data: every change to it is audited (the console's own included), so the audit log's
  last id says whether anything changed;
- the time: a running clock's due, warning or escalation time passing, or a new day (due dates,
  the follow-up days, working days).

After a sweep in which every one of those jobs ran and no audit row but the jobs' own appeared,
the sweep is settled at (last audit id, now): the jobs' one pass is idempotent (a rerun changes
nothing, tests/test_jobs_pinned.py), so until either input moves another pass finds nothing.
The next sweep then reads the audit log's last id and five index probes, not the open work
(a rerun costs the same at any scale). A settled state older than FULL_EVERY is not trusted:
a change that bypassed the audit log (a hand edit in the database) waits at most that long.
"""
import json
from datetime import datetime, timedelta

from peewee import Select, fn

from models import AuditLog, Deadline, Setting, db

KEY = "jobs.settled"
FULL_EVERY = timedelta(hours=1)
SYSTEM_ACTION = "job"  # the audit rows jobs write (audit.audit_job)
# The times of a running clock whose passing changes what the jobs find.
CLOCK_TIMES = ("due_at", "warn_at", "level2_at", "level3_at", "level4_at")


def last_audit_id():
    return AuditLog.select(fn.MAX(AuditLog.id)).scalar() or 0


def settled():
    """(last audit id, now) of the last settled sweep, or None."""
    value = Setting.read(KEY)
    if not value:
        return None
    try:
        mark, at = json.loads(value)
        return int(mark), datetime.fromisoformat(at)
    except (TypeError, ValueError):
        return None


def clock_passed(after, upto):
    """Did a running clock's due, warning or escalation time fall in (after, upto]? One
    statement of five index probes (migration 26: the running clocks' times)."""
    running = Deadline.status == Deadline.RUNNING
    probes = [fn.EXISTS(Deadline.select(Deadline.id).where(
        running & (getattr(Deadline, name) > after) & (getattr(Deadline, name) <= upto)))
        for name in CLOCK_TIMES]
    anything = probes[0]
    for probe in probes[1:]:
        anything = anything | probe
    return bool(Select(columns=[anything]).bind(db).scalar())


def nothing_new(now, state=None):
    """True when the last settled sweep's answer still holds at `now`: no change since, the
    same day, no clock time passed, and not older than FULL_EVERY."""
    state = settled() if state is None else state
    if state is None:
        return False
    mark, at = state
    if not (at <= now < at + FULL_EVERY) or now.date() != at.date():
        return False
    if last_audit_id() != mark:
        return False
    return now == at or not clock_passed(at, now)


def settle(started_mark, now):
    """Record the sweep at `now` as settled if, since `started_mark` (the last audit id when it
    began), the audit log gained only the jobs' own rows; otherwise leave the older state,
    which no longer matches, so the next sweep runs in full."""
    since = list(AuditLog.select(AuditLog.id, AuditLog.action).where(AuditLog.id > started_mark)
                 .order_by(AuditLog.id).tuples())
    if any(action != SYSTEM_ACTION for _, action in since):
        return False
    mark = since[-1][0] if since else started_mark
    Setting.write(KEY, json.dumps([mark, now.isoformat()]))
    return True

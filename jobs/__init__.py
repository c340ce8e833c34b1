"""Scheduled jobs: one function per rule, named as a verb, taking `now`; all listed here.

`run_due_jobs(now)` runs each job at most once per time slot across every process and machine:
a claim row (job, slot) under a unique index is taken first, and only its taker runs the job;
a claim on the minute's whole sweep comes before them, so one process sweeps at a time. A run
that fails is taken again by the next sweeps in the same slot (up to ATTEMPTS), and a failure
is an alert to the admin; old claims are pruned nightly (jobs.maintenance.prune_bookkeeping).
"""
import logging
import os
import secrets
import subprocess
import sys
import time

from peewee import IntegrityError, fn

from audit import audit_job
import database
from database import job_transaction, write_transaction
from models import Alert, JobRun, User, db, job_label

from jobs.communication import flag_contact_cadence, refresh_last_contacts
from jobs.complaints import generate_monthly_complaint_report
from jobs import quiet
from jobs.deadlines import DEADLINE_JOBS
from jobs.mail import mail_alerts
from jobs.maintenance import check_audit_log, prune_bookkeeping, refresh_statistics
from jobs.segments import segment_customers
from jobs.surveys import flag_survey_plans_missing

log = logging.getLogger("kefu.jobs")
SLOW_JOB_SECONDS = 2

# (job, how often): "minute" jobs run every minute; the monthly report checks the date itself.
SCHEDULE = tuple((job, "minute") for job in DEADLINE_JOBS) + (
    # Nightly upkeep of each customer's last contact (the event hooks only move it forward;
    # an archived contact moves it back), just before the cadence check that reads it.
    (refresh_last_contacts, "day"),
    (flag_contact_cadence, "day"),   # months and years: once a day is enough
    (flag_survey_plans_missing, "day"),  # a period's latest day passes at midnight
    (segment_customers, "day"),      # nightly: the first minute of the day
    (mail_alerts, "minute"),
    (generate_monthly_complaint_report, "day"),
    (refresh_statistics, "day"),
    (check_audit_log, "day"),        # the audit log's hash chain, whole every night
    (prune_bookkeeping, "day"),      # claims, form tokens and login attempts past their use
)
ATTEMPTS = 3  # runs of one job in one slot: a failed nightly job is tried by the next sweeps
# Nightly upkeep that reads whole registers (seconds to minutes at a year of data): run from the
# web workers' scheduler, each goes in a process of its own at a lower CPU priority (run_apart),
# so a clerk's page never waits behind it for the interpreter or for a core (issue 23).
OWN_PROCESS = ("refresh_last_contacts", "segment_customers", "refresh_statistics", "check_audit_log")
APART_NICENESS = 10
APART_TIMEOUT = 3 * 3600
JOBS_BY_NAME = {job.__name__: job for job, _ in SCHEDULE}
# The minute's jobs that find only what the data and the clocks' times say: skipped together in
# a minute when neither moved since a sweep that settled them (jobs.quiet).
SETTLING = tuple(job.__name__ for job in DEADLINE_JOBS)
NOTHING_NEW = "无新变化，未运行"
# A sweep that raised more alerts than this (a catch-up after downtime, the first sweep of an
# imported history) refreshes PostgreSQL's statistics of the alert table at once: planned on
# the old counts, the next sweep's cadence check joined 7,360 tenants to 7,360 alerts pair by
# pair (0.7 s), until autovacuum's analyze came. SQLite plans them well either way.
ANALYZE_AFTER_RAISED = 1000
# ... and more than this share of the alerts there were: what autovacuum would analyze for
# (its analyze_scale_factor), done at once. Fewer, the counts the plans rest on hold (a sweep
# across midnight at three years raised 5% and spent 240 ms analyzing for nothing).
ANALYZE_AFTER_SHARE = 0.1
# The columns the jobs and the pages find alerts by (migration 28's statistics among them):
# analyzed alone, not the titles and notes, the analyze costs a sweep half as much.
ANALYZED_ALERT_COLUMNS = ("status", "kind", "record_type", "record_id", "rule_id", "level",
                          "since", "department_id", "assignee_id")


def slot_of(now, every):
    return now.strftime("%Y-%m-%dT%H:%M" if every == "minute" else "%Y-%m-%d")


def claim(job_name, slot, now):
    """Take the (job, slot) claim; False when another process already has it, unless its run
    failed and may be tried again (one process wins the conditional UPDATE)."""
    try:
        with write_transaction():
            JobRun.create(job=job_name, slot=slot, started_at=now)
        return True
    except IntegrityError:
        with write_transaction():
            return JobRun.update(attempts=JobRun.attempts + 1, started_at=now, finished_at=None,
                                 result=None).where(
                (JobRun.job == job_name) & (JobRun.slot == slot)
                & (JobRun.result == JobRun.FAILED) & (JobRun.attempts < ATTEMPTS)).execute() == 1


def report_failure(job_name, slot, err, now):
    """A failed run is an alert to the admin: one open alert per job (a job failing every
    minute does not bury the admin), saying which attempt failed and why."""
    with write_transaction():
        run = JobRun.get((JobRun.job == job_name) & (JobRun.slot == slot))
        open_alert = Alert.select(Alert.id).where(
            (Alert.record_type == "JobRun") & (Alert.status == Alert.OPEN)
            & Alert.record_id.in_(JobRun.select(JobRun.id).where(JobRun.job == job_name)))
        retry = "，稍后自动重试" if run.attempts < ATTEMPTS else "，已停止重试，请检查"
        title = ("定时任务“%s”第 %d 次运行失败%s（%s）" % (
            job_label(job_name), run.attempts, retry, type(err).__name__))[:200]
        if open_alert.exists():  # the standing alert says the latest attempt
            Alert.update(title=title, updated_at=now).where(Alert.id.in_(open_alert)).execute()
            return
        Alert.create(kind="reminder", record_type="JobRun", record_id=run.id, since=now,
                     title=title, assignee=User.first_with_role(User.ADMIN), level=1,
                     created_at=now, updated_at=now)


SWEEP = "run_due_jobs"  # the claim on one minute's whole run


def run_due_jobs(now, force=False, run=None, full=False):
    """Run every job whose slot is not yet claimed (force: run all, as `run-jobs` does).

    A forced run claims slots of its own, so it may overlap the scheduler's run or another
    `run-jobs`: every job is safe to run twice at once. A job in one transaction takes its
    turn (database.job_transaction); the others claim each change they make; an alert is
    raised once whoever raises it (the unique index on open alerts).

    One process a minute sweeps: it claims the minute first and runs the jobs one after the
    other. Left to claim job by job, every worker ran a different job at the same moment, and
    on SQLite their write transactions queued behind each other and the desk's saves behind
    them all, past the busy timeout (the benchmark's load run).

    `run`: how one job is run (default run_job, in this process; the web workers' scheduler
    passes run_apart).

    The minute's jobs (SETTLING) are skipped, unclaimed, when nothing changed and no clock's
    time passed since a sweep that settled them (jobs.quiet; `full`: run them anyway)."""
    if not force and not claim(SWEEP, slot_of(now, "minute"), now):
        return {}
    results = {}
    started_mark = quiet.last_audit_id()
    analyze = not database.is_sqlite()  # the alert table's statistics after a big catch-up
    alerts_before = (Alert.select(fn.MAX(Alert.id)).scalar() or 0) if analyze else 0
    skip = not full and quiet.nothing_new(now)
    for job, every in SCHEDULE:
        name = job.__name__
        if skip and name in SETTLING:
            results[name] = NOTHING_NEW
            continue
        # A forced run (run-jobs) claims a slot of its own; JobRun.slot holds 20 characters.
        slot = ("!" + secrets.token_hex(8)) if force else slot_of(now, every)
        if not claim(name, slot, now):
            continue
        started = time.monotonic()
        try:
            results[name] = (run or run_job)(job, now)
        except Exception as err:  # one failing job must not stop the others
            if database.is_unavailable(err):  # the database went away: the rest waits too
                raise
            log.exception("job %s failed", name)
            results[name] = JobRun.FAILED
            report_failure(name, slot, err, now)
        took = time.monotonic() - started
        if took > SLOW_JOB_SECONDS:  # a job in one transaction holds the write lock this long
            log.warning("job %s took %.1f s (%s)", name, took, results[name])
        JobRun.update(finished_at=now, result=str(results[name])[:200]).where(
            (JobRun.job == name) & (JobRun.slot == slot)).execute()
    if not skip and all(results.get(name, JobRun.FAILED) != JobRun.FAILED for name in SETTLING):
        with write_transaction():
            quiet.settle(started_mark, now)
    raised = ((Alert.select(fn.MAX(Alert.id)).scalar() or 0) - alerts_before) if analyze else 0
    if raised > ANALYZE_AFTER_RAISED and raised > ANALYZE_AFTER_SHARE * db.execute_sql(
            "SELECT reltuples FROM pg_class WHERE oid = 'alert'::regclass").fetchone()[0]:
        db.execute_sql('ANALYZE "alert" (%s)' % ", ".join(
            '"%s"' % column for column in ANALYZED_ALERT_COLUMNS))
    return results


def run_job(job, now):
    """Run one job in its transaction with its audit row (the system is an actor too): a count
    or {what: count} that is not zero is audited with the change. A job that keeps its own
    transactions (`in_transaction = False`) audits itself, in the one that writes."""
    if not getattr(job, "in_transaction", True):
        return job(now)
    with job_transaction(job.__name__):  # two runs at once (scheduler, run-jobs) take turns
        result = job(now)
        audit_job(job.__name__, result, now)
    return result


class JobProcessFailed(RuntimeError):
    """A job run in its own process ended with an error (its stderr's last lines say why)."""


def run_apart(job, now):
    """run_job, but the nightly upkeep (OWN_PROCESS) in a child process (`python app.py run-job`)
    at a lower CPU priority, on the same database; this thread waits for it without holding the
    interpreter. Its result is the child's last line; a failure raises JobProcessFailed, which
    run_due_jobs handles as any failing job (retried, the admin told)."""
    if job.__name__ not in OWN_PROCESS:
        return run_job(job, now)
    from flask import current_app
    env = dict(os.environ, DATABASE_URL=current_app.config["DATABASE_URL"], KEFU_DEMO="0",
               KEFU_TIMEZONE=current_app.config["KEFU_TIMEZONE"],
               KEFU_SECRET_KEY=os.environ.get("KEFU_SECRET_KEY") or secrets.token_hex(32))
    app_py = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "app.py")
    done = subprocess.run(
        [sys.executable, app_py, "run-job", job.__name__, "--now", now.isoformat()],
        env=env, capture_output=True, text=True, timeout=APART_TIMEOUT,
        preexec_fn=lambda: os.nice(APART_NICENESS))
    if done.returncode != 0:
        raise JobProcessFailed(" ".join(done.stderr.split()[-40:])[-300:])
    lines = done.stdout.strip().splitlines()
    return lines[-1] if lines else ""

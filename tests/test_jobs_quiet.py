"""The minute's jobs are skipped only when they cannot find anything (issue 23, jobs.quiet):
nothing audited since a sweep that settled them, the same day, no running clock's due, warning
or escalation time passed, and within the hour. Every moment is relative to conftest.DEMO_NOW."""
from datetime import datetime, time, timedelta

import pytest
from conftest import DEMO_NOW
from peewee import fn

import database
import flows.records
import jobs
from audit import audit_job, audit_record
from database import write_transaction
from helpers import dept, user
from jobs import quiet
from models import Alert, AuditLog, Customer, Deadline, RepairOrder, Setting, db

TIMES = [getattr(Deadline, name) for name in quiet.CLOCK_TIMES]


def sweep(now, **kw):
    return jobs.run_due_jobs(now, force=True, **kw)


def skipped(results):
    return {results[name] == jobs.NOTHING_NEW for name in jobs.SETTLING} == {True}


def ran(results):
    return not any(results[name] == jobs.NOTHING_NEW for name in jobs.SETTLING)


def next_clock_time(after):
    """The first due, warning or escalation time of a running clock after `after`."""
    running = Deadline.status == Deadline.RUNNING
    return min(t for t in (Deadline.select(fn.MIN(column)).where(running & (column > after)).scalar()
                           for column in TIMES) if t is not None)


def settled_at(now):
    """A sweep at `now`, then the moment just before the next clock time (same day): a sweep
    then has nothing new to find."""
    sweep(now)
    assert quiet.settled() == (quiet.last_audit_id(), now)
    upcoming = next_clock_time(now)
    assert upcoming > now + timedelta(seconds=2), "the test needs a quiet moment after now"
    quiet_moment = min(upcoming - timedelta(seconds=1), now + timedelta(minutes=59),
                       datetime.combine(now.date(), time(23, 59)))
    return quiet_moment, upcoming


def test_a_sweep_with_nothing_new_skips_the_minute_jobs_and_a_full_one_agrees(app):
    with db.connection_context():
        later, _ = settled_at(DEMO_NOW)
        before = list(Alert.select().order_by(Alert.id).tuples())
        assert skipped(sweep(later))
        # The skip is right: run in full at the same moment, the jobs change nothing.
        full = sweep(later, full=True)
        assert all(full[name] in (0, {}) for name in jobs.SETTLING), full
        assert list(Alert.select().order_by(Alert.id).tuples()) == before
        # The other jobs (the day's and the mail) are not the minute's: they run as before.
        assert all(full[name] != jobs.NOTHING_NEW for name in full)


def test_a_clerks_change_makes_the_next_sweep_run_in_full(app):
    """A repair overdue for acceptance, accepted by property management between two sweeps: no
    clock time passes (its clock stops), only the audit row says something changed, and the
    next sweep resolves its alert."""
    with db.connection_context():
        reported = DEMO_NOW - timedelta(hours=2)
        order = flows.records.create(RepairOrder, dict(
            customer=Customer.select().order_by(Customer.id).first(), location="3F 卫生间",
            description="漏水", reported_at=reported, department=dept("property")),
            user("clerk"), reported)
        if order.status != "dispatched":
            with write_transaction():
                order.dispatch(user("clerk"), reported)
        later, _ = settled_at(DEMO_NOW)
        alert = Alert.get((Alert.record_type == "RepairOrder") & (Alert.record_id == order.id)
                          & (Alert.kind == "overdue") & (Alert.status == Alert.OPEN))
        with write_transaction():
            RepairOrder.get_by_id(order.id).accept(user("property"), later - timedelta(seconds=30))
        assert quiet.last_audit_id() != quiet.settled()[0]
        assert not quiet.clock_passed(DEMO_NOW, later)
        assert ran(sweep(later))
        assert Alert.get_by_id(alert.id).status == Alert.RESOLVED


def test_a_clock_time_passing_makes_the_sweep_run(app):
    with db.connection_context():
        _, upcoming = settled_at(DEMO_NOW)
        if upcoming.date() != DEMO_NOW.date():
            upcoming = datetime.combine(DEMO_NOW.date(), time(23, 59))
        assert quiet.clock_passed(DEMO_NOW, upcoming)
        assert not quiet.nothing_new(upcoming)
        assert ran(sweep(upcoming))


def test_a_new_day_and_an_hour_make_the_sweep_run(app):
    with db.connection_context():
        sweep(DEMO_NOW)
        mark = quiet.last_audit_id()
        midnight = datetime.combine(DEMO_NOW.date() + timedelta(days=1), time())
        # The state says settled; only the day (or the hour) is new: a clock time never passed.
        Setting.write(quiet.KEY, '[%d, "%s"]' % (mark, (midnight - timedelta(minutes=1)).isoformat()))
        assert not quiet.nothing_new(midnight, (mark, midnight - timedelta(minutes=1)))
        assert not quiet.nothing_new(DEMO_NOW + quiet.FULL_EVERY, (mark, DEMO_NOW))
        assert not quiet.nothing_new(DEMO_NOW - timedelta(minutes=1), (mark, DEMO_NOW))  # clock back
        assert quiet.nothing_new(DEMO_NOW, (mark, DEMO_NOW))


def test_a_sweep_during_which_a_clerk_saved_is_not_settled(app):
    """Only the jobs' own audit rows may appear during a settling sweep: a clerk's save in the
    middle may have come after the job that would have seen it."""
    with db.connection_context():
        sweep(DEMO_NOW)
        state = quiet.settled()
        mark = quiet.last_audit_id()
        audit_job("flag_unaccepted_repairs", 1, DEMO_NOW)
        audit_record("update", "RepairOrder", 1, DEMO_NOW, "测试：受理")
        audit_job("resolve_done_alerts", 1, DEMO_NOW)
        assert not quiet.settle(mark, DEMO_NOW + timedelta(minutes=1))
        assert quiet.settled() == state
        # The jobs' rows alone settle it, at the last of them.
        mark = quiet.last_audit_id()
        audit_job("resolve_done_alerts", 2, DEMO_NOW)
        assert quiet.settle(mark, DEMO_NOW + timedelta(minutes=2))
        assert quiet.settled() == (quiet.last_audit_id(), DEMO_NOW + timedelta(minutes=2))
        assert AuditLog.get_by_id(quiet.last_audit_id()).action == "job"


def test_a_failed_minute_job_leaves_the_sweep_unsettled(app):
    with db.connection_context():
        sweep(DEMO_NOW)
        state = quiet.settled()
        original = jobs.SCHEDULE

        def broken(now):
            raise RuntimeError("测试")
        broken.__name__ = "escalate_repeated_misses"
        jobs.SCHEDULE = tuple((broken, every) if job.__name__ == broken.__name__ else (job, every)
                              for job, every in original)
        try:
            results = sweep(DEMO_NOW + timedelta(minutes=1), full=True)
        finally:
            jobs.SCHEDULE = original
        assert results["escalate_repeated_misses"] == "failed"
        assert quiet.settled() == state  # not moved to the failed sweep's moment


@pytest.mark.postgres
def test_a_sweep_that_raised_many_alerts_gives_postgresql_their_statistics_at_once(app, monkeypatch):
    """A catch-up raising more than ANALYZE_AFTER_RAISED alerts analyzes the alert table (the
    next sweep is planned on today's counts, not autovacuum's of some minutes later)."""
    def last_analyze():
        db.execute_sql("SELECT pg_stat_clear_snapshot()")
        return db.execute_sql("SELECT last_analyze FROM pg_stat_user_tables "
                              "WHERE relname = 'alert'").fetchone()[0]
    # The minute's jobs only: the nightly refresh_statistics analyzes tables of its own.
    monkeypatch.setattr(jobs, "SCHEDULE", tuple((job, every) for job, every in jobs.SCHEDULE
                                                if job.__name__ in jobs.SETTLING))
    def combined_statistics_built():
        return db.execute_sql(
            "SELECT d.stxdmcv IS NOT NULL FROM pg_statistic_ext s LEFT JOIN pg_statistic_ext_data d "
            "ON d.stxoid = s.oid WHERE s.stxname = 'alert_status_kind_register_rule'").fetchone()[0]
    with db.connection_context():
        # The open alerts' combined statistics (migration 28), made anew: not yet built.
        db.execute_sql('DROP STATISTICS "alert_status_kind_register_rule"')
        db.execute_sql(database.ALERT_STATISTICS)
        assert not combined_statistics_built()
        before = last_analyze()
        monkeypatch.setattr(jobs, "ANALYZE_AFTER_RAISED", 10 ** 9)
        sweep(DEMO_NOW + timedelta(days=2))
        assert last_analyze() == before  # a sweep raising a few: autovacuum's business
        monkeypatch.setattr(jobs, "ANALYZE_AFTER_RAISED", 0)
        monkeypatch.setattr(jobs, "ANALYZE_AFTER_SHARE", 10 ** 9)
        sweep(DEMO_NOW + timedelta(days=3))
        assert Alert.select().where(Alert.created_at == DEMO_NOW + timedelta(days=3)).exists()
        assert last_analyze() == before  # many, but few beside the table: autovacuum's too
        monkeypatch.setattr(jobs, "ANALYZE_AFTER_SHARE", 0)
        Alert.update(status=Alert.RESOLVED, resolved_at=DEMO_NOW).where(
            Alert.status == Alert.OPEN).execute()
        raised_before = Alert.select().count()
        sweep(DEMO_NOW + timedelta(days=4), full=True)
        assert Alert.select().count() > raised_before
        assert last_analyze() != before
        # The columns analyzed include those of the combined statistics: built with them.
        assert combined_statistics_built()


@pytest.mark.postgres
def test_the_consoles_postgresql_connections_never_jit_compile(app):
    """JIT compiled the escalation UPDATE for 300 ms to run it in 60 (scale 3): the console's
    short statements run without it, unless the site's URL sets options of its own."""
    with db.connection_context():
        assert db.execute_sql("SHOW jit").fetchone()[0] == "off"

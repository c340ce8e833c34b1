"""The jobs' answers, pinned on the demo mall over days of changes (issue 23): whatever a job
reads to be fast (what is open, what changed since its last run), the alerts raised, resolved
and escalated and the customers' segments are those the rules give over the whole database.

Each check states a rule over all the data (an oracle) and compares it with what the sweep
left; the data is changed between sweeps at the data level (a clock met, a record archived,
an action item done), as any screen or import would leave it. Every moment is relative to
conftest.DEMO_NOW."""
import json
from datetime import timedelta

import pytest
from conftest import DEMO_NOW

import jobs
from audit import audit_record
from jobs.deadlines import ACTING_DEPARTMENT, DUE_DATE_REGISTERS
from jobs.segments import active_rules, evaluate, segment_metrics
from models import (ActionItem, Alert, Callback, Complaint, Contact, Customer, Deadline, Hold, JobRun,
                    SegmentRule, db)

# The sweep's own jobs (run_due_jobs runs the nightly ones too: their slots are new each time).
ALERT_COLUMNS = (Alert.id, Alert.kind, Alert.record_type, Alert.record_id, Alert.rule,
                 Alert.since, Alert.level, Alert.assignee, Alert.status, Alert.resolved_at,
                 Alert.resolution_note)


def alert_table():
    return set(Alert.select(*ALERT_COLUMNS).tuples())


def sweep(now, full=False):
    return jobs.run_due_jobs(now, force=True, full=full)


def audited(model_name, record_id, now, what):
    """The audit row the screen that made a data-level change writes with it (the minute's jobs
    skip a sweep when neither the audit log nor the clocks' times moved: jobs.quiet)."""
    audit_record("update", model_name, record_id, now, "测试：%s" % what)


def archived(record_type, record_id):
    model = ACTING_DEPARTMENT[record_type][0]
    row = model.select(model.archived_at).where(model.id == record_id).first()
    return row is None or row.archived_at is not None


def on_hold(record_type, record_id):
    model = ACTING_DEPARTMENT[record_type][0]
    if "on_hold_since" not in model._meta.fields:
        return False
    row = model.select(model.on_hold_since).where(model.id == record_id).first()
    return row is not None and row.on_hold_since is not None


def check_alerts_follow_the_clocks(now):
    """After a sweep at `now`: the open clock alerts are exactly those whose clock still runs,
    every clock past due has its alert, and each open one is at the level its clock reached."""
    running = {}
    for clock in Deadline.select().where(Deadline.status == Deadline.RUNNING):
        running.setdefault((clock.record_type, clock.record_id, clock.rule_id), []).append(clock)
    open_alerts = list(Alert.select().where((Alert.status == Alert.OPEN)
                                            & Alert.kind.in_(("overdue", "due_soon"))))
    for alert in open_alerts:
        if alert.record_type in DUE_DATE_REGISTERS:
            model = DUE_DATE_REGISTERS[alert.record_type][0]
            record = model.get_by_id(alert.record_id)
            assert record.status == model.OPEN and record.archived_at is None, alert.title
            continue
        if alert.rule_id is None or alert.record_type not in ACTING_DEPARTMENT:
            continue  # cadence, survey-plan and job alerts: their own jobs
        clocks = running.get((alert.record_type, alert.record_id, alert.rule_id))
        assert clocks, "open alert without a running clock: %s" % alert.title
        if alert.kind == "due_soon":
            assert all(c.due_at > now for c in clocks), alert.title
        elif not on_hold(alert.record_type, alert.record_id) and not Hold.select().where(
                (Hold.record_type == alert.record_type) & (Hold.record_id == alert.record_id)
                & Hold.ended_at.is_null()).exists():
            reached = max((4 if c.level4_at and c.level4_at <= now else
                           3 if c.level3_at and c.level3_at <= now else
                           2 if c.level2_at and c.level2_at <= now else 1)
                          for c in clocks if c.kind != "follow_up") if any(
                c.kind != "follow_up" for c in clocks) else 1
            assert alert.level >= reached, (alert.title, alert.level, reached)
    alerted = {(a.record_type, a.record_id, a.rule_id) for a in Alert.select().where(
        Alert.kind == "overdue") if a.status == Alert.OPEN}
    raised_for = {(a.record_type, a.record_id, a.rule_id, a.since) for a in Alert.select().where(
        Alert.kind == "overdue")}
    for key, clocks in running.items():
        record_type, record_id, rule_id = key
        if record_type not in ACTING_DEPARTMENT or archived(record_type, record_id) \
                or on_hold(record_type, record_id):
            continue
        for clock in clocks:
            if clock.kind == "follow_up" or clock.due_at > now:
                continue
            assert key in alerted or (record_type, record_id, rule_id, clock.due_at) in raised_for, \
                "a clock past due without its alert: %s #%s %s" % (record_type, record_id,
                                                                  clock.rule_code)


def check_segments_as_from_nothing(now):
    """Every active customer's segments are those its metrics give under the active rules now;
    every other customer has none."""
    rules = active_rules()
    metrics = segment_metrics(now)
    stored = {row[0]: row[1:] for row in Customer.select(
        Customer.id, Customer.value_segment, Customer.engagement_segment,
        Customer.satisfaction_segment, Customer.risk_segment, Customer.segment_reasons).tuples()}
    for customer_id, values in stored.items():
        if customer_id not in metrics:
            assert values == (None,) * 5, customer_id
            continue
        levels, reasons = evaluate(rules, metrics[customer_id]["kind"], metrics[customer_id])
        assert values == (levels["value"], levels["engagement"], levels["satisfaction"],
                          levels["risk"], json.dumps(reasons, ensure_ascii=False)), customer_id


def finish_some_clocks(now, count):
    """Meet the first `count` running clocks that have an open alert, as the records' steps
    would (met_at just before `now`)."""
    keys = (Alert.select(Alert.record_type, Alert.record_id, Alert.rule)
            .where((Alert.status == Alert.OPEN) & Alert.kind.in_(("overdue", "due_soon"))
                   & Alert.rule.is_null(False) & (Alert.record_type != "Customer"))
            .order_by(Alert.id).limit(count).tuples())
    met = 0
    for record_type, record_id, rule_id in keys:
        met += Deadline.update(status=Deadline.MET, met_at=now - timedelta(minutes=1)).where(
            (Deadline.record_type == record_type) & (Deadline.record_id == record_id)
            & (Deadline.rule == rule_id) & (Deadline.status == Deadline.RUNNING)).execute()
        audited(record_type, record_id, now, "时限已完成")
    return met


def test_alerts_follow_the_clocks_through_days_of_changes_and_a_rerun_changes_nothing(app):
    moments = [DEMO_NOW, DEMO_NOW + timedelta(hours=2), DEMO_NOW + timedelta(days=1, hours=1),
               DEMO_NOW + timedelta(days=4, hours=3), DEMO_NOW + timedelta(days=11)]
    with db.connection_context():
        for step, now in enumerate(moments):
            if step == 2:  # records done while the jobs were down (caught up at the next run)
                assert finish_some_clocks(now - timedelta(hours=20), 5) >= 1
            if step == 3:
                assert finish_some_clocks(now - timedelta(days=2), 3) >= 1
                item = ActionItem.select().where(ActionItem.status == ActionItem.OPEN).first()
                if item is not None:
                    ActionItem.update(status=ActionItem.DONE).where(ActionItem.id == item.id).execute()
                    audited("ActionItem", item.id, now, "已完成")
            if step == 4:  # a record archived (a duplicate): its clocks no longer alert
                complaint = Complaint.select().where(Complaint.archived_at.is_null()
                                                     & Complaint.status.in_(Complaint.OPEN_STATES)).first()
                if complaint is not None:
                    Complaint.update(archived_at=now - timedelta(hours=1)).where(
                        Complaint.id == complaint.id).execute()
                    audited("Complaint", complaint.id, now, "已归档")
            sweep(now)
            check_alerts_follow_the_clocks(now)
            before = alert_table()
            # Nothing changed and no time passed: the minute's jobs are skipped ...
            second = sweep(now)
            assert {second[name] for name in jobs.SETTLING} == {jobs.NOTHING_NEW}
            assert alert_table() == before
            # ... and rightly: run in full, they change nothing either.
            third = sweep(now, full=True)
            assert alert_table() == before, "a rerun at the same moment changed alerts"
            changed = {name: result for name, result in third.items()
                       if name in jobs.SETTLING and result not in (0, None, {})}
            assert changed == {}


def test_an_alert_whose_record_was_done_before_the_last_run_is_still_resolved(app):
    """An alert left open while its clock was met earlier (a run that failed, a step committed
    while the sweep read) is resolved by the next sweep, however long ago the clock was met."""
    now = DEMO_NOW + timedelta(hours=1)
    with db.connection_context():
        sweep(now)
        assert finish_some_clocks(now - timedelta(days=3), 2) >= 1
        stale = {a.id for a in Alert.select().where(
            (Alert.status == Alert.OPEN) & Alert.kind.in_(("overdue", "due_soon"))
            & Alert.rule.is_null(False) & (Alert.record_type != "Customer")
            & ~fn_exists_running())}
        assert stale
        sweep(now + timedelta(minutes=1))
        assert all(Alert.get_by_id(i).status == Alert.RESOLVED for i in stale)
        check_alerts_follow_the_clocks(now + timedelta(minutes=1))


def fn_exists_running():
    from peewee import fn
    return fn.EXISTS(Deadline.select(Deadline.id).where(
        (Deadline.record_type == Alert.record_type) & (Deadline.record_id == Alert.record_id)
        & (Deadline.rule == Alert.rule) & (Deadline.status == Deadline.RUNNING)))


def test_segments_are_those_a_run_from_nothing_gives_after_days_of_changes(app):
    with db.connection_context():
        now = DEMO_NOW.replace(hour=0, minute=1)
        sweep(now)
        check_segments_as_from_nothing(now)
        customers = list(Customer.select().where((Customer.status == Customer.ACTIVE)
                                                 & Customer.archived_at.is_null())
                         .order_by(Customer.id).limit(6))
        assert len(customers) == 6
        # The next night: a contact, a complaint archived, a callback's score, a customer's rent.
        now += timedelta(days=1)
        Contact.update(customer=customers[0].id, received_at=now - timedelta(hours=3)).where(
            Contact.id == Contact.select(fn_min(Contact.id))).execute()
        Complaint.update(archived_at=now - timedelta(hours=2)).where(
            Complaint.customer == customers[1].id).execute()
        Callback.update(satisfaction=1, called_at=now - timedelta(hours=5)).where(
            Callback.id == Callback.select(fn_min(Callback.id))).execute()
        Customer.update(monthly_rent=999999).where(Customer.id == customers[2].id).execute()
        Customer.update(status=Customer.INACTIVE).where(Customer.id == customers[3].id).execute()
        sweep(now)
        check_segments_as_from_nothing(now)
        # A rule tuned by the admin, then six weeks without a run: time alone moves
        # days since contact, tenure and lease left, and contacts leave the 12 months.
        rule = SegmentRule.select().where(SegmentRule.is_active == True).first()  # noqa: E712
        SegmentRule.update(threshold=rule.threshold + 1).where(SegmentRule.id == rule.id).execute()
        now += timedelta(days=42)
        sweep(now)
        check_segments_as_from_nothing(now)
        now += timedelta(days=1)  # and a quiet night
        sweep(now)
        check_segments_as_from_nothing(now)
        now += timedelta(days=300)  # most of the year's contacts leave the window
        sweep(now)
        check_segments_as_from_nothing(now)


def fn_min(column):
    from peewee import fn
    return fn.MIN(column)


@pytest.mark.parametrize("days", [0, 1, 35])
def test_cadence_alerts_are_open_exactly_for_customers_past_their_cadence(app, days):
    now = DEMO_NOW + timedelta(days=days)
    with db.connection_context():
        sweep(now)
        sweep(now)
        from models import SlaRule
        open_on = {(a.record_id, a.rule_id) for a in Alert.select().where(
            (Alert.record_type == "Customer") & (Alert.status == Alert.OPEN))}
        for kind, (code, _) in Customer.CADENCE.items():
            rule = SlaRule.get_or_none(SlaRule.code == code)
            if rule is None or not rule.is_active:
                continue
            due = {c.id for c in Customer.select(Customer.id).where(
                Customer.cadence_due_before(kind, rule.limit(), now))}
            mine = {customer for customer, rule_id in open_on if rule_id == rule.id
                    and Customer.get_by_id(customer).kind == kind}
            assert due <= mine, kind


@pytest.mark.parametrize("days", [35, 400])
def test_cadence_alerts_are_resolved_exactly_for_the_customers_communicated_with_since(app, days):
    """Kind by kind (the two committees share one rule): once the responsible department has
    communicated with some of the alerted customers, the next check resolves exactly their
    alerts and leaves every other one open (jobs.communication: one semi-join per kind)."""
    from jobs.communication import flag_contact_cadence
    now = DEMO_NOW + timedelta(days=days)
    with db.connection_context():
        sweep(now)
        cadence = (Alert.record_type == "Customer") & (Alert.kind == "overdue")
        before = dict(Alert.select(Alert.id, Alert.record_id).where(
            cadence & (Alert.status == Alert.OPEN)).tuples())
        assert len(before) >= 2
        kinds = {c.kind for c in Customer.select().where(Customer.id.in_(list(before.values())))}
        contacted = set(sorted(before.values())[::2])  # every other alerted customer
        Customer.update(cadence_contact_at=now + timedelta(hours=1)).where(
            Customer.id.in_(list(contacted))).execute()
        flag_contact_cadence(now + timedelta(hours=2))
        after = dict(Alert.select(Alert.id, Alert.status).where(
            Alert.id.in_(list(before))).tuples())
        assert {i for i, status in after.items() if status == Alert.RESOLVED} == \
            {i for i, customer in before.items() if customer in contacted}
        assert {Alert.get_by_id(i).resolution_note for i, status in after.items()
                if status == Alert.RESOLVED} == {"已沟通，系统自动解除"}
    # The demo mall has every kind alerted by then, the two committees under one rule.
    assert {Customer.TENANT, Customer.OWNERS, Customer.MERCHANTS} <= kinds


def test_nightly_upkeep_run_by_the_scheduler_goes_in_a_process_of_its_own_with_the_same_answer(app):
    """The web workers' scheduler runs the nightly upkeep (jobs.OWN_PROCESS) through
    `python app.py run-job` in a child process: a clerk's page never shares the interpreter
    with a whole-register job. Its answer is the one the job gives in-process."""
    now = DEMO_NOW.replace(hour=0, minute=1) + timedelta(days=1)
    Customer.update(segment_reasons=None, risk_segment=None).execute()  # all to redo
    with app.app_context(), db.connection_context():
        results = jobs.run_due_jobs(now, force=True, run=jobs.run_apart)
        for name in jobs.OWN_PROCESS:
            assert isinstance(results[name], str) and results[name] != JobRun.FAILED, name
        assert "'changed': " in results["segment_customers"]  # the child's printed result
        check_segments_as_from_nothing(now)
        # The minute's jobs stay in the scheduler's own process (their results are counts).
        assert isinstance(results["resolve_done_alerts"], int)


def test_a_nightly_job_failing_in_its_own_process_is_a_failed_run(app, monkeypatch):
    now = DEMO_NOW + timedelta(days=2)
    with app.app_context(), db.connection_context():
        monkeypatch.setitem(app.config, "DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
        with pytest.raises(jobs.JobProcessFailed):
            jobs.run_apart(jobs.JOBS_BY_NAME["segment_customers"], now)


def test_statistics_are_refreshed_where_a_table_changed_by_a_tenth_and_only_there(app):
    from conftest import statements_run
    from database import is_sqlite
    from jobs.maintenance import refresh_statistics
    if not is_sqlite():
        pytest.skip("PostgreSQL: its own counters say which tables changed")
    with db.connection_context():
        refresh_statistics(DEMO_NOW)
        with statements_run() as quiet:
            refresh_statistics(DEMO_NOW)
        assert not any('ANALYZE "alert' in sql or 'ANALYZE "customer' in sql for sql in quiet)
        (rows,), = db.execute_sql("SELECT COALESCE(MAX(rowid), 0) FROM alert")
        # As if the statistics were taken when there were 1,000 alerts more (then purged).
        db.execute_sql("UPDATE sqlite_stat1 SET stat = ? WHERE tbl = 'alert'",
                       ("%d 1" % (rows + 1000),))
        with statements_run() as grown:
            refresh_statistics(DEMO_NOW)
        analyzed = [sql for sql in grown if sql.startswith("ANALYZE")]
        assert {index.name for index in db.get_indexes("alert")} <= {
            sql.split('"')[1] for sql in analyzed}
        assert not any('ANALYZE "customer' in sql for sql in analyzed)
        # A new index without statistics gets its own.
        db.execute_sql('CREATE INDEX "customer_probe_stats" ON "customer" ("floor")')
        with statements_run() as new:
            refresh_statistics(DEMO_NOW)
        assert [sql for sql in new if 'customer' in sql and sql.startswith("ANALYZE")] == [
            'ANALYZE "customer_probe_stats"']


def test_migration_24_gives_the_running_clocks_covering_indexes(app):
    """An older database (the running clocks' index without `status`, no index by rule) gets
    both, in plain SQL; the jobs' reads then touch no row of the clocks' table."""
    import database
    with db.connection_context():
        db.execute_sql('DROP INDEX "deadline_running_clock"')
        db.execute_sql('DROP INDEX "deadline_running_by_rule"')
        db.execute_sql('CREATE INDEX "deadline_running_clock" ON "deadline" ("record_type", '
                       '"record_id", "rule_id", "kind", "due_at", "level2_at", "level3_at", '
                       '"level4_at") WHERE "status" = \'running\'')
        database.SchemaMigration.delete().where(database.SchemaMigration.version == 24).execute()
        assert database.migrate() == [24]
        indexes = {i.name: i for i in db.get_indexes("deadline")}
        assert tuple(indexes["deadline_running_clock"].columns)[:4] == (
            "record_type", "record_id", "rule_id", "status")
        assert tuple(indexes["deadline_running_by_rule"].columns)[:3] == ("rule_code", "status", "due_at")
        assert all("'running'" in indexes[name].sql
                   for name in ("deadline_running_clock", "deadline_running_by_rule"))
        assert database.migrate() == []

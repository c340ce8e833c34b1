"""Issue 8: what keeps the jobs fast on years of data: the indexes they need, planner
statistics, and statements that write only what changed (the benchmark itself is bench/)."""
import re
from datetime import datetime, timedelta

import pytest

import database
import jobs
from conftest import DEMO_NOW, statements_run
from database import write_transaction
from jobs.communication import refresh_last_contacts
from jobs.deadlines import escalate_repeated_misses, resolve_done_alerts
from models import Alert, Contact, Customer, Deadline, db
from views.base import any_overdue_condition, count_rows
from helpers import run, user

NOW = DEMO_NOW  # the moment the demo data was built


def index_columns(table):
    return {tuple(i.columns) for i in db.get_indexes(table)}


def test_migration_7_replaces_the_indexes_the_planner_misused(app):
    """An older database with the single-column rule_id indexes (which SQLite chose for the
    jobs' correlated subqueries) gets the record and rule-code indexes instead."""
    for name in ("deadline_record_type_record_id_status_kind", "deadline_rule_code_status_due_at",
                 "deadline_rule_code_status_warn_at", "contact_customer_id_archived_at_received_at"):
        db.execute_sql(f'DROP INDEX "{name}"')
    db.execute_sql('CREATE INDEX "deadline_rule_id" ON "deadline" ("rule_id")')
    db.execute_sql('CREATE INDEX "alert_rule_id" ON "alert" ("rule_id")')
    db.execute_sql('CREATE INDEX "deadline_record_type_record_id_kind" ON "deadline" '
                   '("record_type", "record_id", "kind")')
    db.execute_sql('CREATE INDEX "contact_customer_id" ON "contact" ("customer_id")')
    database.SchemaMigration.delete().where(database.SchemaMigration.version == 7).execute()
    assert database.migrate() == [7]
    deadline = index_columns("deadline")
    assert ("rule_id",) not in deadline and ("record_type", "record_id", "kind") not in deadline
    assert {("record_type", "record_id", "status", "kind"), ("rule_code", "status", "due_at"),
            ("rule_code", "status", "warn_at")} <= deadline
    assert ("rule_id",) not in index_columns("alert")
    contact = index_columns("contact")
    assert ("customer_id",) not in contact
    assert ("customer_id", "archived_at", "received_at") in contact
    if database.is_sqlite():  # the planner has statistics now
        assert db.execute_sql("SELECT COUNT(*) FROM sqlite_stat1 WHERE tbl = 'deadline'").fetchone()[0]


def test_migration_9_gives_the_jobs_rerun_its_indexes(app):
    """An older database gets the running clocks' partial index and the wider alert, complaint
    update and customer indexes in place of the ones they extend."""
    for name in ("deadline_running_clock", "alert_record_type_record_id_rule_id_kind_status_since",
                 "alert_status_kind_record_type_record_id_rule_id_level",
                 "complaint_update_complaint_id_happened_at_kind",
                 "customer_kind_status_archived_at_last_contact_at_created_at"):
        db.execute_sql(f'DROP INDEX "{name}"')
    db.execute_sql('CREATE INDEX "alert_record_type_record_id_kind" ON "alert" '
                   '("record_type", "record_id", "kind")')
    db.execute_sql('CREATE INDEX "complaint_update_complaint_id" ON "complaint_update" ("complaint_id")')
    db.execute_sql('CREATE INDEX "customer_kind_status" ON "customer" ("kind", "status")')
    database.SchemaMigration.delete().where(database.SchemaMigration.version == 9).execute()
    assert database.migrate() == [9]
    assert ("record_type", "record_id", "kind") not in index_columns("alert")
    assert ("complaint_id",) not in index_columns("complaint_update")
    assert ("kind", "status") not in index_columns("customer")
    running = [i for i in db.get_indexes("deadline") if i.name == "deadline_running_clock"]
    assert running and "'running'" in running[0].sql  # only the running clocks
    assert ("complaint_id", "happened_at", "kind") in index_columns("complaint_update")
    assert ("status", "kind", "record_type", "record_id", "rule_id", "level") in index_columns("alert")


def test_migration_10_counts_the_overdue_filter_from_its_indexes(app):
    """An older database's (status, deadline) indexes of the registers with holds get the hold
    column, so counting 已逾期 reads no table row."""
    from models import Complaint
    from views.complaints import ComplaintView
    for name in ("complaint_status_start_deadline_on_hold_since",
                 "complaint_status_resolve_deadline_on_hold_since",
                 "complaint_status_callback_deadline_on_hold_since"):
        db.execute_sql(f'DROP INDEX IF EXISTS "{name}"')
    for column in ("start_deadline", "resolve_deadline", "callback_deadline"):
        db.execute_sql(f'CREATE INDEX IF NOT EXISTS "complaint_status_{column}" ON "complaint" ("status", "{column}")')
    database.SchemaMigration.delete().where(database.SchemaMigration.version == 10).execute()
    assert database.migrate() == [10]
    columns = index_columns("complaint")
    assert ("status", "start_deadline") not in columns
    assert ("status", "resolve_deadline", "on_hold_since") in columns
    if not database.is_sqlite():
        return
    view = ComplaintView(Complaint)
    query = Complaint.select().where(any_overdue_condition(Complaint, view.deadline_filters, NOW))
    with statements_run() as seen:
        expected = count_rows(query)
    sql, params = seen[0], seen.params[0]
    plan = [row[3] for row in db.execute_sql("EXPLAIN QUERY PLAN " + sql, params)]
    reads = [line for line in plan if line.startswith(("SCAN", "SEARCH"))]
    assert reads and all("USING COVERING INDEX" in line for line in reads), plan
    late = [c for c in Complaint.select() if c.on_hold_since is None and any(
        c.status in states and getattr(c, column) is not None and getattr(c, column) < NOW
        for column, states in view.deadline_filters)]
    assert late and expected == len(late)


def statements_of(job, now):
    """(SQL text, parameters) of every statement `job(now)` issues (it runs, then rolls back)."""
    with statements_run() as seen, db.atomic() as transaction:
        job(now)
        transaction.rollback()
    return list(zip(seen, seen.params))


@pytest.mark.parametrize("job", [escalate_repeated_misses, resolve_done_alerts])
def test_the_running_clock_of_an_alert_is_found_by_its_record(app, job):
    """Each open alert looks up its record's running clock in the running clocks' own partial
    index, not through a rule's or a status's index (which walk every clock of a rule or every
    running clock, per alert: minutes at a million clocks), nor in the table (the index alone:
    migration 24)."""
    if not database.is_sqlite():
        pytest.skip("SQLite's EXPLAIN QUERY PLAN")
    looked_up = 0
    for sql, params in statements_of(job, NOW):
        if '"deadline"' not in sql or not sql.startswith(("UPDATE", "SELECT")):
            continue
        plan = [row[3] for row in db.execute_sql("EXPLAIN QUERY PLAN " + sql, params)]
        used = re.findall(r"USING (COVERING )?INDEX (deadline_\w+)", "\n".join(plan))
        assert used and set(used) == {("COVERING ", "deadline_running_clock")}, plan
        looked_up += 1
    assert looked_up


def test_refreshing_last_contacts_writes_only_what_is_wrong(app):
    customer = Customer.create(name="新客户", kind="consumer", phone="13900001111",
                               created_at=NOW, updated_at=NOW)
    clerk = user("clerk")
    early = Contact.create(customer=customer, phone="13900001111", subject="咨询",
                           received_at=NOW - timedelta(days=40), created_at=NOW, updated_at=NOW)
    late = Contact.create(customer=customer, phone="13900001111", subject="报修",
                          received_at=NOW - timedelta(days=2), created_at=NOW, updated_at=NOW)
    Customer.update(last_contact_at=None).where(Customer.id == customer.id).execute()
    with write_transaction():
        assert refresh_last_contacts(NOW) == 1          # only the customer that was wrong
        assert refresh_last_contacts(NOW) == 0          # a rerun writes nothing
    assert Customer.get_by_id(customer.id).last_contact_at == late.received_at
    run(Contact.get_by_id(late.id).archive, clerk, NOW, "重复登记")
    assert Customer.get_by_id(customer.id).last_contact_at == late.received_at  # hooks only move forward
    with write_transaction():
        assert refresh_last_contacts(NOW) == 1
    assert Customer.get_by_id(customer.id).last_contact_at == early.received_at
    run(Contact.get_by_id(early.id).archive, clerk, NOW, "登记错误")
    with write_transaction():
        assert refresh_last_contacts(NOW) == 1
    assert Customer.get_by_id(customer.id).last_contact_at is None  # no contact left at all


def test_the_nightly_refresh_writes_in_short_transactions_and_never_over_a_newer_value(
        app, monkeypatch):
    """The customers that are wrong are read first, then written a batch per transaction, each
    only if it still holds the value read: a contact saved while the refresh read (its hook
    moved the customer's last contact forward) is not overwritten with the older value."""
    import jobs.communication as communication
    customers = [Customer.create(name="客户%d" % i, kind="consumer", phone="1390000%04d" % i,
                                 created_at=NOW, updated_at=NOW) for i in range(5)]
    for customer in customers:
        Contact.create(customer=customer, phone=customer.phone, subject="咨询",
                       received_at=NOW - timedelta(days=3), created_at=NOW, updated_at=NOW)
    ids = [c.id for c in customers]
    Customer.update(last_contact_at=None).where(Customer.id.in_(ids)).execute()
    read = communication.customers_differing

    def read_then_a_contact_is_saved(column, latest, condition=None):
        rows = read(column, latest, condition)
        if column is Customer.last_contact_at:  # the desk saves a contact of the first one now
            Customer.update(last_contact_at=NOW).where(Customer.id == ids[0]).execute()
        return rows
    monkeypatch.setattr(communication, "customers_differing", read_then_a_contact_is_saved)
    monkeypatch.setattr(communication, "WRITE_BATCH", 2)
    transactions = []
    opened = communication.write_transaction

    def counted():
        transactions.append(1)
        return opened()
    monkeypatch.setattr(communication, "write_transaction", counted)
    assert refresh_last_contacts(NOW) == 4  # the four still wrong; the first keeps its newer value
    assert len(transactions) >= 3 + 1  # 4+ rows two at a time, then the audit row's
    stored = dict(Customer.select(Customer.id, Customer.last_contact_at)
                  .where(Customer.id.in_(ids)).tuples())
    assert stored[ids[0]] == NOW
    assert all(stored[i] == NOW - timedelta(days=3) for i in ids[1:])


def test_the_nightly_refresh_runs_before_the_cadence_check_that_reads_it(app):
    """Archiving a tenant's only recent contact leaves its last contact too late (the hooks
    only move it forward); the day's run refreshes it first, so the cadence alert is raised."""
    day = datetime(2031, 1, 6, 0, 1)  # a day whose jobs the demo data has not run yet
    tenant = Customer.create(name="商户甲", kind="tenant", status=Customer.ACTIVE,
                             phone="13900002222", created_at=day - timedelta(days=400),
                             updated_at=day)
    ops = user("ops")  # 营运部 keeps tenants' cadence: only its own contacts count (R-COM-3)
    Contact.create(customer=tenant, phone="13900002222", subject="拜访", received_by=ops,
                   received_at=day - timedelta(days=40), created_at=day, updated_at=day)
    recent = Contact.create(customer=tenant, phone="13900002222", subject="拜访", received_by=ops,
                            received_at=day - timedelta(days=2), created_at=day, updated_at=day)
    run(Contact.get_by_id(recent.id).archive, user("clerk"), day, "登记错误")
    results = jobs.run_due_jobs(day)
    assert results["refresh_last_contacts"] >= 1 and results["flag_contact_cadence"] >= 1
    alert = Alert.get((Alert.record_type == "Customer") & (Alert.record_id == tenant.id))
    assert alert.since == day - timedelta(days=40) + timedelta(days=31)


def test_the_nightly_statistics_job_is_scheduled(app):
    assert ("refresh_statistics", "day") in [(job.__name__, every) for job, every in jobs.SCHEDULE]
    assert jobs.refresh_statistics(NOW).startswith("已更新 ")
    if database.is_sqlite():
        assert db.execute_sql("SELECT COUNT(*) FROM sqlite_stat1").fetchone()[0] > 0


def counting_transactions(monkeypatch, module):
    """Count the write transactions `module` opens."""
    opened = []

    def counted():
        opened.append(db.in_transaction())  # was one already open around it?
        return database.write_transaction()
    monkeypatch.setattr(module, "write_transaction", counted)
    return opened


def test_the_nightly_jobs_hold_the_write_lock_briefly(app, monkeypatch):
    """At 100k customers judging segments takes seconds and ANALYZE of a whole SQLite file
    about 8: held in one transaction, the desk's saves waited past the busy timeout ("database
    is locked" in the benchmark's load run). Segments are written a batch at a time, and the
    statistics an index at a time, each in a short transaction of its own."""
    import jobs.maintenance
    import jobs.segments
    assert not jobs.segments.segment_customers.in_transaction
    assert not jobs.maintenance.refresh_statistics.in_transaction
    Customer.update(risk_segment=None, value_segment=None).execute()
    monkeypatch.setattr(jobs.segments, "WRITE_BATCH", 2)
    opened = counting_transactions(monkeypatch, jobs.segments)
    changed = jobs.segments.segment_customers(NOW)["changed"]
    assert changed > 4
    assert len(opened) == 1 + -(-changed // 2) and not any(opened)  # none inside another
    if database.is_sqlite():
        opened = counting_transactions(monkeypatch, jobs.maintenance)
        db.execute_sql("DELETE FROM sqlite_stat1")  # none yet: every index is analyzed
        jobs.maintenance.refresh_statistics(NOW)
        indexes = sum(len(db.get_indexes(table)) or 1 for table in db.get_tables())
        assert len(opened) == indexes and not any(opened)


def test_a_second_sweep_at_the_same_moment_changes_nothing(app):
    """The idempotent rerun the benchmark times: same `now`, no alert raised, moved or closed."""
    jobs.run_due_jobs(NOW, force=True)
    before = [(a.id, a.level, a.status, a.assignee_id, a.updated_at)
              for a in Alert.select().order_by(Alert.id)]
    clocks = [(d.id, d.status, d.due_at) for d in Deadline.select().order_by(Deadline.id)]
    results = jobs.run_due_jobs(NOW, force=True)
    assert [(a.id, a.level, a.status, a.assignee_id, a.updated_at)
            for a in Alert.select().order_by(Alert.id)] == before
    assert [(d.id, d.status, d.due_at) for d in Deadline.select().order_by(Deadline.id)] == clocks
    assert "failed" not in results.values()


def test_a_save_that_finds_the_database_locked_says_so_and_saves_nothing(as_clerk, monkeypatch):
    """Past the busy timeout SQLite refuses the write; the clerk gets a page that says nothing
    was saved (503), not a server error, and the register is unchanged."""
    from peewee import OperationalError
    from helpers import url, valid_form
    before = Contact.select().count()

    def locked(*args, **kwargs):
        raise OperationalError("database is locked")
    monkeypatch.setattr(database, "write_transaction", locked)
    import views.base
    monkeypatch.setattr(views.base, "write_transaction", locked)
    response = as_clerk.submit(url(Contact, "new/"), valid_form(Contact))
    assert response.status_code == 503
    assert "系统繁忙，本次操作未保存" in response.text
    assert Contact.select().count() == before


def test_a_big_grid_total_is_counted_once_a_minute_and_a_small_one_every_time(app, monkeypatch):
    """Above BIG_GRID rows the pager's total is reused for GRID_TOTAL_SECONDS; a working list
    (up to BIG_GRID rows) is counted on every page, so it is never stale."""
    from views import grid
    monkeypatch.setattr(grid, "_grid_totals", {})
    everything = Contact.select()
    opened = Contact.select().where(Contact.subject == "大表测试")
    total = Contact.select().count()
    monkeypatch.setattr(grid, "BIG_GRID", total - 1)
    assert grid.grid_total(everything, now=1000.0) == total
    assert grid.grid_total(opened, now=1000.0) == 0
    Contact.create(phone="13900003333", subject="大表测试", received_at=NOW, created_at=NOW,
                   updated_at=NOW)
    assert grid.grid_total(opened, now=1001.0) == 1                  # small: counted again
    assert grid.grid_total(everything, now=1059.0) == total          # big: this minute's total
    assert grid.grid_total(everything, now=1060.0) == total + 1      # a minute on: counted again
    assert grid.count_rows(everything) == total + 1                  # exports count exactly


def test_migration_25_lets_the_dashboard_count_from_indexes_alone(app, as_admin):
    """An older database gets the indexes that cover the dashboard's open / overdue counts of
    repair orders (with the completion clock) and of the desk's open contacts; on SQLite those
    counts then read no table row."""
    old = "repair_order_status_archived_at_department_id_on_hold_si_03382b4"
    new = "repair_order_status_archived_at_department_id_on_hold_si_bec4f1a"
    db.execute_sql(f'DROP INDEX "{new}"')
    db.execute_sql('DROP INDEX "contact_status_archived_at_answer_deadline"')
    db.execute_sql('DROP INDEX "contact_answer_due"')
    db.execute_sql(f'CREATE INDEX "{old}" ON "repair_order" ("status", "archived_at", '
                   '"department_id", "on_hold_since", "accept_deadline", "callback_deadline")')
    database.SchemaMigration.delete().where(database.SchemaMigration.version == 25).execute()
    assert database.migrate() == [25]
    assert ("status", "archived_at", "department_id", "on_hold_since", "accept_deadline",
            "callback_deadline", "complete_deadline") in index_columns("repair_order")
    assert ("status", "archived_at", "answer_deadline") in index_columns("contact")
    assert old not in {i.name for i in db.get_indexes("repair_order")}
    assert "contact_answer_due" in {i.name for i in db.get_indexes("contact")}
    assert database.migrate() == []
    if not database.is_sqlite():
        return
    with statements_run() as seen:
        assert as_admin.get("/admin/").status_code == 200
    counts = [(sql, params) for sql, params in zip(seen, seen.params)
              if "GROUP BY" in sql and re.search(r'FROM "(repair_order|contact)" AS "t1" WHERE', sql)]
    assert len(counts) == 2, counts
    for sql, params in counts:
        plan = [row[3] for row in db.execute_sql("EXPLAIN QUERY PLAN " + sql, params)]
        reads = [line for line in plan if line.startswith(("SCAN", "SEARCH"))]
        assert reads and all("USING COVERING INDEX" in line for line in reads), plan

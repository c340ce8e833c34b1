"""Contact cadence (R-COM-3): each customer's last contact, and the customers overdue for one.

Set-based: a few UPDATE and INSERT … SELECT statements per customer kind, never a loop over
customers in Python."""
from peewee import SQL, NodeList, Select, Value, fn

import sla
from audit import audit_job
from database import is_sqlite, write_transaction
from jobs.deadlines import resolve_alerts
from models import (Alert, Contact, Customer, Department, Meeting, MeetingAttendee,
                    NoticeReceipt, SlaRule, db)

TITLE = "沟通频次逾期（%s）："


WRITE_BATCH = 1000  # customers written per transaction


def customers_differing(column, latest, condition=None):
    """[(id, stored, latest)] of the customers whose `column` differs from `latest` (SQL per
    customer): a read, holding no write lock however many customers it reads."""
    differs = NodeList((column, SQL("IS NOT" if is_sqlite() else "IS DISTINCT FROM"), latest))
    where = differs if condition is None else (condition & differs)
    return list(Customer.select(Customer.id, column, latest).where(where).tuples())


def write_differences(column, latest, condition=None):
    """Set each customer's `column` to `latest` (SQL per customer) where it differs: the
    customers that differ are read first, holding no lock; then written WRITE_BATCH at a time,
    each in a short transaction and only if it still holds the value read. One UPDATE of every
    customer held SQLite's write lock for the whole read (3 s at a year of a busy mall, more
    than the 10 s busy timeout at three): the desk's saves, and a worker starting, failed."""
    rows = customers_differing(column, latest, condition)
    # Each row only if it still holds the value read (NULL-safe): a hook that moved it wins.
    sql = 'UPDATE "customer" SET "{0}" = {1} WHERE "id" = {1} AND "{0}" {2} {1}'.format(
        column.column_name, db.param, "IS" if is_sqlite() else "IS NOT DISTINCT FROM")
    written = 0
    for start in range(0, len(rows), WRITE_BATCH):
        with write_transaction():
            cursor = db.cursor()
            cursor.executemany(sql, [(new, customer_id, old) for customer_id, old, new
                                     in rows[start:start + WRITE_BATCH]])
            written += cursor.rowcount
    return written


def refresh_last_contacts(now):
    """Recompute every customer's last contact from contacts, meetings attended and confirmed
    notice receipts (catching edits and archived records the event hooks did not see), and the
    responsible department's own last communication that keeps the cadence. Reads which
    customers are wrong, then writes only those, in short transactions (write_differences): a
    rerun writes nothing. Audits itself, in the transaction of its last write."""
    contacts = (Contact.select(fn.MAX(Contact.received_at).alias("at"))
                .where((Contact.customer == Customer.id) & Contact.archived_at.is_null()))
    meetings = (Meeting.select(fn.MAX(Meeting.held_at).alias("at")).join(MeetingAttendee)
                .where((MeetingAttendee.customer == Customer.id) & Meeting.archived_at.is_null()
                       & (Meeting.held_at <= now)))
    receipts = (NoticeReceipt.select(fn.MAX(NoticeReceipt.confirmed_at).alias("at"))
                .where((NoticeReceipt.customer == Customer.id)
                       & (NoticeReceipt.status == NoticeReceipt.CONFIRMED)
                       & NoticeReceipt.archived_at.is_null()))
    sources = (contacts + meetings + receipts).alias("source")  # UNION ALL
    latest = Select([sources], [fn.MAX(sources.c.at)])
    written = write_differences(Customer.last_contact_at, latest)
    written += Customer.refresh_cadence_contacts(now, write_differences)
    with write_transaction():
        audit_job("refresh_last_contacts", written, now)
    return written


refresh_last_contacts.in_transaction = False  # its own short write transactions


def plus_duration(column, delta):
    """`column` + the fixed duration `delta`, in SQL (for an alert's "since")."""
    seconds = int(delta.total_seconds())
    if is_sqlite():
        return fn.DATETIME(column, "+%d seconds" % seconds)
    return column + SQL("INTERVAL '%d seconds'" % seconds)


def flag_contact_cadence(now):
    """One alert per active customer its responsible department has not communicated with
    within its kind's cadence (never: counted from the day the customer was registered), to
    that department; resolved once the department's own communication is recorded. Reads each customer's last contact as the event hooks
    and the nightly refresh_last_contacts (scheduled just before) left it. Who is due is one
    boundary per kind, computed by sla for `now` in the rule's own unit (the page's due date,
    Customer.contact_due, is the same arithmetic)."""
    rules = {r.code: r for r in SlaRule.select().where(SlaRule.code.startswith("COM_"))}
    departments = {d.code: d.id for d in Department.select()}
    cadences = [(kind, rules[code], dept_code) for kind, (code, dept_code) in Customer.CADENCE.items()
                if code in rules]
    if not cadences:
        return 0
    calendar = Customer.cadence_calendar([rule.limit() for _, rule, _ in cadences])
    # Contacted again since by the department itself: the alert is done. Kind by kind, its
    # rule's open alerts (the open alerts' index: not the years of resolved ones) whose
    # customer was contacted since the kind's boundary (the (kind, …, cadence_contact_at)
    # index), as one semi-join: the database reads whichever side is fewer. PostgreSQL knows
    # how many open alerts a rule has from migration 28's statistics; one probe of the
    # customer per open alert was 70 ms for 22k tenants at three years, none of them contacted.
    # A kind without an open alert reads no customer (SQLite lists the contacted ones first).
    for kind, rule, _ in cadences:
        open_alerts = Alert.select(Alert.id).where(
            (Alert.status == Alert.OPEN) & (Alert.kind == "overdue")
            & (Alert.record_type == "Customer") & (Alert.rule == rule.id))
        if not open_alerts.exists():
            continue
        boundary = sla.cadence_boundary(now, rule.limit(), calendar)
        contacted = Customer.select(Customer.id).where(
            (Customer.kind == kind) & (Customer.cadence_contact_at >= boundary))
        resolve_alerts(open_alerts.where(Alert.record_id.in_(contacted)), now,
                       "已沟通，系统自动解除")
    raised = 0
    for kind, rule, dept_code in cadences:
        mine = ((Alert.record_type == "Customer") & (Alert.record_id == Customer.id)
                & (Alert.rule == rule.id) & (Alert.status == Alert.OPEN))
        if not rule.is_active or rule.archived_at:
            continue
        limit = rule.limit()
        reference = Customer.cadence_reference()
        by_days = limit.unit == sla.WORKING_DAY_UNITS
        # The alert's since is the customer's due time: a fixed duration after the reference,
        # in SQL; a due day on the working calendar is not SQL's to count (set just below).
        since = reference if by_days else plus_duration(reference, sla.duration(limit))
        title = fn.SUBSTR(Value(TITLE % rule.name).concat(Customer.name), 1, 200)
        contacted_before, never_contacted = (
            Customer
            .select(Value("overdue"), title, Value("Customer"), Customer.id, Value(rule.id),
                    since, Value(departments.get(dept_code)),
                    Value(1), Value(Alert.OPEN), Value(now), Value(now))
            .where(due & ~fn.EXISTS(Alert.select(Alert.id).where(mine)))
            for due in Customer.cadence_due_parts(kind, limit, now, calendar))
        query = contacted_before + never_contacted  # UNION ALL: each reads its index range
        count = Alert.insert_new(query, [
            Alert.kind, Alert.title, Alert.record_type, Alert.record_id, Alert.rule, Alert.since,
            Alert.department, Alert.level, Alert.status, Alert.created_at, Alert.updated_at])
        if by_days and count:
            date_alerts_by_working_days(rule, limit, calendar, now)
        raised += count
    return raised


def date_alerts_by_working_days(rule, limit, calendar, now):
    """Set the `since` of the cadence alerts just raised under `rule` (counted in working days)
    to their customers' due time, sla.cadence_due: only the alerts of this run, grouped by due
    time, one UPDATE per due time."""
    found = (Alert.select(Alert.id, Customer.cadence_contact_at, Customer.created_at)
             .join(Customer, on=(Customer.id == Alert.record_id))
             .where((Alert.record_type == "Customer") & (Alert.rule == rule.id)
                    & (Alert.status == Alert.OPEN) & (Alert.created_at == now)).tuples())
    by_due = {}
    for alert_id, contacted_at, created_at in found:
        by_due.setdefault(sla.cadence_due(contacted_at or created_at, limit, calendar), []).append(alert_id)
    for due, ids in by_due.items():
        for start in range(0, len(ids), WRITE_BATCH):
            Alert.update(since=due).where(Alert.id.in_(ids[start:start + WRITE_BATCH])).execute()

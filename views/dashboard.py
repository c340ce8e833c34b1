"""The supervisor's home page and "my work": what is open, due soon and overdue, who must act.

Every count is the same condition as the grid filter its link opens (views.base), computed live
from deadlines and statuses, so a number and the list behind it always agree."""
from urllib.parse import urlencode

from flask import redirect, request, url_for
from flask_admin import AdminIndexView, BaseView, expose
from flask_login import current_user
from peewee import JOIN, SQL, Case, fn

import clock
from crm import running_clocks
from i18n import _l
import sla
from jobs.deadlines import ACTING_DEPARTMENT, SERVICE_RULES, record_label
from models import Alert, Customer, Deadline, Department, FeeItem, LendableItem
from views.base import any_overdue_condition, due_soon_clocks, not_on_hold

MY_WORK_LIMIT = 200
PRIORITY = (Alert.level.desc(), Alert.since, Alert.id)  # the order of every alert list here


def deadline_views(admin):
    """The accessible grids with deadlines, in menu order."""
    return [view for view in admin._views
            if getattr(view, "deadline_filters", None) and view.is_accessible()]


def _grid_url(view, *filters):
    """The grid URL with `filters` [(column, operation, value)] and archived rows left out."""
    args = [("flt%d_%s_%s" % (i, column, op), value)
            for i, (column, op, value) in enumerate(filters + (("archived_at", "notarchived", "1"),))]
    return view.url + "/?" + urlencode(args)


def department_names():
    """{id: name} of every department, and the service center's id (read once per page)."""
    rows = list(Department.select(Department.id, Department.name, Department.code))
    return {d.id: d.name for d in rows}, next(d.id for d in rows if d.code == Department.SERVICE)


def register_counts(view, now, departments=None):
    """[(department name, open, due soon, overdue, links)] for one grid, as this user sees it."""
    model = view.model
    _, column = ACTING_DEPARTMENT[model.__name__]
    names, service = departments or department_names()
    condition = model.status.in_(view.open_states) & model.archived_at.is_null()
    scope = view.scope_condition()
    if scope is not None:
        condition &= scope
    department = (column,) if column is not None else ()
    # Open and overdue, grouped by status first: the (status, archived_at, department, …)
    # index hands the open rows over already in that order. Grouped by department alone,
    # SQLite sorted every open row (12k repair orders: 5.7 ms against 2.2).
    overdue = any_overdue_condition(model, view.deadline_filters, now)
    counts = {}
    for *key, total, late in (model.select(model.status, *department, fn.COUNT(SQL("*")),
                                           fn.SUM(Case(None, [(overdue, 1)], 0)))
                              .where(condition).group_by(model.status, *department).tuples()):
        entry = counts.setdefault(key[1] if department else None, [0, 0, 0])
        entry[0] += total
        entry[2] += late or 0
    # Due soon: from the few clocks in their warning time to their records (due_soon_condition
    # as a join), not a lookup in the clocks for every open row.
    soon = (model.select(*department, fn.COUNT(fn.DISTINCT(model.id)))
            .join(Deadline, on=(Deadline.record_id == model.id))
            .where(not_on_hold(model, condition & due_soon_clocks(model, now))))
    for *key, due_soon in soon.group_by(*department).tuples():
        if due_soon:
            counts.setdefault(key[0] if department else None, [0, 0, 0])[1] += due_soon
    status = ("status", "inlist", ",".join(view.open_states))
    rows = []
    for dept_id, (total, due_soon, late) in counts.items():
        if not total:
            continue
        if department:
            dept_filter = (("%s" % column.name, "equal", str(dept_id)),) if dept_id else ()
            name = names.get(dept_id, _l("未指定部门"))
        else:
            dept_filter, name = (), names[service]
        rows.append({
            "department": name, "open": total, "due_soon": due_soon, "overdue": late,
            "open_url": _grid_url(view, status, *dept_filter),
            "due_soon_url": _grid_url(view, ("id", "duesoon", "1"), *dept_filter),
            "overdue_url": _grid_url(view, ("id", "overdue", "1"), *dept_filter)})
    return sorted(rows, key=lambda r: (-r["overdue"], -r["due_soon"], str(r["department"])))


def _my_alert_queries(user):
    """Open alerts for `user`: assigned to them, and on their department's work (the department
    still has to act after an alert has been escalated above it). Two indexed searches: as an
    OR, SQLite reads every alert ever raised (~15 ms for the bench's 117k)."""
    mine = (Alert.status == Alert.OPEN) & (Alert.assignee == user.id)
    queries = [Alert.select().where(mine)]
    if user.department_id:
        queries.append(Alert.select().where(
            (Alert.status == Alert.OPEN) & (Alert.department == user.department_id)))
    return queries


def my_alerts_count(user):
    """Mine plus my department's, less those that are both (one index count each)."""
    queries = _my_alert_queries(user)
    total = sum(q.count() for q in queries)
    if len(queries) == 2:
        total -= queries[0].where(Alert.department == user.department_id).count()
    return total


def my_alerts(user, limit=20):
    """The first `limit` of my alerts, most escalated and oldest first: the first `limit` of
    each search in its priority index (Alert.priority_indexes), merged."""
    found = {}
    for query in _my_alert_queries(user):
        for alert in query.order_by(*PRIORITY).limit(limit):
            found[alert.id] = alert
    return sorted(found.values(), key=lambda a: (-a.level, a.since, a.id))[:limit]


def acts_on(model, department_id, service):
    """`department_id` must act on the clock: acting_department_sql(model, service) equals it,
    written as plain conditions whose selectivity a planner can estimate (True: every clock,
    False: none)."""
    _, column = ACTING_DEPARTMENT[model.__name__]
    if column is None:
        return department_id == service
    if department_id == service:
        return Deadline.rule_code.in_(SERVICE_RULES) | column.is_null() | (column == service)
    return Deadline.rule_code.not_in(SERVICE_RULES) & (column == department_id)


# What names a record on my work, per register: (who, when there is no customer; where;
# what, as a column of the register or of the row it names).
WORK_SUMMARY = {
    "Contact": ("visitor_name", None, "subject"),  # an answer owed to the enquirer (R-ENQ-1/2)
    "RepairOrder": ("reporter_name", "location", "description"),
    "ServiceRequest": ("applicant_name", None, "description"),
    "Complaint": ("complainant_name", None, "subject"),
    "WorkLetter": (None, None, "subject"),
    "Charge": ("payer_name", None, ("fee_item", FeeItem.name)),
    "ShiftHandover": (None, None, "totals"),
    "ItemLoan": ("borrower_name", None, ("item", LendableItem.name)),
    "Survey": (None, None, "title"),
    "Notice": (None, None, "title"),
    "ActionItem": (None, None, "description"),
    "CorrectiveAction": (None, None, "finding"),
}
SUBJECT_CHARS = 60


def with_summary(query, model):
    """`query` (over `model`) also selecting the record's number and, as work_customer,
    work_place and work_subject, who it is for, where, and what: LEFT JOINs of the same query,
    so a page of my work costs no query per row."""
    fields = model._meta.fields
    who, where, what = WORK_SUMMARY.get(model.__name__, (None, None, None))
    columns = [record_label(model).alias("record_number")]
    if "customer" in fields:
        query = query.join_from(model, Customer, JOIN.LEFT_OUTER, on=(fields["customer"] == Customer.id))
        name = fn.COALESCE(Customer.name, fields[who]) if who else Customer.name
        place = fn.COALESCE(fields[where], Customer.shop_no) if where else Customer.shop_no
    else:
        name, place = (fields[who] if who else None), (fields[where] if where else None)
    if isinstance(what, tuple):
        foreign_key, subject = fields[what[0]], what[1]
        query = query.join_from(model, subject.model, JOIN.LEFT_OUTER,
                                on=(foreign_key == subject.model.id))
    else:
        subject = fields[what] if what else None
    if subject is not None:
        subject = fn.SUBSTR(subject, 1, SUBJECT_CHARS)
    for value, alias in ((name, "work_customer"), (place, "work_place"), (subject, "work_subject")):
        columns.append((value if value is not None else SQL("NULL")).alias(alias))
    return query.select_extend(*columns)


def _work_item(view, row, record_id, due_at, now, kind="", time_left=None):
    """One row of my work: the record named by customer, place and subject, and its countdown."""
    return {"due_at": due_at, "register": view.name, "record": (view.model.__name__, record_id),
            "number": row.record_number or "#%s" % record_id,
            "customer": row.work_customer or "", "place": row.work_place or "",
            "subject": row.work_subject or "", "kind": kind,
            "time_left": time_left if time_left is not None else sla.time_left(due_at, now),
            "overdue": due_at <= now, "alert": None,
            "limit": row.limit() if isinstance(row, Deadline) else None,  # its 估算 badge
            "url": url_for(view.endpoint + ".details_view", id=record_id)}


def my_work(user, admin, now):
    """Running clocks this user's department must act on, and the alerts addressed to the user
    (work for them even when their department has no clock of its own: the project manager's
    major complaints), oldest deadline first."""
    views = deadline_views(admin)
    items = _department_work(user, views, now) if user.department_id else []
    items = _with_my_alerts(user, admin, views, items, now)
    return sorted(items, key=lambda i: (i["due_at"], -(i["alert"].level if i["alert"] else 0)))[:MY_WORK_LIMIT]


def _department_work(user, views, now):
    service = Department.by_code(Department.SERVICE).id
    items = []
    for view in views:
        model = view.model
        acting = acts_on(model, user.department_id, service)
        if acting is False:
            continue
        condition = ((Deadline.record_type == model.__name__)
                     & (Deadline.status == Deadline.RUNNING) & (Deadline.kind != "follow_up")
                     & model.archived_at.is_null())
        if acting is not True:
            condition &= acting
        query = with_summary(Deadline.select(Deadline).join(
            model, JOIN.INNER, on=(model.id == Deadline.record_id)), model)
        query = query.where(condition).order_by(Deadline.due_at).limit(MY_WORK_LIMIT).objects()
        scope = view.scope_condition()
        if scope is not None:  # only what the user may open
            query = query.where(scope)
        for row in query:
            items.append(_work_item(view, row, row.record_id, row.due_at, now,
                                    row.choice_label("kind"), row.time_left(now)))
    return items


def _with_my_alerts(user, admin, views, items, now):
    """`items` with the open alerts addressed to `user`: on the row of the record when it is
    listed already, else as a row of its own (the record's running clock, else the alert's
    start). Two queries per register the alerts are about, whatever their number."""
    alerts = list(Alert.select().where((Alert.status == Alert.OPEN) & (Alert.assignee == user.id))
                  .order_by(*PRIORITY).limit(MY_WORK_LIMIT))
    if not alerts:
        return items
    listed = {item["record"]: item for item in items}
    by_type = {}
    for alert in alerts:
        key = (alert.record_type, alert.record_id)
        if key in listed:
            if listed[key]["alert"] is None:
                listed[key]["alert"] = alert  # the most escalated comes first
        else:
            by_type.setdefault(alert.record_type, []).append(alert)
    readable = {v.model.__name__: v for v in admin._views
                if getattr(v, "model", None) is not None and v.is_accessible()}
    for record_type, mine in by_type.items():
        view = readable.get(record_type)
        if view is None or record_type not in WORK_SUMMARY:
            continue
        model = view.model
        ids = sorted({a.record_id for a in mine})
        query = with_summary(model.select(model.id), model).where(model.id.in_(ids))
        scope = view.scope_condition()
        if scope is not None:
            query = query.where(scope)
        rows = {row.id: row for row in query.objects()}
        clocks = running_clocks(model, list(rows))
        for alert in mine:
            row = rows.get(alert.record_id)
            if row is None or (record_type, alert.record_id) in listed:
                continue
            clock = clocks.get(alert.record_id)
            item = _work_item(view, row, alert.record_id, clock.due_at if clock else alert.since,
                              now, clock.choice_label("kind") if clock else alert.choice_label("kind"),
                              clock.time_left(now) if clock else None)
            item["alert"] = alert
            item["limit"] = clock.limit() if clock else None
            listed[item["record"]] = item
            items.append(item)
    return items


class LoginRequired:
    """A page for every logged-in user; others are sent to the login page."""

    def is_accessible(self):
        return current_user.is_authenticated

    def inaccessible_callback(self, name, **kwargs):
        return redirect(url_for("auth.login", next=request.url))


class HomeView(LoginRequired, AdminIndexView):
    """The console's home page: the supervisor's dashboard."""

    @expose("/")
    def index(self):
        now = clock.now()
        departments = department_names()
        registers = [(view, register_counts(view, now, departments))
                     for view in deadline_views(self.admin)]
        alerts = my_alerts(current_user)
        alert_count = my_alerts_count(current_user)
        return self.render("kefu/home.html", registers=registers, alerts=alerts,
                           alert_count=alert_count)


class MyWorkView(LoginRequired, BaseView):
    """我的待办: what the logged-in user and their department must do next."""

    @expose("/")
    def index(self):
        now = clock.now()
        return self.render("kefu/my_work.html", items=my_work(current_user, self.admin, now),
                           alerts=my_alerts(current_user, limit=MY_WORK_LIMIT),
                           limit=MY_WORK_LIMIT)

"""The export's column-at-a-time path writes every cell exactly as the row-at-a-time path
(Flask-Admin's get_export_value on each record, the path a view with its own formatting
takes): every register, every column type, masked and unmasked, CSV and XLSX (issue 23)."""
import csv
import io
from datetime import datetime

import pytest
from openpyxl import load_workbook
from peewee import SQL

from models import AuditLog, Contact, Customer, Deadline, Department, RepairOrder, User

ROLES = ("admin", "clerk", "pm", "auditor")  # pm and auditor see personal data masked


def export_views(app):
    from views.base import KefuModelView
    return [view for admin in app.extensions["admin"] for view in admin._views
            if isinstance(view, KefuModelView) and view.can_export]


def read_csv(data):
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def read_xlsx(data):
    sheet = load_workbook(io.BytesIO(data), read_only=True).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def hostile_rows(app):
    """Cells of every kind the fast path decides per column: formulas, quotes and line breaks,
    NULLs, numbers as text, dates stored with and without microseconds (and ".000000"), a
    deadline running, met late and held, related names with commas."""
    customer = Customer.select().order_by(Customer.id).first()
    Customer.update(name='=客户, "甲"\r\n乙', shop_no="-1").where(Customer.id == customer.id).execute()
    clerk = User.get(User.username == "clerk")
    property_id = Department.get(Department.code == "property").id
    first, second, third = Contact.select().order_by(Contact.id).limit(3)
    Contact.update(subject="=1+1", content=None, visitor_name="-12.5", phone="13800138000",
                   customer=customer.id, received_by=clerk.id, department=property_id,
                   status=Contact.TRANSFERRED, answer_deadline=datetime(2020, 1, 1, 10, 0)
                   ).where(Contact.id == first.id).execute()
    Contact.update(received_at=SQL("'2026-01-05 09:30:00.000000'"), subject="a,b\"c\"\nd",
                   content="@SUM(1)", answer_deadline=datetime(2027, 3, 1, 9, 0, 0, 123456)
                   ).where(Contact.id == second.id).execute()
    Contact.update(received_at=datetime(2026, 2, 3, 4, 5, 6, 789), customer=None, subject="\t制表",
                   answered_at=datetime(2026, 2, 3, 4, 5, 6, 120000),  # PostgreSQL's text: ".12"
                   phone="021-12345678").where(Contact.id == third.id).execute()
    for record_id, status, met, held in ((first.id, Deadline.RUNNING, None, 0),
                                         (second.id, Deadline.MET, datetime(2020, 1, 2, 9, 0), 600),
                                         (second.id, Deadline.MET, datetime(2019, 12, 31), 0)):
        Deadline.create(record_type="Contact", record_id=record_id, kind="callback",
                        rule_code="CON_CALLBACK", limit_amount=1, limit_unit="day",
                        limit_clock="natural", explanation="[REP_ACCEPT] 1天",
                        started_at=datetime(2019, 12, 31, 9, 0), original_due_at=datetime(2020, 1, 1, 10, 0),
                        due_at=datetime(2020, 1, 1, 10, 0), status=status, met_at=met, held_seconds=held)
    order = RepairOrder.select().order_by(RepairOrder.id).first()
    RepairOrder.update(on_hold_since=datetime(2020, 1, 1, 9, 0)).where(RepairOrder.id == order.id).execute()


def expected_clock_cells(model, record_id):
    """是否逾期 and 时限记录 of one record, read the slow way: its clocks as model instances."""
    import clock
    import history
    from i18n import _l
    now = clock.now()
    mine = list(Deadline.select().where((Deadline.record_type == model.__name__)
                                        & (Deadline.record_id == record_id))
                .order_by(Deadline.started_at, Deadline.id))
    late = any((d.status == Deadline.RUNNING and d.due_at <= now)
               or (d.met_at is not None and d.met_at > d.due_at) for d in mine)
    log = "；".join("%s %s 时限 %s %s%s" % (
        d.choice_label("kind"), history.explain(d.explanation), d.due_at.strftime("%Y-%m-%d %H:%M"),
        d.choice_label("status"), ("（挂起 %d 分钟）" % (d.held_seconds // 60)) if d.held_seconds else "")
        for d in mine)
    return str(_l("是")) if late else "", log


@pytest.fixture
def row_at_a_time(monkeypatch):
    """Switch every view's export to the row-at-a-time path inside a `with`."""
    from contextlib import contextmanager
    from views.export import ExportMixin

    @contextmanager
    def switched():
        with monkeypatch.context() as patch:
            patch.setattr(ExportMixin, "_export_customised", lambda self: True)
            yield
    return switched


def test_every_export_cell_is_the_same_column_at_a_time_as_row_at_a_time(app, login, row_at_a_time):
    hostile_rows(app)
    compared = set()
    for role in ROLES:
        client = login(role)
        for view in export_views(app):
            base = "/admin/%s/export/" % view.endpoint
            response = client.get(base + "csv/")
            if response.status_code != 200:
                continue  # not this role's register
            fast_csv, fast_xlsx = response.get_data(), client.get(base + "xlsx/").get_data()
            with row_at_a_time():
                slow_csv = client.get(base + "csv/").get_data()
                slow_xlsx = client.get(base + "xlsx/").get_data()
            fast, slow = read_csv(fast_csv), read_csv(slow_csv)
            grows = view.model is AuditLog  # each export adds its own audit row
            assert fast == (slow[:len(fast)] if grows else slow), (role, view.endpoint)
            clocked = bool(getattr(view.model, "deadline_columns", None))
            if clocked:  # the clock cells, against the slow reading of each record's clocks
                for row in fast[1:]:
                    assert tuple(row[-2:]) == tuple(
                        "'" + c if c.startswith(("=", "+", "-", "@", "\t", "\r")) else c
                        for c in expected_clock_cells(view.model, int(row[0]))), (view.endpoint, row[0])
            deadline_columns = {index for index, (name, _) in enumerate(view._export_columns)
                                if getattr(getattr((view.column_formatters_export or {}).get(name),
                                                   "grid_formatter", None), "open_states", None)
                                is not None}
            fast, slow = read_xlsx(fast_xlsx), read_xlsx(slow_xlsx)
            assert (len(fast) <= len(slow) if grows else len(fast) == len(slow)) \
                and fast[0] == slow[0], (role, view.endpoint)
            for fast_row, slow_row in zip(fast[1:], slow[1:]):
                for index, (mine, theirs) in enumerate(zip(fast_row, slow_row)):
                    if index in deadline_columns and isinstance(mine, datetime):
                        # A workbook keeps a deadline as a date cell; 已逾期 is the 是否逾期 column.
                        shown = "%Y-%m-%d %H:%M" if theirs[10:11] == " " and theirs[13:14] == ":" \
                            else "%Y-%m-%d"  # a due date (openpyxl reads it back as a datetime)
                        assert theirs.startswith(mine.strftime(shown)), (view.endpoint, index)
                    else:
                        assert (mine, type(mine)) == (theirs, type(theirs)), (
                            role, view.endpoint, fast[0][index], fast_row[0])
            compared.add((role, view.endpoint))
    endpoints = {endpoint for _, endpoint in compared}
    assert {"contact", "repairorder", "customer"} <= endpoints and len(endpoints) > 15
    assert {role for role, _ in compared} == set(ROLES)


def test_a_masked_role_exports_personal_data_masked(app, login):
    hostile_rows(app)
    contact = Contact.select().order_by(Contact.id).first()
    for role, phone in (("clerk", "13800138000"), ("pm", "138****8000"), ("auditor", "138****8000")):
        rows = read_csv(login(role).get("/admin/contact/export/csv/").get_data())
        mine = next(dict(zip(rows[0], row)) for row in rows[1:] if row[0] == str(contact.id))
        assert mine["联系电话"] == phone, role
        sheet = read_xlsx(login(role).get("/admin/contact/export/xlsx/").get_data())
        mine = next(dict(zip(sheet[0], row)) for row in sheet[1:] if row[0] == contact.id)
        assert mine["联系电话"] == phone, role

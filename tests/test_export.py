"""Audit-grade exports: every field, names and labels, deadlines, the screens' own row scope,
streamed in chunks, CSV and XLSX; hostile text round-trips (issue 7)."""
import csv
import io
from datetime import datetime

import pytest
from openpyxl import load_workbook

from models import AuditLog, Contact, Department, RepairOrder, SlaRule
from conftest import statements_run
from helpers import url, valid_form

HOSTILE = ("<script>alert('x')</script> ' OR 1=1; DROP TABLE contact; -- 😀 "
           "=cmd|' /C calc'!A0 \\u200b 中文")


def read_csv(response):
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def read_xlsx(response):
    sheet = load_workbook(io.BytesIO(response.get_data()), read_only=True).active
    return [[("" if v is None else v) for v in row] for row in sheet.iter_rows(values_only=True)]


def test_hostile_text_is_stored_as_typed_shown_escaped_and_exported_unchanged(as_clerk, app):
    response = as_clerk.submit(url(Contact, "new/"), valid_form(Contact) | {
        "subject": HOSTILE[:200], "content": HOSTILE + "\n第二行\t制表"})
    assert response.status_code == 302
    contact = Contact.select().order_by(Contact.id.desc()).get()
    assert contact.subject == HOSTILE[:200] and contact.content == HOSTILE + "\n第二行\t制表"
    page = as_clerk.get(url(Contact, "details/?id=%d" % contact.id)).text
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page
    query = "export/%s/?search=" + contact.number
    rows = read_csv(as_clerk.get(url(Contact, query % "csv")))
    column = {t: i for i, t in enumerate(rows[0])}
    assert rows[1][column["内容"]] == HOSTILE + "\n第二行\t制表"
    sheet = read_xlsx(as_clerk.get(url(Contact, query % "xlsx")))
    column = {t: i for i, t in enumerate(sheet[0])}
    assert sheet[1][column["内容"]] == HOSTILE + "\n第二行\t制表"
    # In the workbook a text starting with = is a text cell, never a formula.
    Contact.update(subject="=1+1", content="-12.5").where(Contact.id == contact.id).execute()
    book = load_workbook(io.BytesIO(as_clerk.get(url(Contact, query % "xlsx")).get_data()))
    header = [c.value for c in book.active[1]]
    subject = book.active.cell(row=2, column=header.index("事由") + 1)
    assert subject.value == "=1+1" and subject.data_type == "s"


def test_exports_carry_the_deadlines_and_obey_the_department_scope(login, app):
    clerk, staff = login("clerk"), login("property")
    everything = read_csv(clerk.get(url(RepairOrder, "export/csv/")))
    column = {t: i for i, t in enumerate(everything[0])}
    assert {"维修部门", "接单时限", "是否逾期", "时限记录"} <= set(column)
    assert len(everything) - 1 == RepairOrder.select().count()
    late = [r for r in everything[1:] if r[column["是否逾期"]] == "是"]
    rules = [SlaRule.get(SlaRule.code == code).name for code in ("REP_ACCEPT", "REP_CALLBACK")]
    assert late and all(any(rule in r[column["时限记录"]] for rule in rules) for r in late)
    assert not any("REP_" in r[column["时限记录"]] for r in everything)  # the rule's name, not its code
    assert all("<span" not in cell for row in everything for cell in row)  # no HTML in cells
    property_id = Department.get(Department.code == "property").id
    mine = read_csv(staff.get(url(RepairOrder, "export/csv/")))
    assert len(mine) - 1 == RepairOrder.select().where(RepairOrder.department == property_id).count()
    export = AuditLog.select().where(AuditLog.action == "export").order_by(AuditLog.id.desc()).get()
    assert export.username == "property" and "%d 行" % (len(mine) - 1) in export.summary


def test_exports_stream_in_chunks_in_id_order(as_clerk, app, monkeypatch):
    from views.base import KefuModelView
    monkeypatch.setattr(KefuModelView, "EXPORT_CHUNK", 3)
    rows = read_csv(as_clerk.get(url(Contact, "export/csv/")))
    ids = [int(r[0]) for r in rows[1:]]
    assert ids == sorted(ids) and len(ids) == Contact.select().count() > 3
    filtered = read_xlsx(as_clerk.get(url(Contact, "export/xlsx/?flt0_status_equal=open")))
    assert len(filtered) - 1 == Contact.select().where(Contact.status == "open").count()


@pytest.mark.slow
def test_libreoffice_opens_the_csv_with_chinese_intact_and_formulas_inert(as_clerk, app, tmp_path):
    """The CSV converted by LibreOffice Calc (Debian's libreoffice-calc-nogui, installed by
    .ci/run): the Chinese text reads back, the dangerous cells are text, not formulas."""
    import shutil
    import subprocess
    soffice = shutil.which("libreoffice") or shutil.which("soffice")
    assert soffice, "libreoffice is missing: apt-get install libreoffice-calc-nogui"
    as_clerk.submit(url(Contact, "new/"), valid_form(Contact) | {
        "subject": '=HYPERLINK("http://evil.example","点我领奖")', "content": "@SUM(1+1)*cmd|' /C calc'!A0"})
    contact = Contact.select().order_by(Contact.id.desc()).get()
    source = tmp_path / "contacts.csv"
    source.write_bytes(as_clerk.get(url(Contact, "export/csv/?search=" + contact.number)).get_data())
    # Excel honours the BOM by itself; headless LibreOffice is told the character set
    # (CSV filter: comma, double quote, 76 = UTF-8). Formula detection stays at its default.
    result = subprocess.run([soffice, "--headless", "-env:UserInstallation=file://%s/profile" % tmp_path,
                             "--infilter=CSV:44,34,76", "--convert-to", "xlsx", "--outdir",
                             str(tmp_path), str(source)],
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    book = load_workbook(tmp_path / "contacts.xlsx")
    sheet = book.active
    header = [c.value for c in sheet[1]]
    assert "事由" in header and "接待时间" in header          # UTF-8 with BOM read as such
    subject = sheet.cell(row=2, column=header.index("事由") + 1)
    content = sheet.cell(row=2, column=header.index("内容") + 1)
    assert subject.data_type == "s" and "点我领奖" in subject.value and "HYPERLINK" in subject.value
    assert content.data_type == "s" and "SUM" in content.value


def cells_of(rows, record_id):
    """{title: cell} of one exported record."""
    return next(dict(zip(rows[0], row)) for row in rows[1:] if row[0] == str(record_id))


def test_export_cells_are_labelled_named_masked_and_formula_safe(login, app):
    """Each kind of cell the export resolves once per export rather than per row."""
    from decimal import Decimal
    from peewee import SQL
    from models import Charge, Customer, Deadline, User
    customer = Customer.select().order_by(Customer.id).first()
    Customer.update(shop_no="1F-001", name="测试  商户").where(Customer.id == customer.id).execute()
    clerk = User.get(User.username == "clerk")
    contact = Contact.select().order_by(Contact.id).first()
    Contact.update(subject="=1+1", content=None, visitor_name="-12.5", phone="13800138000",
                   kind="complaint", customer=customer.id, received_by=clerk.id,
                   department=Department.get(Department.code == "property").id
                   ).where(Contact.id == contact.id).execute()
    # Stored as another writer may store it: str() of the datetime has no ".000000".
    Contact.update(received_at=SQL("'2026-01-05 09:30:00.000000'")).where(Contact.id == contact.id).execute()
    late, held = RepairOrder.select().order_by(RepairOrder.id).limit(2)
    RepairOrder.update(status=RepairOrder.DISPATCHED, on_hold_since=None,
                       accept_deadline=datetime(2020, 1, 1, 10, 0)).where(RepairOrder.id == late.id).execute()
    RepairOrder.update(status=RepairOrder.DISPATCHED, on_hold_since=datetime(2020, 1, 1, 9, 0),
                       accept_deadline=datetime(2020, 1, 1, 10, 0)).where(RepairOrder.id == held.id).execute()
    Deadline.delete().where((Deadline.record_type == "RepairOrder")
                            & Deadline.record_id.in_([late.id, held.id])).execute()
    Deadline.create(record_type="RepairOrder", record_id=late.id, kind="accept", rule_code="REP_ACCEPT",
                    limit_amount=30, limit_unit="minute", limit_clock="natural", explanation="30分钟",
                    started_at=datetime(2020, 1, 1, 9, 30), original_due_at=datetime(2020, 1, 1, 10, 0),
                    due_at=datetime(2020, 1, 1, 10, 0), held_seconds=600, status=Deadline.RUNNING)
    charge = Charge.select().order_by(Charge.id).first()
    Charge.update(amount=Decimal("1234.5"), quantity=Decimal("2")).where(Charge.id == charge.id).execute()

    clerk_client, auditor = login("clerk"), login("auditor")
    mine = cells_of(read_csv(clerk_client.get(url(Contact, "export/csv/"))), contact.id)
    assert mine["联系电话"] == "13800138000"                      # the desk sees it in full
    assert mine["事项类别"] == "投诉"                              # a code's label
    assert mine["客户"] == "1F-001 测试  商户" == str(Customer.get_by_id(customer.id))
    assert mine["接待人"] == str(clerk) and mine["承办部门"] == "物业管理部"
    assert mine["内容"] == ""                                      # NULL
    assert mine["事由"] == "'=1+1" and mine["来访人"] == "-12.5"    # a formula is inert, a number not
    assert mine["接待时间"] == "2026-01-05 09:30:00"
    masked = cells_of(read_csv(auditor.get(url(Contact, "export/csv/"))), contact.id)
    assert masked["联系电话"] == "138****8000" and masked["事项类别"] == "投诉"

    orders = read_csv(clerk_client.get(url(RepairOrder, "export/csv/")))
    overdue, on_hold = cells_of(orders, late.id), cells_of(orders, held.id)
    assert overdue["接单时限"] == "2020-01-01 10:00 已逾期" and overdue["是否逾期"] == "是"
    assert overdue["时限记录"] == "接单 30分钟 时限 2020-01-01 10:00 计时中（挂起 10 分钟）"
    assert on_hold["接单时限"] == "2020-01-01 10:00 挂起中" and on_hold["是否逾期"] == ""
    paid = cells_of(read_csv(clerk_client.get(url(Charge, "export/csv/"))), charge.id)
    assert paid["金额（元）"] in ("1234.5", "1234.50") and paid["数量"] in ("2", "2.00")

    clerk_client.get("/lang/en")
    raw = clerk_client.get(url(Contact, "export/csv/")).get_data()
    assert raw.startswith("\ufeffRecord no.,".encode())            # BOM, English titles
    english = cells_of(read_csv(clerk_client.get(url(Contact, "export/csv/"))), contact.id)
    assert english["Contact type"] == "Complaint" and english["Subject"] == "'=1+1"
    overdue = cells_of(read_csv(clerk_client.get(url(RepairOrder, "export/csv/"))), late.id)
    assert overdue["Overdue"] == "Yes" and overdue["Deadline"].startswith("接单 30分钟")
    sheet = read_xlsx(auditor.get(url(Contact, "export/xlsx/")))
    row = next(dict(zip(sheet[0], r)) for r in sheet[1:] if r[0] == contact.id)
    assert row["联系电话"] == "138****8000" and row["事由"] == "=1+1" and row["内容"] == ""


def test_export_queries_grow_with_chunks_not_rows(as_clerk, app, monkeypatch):
    """200 contacts of 200 customers: one more chunk costs a handful of queries, not one per row."""
    from models import Customer, User
    from views.base import KefuModelView, RelatedNames
    user = User.get(User.username == "clerk")
    customers = [Customer.create(name="批量客户%d" % i, kind="consumer", phone="139%08d" % i)
                 for i in range(200)]
    Contact.insert_many([{"customer": c.id, "subject": "批量 %d" % i, "received_by": user.id,
                          "created_by": user.id, "phone": "13800138000"}
                         for i, c in enumerate(customers)]).execute()
    total = Contact.select().count()
    monkeypatch.setattr(RelatedNames, "KEPT", 10 ** 6)

    def queries(chunk):
        monkeypatch.setattr(KefuModelView, "EXPORT_CHUNK", chunk)
        with statements_run() as executed:
            rows = read_csv(as_clerk.get(url(Contact, "export/csv/")))
        assert len(rows) - 1 == total
        # The rows are counted once, for the audit row: the export itself never counts.
        assert sum("COUNT(" in sql.upper() and '"contact"' in sql for sql in executed) == 1
        return len(executed)

    one, two = queries(total), queries(total // 2 + 1)
    assert one < 25                      # 224 rows, whatever their related rows
    assert two - one <= 3                # the chunk's rows, the names new in it (customers), its clocks


def test_export_cells_are_the_same_whatever_the_chunk(as_clerk, app, monkeypatch):
    """Small chunks name most customers by one scan of the register (once half are named) and
    join each chunk's columns into lines: the CSV is byte for byte the one-chunk CSV."""
    from models import Customer, User
    from views.base import KefuModelView
    user = User.get(User.username == "clerk")
    customers = [Customer.create(name="=客户%d" % i if i % 7 == 0 else "客户, \"%d\"" % i,
                                 kind="consumer", phone="139%08d" % i) for i in range(60)]
    Contact.insert_many([{"customer": c.id, "subject": "-%d" % i if i % 5 == 0 else "事由\r\n%d" % i,
                          "received_by": user.id, "created_by": user.id, "phone": "13800138000"}
                         for i, c in enumerate(customers)]).execute()

    def export(chunk):
        monkeypatch.setattr(KefuModelView, "EXPORT_CHUNK", chunk)
        return as_clerk.get(url(Contact, "export/csv/")).get_data()

    whole = export(10 ** 6)
    assert export(3) == whole
    rows = read_csv(as_clerk.get(url(Contact, "export/csv/")))
    column = {t: i for i, t in enumerate(rows[0])}
    named = {r[column["事由"]]: r[column["客户"]] for r in rows[1:]}
    assert named["-0"] == "'=客户0"                     # a plain number stays; a formula is inert
    assert named["事由\r\n1"] == '客户, "1"'              # quotes, comma, line break round-trip
